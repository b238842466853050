"""Offline build of carla_obj_det_train from dummy_data (a fake extracted source archive)."""

from __future__ import annotations

import unittest

import tensorflow_datasets as tfds

from dsbuild.testing.checks import carla

from . import carla_obj_det_train as builder_module

_TREE = "carla_od_train_val_2.0.0_dataset"


class CarlaObjDetTrainTest(carla.TrainValChecks, tfds.testing.DatasetBuilderTestCase):
    """Builds train (2 images) and val (1 image) from the dummy tree."""

    DATASET_CLASS = builder_module.CarlaObjDetTrain
    SPLITS = {"train": 2, "val": 1}
    DL_EXTRACT_RESULT = TREE = _TREE

    def test_example_content(self) -> None:
        """Sorting, [RGB, depth] pairing, box conversion/clipping and dropped image keys."""
        self.train_examples()
        # val's image carries date_captured: dropped, not an error
        ((_, val),) = self.builder._generate_examples(self.dummy_data / _TREE / "val")
        self.assertEqual(val["images"][0]["id"], 1)


class CarlaObjDetTrainErrorsTest(carla.TrainValErrorChecks, unittest.TestCase):
    """Clear errors instead of a partial dataset."""

    BUILDER = builder_module.CarlaObjDetTrain
    ARCHIVE_RE = r"carla_od_train_val_2\.0\.0"


if __name__ == "__main__":
    tfds.testing.test_main()
