"""Checks shared by the librispeech_* builder tests (mixed into their DatasetBuilderTestCase)."""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

import numpy as np


class LibrispeechChecks:
    """Helpers for a `tfds.testing.DatasetBuilderTestCase` of a LibriSpeech builder (list this class first)."""

    def _examples(self, builder: Any, split: str) -> dict[str, dict]:
        import tensorflow_datasets as tfds

        return {ex["id"].decode(): ex for ex in tfds.as_numpy(builder.as_dataset(split=split))}

    def _check_openslr_metadata(self, builder: Any) -> None:
        """info.metadata read from the openslr dummy SPEAKERS.TXT / CHAPTERS.TXT; 16 kHz on the feature."""
        metadata = builder.info.metadata
        self.assertEqual(metadata["sample_rate"], 16000)
        self.assertEqual(builder.info.features["speech"].sample_rate, 16000)
        # The last column keeps its '|' characters.
        self.assertEqual(metadata["speakers"][60]["name"], "|CBW|Simon")
        self.assertEqual(metadata["speakers"][84]["subset"], "dev-clean")
        self.assertEqual(metadata["chapters"][142285]["project_title"], "Iron | Blood")
        self.assertNotIn(";ID", str(metadata["speakers"]))

    def _check_openslr_plain_text(self, builder: Any) -> None:
        ex = self._examples(builder, "dev_clean")["84-121123-0001"]
        self.assertEqual(ex["text"], b"BUT IN LESS THAN FIVE MINUTES THE STAIRCASE GROANED")
        self.assertEqual((ex["speaker_id"], ex["chapter_id"]), (84, 121123))
        self.assertEqual(ex["speech"].dtype, np.int64)
        self.assertTrue(200 <= len(ex["speech"]) < 400)

    def _check_subwords(
        self, builder: Any, split: str, key: str, transcript: str, *, train_word: str, other_word: str
    ) -> None:
        """The vocabulary holds `train_word` but not `other_word` (train text only); `key` decodes to `transcript`."""
        text = builder.info.features["text"]
        self.assertIn(f"{train_word}_", text.encoder.subwords)
        self.assertNotIn(f"{other_word}_", text.encoder.subwords)
        ex = self._examples(builder, split)[key]
        self.assertEqual(ex["text"].dtype, np.int64)
        self.assertEqual(text.ints2str(ex["text"]), transcript)

    def _check_text_configs(self) -> None:
        """plain_text, subwords8k and subwords32k: the vocabulary size parameter, all at version 1.1.0."""
        import tensorflow_datasets as tfds

        configs = {c.name: c for c in self.DATASET_CLASS.BUILDER_CONFIGS}
        self.assertEqual(list(configs), ["plain_text", "subwords8k", "subwords32k"])
        self.assertIsNone(configs["plain_text"].text_encoder_config)
        for name, size in (("subwords8k", 2**13), ("subwords32k", 2**15)):
            encoder_config = configs[name].text_encoder_config
            self.assertIs(encoder_config.encoder_cls, tfds.deprecated.text.SubwordTextEncoder)
            self.assertEqual(encoder_config.vocab_size, size)
        self.assertEqual({str(c.version) for c in configs.values()}, {"1.1.0"})

    def _check_missing_openslr_flac(self) -> None:
        """A flac listed in a transcript but absent fails naming the file and the archive."""
        from etils import epath

        with tempfile.TemporaryDirectory() as tmp:
            src = epath.Path(tmp) / "test-other"
            shutil.copytree(self.dummy_data / "test-other", src)
            (src / "LibriSpeech/test-other/1688/142285/1688-142285-0000.flac").unlink()
            with self.assertRaisesRegex(FileNotFoundError, r"1688-142285-0000\.flac.*test-other\.tar\.gz"):
                list(self.builder._generate_examples(src, "test-other.tar.gz"))
