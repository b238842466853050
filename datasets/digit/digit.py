"""Free Spoken Digit Dataset (FSDD) subset used by ARMORY.

Spoken digits 0-9 by three speakers (jackson, nicolas, theo), 50 recordings per digit and speaker,
mono 16-bit PCM wav at 8 kHz (1148..18262 samples). Recordings 5..49 form `train` (1350 examples),
recordings 0..4 form `test` (150 examples).

The source archive holds `recordings/<digit>_<user>_<n>.wav`. The builder does not glob: it opens every
one of the 1500 expected names (other files, e.g. other speakers, are ignored) and fails before writing
anything if one is missing.

The enumeration (DIGITS, USERS, TRAIN_INDICES, TEST_INDICES) lives in class attributes so that the test
can narrow it to a handful of recordings: 1500 dummy wav files would take about 6 MB of disk blocks
(`du -sh`), far over the 1 MB budget for dummy data. The full 1500-name enumeration is still checked by
its own test, and `dummy_data/make.py --source-archives` writes all 1500 files for real `tfds build` runs.
"""

import itertools
from collections.abc import Iterator, Sequence
from typing import ClassVar

import tensorflow_datasets as tfds
from etils import epath

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/digit/digit-1.0.8.tar.gz"
_ARCHIVE = "digit-1.0.8.tar.gz"
# Class names stay fixed even when a test narrows DIGITS.
_LABELS = tuple(str(d) for d in range(10))

_CITATION = """\
@misc{jackson2018fsdd,
  author = {Zohar Jackson and others},
  title = {Free Spoken Digit Dataset (FSDD)},
  year = {2018},
  howpublished = {\\url{https://github.com/Jakobovski/free-spoken-digit-dataset}},
}
"""


def recording_names(digits: Sequence[str], users: Sequence[str], indices: Sequence[int]) -> list[str]:
    """File names `<digit>_<user>_<n>.wav` in the order the builder reads them."""
    return [f"{d}_{u}_{n}.wav" for d, u, n in itertools.product(digits, users, indices)]


class Digit(tfds.core.GeneratorBasedBuilder):
    """Free Spoken Digit Dataset: 8 kHz spoken digits 0-9 by three speakers."""

    VERSION = tfds.core.Version("1.0.8")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {"1.0.8": "Initial release."}

    DIGITS: Sequence[str] = _LABELS
    USERS: Sequence[str] = ("jackson", "nicolas", "theo")
    TRAIN_INDICES: Sequence[int] = range(5, 50)
    TEST_INDICES: Sequence[int] = range(0, 5)

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    # armory declares no sample rate; the data is 8 kHz.
                    "audio": tfds.features.Audio(),
                    "label": tfds.features.ClassLabel(names=list(_LABELS)),
                    "user": tfds.features.Text(),
                    "filename": tfds.features.Text(),
                }
            ),
            supervised_keys=("audio", "label"),
            homepage="https://github.com/Jakobovski/free-spoken-digit-dataset",
            citation=_CITATION,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict:
        recordings = epath.Path(dl_manager.download_and_extract(_URL)) / "recordings"
        splits = {"train": self.TRAIN_INDICES, "test": self.TEST_INDICES}
        names = {split: recording_names(self.DIGITS, self.USERS, idx) for split, idx in splits.items()}
        # Check everything up front so a broken archive never yields a partial dataset.
        missing = [n for split_names in names.values() for n in split_names if not (recordings / n).exists()]
        if missing:
            shown = ", ".join(f"recordings/{n}" for n in missing[:5])
            raise FileNotFoundError(
                f"{len(missing)} expected recording(s) missing from {_ARCHIVE} "
                f"(extracted at {recordings.parent}): {shown}{' ...' if len(missing) > 5 else ''}"
            )
        return {split: self._generate_examples(recordings, n) for split, n in names.items()}

    def _generate_examples(self, recordings: epath.Path, names: list[str]) -> Iterator[tuple[str, dict]]:
        for name in names:
            digit, user, _ = name[: -len(".wav")].split("_")
            yield name, {"audio": recordings / name, "label": digit, "user": user, "filename": name}
