"""Offline tests for the `librispeech_dev_test` builder (dummy data from dummy_data/make.py).

The builder has no configs. Content and metadata checks run on the build the base test makes.
"""

import shutil
import tempfile
from typing import ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from . import librispeech_dev_test as builder_module

_STEMS = {
    "dev_clean": "dev-clean",
    "dev_other": "dev-other",
    "test_clean": "test-clean",
    "test_other": "test-other",
}


class LibrispeechDevTestTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.LibrispeechDevTest
    SPLITS: ClassVar[dict[str, int]] = {
        "dev_clean": 3,
        "dev_other": 1,
        "test_clean": 1,
        "test_other": 1,
    }
    DL_EXTRACT_RESULT: ClassVar[dict[str, str]] = _STEMS

    def _examples(self, builder: tfds.core.DatasetBuilder, split: str) -> dict[str, dict]:
        return {ex["id"].decode(): ex for ex in tfds.as_numpy(builder.as_dataset(split=split))}

    def _download_and_prepare_as_dataset(self, builder: tfds.core.DatasetBuilder) -> None:
        super()._download_and_prepare_as_dataset(builder)
        self._check_metadata(builder)
        self._check_plain_text(builder)
        self.assertEqual(sorted(builder.info.splits), ["dev_clean", "dev_other", "test_clean", "test_other"])
        self.checked = True

    def _check_metadata(self, builder: tfds.core.DatasetBuilder) -> None:
        metadata = builder.info.metadata
        self.assertEqual(metadata["sample_rate"], 16000)
        self.assertEqual(builder.info.features["speech"].sample_rate, 16000)
        # The last column keeps its '|' characters.
        self.assertEqual(metadata["speakers"][60]["name"], "|CBW|Simon")
        self.assertEqual(metadata["speakers"][84]["subset"], "dev-clean")
        self.assertEqual(metadata["chapters"][142285]["project_title"], "Iron | Blood")
        self.assertNotIn(";ID", str(metadata["speakers"]))

    def _check_plain_text(self, builder: tfds.core.DatasetBuilder) -> None:
        ex = self._examples(builder, "dev_clean")["84-121123-0001"]
        self.assertEqual(ex["text"], b"BUT IN LESS THAN FIVE MINUTES THE STAIRCASE GROANED")
        self.assertEqual((ex["speaker_id"], ex["chapter_id"]), (84, 121123))
        self.assertEqual(ex["speech"].dtype, np.int64)
        self.assertTrue(200 <= len(ex["speech"]) < 400)

    def test_download_and_prepare_as_dataset(self) -> None:
        super().test_download_and_prepare_as_dataset()
        self.assertTrue(self.checked)

    def test_missing_flac_fails_with_name(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            src = epath.Path(tmp) / "test-other"
            shutil.copytree(self.dummy_data / "test-other", src)
            (src / "LibriSpeech/test-other/1688/142285/1688-142285-0000.flac").unlink()
            with self.assertRaisesRegex(FileNotFoundError, r"1688-142285-0000\.flac.*test-other\.tar\.gz"):
                list(self.builder._generate_examples(src, "test-other.tar.gz"))


if __name__ == "__main__":
    tfds.testing.test_main()
