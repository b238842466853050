"""Offline tests for the `librispeech_full` builder (dummy data from dummy_data/make.py).

plain_text and subwords8k are built: they take different code paths (vocabulary building,
integer-encoded text). subwords32k differs from subwords8k only by its vocabulary size parameter, so it
is not built again (each build of the seven splits costs several seconds); test_config_parameters
checks that parameter. Content checks run on the builds the base test makes, so nothing is built twice.
"""

from typing import ClassVar

import tensorflow_datasets as tfds

from dsbuild.testing.checks.librispeech import LibrispeechChecks

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


class LibrispeechFullTest(LibrispeechChecks, tfds.testing.DatasetBuilderTestCase):
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

    def _download_and_prepare_as_dataset(self, builder: tfds.core.DatasetBuilder) -> None:
        super()._download_and_prepare_as_dataset(builder)
        self.checked_configs = [*getattr(self, "checked_configs", []), builder.builder_config.name]
        self._check_openslr_metadata(builder)
        if builder.builder_config.name == "plain_text":
            self._check_openslr_plain_text(builder)
        else:
            # WALRUS is a train_other500 word, STAIRCASE a dev_clean-only word: the vocabulary is train text only.
            text = "BUT IN LESS THAN FIVE MINUTES THE STAIRCASE GROANED"
            self._check_subwords(
                builder, "dev_clean", "84-121123-0001", text, train_word="WALRUS", other_word="STAIRCASE"
            )

    def test_download_and_prepare_as_dataset(self) -> None:
        super().test_download_and_prepare_as_dataset()
        self.assertEqual(self.checked_configs, ["plain_text", "subwords8k"])

    def test_config_parameters(self) -> None:
        self._check_text_configs()

    def test_missing_flac_fails_with_name(self) -> None:
        self._check_missing_openslr_flac()


if __name__ == "__main__":
    tfds.testing.test_main()
