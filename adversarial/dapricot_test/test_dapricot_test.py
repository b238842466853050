"""Offline build of dapricot_test from dummy_data/ (see dummy_data/make.py).

The conversion rules are shared with dapricot_dev and tested there and in
tests/test_families_coco.py; this file checks what differs: the partition and its 12 scenes.
"""

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.testing.checks.copied import CopiedDummyData

from . import dapricot_test as builder_module

DUMMY = epath.Path(__file__).parent / "dummy_data" / "dapricot_test"


class DapricotTestTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.DapricotTest
    SPLITS = {"large": 4, "medium": 4, "small": 4}
    DL_EXTRACT_RESULT = "dapricot_test"


class DapricotTestScenesTest(CopiedDummyData, tfds.testing.TestCase):
    DUMMY = DUMMY
    BUILDER = builder_module.DapricotTest

    def test_keys_follow_scene_order(self):
        # One photo per scene, scenes 02..15 in order: keys 1..12 (from 1, as armory's builder);
        # dist15 photos are scenes 04, 07, 09, 15.
        small = self.examples("small")
        self.assertEqual(sorted(small), [3, 5, 7, 12])
        self.assertEqual(small[12]["patch_metadata"][0]["shape"], "rect")

    def test_missing_scene_names_file_and_archive(self):
        (self.root / "test" / "annotations" / "labels_scene_13_camera_1.json").unlink()
        with self.assertRaisesRegex(FileNotFoundError, r"labels_scene_13_camera_1\.json.*dapricot_test\.tar\.gz"):
            self.examples("large")


if __name__ == "__main__":
    tfds.testing.test_main()
