"""Offline build of carla_mot_test from dummy_data/ (1 video of 3 frames)."""

import shutil
import tempfile

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.testing.checks import carla

from . import carla_mot_test as builder_module

_DUMMY = epath.Path(__file__).parent / "dummy_data"


class CarlaMOTTestTest(carla.VideoExamples, tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.CarlaMOTTest
    SPLITS = {"test": 1}
    DL_EXTRACT_RESULT = ""  # dummy_data/ itself is the extracted archive (it holds test/)

    def test_example_content(self):
        [(key, example)] = self._examples(_DUMMY / "test")
        self.assertEqual((key, example["video_name"]), (0, "video_00"))
        self.assertEqual(len(example["video"]), 3)
        self.assertEqual(example["annotations"].shape, (6, 9))
        np.testing.assert_array_equal(example["annotations"][:, 0], [1, 1, 2, 2, 3, 3])  # 1-based timesteps
        gs_coords = example["patch_metadata"]["gs_coords"]
        self.assertEqual((gs_coords.shape, gs_coords.dtype), ((3, 4, 2), np.int64))
        self.assertEqual(len(example["patch_metadata"]["masks"]), 3)

    def test_missing_rgb_folder_names_folder_and_archive(self):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(_DUMMY / "test", f"{tmp}/test")
            shutil.rmtree(f"{tmp}/test/video_00/rgb")
            with self.assertRaisesRegex(FileNotFoundError, r"video_00/rgb: folder missing.*carla_mot_test_1"):
                self._examples(epath.Path(tmp) / "test")


if __name__ == "__main__":
    tfds.testing.test_main()
