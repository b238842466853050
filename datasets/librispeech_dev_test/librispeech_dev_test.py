"""LibriSpeech dev and test splits (dev_clean, dev_other, test_clean, test_other).

Published description: README.md. Shared definition (features, splits, reading):
dsbuild.families.librispeech.

ARMORY's builder subclasses TFDS's own Librispeech 2.1.0 (an Apache Beam builder) and keeps only these
four splits; this is an equivalent plain generator builder without configs. `info.metadata` tables
come from `LibriSpeech/` of the first archive (dev_clean).
"""

from typing import ClassVar

import tensorflow_datasets as tfds

from dsbuild.families import librispeech


class LibrispeechDevTest(librispeech.LibrispeechFamily, tfds.core.GeneratorBasedBuilder):
    """LibriSpeech dev/test splits: 16 kHz speech with transcripts."""

    VERSION = tfds.core.Version("2.1.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {
        "2.1.0": "Inherits TFDS Librispeech 2.1.0 (dev and test splits only).",
    }
    URL_BASE = "http://www.openslr.org/resources/12/"
    # Dict order matters: metadata comes from the first archive.
    ARCHIVES: ClassVar[dict[str, str]] = {
        "dev_clean": "dev-clean.tar.gz",
        "dev_other": "dev-other.tar.gz",
        "test_clean": "test-clean.tar.gz",
        "test_other": "test-other.tar.gz",
    }
