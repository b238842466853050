"""LibriSpeech dev and test splits (dev_clean, dev_other, test_clean, test_other).

ARMORY's builder subclasses TFDS's own Librispeech 2.1.0 (an Apache Beam builder) and keeps only these
four splits; this is an equivalent plain generator builder. 16 kHz read English speech from LibriVox
audiobooks with transcripts. Each source archive extracts to `LibriSpeech/<subset>/<speaker>/<chapter>/`
holding `<speaker>-<chapter>.trans.txt` (one line `<speaker>-<chapter>-<utt> TRANSCRIPT` per utterance)
and `<speaker>-<chapter>-<utt>.flac`. FLAC is decoded through pydub, which needs ffmpeg.

`info.metadata` holds `sample_rate` and the `speakers` / `chapters` tables read from
`LibriSpeech/SPEAKERS.TXT` and `LibriSpeech/CHAPTERS.TXT` of the first archive (dev_clean). The last
field of each table keeps any '|' it contains (a real SPEAKERS.TXT name is `|CBW|Simon`).
"""

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

_HOMEPAGE = "http://www.openslr.org/12"
_DL_URL = "http://www.openslr.org/resources/12/"
# Dict order matters: metadata comes from the first archive.
_ARCHIVES = {
    "dev_clean": "dev-clean.tar.gz",
    "dev_other": "dev-other.tar.gz",
    "test_clean": "test-clean.tar.gz",
    "test_other": "test-other.tar.gz",
}
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


def read_metadata_table(path: epath.Path, fields: tuple[str, ...], archive: str) -> dict[int, dict[str, str]]:
    """Parse a pipe-separated LibriSpeech table, skipping ';' comment lines."""
    if not path.exists():
        raise FileNotFoundError(f"{path.name} missing from {archive} (expected at {path})")
    table = {}
    for line in path.read_text().splitlines():
        if line.startswith(";") or not line.strip():
            continue
        values = line.split("|", len(fields) - 1)
        table[int(values[0])] = {k: v.strip() for k, v in zip(fields[1:], values[1:], strict=False)}
    return table


def read_transcripts(directory: epath.Path, archive: str) -> Iterator[tuple[str, str, epath.Path]]:
    """Yield (utterance id, transcript, flac path) for every line of every transcript file."""
    files = sorted(directory.glob("LibriSpeech/*/*/*/*.txt"))
    if not files:
        raise FileNotFoundError(f"no LibriSpeech/<subset>/<speaker>/<chapter>/*.txt transcripts in {archive}")
    for transcript_file in files:
        for line in transcript_file.read_text().splitlines():
            if not line.strip():
                continue
            key, _, text = line.strip().partition(" ")
            yield key, text, transcript_file.parent / f"{key}.flac"


class LibrispeechDevTest(tfds.core.GeneratorBasedBuilder):
    """LibriSpeech dev/test splits: 16 kHz speech with transcripts."""

    VERSION = tfds.core.Version("2.1.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {
        "2.1.0": "Inherits TFDS Librispeech 2.1.0 (dev and test splits only).",
    }

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__,
            features=tfds.features.FeaturesDict(
                {
                    "speech": tfds.features.Audio(sample_rate=_SAMPLE_RATE),
                    "text": tfds.features.Text(),
                    "speaker_id": np.int64,
                    "chapter_id": np.int64,
                    "id": np.str_,
                }
            ),
            supervised_keys=("speech", "text"),
            homepage=_HOMEPAGE,
            citation=_CITATION,
            metadata=tfds.core.MetadataDict(sample_rate=_SAMPLE_RATE),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict:
        urls = {split: _DL_URL + archive for split, archive in _ARCHIVES.items()}
        dirs = {split: epath.Path(d) for split, d in dl_manager.download_and_extract(urls).items()}
        first = next(iter(_ARCHIVES))
        root = dirs[first] / "LibriSpeech"
        self.info.metadata["speakers"] = read_metadata_table(root / "SPEAKERS.TXT", _SPEAKER_FIELDS, _ARCHIVES[first])
        self.info.metadata["chapters"] = read_metadata_table(root / "CHAPTERS.TXT", _CHAPTER_FIELDS, _ARCHIVES[first])
        return {split: self._generate_examples(d, _ARCHIVES[split]) for split, d in dirs.items()}

    def _generate_examples(self, directory: epath.Path, archive: str) -> Iterator[tuple[str, dict]]:
        for key, text, flac in read_transcripts(directory, archive):
            if not flac.exists():
                raise FileNotFoundError(f"{flac.name} (listed in a transcript) missing from {archive}")
            speaker_id, chapter_id, _ = key.split("-")
            yield (
                key,
                {
                    "id": key,
                    "speaker_id": int(speaker_id),
                    "chapter_id": int(chapter_id),
                    "speech": flac,
                    "text": text,
                },
            )
