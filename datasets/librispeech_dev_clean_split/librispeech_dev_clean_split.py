"""LibriSpeech dev-clean re-split into train/validation/test for 40-speaker identification.

ARMORY's split of the LibriSpeech dev-clean subset (16 kHz read English speech by 40 speakers) into
train (1371), validation (692) and test (640) utterances; the label is the speaker (40 classes, the
speaker id as a string), and the transcript is kept for ASR use. ARMORY's builder is an Apache Beam
builder; this is an equivalent plain generator builder.

Each of the three archives (train, val, test) holds one top-level directory with the LibriSpeech
layout below it: `<top>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt` (one line
`<speaker>-<chapter>-<utt> TRANSCRIPT` per utterance) and `<speaker>-<chapter>-<utt>.flac`, plus
`<top>/SPEAKERS.TXT` and `<top>/CHAPTERS.TXT`. FLAC is decoded through pydub, which needs ffmpeg.

Uncertain: the top-level directory names are not known (presumably `train`, `val`, `test`). The
builder therefore does not depend on them for examples: transcripts are globbed as `*/*/*/*.txt` under
each archive's extract dir. The speaker/chapter tables for `info.metadata` are read from the train
archive only, from the first of its sub-dirs `val`, `test`, `train` that holds SPEAKERS.TXT (the order
ARMORY tries); if none does, the build fails naming the archive.

Configs: `plain_text` (the one armory uses), `subwords8k` and `subwords32k` (text encoded with a TFDS
SubwordTextEncoder of target vocabulary 2**13 / 2**15 built from the train archive's transcripts; TFDS
marks that encoder API deprecated but 4.9.10 still supports it).
"""

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families import librispeech

_HOMEPAGE = "http://www.openslr.org/12"
_BASE_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/librispeech/"
_ARCHIVES = {
    "train": "librispeech-dev-clean-train.tar.gz",
    "validation": "librispeech-dev-clean-val.tar.gz",
    "test": "librispeech-dev-clean-test.tar.gz",
}
# Each archive's one top-level dir (name unknown, see above).
_TOP = "<top>"
# Sub-dirs of the train archive searched for SPEAKERS.TXT / CHAPTERS.TXT, in this order.
_METADATA_DIRS = ("val", "test", "train")

_CITATION = """\
@inproceedings{panayotov2015librispeech,
  title={Librispeech: an ASR corpus based on public domain audio books},
  author={Panayotov, Vassil and Chen, Guoguo and Povey, Daniel and Khudanpur, Sanjeev},
  booktitle={Acoustics, Speech and Signal Processing (ICASSP), 2015 IEEE International Conference on},
  pages={5206--5210},
  year={2015},
  organization={IEEE}
}
"""


class LibrispeechDevCleanSplit(tfds.core.GeneratorBasedBuilder):
    """LibriSpeech dev-clean split into train/validation/test, labelled by speaker."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {"1.1.0": "Version set on every BuilderConfig."}
    BUILDER_CONFIGS: ClassVar[list[librispeech.LibrispeechTextConfig]] = librispeech.librispeech_text_configs("1.1.0")
    DEFAULT_BUILDER_CONFIG_NAME = "plain_text"

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    # armory declares no sample rate on the feature; it is in info.metadata.
                    "speech": tfds.features.Audio(),
                    "text": tfds.features.Text(encoder_config=self.builder_config.text_encoder_config),
                    "speaker_id": np.int64,
                    "chapter_id": np.int64,
                    "id": np.str_,
                    "label": tfds.features.ClassLabel(names=librispeech.LIBRISPEECH_DEV_CLEAN_SPEAKERS),
                }
            ),
            supervised_keys=("speech", "label"),
            homepage=_HOMEPAGE,
            citation=_CITATION,
            metadata=tfds.core.MetadataDict(sample_rate=librispeech.LIBRISPEECH_SAMPLE_RATE),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict:
        dirs = librispeech.librispeech_download(dl_manager, _BASE_URL, _ARCHIVES)
        meta_dir = self._metadata_dir(dirs["train"])
        self.info.metadata.update(librispeech.librispeech_metadata(meta_dir, _ARCHIVES["train"]))
        # No-op for plain_text; subword configs learn their vocabulary from the train transcripts.
        self.info.features["text"].maybe_build_from_corpus(
            text for _, text, _ in librispeech.librispeech_transcripts(dirs["train"], _ARCHIVES["train"], top=_TOP)
        )
        return {split: self._generate_examples(d, _ARCHIVES[split]) for split, d in dirs.items()}

    def _metadata_dir(self, train_dir: epath.Path) -> epath.Path:
        for sub in _METADATA_DIRS:
            if (train_dir / sub / "SPEAKERS.TXT").exists():
                if not (train_dir / sub / "CHAPTERS.TXT").exists():
                    raise FileNotFoundError(f"{sub}/CHAPTERS.TXT missing from {_ARCHIVES['train']}")
                return train_dir / sub
        tried = ", ".join(f"{sub}/SPEAKERS.TXT" for sub in _METADATA_DIRS)
        raise FileNotFoundError(f"none of {tried} found in {_ARCHIVES['train']}")

    def _generate_examples(self, directory: epath.Path, archive: str) -> Iterator[tuple[str, dict]]:
        yield from librispeech.librispeech_examples(
            directory, archive, top=_TOP, speakers=librispeech.LIBRISPEECH_DEV_CLEAN_SPEAKERS
        )
