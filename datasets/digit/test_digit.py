"""Offline tests for the `digit` builder (dummy data from dummy_data/make.py)."""

import tempfile
import wave
from typing import ClassVar
from unittest import mock

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from . import digit as builder_module

# The real enumeration, read before setUpClass narrows it.
_FULL = {k: getattr(builder_module.Digit, k) for k in ("DIGITS", "USERS", "TRAIN_INDICES", "TEST_INDICES")}
# Same narrowed enumeration as NARROWED in dummy_data/make.py (see the builder docstring for why).
_NARROWED = {
    "DIGITS": ("0", "9"),
    "USERS": ("jackson", "theo"),
    "TRAIN_INDICES": (49,),
    "TEST_INDICES": (0,),
}


class DigitTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.Digit
    SPLITS: ClassVar[dict[str, int]] = {"train": 4, "test": 4}
    DL_EXTRACT_RESULT = ""  # the dummy_data folder itself is the extracted archive

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls._narrow = mock.patch.multiple(builder_module.Digit, **_NARROWED)
        cls._narrow.start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls._narrow.stop()
        super().tearDownClass()

    def test_full_enumeration(self) -> None:
        """Unnarrowed, the builder opens 1350 train + 150 test distinct names, all with valid labels."""
        train = builder_module.recording_names(_FULL["DIGITS"], _FULL["USERS"], _FULL["TRAIN_INDICES"])
        test = builder_module.recording_names(_FULL["DIGITS"], _FULL["USERS"], _FULL["TEST_INDICES"])
        self.assertEqual((len(set(train)), len(set(test))), (1350, 150))
        self.assertFalse(set(train) & set(test))
        self.assertIn("9_theo_49.wav", train)
        self.assertIn("0_nicolas_4.wav", test)

    def test_example_content(self) -> None:
        """Audio is the wav's int16 samples as int64; label/user/filename come from the name."""
        self._download_and_prepare_as_dataset(self.builder)
        examples = {ex["filename"].decode(): ex for ex in tfds.as_numpy(self.builder.as_dataset(split="train"))}
        expected_names = {"0_jackson_49.wav", "0_theo_49.wav", "9_jackson_49.wav", "9_theo_49.wav"}
        self.assertEqual(set(examples), expected_names)
        ex = examples["9_theo_49.wav"]
        with wave.open(str(self.dummy_data / "recordings" / "9_theo_49.wav"), "rb") as w:
            expected = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        self.assertEqual(ex["audio"].dtype, np.int64)
        np.testing.assert_array_equal(ex["audio"], expected)
        self.assertEqual((ex["label"], ex["user"]), (9, b"theo"))

    def test_missing_recording_fails_with_name(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            src = epath.Path(tmp)
            (src / "recordings").mkdir()
            for f in (self.dummy_data / "recordings").iterdir():
                if f.name != "9_jackson_0.wav":
                    (src / "recordings" / f.name).write_bytes(f.read_bytes())
            dl_manager = mock.Mock(download_and_extract=mock.Mock(return_value=src))
            pattern = r"digit-1\.0\.8\.tar\.gz.*recordings/9_jackson_0\.wav"
            with self.assertRaisesRegex(FileNotFoundError, pattern):
                self.builder._split_generators(dl_manager)


if __name__ == "__main__":
    tfds.testing.test_main()
