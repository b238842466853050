"""Offline build of minicoco (config 2017) from dummy_data/ (see dummy_data/make.py)."""

import json
import shutil
import tempfile

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from . import minicoco as builder_module

DUMMY = epath.Path(__file__).parent / "dummy_data"


class MinicocoTest(tfds.testing.DatasetBuilderTestCase):
    """The only config, 2017, is built."""

    DATASET_CLASS = builder_module.Minicoco
    BUILDER_CONFIG_NAMES_TO_TEST = ["2017"]
    SPLITS = {"train": 2, "validation": 1}
    DL_EXTRACT_RESULT = {
        "train_images": "train2017",
        "val_images": "val2017",
        "annotations": "annotations_trainval2017",
    }


class MinicocoRulesTest(tfds.testing.TestCase):
    def setUp(self):
        super().setUp()
        self.root = epath.Path(tempfile.mkdtemp())
        shutil.copytree(DUMMY, self.root, dirs_exist_ok=True)
        self.ann = self.root / "annotations_trainval2017" / "annotations"

    def tearDown(self):
        shutil.rmtree(self.root)
        super().tearDown()

    def _examples(self, split: str = "train2017") -> dict[str, dict]:
        builder = builder_module.Minicoco(config="2017", data_dir=str(self.root / "data"))
        gen = builder._generate_examples(
            self.root / split / split, self.ann / f"instances_{split}.json", f"{split}.zip"
        )
        return dict(gen)

    def test_filter_and_labels(self):
        train = self._examples()
        # 000000000025.jpg has only a car: skipped. The person on image 9 is dropped.
        self.assertEqual(sorted(train), ["000000000009.jpg", "000000000030.jpg"])
        self.assertEqual([o["label"] for o in train["000000000009.jpg"]["objects"]], [0])
        objs = train["000000000030.jpg"]["objects"]
        self.assertEqual([(o["id"], o["label"], o["is_crowd"]) for o in objs], [(104, 2, True), (105, 1, False)])
        self.assertEqual(objs[0]["area"], 32)  # COCO float area 32.5, truncated like TFDS's int64 cast
        self.assertEqual(train["000000000030.jpg"]["image/id"], 30)
        np.testing.assert_allclose(list(objs[1]["bbox"]), [4 / 12, 4 / 16, 1.0, 1.0])  # clipped

    def test_label_names(self):
        labels = builder_module.Minicoco(config="2017", data_dir=str(self.root / "data")).info.features["objects"][
            "label"
        ]
        self.assertEqual(labels.names, ["airplane", "bus", "train"])

    def test_unexpected_category_names_are_an_error(self):
        path = self.ann / "instances_train2017.json"
        data = json.loads(path.read_text())
        data["categories"][3]["name"] = "coach"
        path.write_text(json.dumps(data))
        with self.assertRaisesRegex(ValueError, r"instances_train2017\.json.*\['airplane', 'coach', 'train'\]"):
            self._examples()

    def test_missing_image_names_file_and_archive(self):
        (self.root / "val2017" / "val2017" / "000000000139.jpg").unlink()
        with self.assertRaisesRegex(FileNotFoundError, r"000000000139\.jpg.*val2017\.zip"):
            self._examples("val2017")

    def test_missing_annotations_names_file_and_archive(self):
        (self.ann / "instances_val2017.json").unlink()
        with self.assertRaisesRegex(FileNotFoundError, r"instances_val2017\.json.*annotations_trainval2017\.zip"):
            self._examples("val2017")


if __name__ == "__main__":
    tfds.testing.test_main()
