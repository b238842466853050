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

_HOMEPAGE = "http://www.openslr.org/12"
_BASE_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/librispeech/"
_ARCHIVES = {
    "train": "librispeech-dev-clean-train.tar.gz",
    "validation": "librispeech-dev-clean-val.tar.gz",
    "test": "librispeech-dev-clean-test.tar.gz",
}
# Sub-dirs of the train archive searched for SPEAKERS.TXT / CHAPTERS.TXT, in this order.
_METADATA_DIRS = ("val", "test", "train")
_SPEAKERS = [
    "84",
    "174",
    "251",
    "422",
    "652",
    "777",
    "1272",
    "1462",
    "1673",
    "1919",
    "1988",
    "1993",
    "2035",
    "2078",
    "2086",
    "2277",
    "2412",
    "2428",
    "2803",
    "2902",
    "3000",
    "3081",
    "3170",
    "3536",
    "3576",
    "3752",
    "3853",
    "5338",
    "5536",
    "5694",
    "5895",
    "6241",
    "6295",
    "6313",
    "6319",
    "6345",
    "7850",
    "7976",
    "8297",
    "8842",
]
_SAMPLE_RATE = 16000
_SPEAKER_FIELDS = ("speaker_id", "gender", "subset", "minutes", "name")
_CHAPTER_FIELDS = (
    "chapter_id",
    "speaker_id",
    "minutes",
    "subset",
    "project_id",
    "book_id",
    "chapter_title",
    "project_title",
)

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


class LibrispeechDevCleanSplitConfig(tfds.core.BuilderConfig):
    """Chooses how the transcript is stored: plain text or subword ids."""

    def __init__(self, *, vocab_size: int | None = None, **kwargs) -> None:
        super().__init__(version=tfds.core.Version("1.1.0"), **kwargs)
        self.vocab_size = vocab_size

    @property
    def text_encoder_config(self) -> tfds.deprecated.text.TextEncoderConfig | None:
        if self.vocab_size is None:
            return None
        return tfds.deprecated.text.TextEncoderConfig(
            encoder_cls=tfds.deprecated.text.SubwordTextEncoder, vocab_size=self.vocab_size
        )


def read_metadata_table(path: epath.Path, fields: tuple[str, ...]) -> dict[int, dict[str, str]]:
    """Parse a pipe-separated LibriSpeech table, skipping ';' comment lines.

    The last field keeps any '|' it contains (a real SPEAKERS.TXT name is `|CBW|Simon`).
    """
    table = {}
    for line in path.read_text().splitlines():
        if line.startswith(";") or not line.strip():
            continue
        values = line.split("|", len(fields) - 1)
        table[int(values[0])] = {k: v.strip() for k, v in zip(fields[1:], values[1:], strict=False)}
    return table


def read_transcripts(directory: epath.Path, archive: str) -> Iterator[tuple[str, str, epath.Path]]:
    """Yield (utterance id, transcript, flac path) for every line of every transcript file."""
    files = sorted(directory.glob("*/*/*/*.txt"))
    if not files:
        raise FileNotFoundError(f"no <top>/<speaker>/<chapter>/*.txt transcripts in {archive}")
    for transcript_file in files:
        for line in transcript_file.read_text().splitlines():
            if not line.strip():
                continue
            key, _, text = line.strip().partition(" ")
            yield key, text, transcript_file.parent / f"{key}.flac"


class LibrispeechDevCleanSplit(tfds.core.GeneratorBasedBuilder):
    """LibriSpeech dev-clean split into train/validation/test, labelled by speaker."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {"1.1.0": "Version set on every BuilderConfig."}
    BUILDER_CONFIGS: ClassVar[list[LibrispeechDevCleanSplitConfig]] = [
        LibrispeechDevCleanSplitConfig(name="plain_text", description="Transcripts as plain text."),
        LibrispeechDevCleanSplitConfig(
            name="subwords8k", vocab_size=2**13, description="Transcripts as subword ids (vocab 8k)."
        ),
        LibrispeechDevCleanSplitConfig(
            name="subwords32k", vocab_size=2**15, description="Transcripts as subword ids (vocab 32k)."
        ),
    ]
    DEFAULT_BUILDER_CONFIG_NAME = "plain_text"

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__,
            features=tfds.features.FeaturesDict(
                {
                    # armory declares no sample rate on the feature; it is in info.metadata.
                    "speech": tfds.features.Audio(),
                    "text": tfds.features.Text(encoder_config=self.builder_config.text_encoder_config),
                    "speaker_id": np.int64,
                    "chapter_id": np.int64,
                    "id": np.str_,
                    "label": tfds.features.ClassLabel(names=_SPEAKERS),
                }
            ),
            supervised_keys=("speech", "label"),
            homepage=_HOMEPAGE,
            citation=_CITATION,
            metadata=tfds.core.MetadataDict(sample_rate=_SAMPLE_RATE),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict:
        urls = {split: _BASE_URL + archive for split, archive in _ARCHIVES.items()}
        dirs = {split: epath.Path(d) for split, d in dl_manager.download_and_extract(urls).items()}
        meta_dir = self._metadata_dir(dirs["train"])
        self.info.metadata["speakers"] = read_metadata_table(meta_dir / "SPEAKERS.TXT", _SPEAKER_FIELDS)
        self.info.metadata["chapters"] = read_metadata_table(meta_dir / "CHAPTERS.TXT", _CHAPTER_FIELDS)
        # No-op for plain_text; subword configs learn their vocabulary from the train transcripts.
        self.info.features["text"].maybe_build_from_corpus(
            text for _, text, _ in read_transcripts(dirs["train"], _ARCHIVES["train"])
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
        for key, text, flac in read_transcripts(directory, archive):
            if not flac.exists():
                raise FileNotFoundError(f"{flac.name} (listed in a transcript) missing from {archive}")
            speaker_id, chapter_id, _ = key.split("-")
            if speaker_id not in _SPEAKERS:
                raise ValueError(f"{flac.name} in {archive}: speaker {speaker_id} is not one of the 40 labels")
            yield (
                key,
                {
                    "id": key,
                    "speaker_id": int(speaker_id),
                    "chapter_id": int(chapter_id),
                    "speech": flac,
                    "text": text,
                    "label": speaker_id,
                },
            )
