"""LibriSpeech ASR corpus, all seven splits: in-process, or on Apache Beam (one chapter per unit) when built
with Beam options.

Published description: README.md. Shared definition (features, splits, reading):
dsbuild.families.librispeech.

Configs: the subword configs build their vocabulary from the transcripts of all three train splits,
as the legacy TFDS librispeech 1.1.0 this copies did; TFDS marks that encoder API deprecated but
4.9.10 still supports it. `info.metadata` tables come from `LibriSpeech/` of the first archive
(dev_clean).
"""

from typing import ClassVar

import tensorflow_datasets as tfds

from dsbuild.families import librispeech


class LibrispeechFull(librispeech.LibrispeechFamily, tfds.core.GeneratorBasedBuilder):
    """LibriSpeech: all seven splits, 16 kHz speech with transcripts."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {
        "1.1.0": "Version set on every BuilderConfig (copy of legacy TFDS librispeech).",
    }
    BUILDER_CONFIGS: ClassVar[list[librispeech.LibrispeechTextConfig]] = librispeech.librispeech_text_configs("1.1.0")
    DEFAULT_BUILDER_CONFIG_NAME = "plain_text"
    URL_BASE = "http://www.openslr.org/resources/12/"
    # Dict order matters: metadata comes from the first archive.
    ARCHIVES: ClassVar[dict[str, str]] = {
        "dev_clean": "dev-clean.tar.gz",
        "dev_other": "dev-other.tar.gz",
        "test_clean": "test-clean.tar.gz",
        "test_other": "test-other.tar.gz",
        "train_clean100": "train-clean-100.tar.gz",
        "train_clean360": "train-clean-360.tar.gz",
        "train_other500": "train-other-500.tar.gz",
    }
