"""Offline build of carla_obj_det_test from dummy_data (a fake extracted source archive); checks in dsbuild/testing/checks/carla.py."""

from __future__ import annotations

import unittest

import tensorflow_datasets as tfds

from dsbuild.testing.checks import carla

from . import carla_obj_det_test as builder_module

_TREE = "carla_od_test_2.0.0"


class CarlaObjDetTestTest(carla.StreetGreenScreenChecks, tfds.testing.DatasetBuilderTestCase):
    """Builds the test split (2 images) from the dummy tree."""

    DATASET_CLASS = builder_module.CarlaObjDetTest
    SPLITS = {"test": 2}
    DL_EXTRACT_RESULT = _TREE
    TREE, SPLIT = _TREE, "test"


class CarlaObjDetTestErrorsTest(carla.StreetGreenScreenErrorChecks, unittest.TestCase):
    """Clear errors instead of a partial dataset."""

    BUILDER = builder_module.CarlaObjDetTest
    TREE, SPLIT = _TREE, "test"
    ARCHIVE_RE = r"carla_od_test_2\.0\.0"


if __name__ == "__main__":
    tfds.testing.test_main()
