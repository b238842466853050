"""Offline tests for the `librispeech_full` builder (dummy data from dummy_data/make.py).

plain_text and subwords8k are built: they take different code paths (vocabulary building,
integer-encoded text). subwords32k differs from subwords8k only by its vocabulary size parameter, so it
is not built again (each build of the seven splits costs several seconds); test_config_parameters
checks that parameter. Content checks run on the builds the base test makes, so nothing is built twice.
"""

import shutil
import tempfile
from typing import ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from . import librispeech_full as builder_module

_STEMS = {
    "dev_clean": "dev-clean",
    "dev_other": "dev-other",
    "test_clean": "test-clean",
    "test_other": "test-other",
    "train_clean100": "train-clean-100",
    "train_clean360": "train-clean-360",
    "train_other500": "train-other-500",
}


class LibrispeechFullTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.LibrispeechFull
    BUILDER_CONFIG_NAMES_TO_TEST: ClassVar[list[str]] = ["plain_text", "subwords8k"]
    SPLITS: ClassVar[dict[str, int]] = {
        "dev_clean": 3,
        "dev_other": 1,
        "test_clean": 1,
        "test_other": 1,
        "train_clean100": 1,
        "train_clean360": 1,
        "train_other500": 1,
    }
    DL_EXTRACT_RESULT: ClassVar[dict[str, str]] = _STEMS

    def _examples(self, builder: tfds.core.DatasetBuilder, split: str) -> dict[str, dict]:
        return {ex["id"].decode(): ex for ex in tfds.as_numpy(builder.as_dataset(split=split))}

    def _download_and_prepare_as_dataset(self, builder: tfds.core.DatasetBuilder) -> None:
        super()._download_and_prepare_as_dataset(builder)
        self.checked_configs = [*getattr(self, "checked_configs", []), builder.builder_config.name]
        self._check_metadata(builder)
        if builder.builder_config.name == "plain_text":
            self._check_plain_text(builder)
        else:
            self._check_subwords(builder)

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

    def _check_subwords(self, builder: tfds.core.DatasetBuilder) -> None:
        text = builder.info.features["text"]
        self.assertIn("WALRUS_", text.encoder.subwords)  # a train_other500 word
        self.assertNotIn("STAIRCASE_", text.encoder.subwords)  # a dev_clean-only word: train text only
        ex = self._examples(builder, "dev_clean")["84-121123-0001"]
        self.assertEqual(ex["text"].dtype, np.int64)
        self.assertEqual(text.ints2str(ex["text"]), "BUT IN LESS THAN FIVE MINUTES THE STAIRCASE GROANED")

    def test_download_and_prepare_as_dataset(self) -> None:
        super().test_download_and_prepare_as_dataset()
        self.assertEqual(self.checked_configs, ["plain_text", "subwords8k"])

    def test_config_parameters(self) -> None:
        configs = {c.name: c for c in builder_module.LibrispeechFull.BUILDER_CONFIGS}
        self.assertEqual(list(configs), ["plain_text", "subwords8k", "subwords32k"])
        self.assertIsNone(configs["plain_text"].text_encoder_config)
        for name, size in (("subwords8k", 2**13), ("subwords32k", 2**15)):
            encoder_config = configs[name].text_encoder_config
            self.assertIs(encoder_config.encoder_cls, tfds.deprecated.text.SubwordTextEncoder)
            self.assertEqual(encoder_config.vocab_size, size)
        self.assertEqual({str(c.version) for c in configs.values()}, {"1.1.0"})

    def test_missing_flac_fails_with_name(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            src = epath.Path(tmp) / "test-other"
            shutil.copytree(self.dummy_data / "test-other", src)
            (src / "LibriSpeech/test-other/1688/142285/1688-142285-0000.flac").unlink()
            with self.assertRaisesRegex(FileNotFoundError, r"1688-142285-0000\.flac.*test-other\.tar\.gz"):
                list(self.builder._generate_examples(src, "test-other.tar.gz"))


if __name__ == "__main__":
    tfds.testing.test_main()
