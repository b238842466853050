"""Offline build of carla_video_tracking_dev from dummy_data/ (2 videos: 1 frame with a static green
screen, 2 frames with a moving one)."""

import shutil
import tempfile

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.testing.checks import carla

from . import carla_video_tracking_dev as builder_module

_DUMMY = epath.Path(__file__).parent / "dummy_data"


class CarlaVideoTrackingDevTest(carla.VideoExamples, tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.CarlaVideoTrackingDev
    SPLITS = {"dev": 2}
    DL_EXTRACT_RESULT = ""  # dummy_data/ itself is the extracted archive (it holds dev/)

    def test_frame_rate_metadata(self):
        self.assertEqual(self.DATASET_CLASS(data_dir=self.tmp_dir).info.metadata["frame_rate"], 10)

    def test_example_content(self):
        (k0, first), (k1, second) = self._examples(_DUMMY / "dev")
        self.assertEqual((k0, k1), (0, 1))
        self.assertEqual([epath.Path(p).name for p in second["video"]], ["00000.png", "00001.png"])
        np.testing.assert_array_equal(second["bboxes"], [[110, 200, 190, 250], [150, 220, 230, 270]])
        # static green screen: one set of corners; moving screen: one per frame
        self.assertEqual(first["patch_metadata"]["gs_coords"].shape, (1, 4, 2))
        self.assertEqual(second["patch_metadata"]["gs_coords"].shape, (2, 4, 2))
        masks = second["patch_metadata"]["masks"]
        self.assertEqual((masks.shape, masks.dtype), ((2, 960, 1280, 3), np.uint8))
        self.assertEqual(set(np.unique(masks).tolist()), {0, 1})  # white (255) pixels stored as 1
        self.assertEqual(int(masks[0].sum()), 40 * 60 * 3)

    def test_missing_file_names_file_and_archive(self):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(_DUMMY / "dev", f"{tmp}/dev")
            (epath.Path(tmp) / "dev/video_01/gt_boxes.npy").unlink()
            with self.assertRaisesRegex(
                FileNotFoundError, r"video_01/gt_boxes\.npy.*carla_video_tracking_dev_2\.0\.0\.tar\.gz"
            ):
                self._examples(epath.Path(tmp) / "dev")

    def test_unpaired_mask_is_an_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(_DUMMY / "dev", f"{tmp}/dev")
            video = epath.Path(tmp) / "dev/video_00"
            (video / "00000_mask.png").rename(video / "00009_mask.png")
            with self.assertRaisesRegex(ValueError, "00009_mask.png does not belong to frame 00000.png"):
                self._examples(epath.Path(tmp) / "dev")


if __name__ == "__main__":
    tfds.testing.test_main()
