"""Offline build of carla_over_obj_det_train from dummy_data (a fake extracted source archive)."""

from __future__ import annotations

import json
import pathlib
import shutil
import tempfile
import unittest

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from . import carla_over_obj_det_train as builder_module

_TREE = "carla_over_od_train_val_1.0.0"


class CarlaOverObjDetTrainTest(tfds.testing.DatasetBuilderTestCase):
    """Builds train (2 images) and val (1 image) from the dummy tree."""

    DATASET_CLASS = builder_module.CarlaOverObjDetTrain
    SPLITS = {"train": 2, "val": 1}
    DL_EXTRACT_RESULT = _TREE

    def test_example_content(self) -> None:
        """Sorting, [RGB, depth] pairing, box conversion/clipping."""
        examples = list(self.builder._generate_examples(self.dummy_data / _TREE / "train"))
        self.assertEqual([k for k, _ in examples], [1, 2])  # running integer from 1
        first = examples[0][1]
        # a_000100 sorts before B_000200 (case-insensitive); RGB and depth share the file name
        self.assertEqual(
            [p.parent.name + "/" + p.name for p in first["image"]], ["rgb/a_000100.png", "depth/a_000100.png"]
        )
        self.assertEqual(first["images"], [{"id": 3, "file_name": "a_000100.png", "height": 960, "width": 1280}] * 2)
        self.assertEqual([o["id"] for o in first["objects"]], [11, 12])  # sorted by annotation id
        np.testing.assert_allclose(
            [tuple(o["boxes"]) for o in first["objects"]],
            [(10 / 24, 26 / 32, 16 / 24, 1.0), (2 / 24, 4 / 32, 7 / 24, 12 / 32)],  # first one clipped
        )
        self.assertEqual([o["area"] for o in first["objects"]], [60, 40])
        self.assertEqual([o["is_crowd"] for o in first["objects"]], [False, False])
        self.builder.info.features.encode_example(first)  # types/dtypes accepted by the features
        self.assertEqual(len(first["categories"]), 2)


class CarlaOverObjDetTrainErrorsTest(unittest.TestCase):
    """Clear errors instead of a partial dataset."""

    def _generate(self, files: dict[str, object]) -> list:
        tmp = pathlib.Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        split_dir = tmp / "src" / "train"
        for name, content in files.items():
            (split_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (split_dir / name).write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
        builder = builder_module.CarlaOverObjDetTrain(data_dir=tmp / "data")
        return list(builder._generate_examples(epath.Path(split_dir)))

    @staticmethod
    def _annotations(bbox: list[float]) -> dict[str, object]:
        return {
            "images": [{"id": 1, "file_name": "x.png", "height": 960, "width": 1280}],
            "annotations": [{"id": 1, "image_id": 1, "area": 1, "bbox": bbox, "category_id": 1}],
            "categories": [{"id": 1, "name": "p", "supercategory": "p"}],
        }

    def test_missing_annotation_file(self) -> None:
        with self.assertRaisesRegex(FileNotFoundError, r"train/kwcoco_annotations\.json: file missing"):
            self._generate({})

    def test_missing_depth_image_names_file_and_archive(self) -> None:
        with self.assertRaisesRegex(
            FileNotFoundError, r"depth/x\.png: file missing from source archive 'carla_over_od_train_val_1\.0\.0"
        ):
            self._generate({"kwcoco_annotations.json": self._annotations([1, 1, 2, 2]), "rgb/x.png": b"x"})

    def test_unknown_image_key_rejected(self) -> None:
        ann = self._annotations([1, 1, 2, 2])
        ann["images"][0]["data_captured"] = "x"  # only armory's street-level builder drops this typo
        with self.assertRaisesRegex(ValueError, r"image 'x\.png' has keys .*data_captured"):
            self._generate({"kwcoco_annotations.json": ann})

    def test_box_outside_image_names_file(self) -> None:
        with self.assertRaisesRegex(ValueError, r"kwcoco_annotations\.json \(image x\.png.*entirely outside"):
            self._generate({"kwcoco_annotations.json": self._annotations([1300, 1, 2, 2])})


if __name__ == "__main__":
    tfds.testing.test_main()
