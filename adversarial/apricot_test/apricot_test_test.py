"""Offline build of apricot_test from dummy_data/ (see dummy_data/make.py for what each image exercises).

The conversion rules themselves (optional-field defaults, box clipping) are shared with apricot_dev and
tested there and in tests/test_builder_helpers_coco.py; this file checks what differs: the partition
paths and the 91-class labels.
"""

import json
import shutil
import tempfile

import tensorflow_datasets as tfds
from etils import epath

from . import apricot_test as builder_module

DUMMY = epath.Path(__file__).parent / "dummy_data" / "apricot_test"


class ApricotTestTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.ApricotTest
    SPLITS = {"frcnn": 2, "retinanet": 1, "ssd": 1}
    DL_EXTRACT_RESULT = "apricot_test"


def _examples(root: epath.Path, split: str) -> dict[int, dict]:
    builder = builder_module.ApricotTest(data_dir=str(root / "data"))
    return dict(builder._generate_examples(root, split))


class ApricotTestRulesTest(tfds.testing.TestCase):
    def setUp(self):
        super().setUp()
        self.root = epath.Path(tempfile.mkdtemp())
        shutil.copytree(DUMMY, self.root, dirs_exist_ok=True)
        self.json_path = self.root / "APRICOT" / "Annotations" / "apricot_test_all_annotations.json"

    def tearDown(self):
        shutil.rmtree(self.root)
        super().tearDown()

    def test_label_count_is_91(self):
        labels = builder_module.ApricotTest(data_dir=str(self.root / "data")).info.features["objects"]["labels"]
        self.assertEqual(labels.num_classes, 91)
        self.assertEqual([o["labels"] for o in _examples(self.root, "ssd")[3]["objects"]], [12, 90])
        data = json.loads(self.json_path.read_text())
        data["annotations"][4]["category_id"] = 91
        self.json_path.write_text(json.dumps(data))
        with self.assertRaisesRegex(ValueError, r"apricot_test_all_annotations\.json.*category_id 91"):
            _examples(self.root, "ssd")

    def test_splits_by_patch_model(self):
        self.assertEqual(sorted(_examples(self.root, "frcnn")), [1, 4])
        self.assertEqual(sorted(_examples(self.root, "retinanet")), [2])

    def test_missing_image_names_file_and_archive(self):
        (self.root / "APRICOT" / "Images" / "test" / "img_0003.jpg").unlink()
        with self.assertRaisesRegex(FileNotFoundError, r"img_0003\.jpg.*apricot_test\.tar\.gz"):
            _examples(self.root, "ssd")


if __name__ == "__main__":
    tfds.testing.test_main()
