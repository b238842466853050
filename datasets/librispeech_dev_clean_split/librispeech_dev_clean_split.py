"""LibriSpeech dev-clean re-split into train/validation/test for 40-speaker identification.

Published description: README.md. Shared definition (features, splits, reading):
dsbuild.families.librispeech. ARMORY's builder is an Apache Beam builder; this is an equivalent plain
generator builder.

Uncertain: each archive's one top-level directory name is not known (presumably `train`, `val`,
`test`). The builder therefore does not depend on it for examples: transcripts are globbed as
`*/*/*/*.txt` under each archive's extract dir. The speaker/chapter tables for `info.metadata` are
read from the train archive only, from the first of its sub-dirs `val`, `test`, `train` that holds
SPEAKERS.TXT (the order ARMORY tries); if none does, the build fails naming the archive.

The subword configs build their vocabulary from the train archive's transcripts. armory declares no
sample rate on the `speech` feature; it is in info.metadata.
"""

from typing import ClassVar

import tensorflow_datasets as tfds

from dsbuild.families import librispeech


class LibrispeechDevCleanSplit(librispeech.LibrispeechFamily, tfds.core.GeneratorBasedBuilder):
    """LibriSpeech dev-clean split into train/validation/test, labelled by speaker."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {"1.1.0": "Version set on every BuilderConfig."}
    BUILDER_CONFIGS: ClassVar[list[librispeech.LibrispeechTextConfig]] = librispeech.librispeech_text_configs("1.1.0")
    DEFAULT_BUILDER_CONFIG_NAME = "plain_text"
    URL_BASE = "https://armory-public-data.s3.us-east-2.amazonaws.com/librispeech/"
    # Dict order matters: metadata comes from the first archive.
    ARCHIVES: ClassVar[dict[str, str]] = {
        "train": "librispeech-dev-clean-train.tar.gz",
        "validation": "librispeech-dev-clean-val.tar.gz",
        "test": "librispeech-dev-clean-test.tar.gz",
    }
    TOP = "<top>"  # each archive's one top-level dir, name unknown (see above)
    METADATA_DIRS = ("val", "test", "train")  # searched in this order (ARMORY's)
    SPEAKERS = librispeech.LIBRISPEECH_DEV_CLEAN_SPEAKERS
    AUDIO_SAMPLE_RATE = None
