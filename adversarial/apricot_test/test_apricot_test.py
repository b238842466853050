"""Offline build of apricot_test from dummy_data/ (see dummy_data/make.py for what each image exercises).

The conversion rules themselves (optional-field defaults, box clipping) are shared with apricot_dev and
tested there and in tests/test_families_coco.py; this file checks what differs: the partition
paths and the 91-class labels.
"""

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.testing.checks.copied import CopiedDummyData

from . import apricot_test as builder_module

DUMMY = epath.Path(__file__).parent / "dummy_data" / "apricot_test"


class ApricotTestTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.ApricotTest
    SPLITS = {"frcnn": 2, "retinanet": 1, "ssd": 1}
    DL_EXTRACT_RESULT = "apricot_test"


class ApricotTestRulesTest(CopiedDummyData, tfds.testing.TestCase):
    DUMMY = DUMMY
    BUILDER = builder_module.ApricotTest

    def setUp(self):
        super().setUp()
        self.json_path = self.root / "APRICOT" / "Annotations" / "apricot_test_all_annotations.json"

    def test_label_count_is_91(self):
        labels = builder_module.ApricotTest(data_dir=str(self.root / "data")).info.features["objects"]["labels"]
        self.assertEqual(labels.num_classes, 91)
        self.assertEqual([o["labels"] for o in self.examples("ssd")[3]["objects"]], [12, 90])
        self.edit_json(self.json_path, lambda d: d["annotations"][4].update(category_id=91))
        with self.assertRaisesRegex(ValueError, r"apricot_test_all_annotations\.json.*category_id 91"):
            self.examples("ssd")

    def test_splits_by_patch_model(self):
        self.assertEqual(sorted(self.examples("frcnn")), [1, 4])
        self.assertEqual(sorted(self.examples("retinanet")), [2])

    def test_missing_image_names_file_and_archive(self):
        (self.root / "APRICOT" / "Images" / "test" / "img_0003.jpg").unlink()
        with self.assertRaisesRegex(FileNotFoundError, r"img_0003\.jpg.*apricot_test\.tar\.gz"):
            self.examples("ssd")


if __name__ == "__main__":
    tfds.testing.test_main()
