"""Offline tests for the `librispeech_dev_clean_split` builder (dummy data from dummy_data/make.py).

plain_text and subwords8k are built: they take different code paths (vocabulary building,
integer-encoded text). subwords32k differs from subwords8k only by its vocabulary size parameter, so it
is not built again; test_config_parameters checks that parameter. Content checks run on the builds the
base test makes, so nothing is built twice.
"""

import shutil
import tempfile
from typing import ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.testing.checks.librispeech import LibrispeechChecks

from . import librispeech_dev_clean_split as builder_module


class LibrispeechDevCleanSplitTest(LibrispeechChecks, tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.LibrispeechDevCleanSplit
    BUILDER_CONFIG_NAMES_TO_TEST: ClassVar[list[str]] = ["plain_text", "subwords8k"]
    SPLITS: ClassVar[dict[str, int]] = {"train": 2, "validation": 1, "test": 1}
    DL_EXTRACT_RESULT: ClassVar[dict[str, str]] = {
        "train": "librispeech-dev-clean-train",
        "validation": "librispeech-dev-clean-val",
        "test": "librispeech-dev-clean-test",
    }

    def _download_and_prepare_as_dataset(self, builder: tfds.core.DatasetBuilder) -> None:
        super()._download_and_prepare_as_dataset(builder)
        self.checked_configs = [*getattr(self, "checked_configs", []), builder.builder_config.name]
        self._check_common(builder)
        if builder.builder_config.name == "plain_text":
            self._check_plain_text(builder)
        else:
            # GILLIAN is a train word, STAIRCASE a test-only word: the vocabulary is train text only.
            text = "THE STAIRCASE GROANED BENEATH HIS WEIGHT"
            self._check_subwords(builder, "test", "422-122949-0000", text, train_word="GILLIAN", other_word="STAIRCASE")

    def _check_common(self, builder: tfds.core.DatasetBuilder) -> None:
        metadata = builder.info.metadata
        self.assertEqual(metadata["sample_rate"], 16000)
        self.assertIsNone(builder.info.features["speech"].sample_rate)
        self.assertEqual(metadata["speakers"][60]["name"], "|CBW|Simon")
        self.assertEqual(metadata["chapters"][122949]["project_title"], "Iron | Blood")
        self.assertEqual(builder.info.features["label"].num_classes, 40)
        train = self._examples(builder, "train")
        # label = index of str(speaker_id) in the 40 speaker names ("84" is 0, "174" is 1).
        self.assertEqual({k: ex["label"] for k, ex in train.items()}, {"84-121123-0000": 0, "174-50561-0000": 1})
        ex = self._examples(builder, "test")["422-122949-0000"]
        self.assertEqual((ex["speaker_id"], ex["chapter_id"], ex["label"]), (422, 122949, 3))
        self.assertEqual(ex["speech"].dtype, np.int64)
        self.assertTrue(200 <= len(ex["speech"]) < 400)

    def _check_plain_text(self, builder: tfds.core.DatasetBuilder) -> None:
        ex = self._examples(builder, "validation")["251-136532-0000"]
        self.assertEqual(ex["text"], b"I NEVER KNEW OF BUT ONE MAN")

    def test_download_and_prepare_as_dataset(self) -> None:
        super().test_download_and_prepare_as_dataset()
        self.assertEqual(self.checked_configs, ["plain_text", "subwords8k"])

    def test_config_parameters(self) -> None:
        self._check_text_configs()

    def test_metadata_dir_search_order(self) -> None:
        """Uncertain top dir: metadata comes from the first of val/, test/, train/ holding SPEAKERS.TXT."""
        src = self.dummy_data / "librispeech-dev-clean-train" / "train"
        with tempfile.TemporaryDirectory() as tmp:
            root = epath.Path(tmp)
            for sub in ("train", "test"):
                (root / sub).mkdir()
                for name in ("SPEAKERS.TXT", "CHAPTERS.TXT"):
                    (root / sub / name).write_bytes((src / name).read_bytes())
            self.assertEqual(self.builder._metadata_dir(root), root / "test")
            shutil.rmtree(root / "test")
            self.assertEqual(self.builder._metadata_dir(root), root / "train")
            (root / "train" / "SPEAKERS.TXT").unlink()
            pattern = r"val/SPEAKERS\.TXT, test/SPEAKERS\.TXT, train/SPEAKERS\.TXT.*librispeech-dev-clean-train"
            with self.assertRaisesRegex(FileNotFoundError, pattern):
                self.builder._metadata_dir(root)

    def test_unknown_speaker_fails_with_name(self) -> None:
        flac = self.dummy_data / "librispeech-dev-clean-val/val/251/136532/251-136532-0000.flac"
        with tempfile.TemporaryDirectory() as tmp:
            chapter = epath.Path(tmp) / "val" / "19" / "198"
            chapter.mkdir(parents=True)
            (chapter / "19-198.trans.txt").write_text("19-198-0000 NORTHANGER ABBEY\n")
            (chapter / "19-198-0000.flac").write_bytes(flac.read_bytes())
            with self.assertRaisesRegex(ValueError, r"19-198-0000\.flac in x\.tar\.gz: speaker 19"):
                list(self.builder._generate_examples(epath.Path(tmp), "x.tar.gz"))


if __name__ == "__main__":
    tfds.testing.test_main()
