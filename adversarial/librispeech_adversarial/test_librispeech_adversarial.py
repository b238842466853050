"""Offline tests for the `librispeech_adversarial` builder (dummy data from dummy_data/make.py)."""

import shutil
import tempfile
import wave
from typing import ClassVar
from unittest import mock

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from . import librispeech_adversarial as builder_module

_VERSIONS = ("clean", "adversarial_univperturbation", "adversarial_perturbation")


def _wav_samples(path: epath.Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


class LibrispeechAdversarialTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.LibrispeechAdversarial
    SPLITS: ClassVar[dict[str, int]] = {"adversarial": 3}  # the non-wav file under data/clean is skipped
    DL_EXTRACT_RESULT = ""  # the dummy_data folder itself is the extracted archive

    def _download_and_prepare_as_dataset(self, builder: tfds.core.DatasetBuilder) -> None:
        super()._download_and_prepare_as_dataset(builder)
        examples = list(tfds.as_numpy(builder.as_dataset(split="adversarial")))
        self.assertEqual(sorted(int(ex["label"]) for ex in examples), [0, 0, 1])  # "84" is 0, "174" is 1
        ex = next(ex for ex in examples if ex["label"] == 1)
        for version in _VERSIONS:
            expected = _wav_samples(self.dummy_data / "data" / version / "174/50561/174-50561-0000.wav")
            self.assertEqual(ex["audio"][version].dtype, np.int64)
            np.testing.assert_array_equal(ex["audio"][version], expected)
        self.checked = True

    def test_download_and_prepare_as_dataset(self) -> None:
        super().test_download_and_prepare_as_dataset()
        self.assertTrue(self.checked)

    def _split_generators_on(self, data_parent: epath.Path) -> dict:
        dl_manager = mock.Mock(download_and_extract=mock.Mock(return_value=data_parent))
        return self.builder._split_generators(dl_manager)

    def _copy(self, tmp: str) -> epath.Path:
        shutil.copytree(self.dummy_data / "data", epath.Path(tmp) / "data")
        return epath.Path(tmp)

    def test_keys_are_clip_names_in_sorted_order(self) -> None:
        clips = builder_module.clean_clips(self.dummy_data / "data" / "clean")
        self.assertEqual(
            clips,
            [
                ("174", "50561", "174-50561-0000.wav"),
                ("84", "121123", "84-121123-0000.wav"),
                ("84", "121123", "84-121123-0001.wav"),
            ],
        )

    def test_missing_adversarial_clip_fails_with_path(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = self._copy(tmp)
            (root / "data/adversarial_perturbation/84/121123/84-121123-0001.wav").unlink()
            pattern = r"data/adversarial_perturbation/84/121123/84-121123-0001\.wav missing from .*PGD\.tar\.gz"
            with self.assertRaisesRegex(FileNotFoundError, pattern):
                self._split_generators_on(root)

    def test_duplicate_clip_name_fails(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = self._copy(tmp)
            for version in _VERSIONS:
                dup = root / "data" / version / "174/50562/84-121123-0000.wav"
                dup.parent.mkdir(parents=True)
                dup.write_bytes((root / "data" / version / "84/121123/84-121123-0000.wav").read_bytes())
            with self.assertRaisesRegex(ValueError, r"84-121123-0000\.wav is not unique"):
                self._split_generators_on(root)

    def test_unknown_speaker_fails(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = self._copy(tmp)
            (root / "data/clean/84").rename(root / "data/clean/19")
            with self.assertRaisesRegex(ValueError, r"data/clean/19/121123/84-121123-0000\.wav.*not one of"):
                self._split_generators_on(root)


if __name__ == "__main__":
    tfds.testing.test_main()
