"""Offline build of carla_mot_dev from dummy_data/ (2 videos of 3 and 2 frames)."""

import shutil
import tempfile

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.testing.checks import carla

from . import carla_mot_dev as builder_module

_DUMMY = epath.Path(__file__).parent / "dummy_data"


class CarlaMOTDevTest(carla.VideoExamples, tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.CarlaMOTDev
    SPLITS = {"dev": 2}
    DL_EXTRACT_RESULT = ""  # dummy_data/ itself is the extracted archive (it holds dev/)

    def test_example_content(self):
        (k0, first), (k1, second) = self._examples(_DUMMY / "dev")
        self.assertEqual((k0, k1), (0, 1))
        self.assertEqual((first["video_name"], second["video_name"]), ("video_00", "video_01"))
        self.assertEqual([epath.Path(p).name for p in first["video"]], ["00000.png", "00001.png", "00002.png"])
        self.assertEqual([epath.Path(p).parent.name for p in first["patch_metadata"]["masks"]], ["foreground_mask"] * 3)
        ann = first["annotations"]
        self.assertEqual((ann.shape, ann.dtype), ((6, 9), np.float32))
        np.testing.assert_array_equal(ann[1], [1, 2, 8, 8, 3.25, 2, 1, 2, 1])  # kept as in the file, 1-based
        self.assertEqual(second["annotations"].shape, (1, 9))  # a one-row file is still 2-D

    def test_gs_coords_from_float_and_int_files(self):
        """The uncertain per-frame corner dtype: float files are truncated like armory's int cast."""
        (_, first), (_, second) = self._examples(_DUMMY / "dev")
        corners = [[900, 200], [1000, 200], [1000, 260], [900, 260]]
        for example, frames in ((first, 3), (second, 2)):
            gs_coords = example["patch_metadata"]["gs_coords"]
            self.assertEqual(gs_coords.dtype, np.int64)
            np.testing.assert_array_equal(gs_coords, [corners] * frames)

    def test_missing_instances_names_file_and_archive(self):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(_DUMMY / "dev", f"{tmp}/dev")
            (epath.Path(tmp) / "dev/video_01/instances.txt").unlink()
            with self.assertRaisesRegex(FileNotFoundError, r"video_01/instances\.txt.*carla_mot_dev_1\.0\.1"):
                self._examples(epath.Path(tmp) / "dev")

    def test_frame_names_must_match(self):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(_DUMMY / "dev", f"{tmp}/dev")
            video = epath.Path(tmp) / "dev/video_00"
            (video / "foreground_mask/00002.png").unlink()
            with self.assertRaisesRegex(ValueError, r"rgb/: 3, foreground_mask/: 2, patch_metadata/: 3"):
                self._examples(epath.Path(tmp) / "dev")


if __name__ == "__main__":
    tfds.testing.test_main()
