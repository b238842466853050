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

from dsbuild.families import librispeech

_HOMEPAGE = "http://www.openslr.org/12"
_DL_URL = "http://www.openslr.org/resources/12/"
# Dict order matters: metadata comes from the first archive.
_ARCHIVES = {
    "dev_clean": "dev-clean.tar.gz",
    "dev_other": "dev-other.tar.gz",
    "test_clean": "test-clean.tar.gz",
    "test_other": "test-other.tar.gz",
}

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


class LibrispeechDevTest(tfds.core.GeneratorBasedBuilder):
    """LibriSpeech dev/test splits: 16 kHz speech with transcripts."""

    VERSION = tfds.core.Version("2.1.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {
        "2.1.0": "Inherits TFDS Librispeech 2.1.0 (dev and test splits only).",
    }

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "speech": tfds.features.Audio(sample_rate=librispeech.LIBRISPEECH_SAMPLE_RATE),
                    "text": tfds.features.Text(),
                    "speaker_id": np.int64,
                    "chapter_id": np.int64,
                    "id": np.str_,
                }
            ),
            supervised_keys=("speech", "text"),
            homepage=_HOMEPAGE,
            citation=_CITATION,
            metadata=tfds.core.MetadataDict(sample_rate=librispeech.LIBRISPEECH_SAMPLE_RATE),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict:
        dirs = librispeech.librispeech_download(dl_manager, _DL_URL, _ARCHIVES)
        first = next(iter(_ARCHIVES))
        self.info.metadata.update(librispeech.librispeech_metadata(dirs[first] / "LibriSpeech", _ARCHIVES[first]))
        return {split: self._generate_examples(d, _ARCHIVES[split]) for split, d in dirs.items()}

    def _generate_examples(self, directory: epath.Path, archive: str) -> Iterator[tuple[str, dict]]:
        yield from librispeech.librispeech_examples(directory, archive)
