"""Offline build of apricot_dev from dummy_data/ (see dummy_data/make.py for what each image exercises)."""

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.testing.checks.copied import CopiedDummyData

from . import apricot_dev as builder_module

DUMMY = epath.Path(__file__).parent / "dummy_data" / "apricot_dev"


class ApricotDevTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.ApricotDev
    SPLITS = {"frcnn": 2, "retinanet": 1, "ssd": 1}
    DL_EXTRACT_RESULT = "apricot_dev"


class ApricotDevRulesTest(CopiedDummyData, tfds.testing.TestCase):
    """Rules from the facts, checked on the generated examples and on broken copies of the dummy data."""

    DUMMY = DUMMY
    BUILDER = builder_module.ApricotDev

    def setUp(self):
        super().setUp()
        self.json_path = self.root / "APRICOT" / "Annotations" / "apricot_dev_all_annotations.json"

    def _edit(self, fn) -> None:
        self.edit_json(self.json_path, fn)

    def test_uncertain_label_count_is_81(self):
        """Chosen 81 (tfdsv4), not master's 91: id 80 is accepted, 81 is rejected naming the file."""
        labels = builder_module.ApricotDev(data_dir=str(self.root / "data")).info.features["objects"]["labels"]
        self.assertEqual(labels.num_classes, 81)
        objects = self.examples("ssd")[3]["objects"]
        self.assertEqual([o["labels"] for o in objects], [12, 80])
        self._edit(lambda d: d["annotations"][4].update(category_id=81))
        with self.assertRaisesRegex(ValueError, r"apricot_dev_all_annotations\.json.*category_id 81"):
            self.examples("ssd")

    def test_split_from_first_patch_annotation(self):
        self.assertEqual(sorted(self.examples("frcnn")), [1, 4])
        self.assertEqual(sorted(self.examples("retinanet")), [2])
        self.assertEqual(sorted(self.examples("ssd")), [3])

    def test_optional_fields_defaults_and_box_clipping(self):
        ex = self.examples("frcnn")[1]
        patch, person = ex["objects"]
        self.assertEqual((patch["patch_id"], patch["is_warped"], list(patch["angle"])), (3, True, [0, 1, 2]))
        self.assertEqual((person["patch_id"], person["is_warped"], list(person["angle"])), (-1, False, [-1] * 3))
        np.testing.assert_allclose(list(patch["boxes"]), [2 / 12, 2 / 16, 7 / 12, 8 / 16])
        clipped = self.examples("ssd")[3]["objects"][0]["boxes"]
        np.testing.assert_allclose(list(clipped), [8 / 12, 10 / 16, 1.0, 1.0])
        # Whole-JSON lists are copied into every example with exactly the declared keys.
        self.assertEqual(len(ex["patches"]), 60)
        self.assertEqual(set(ex["images"][0]), {"id", "file_name", "height", "width"})

    def test_image_without_patch_is_an_error(self):
        self._edit(lambda d: d["annotations"][2].update(patch_id=-1))
        with self.assertRaisesRegex(ValueError, r"img_0002\.jpg.*no annotation with a patch_id"):
            self.examples("frcnn")

    def test_box_outside_image_names_the_file(self):
        self._edit(lambda d: d["annotations"][1].update(bbox=[20, 0, 3, 3]))
        with self.assertRaisesRegex(ValueError, r"img_0001\.jpg.*entirely outside"):
            self.examples("frcnn")

    def test_missing_image_names_file_and_archive(self):
        (self.root / "APRICOT" / "Images" / "dev" / "img_0002.jpg").unlink()
        with self.assertRaisesRegex(FileNotFoundError, r"img_0002\.jpg.*apricot_dev\.tar\.gz"):
            self.examples("retinanet")

    def test_missing_annotations_names_file_and_archive(self):
        self.json_path.unlink()
        with self.assertRaisesRegex(FileNotFoundError, r"apricot_dev_all_annotations\.json.*apricot_dev\.tar\.gz"):
            self.examples("frcnn")


if __name__ == "__main__":
    tfds.testing.test_main()
