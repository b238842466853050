"""Offline test of ucf101_clean built from dummy_data/ (needs the `ffmpeg` binary).

All four configs are built: they differ only by parameters, but `ucf101_1_256` is the one resize path
and each split number reads different list files.
"""

import collections
import tempfile

import tensorflow_datasets as tfds
from etils import epath

from . import ucf101_clean as builder_module

# Per config: split -> label counts, from the dummy split lists (see dummy_data/make.py).
_EXPECTED_LABELS = {
    1: {"train": {"Archery": 1, "HandstandPushups": 1}, "test": {"Nunchucks": 1}},
    2: {"train": {"Archery": 1, "Nunchucks": 1}, "test": {"HandstandPushups": 1}},
    3: {"train": {"HandstandPushups": 1, "Nunchucks": 1}, "test": {"Archery": 1}},
}


class Ucf101CleanTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.Ucf101Clean
    BUILDER_CONFIG_NAMES_TO_TEST = ["ucf101_1_256", "ucf101_1", "ucf101_2", "ucf101_3"]
    SPLITS = {"train": 2, "test": 1}
    DL_EXTRACT_RESULT = {
        "videos": "UCF101_videos",
        "splits": "UCF101TrainTestSplits-RecognitionTask",
    }

    def _assertAsDataset(self, builder):  # noqa: N802 - TFDS hook name
        super()._assertAsDataset(builder)
        config = builder.builder_config
        label = builder.info.features["label"]
        side = 256 if config.name == "ucf101_1_256" else 16  # dummy videos are 16x16
        for split, want in _EXPECTED_LABELS[config.split_number].items():
            counts = collections.Counter()
            for ex in tfds.as_numpy(builder.as_dataset(split=split)):
                self.assertEqual(ex["video"].shape, (3, side, side, 3))
                counts[label.int2str(ex["label"])] += 1
            self.assertEqual(dict(counts), want)

    def test_ffmpeg_args(self):
        """`-q:v 2` everywhere; the resize config gets the intended args, not ARMORY's '-q:v2' typo."""
        args = {
            c.name: builder_module.Ucf101Clean(config=c.name).info.features["video"]._extra_ffmpeg_args
            for c in builder_module.Ucf101Clean.BUILDER_CONFIGS
        }
        self.assertEqual(args["ucf101_1_256"], ["-q:v", "2", "-vf", "scale=256x256"])
        for name in ("ucf101_1", "ucf101_2", "ucf101_3"):
            self.assertEqual(args[name], ["-q:v", "2"])

    def test_missing_video_is_an_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = epath.Path(tmp)
            (root / "UCF101").mkdir()
            (root / "list.txt").write_text("Archery/v_Archery_g09_c01.avi 3\r\n")
            with self.assertRaisesRegex(FileNotFoundError, "v_Archery_g09_c01.avi.*UCF101_videos.zip"):
                builder_module.read_split_list(root / "list.txt", root / "UCF101")


if __name__ == "__main__":
    tfds.testing.test_main()
