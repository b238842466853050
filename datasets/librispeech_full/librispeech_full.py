"""LibriSpeech ASR corpus, all seven splits, as a plain generator builder (no Apache Beam).

About 1000 hours of 16 kHz read English speech from LibriVox audiobooks. Splits: dev_clean, dev_other,
test_clean, test_other, train_clean100, train_clean360, train_other500. Each source archive extracts to
`LibriSpeech/<subset>/<speaker>/<chapter>/` holding `<speaker>-<chapter>.trans.txt` (one line
`<speaker>-<chapter>-<utt> TRANSCRIPT` per utterance) and `<speaker>-<chapter>-<utt>.flac`.
FLAC is decoded through pydub, which needs ffmpeg.

Configs: `plain_text` (stored text is the transcript string; the one armory uses), `subwords8k` and
`subwords32k` (text is encoded with a TFDS SubwordTextEncoder of target vocabulary 2**13 / 2**15 built
from the transcripts of all three train splits, as the legacy TFDS librispeech 1.1.0 this copies did;
TFDS marks that encoder API deprecated but 4.9.10 still supports it).

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
    "train_clean100": "train-clean-100.tar.gz",
    "train_clean360": "train-clean-360.tar.gz",
    "train_other500": "train-other-500.tar.gz",
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


class LibrispeechFull(tfds.core.GeneratorBasedBuilder):
    """LibriSpeech: all seven splits, 16 kHz speech with transcripts."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {
        "1.1.0": "Version set on every BuilderConfig (copy of legacy TFDS librispeech).",
    }
    BUILDER_CONFIGS: ClassVar[list[librispeech.LibrispeechTextConfig]] = librispeech.librispeech_text_configs("1.1.0")
    DEFAULT_BUILDER_CONFIG_NAME = "plain_text"

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "speech": tfds.features.Audio(sample_rate=librispeech.LIBRISPEECH_SAMPLE_RATE),
                    "text": tfds.features.Text(encoder_config=self.builder_config.text_encoder_config),
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
        # No-op for plain_text; subword configs learn their vocabulary from the train transcripts.
        train = [split for split in dirs if split.startswith("train")]
        self.info.features["text"].maybe_build_from_corpus(
            text for split in train for _, text, _ in librispeech.librispeech_transcripts(dirs[split], _ARCHIVES[split])
        )
        return {split: self._generate_examples(d, _ARCHIVES[split]) for split, d in dirs.items()}

    def _generate_examples(self, directory: epath.Path, archive: str) -> Iterator[tuple[str, dict]]:
        yield from librispeech.librispeech_examples(directory, archive)
