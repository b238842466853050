"""Offline build of carla_obj_det_dev from dummy_data (a fake extracted source archive); checks in dsbuild/testing/checks/carla.py."""

from __future__ import annotations

import unittest

import tensorflow_datasets as tfds

from dsbuild.testing.checks import carla

from . import carla_obj_det_dev as builder_module

_TREE = "carla_od_dev_2.0.0"


class CarlaObjDetDevTest(carla.StreetGreenScreenChecks, tfds.testing.DatasetBuilderTestCase):
    """Builds the dev split (2 images) from the dummy tree."""

    DATASET_CLASS = builder_module.CarlaObjDetDev
    SPLITS = {"dev": 2}
    DL_EXTRACT_RESULT = _TREE
    TREE, SPLIT = _TREE, "dev"


class CarlaObjDetDevErrorsTest(carla.StreetGreenScreenErrorChecks, unittest.TestCase):
    """Clear errors instead of a partial dataset."""

    BUILDER = builder_module.CarlaObjDetDev
    TREE, SPLIT = _TREE, "dev"
    ARCHIVE_RE = r"carla_od_dev_2\.0\.0"


if __name__ == "__main__":
    tfds.testing.test_main()
