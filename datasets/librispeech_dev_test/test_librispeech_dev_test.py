"""Offline tests for the `librispeech_dev_test` builder (dummy data from dummy_data/make.py).

The builder has no configs. Content and metadata checks run on the build the base test makes.
"""

from typing import ClassVar

import tensorflow_datasets as tfds

from dsbuild.testing.checks.librispeech import LibrispeechChecks

from . import librispeech_dev_test as builder_module

_STEMS = {
    "dev_clean": "dev-clean",
    "dev_other": "dev-other",
    "test_clean": "test-clean",
    "test_other": "test-other",
}


class LibrispeechDevTestTest(LibrispeechChecks, tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.LibrispeechDevTest
    SPLITS: ClassVar[dict[str, int]] = {"dev_clean": 3, "dev_other": 1, "test_clean": 1, "test_other": 1}
    DL_EXTRACT_RESULT: ClassVar[dict[str, str]] = _STEMS

    def _download_and_prepare_as_dataset(self, builder: tfds.core.DatasetBuilder) -> None:
        super()._download_and_prepare_as_dataset(builder)
        self._check_openslr_metadata(builder)
        self._check_openslr_plain_text(builder)
        self.assertEqual(sorted(builder.info.splits), ["dev_clean", "dev_other", "test_clean", "test_other"])
        self.checked = True

    def test_download_and_prepare_as_dataset(self) -> None:
        super().test_download_and_prepare_as_dataset()
        self.assertTrue(self.checked)

    def test_missing_flac_fails_with_name(self) -> None:
        self._check_missing_openslr_flac()


if __name__ == "__main__":
    tfds.testing.test_main()
