"""Offline build of carla_video_tracking_test from dummy_data/ (1 video: 2 frames, moving green screen)."""

import shutil
import tempfile

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.testing.checks import carla

from . import carla_video_tracking_test as builder_module

_DUMMY = epath.Path(__file__).parent / "dummy_data"


class CarlaVideoTrackingTestTest(carla.VideoExamples, tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.CarlaVideoTrackingTest
    SPLITS = {"test": 1}
    DL_EXTRACT_RESULT = ""  # dummy_data/ itself is the extracted archive (it holds test/)

    def test_no_metadata(self):
        self.assertIsNone(self.DATASET_CLASS(data_dir=self.tmp_dir).info.metadata)

    def test_example_content(self):
        [(key, example)] = self._examples(_DUMMY / "test")
        self.assertEqual(key, 0)
        self.assertEqual(len(example["video"]), 2)
        self.assertEqual(example["bboxes"].shape, (2, 4))
        gs_coords = example["patch_metadata"]["gs_coords"]
        self.assertEqual((gs_coords.shape, gs_coords.dtype), ((2, 4, 2), np.int64))
        self.assertEqual(example["patch_metadata"]["masks"].shape, (2, 960, 1280, 3))

    def test_missing_file_names_file_and_archive(self):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(_DUMMY / "test", f"{tmp}/test")
            (epath.Path(tmp) / "test/video_07/gs_coords.npy").unlink()
            with self.assertRaisesRegex(
                FileNotFoundError, r"video_07/gs_coords\.npy.*carla_video_tracking_test_2\.0\.0\.tar\.gz"
            ):
                self._examples(epath.Path(tmp) / "test")

    def test_missing_split_folder(self):
        with tempfile.TemporaryDirectory() as tmp, self.assertRaisesRegex(FileNotFoundError, "test: folder"):
            self._examples(epath.Path(tmp) / "test")


if __name__ == "__main__":
    tfds.testing.test_main()
