"""Offline test of ucf101_mars_perturbation_and_patch_adversarial112x112 built from dummy_data/."""

import tempfile

import tensorflow_datasets as tfds
from etils import epath

from . import ucf101_mars_perturbation_and_patch_adversarial112x112 as builder_module

_EXTRACTED = "ucf101_mars_perturbation_and_patch_adversarial_112x112"


class Ucf101MarsAdversarialTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.Ucf101MarsPerturbationAndPatchAdversarial112x112
    # All 101 class folders must exist: one video each, plus a second ApplyEyeMakeup video.
    SPLITS = {"adversarial": 102}
    DL_EXTRACT_RESULT = _EXTRACTED

    def _assertAsDataset(self, builder):  # noqa: N802 - TFDS hook name
        super()._assertAsDataset(builder)
        names = builder.info.features["labels"]["clean"].names
        examples = {ex["videoname"].decode(): ex for ex in tfds.as_numpy(builder.as_dataset(split="adversarial"))}
        first = examples["v_ApplyEyeMakeup_g01_c01"]
        self.assertEqual({kind: video.shape for kind, video in first["videos"].items()},
                         dict.fromkeys(first["videos"], (2, 112, 112, 3)))  # fmt: skip
        for video, ex in examples.items():
            label = ex["labels"]["clean"]
            self.assertEqual(video.split("_")[1], names[label])
            self.assertEqual(ex["labels"]["adversarial_perturbation"], label)
            self.assertEqual(ex["labels"]["adversarial_patch"], (label + 1) % 101)
        self.assertEqual(examples["v_YoYo_g01_c01"]["labels"]["adversarial_patch"], 0)

    def test_missing_label_folder(self):
        names = ["ApplyEyeMakeup", "ApplyLipstick", "Archery"]
        with tempfile.TemporaryDirectory() as tmp:
            clean = epath.Path(tmp) / "clean"
            for label in ("applyLipstick", "ApplyEyeMakeup"):
                (clean / label).mkdir(parents=True)
            with self.assertRaisesRegex(
                ValueError, r"missing \['ApplyLipstick', 'Archery'\], unexpected \['applyLipstick'\]"
            ):
                builder_module.check_label_folders(clean, names)

    def test_case_insensitive_order_accepted(self):
        names = ["Hammering", "HammerThrow"]  # case-insensitive order; case-sensitive sort would swap them
        with tempfile.TemporaryDirectory() as tmp:
            clean = epath.Path(tmp) / "clean"
            for label in names:
                (clean / label).mkdir(parents=True)
            builder_module.check_label_folders(clean, names)  # must not raise

    def test_video_without_frames(self):
        with tempfile.TemporaryDirectory() as tmp:
            (epath.Path(tmp) / "v_x").mkdir()
            with self.assertRaisesRegex(ValueError, r"v_x: no \*\.png frames"):
                builder_module.frames(epath.Path(tmp) / "v_x", "*.png")


if __name__ == "__main__":
    tfds.testing.test_main()
