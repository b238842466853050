"""Offline build of carla_over_obj_det_train from dummy_data (a fake extracted source archive)."""

from __future__ import annotations

import unittest

import tensorflow_datasets as tfds

from dsbuild.testing.checks import carla

from . import carla_over_obj_det_train as builder_module


class CarlaOverObjDetTrainTest(carla.TrainValChecks, tfds.testing.DatasetBuilderTestCase):
    """Builds train (2 images) and val (1 image) from the dummy tree."""

    DATASET_CLASS = builder_module.CarlaOverObjDetTrain
    SPLITS = {"train": 2, "val": 1}
    DL_EXTRACT_RESULT = TREE = "carla_over_od_train_val_1.0.0"

    def test_example_content(self) -> None:
        """Sorting, [RGB, depth] pairing, box conversion/clipping."""
        (_, first), _ = self.train_examples()
        self.assertEqual(len(first["categories"]), 2)


class CarlaOverObjDetTrainErrorsTest(carla.TrainValErrorChecks, unittest.TestCase):
    """Clear errors instead of a partial dataset."""

    BUILDER = builder_module.CarlaOverObjDetTrain
    ARCHIVE_RE = r"carla_over_od_train_val_1\.0\.0"

    def test_unknown_image_key_rejected(self) -> None:
        ann = self._annotations([1, 1, 2, 2])
        ann["images"][0]["data_captured"] = "x"  # only armory's street-level builder drops this typo
        with self.assertRaisesRegex(ValueError, r"image 'x\.png' has keys .*data_captured"):
            self._generate({"kwcoco_annotations.json": ann})


if __name__ == "__main__":
    tfds.testing.test_main()
