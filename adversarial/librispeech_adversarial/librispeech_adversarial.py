"""LibriSpeech dev-clean clips attacked against a SincNet speaker-identification model.

Each example holds three versions of one 16 kHz LibriSpeech dev-clean clip: `clean`, an untargeted
universal perturbation (`adversarial_univperturbation`, eps 0.3) and a targeted PGD attack
(`adversarial_perturbation`, eps 0.3, step 0.1, 100 iterations), labelled with the speaker (40 classes).

The archive holds `data/<version>/<speaker>/<chapter>/<clip>.wav` for the three versions. Speakers,
chapters and clips are enumerated (sorted) from `data/clean`, taking files whose name contains '.wav';
the same relative path must exist under both adversarial dirs, or the build fails naming it. The clip
file name is the example key, so it must be unique across speakers and chapters.

The size of the single `adversarial` split is not known (ARMORY's e2e test asserts 2703, which cannot
fit the 16 MB archive three times over), so nothing here depends on it.
"""

from collections.abc import Iterator
from typing import ClassVar

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families import librispeech

_URL = (
    "https://armory-public-data.s3.us-east-2.amazonaws.com/adversarial-datasets/"
    "LibriSpeech_SincNet_UnivPerturbation_and_PGD.tar.gz"
)
_ARCHIVE = "LibriSpeech_SincNet_UnivPerturbation_and_PGD.tar.gz"
_CLEAN = "clean"
_ADVERSARIAL = ("adversarial_univperturbation", "adversarial_perturbation")


def clean_clips(clean_dir: epath.Path) -> list[tuple[str, str, str]]:
    """(speaker, chapter, clip file name) under `clean_dir`, sorted at every level."""
    clips = []
    for speaker in sorted(p.name for p in clean_dir.iterdir() if p.is_dir()):
        for chapter in sorted(p.name for p in (clean_dir / speaker).iterdir() if p.is_dir()):
            names = sorted(p.name for p in (clean_dir / speaker / chapter).iterdir() if ".wav" in p.name)
            clips.extend((speaker, chapter, name) for name in names)
    return clips


class LibrispeechAdversarial(tfds.core.GeneratorBasedBuilder):
    """LibriSpeech dev-clean clips: clean, universal perturbation and PGD versions, labelled by speaker."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES: ClassVar[dict[str, str]] = {"1.1.0": "Initial release (ARMORY gives no release notes)."}

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "audio": tfds.features.FeaturesDict(
                        {name: tfds.features.Audio() for name in (_CLEAN, *_ADVERSARIAL)}
                    ),
                    "label": tfds.features.ClassLabel(names=librispeech.LIBRISPEECH_DEV_CLEAN_SPEAKERS),
                }
            ),
            supervised_keys=("audio", "label"),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict:
        data = epath.Path(dl_manager.download_and_extract(_URL)) / "data"
        if not (data / _CLEAN).is_dir():
            raise FileNotFoundError(f"data/{_CLEAN}/ missing from {_ARCHIVE}")
        clips = clean_clips(data / _CLEAN)
        if not clips:
            raise FileNotFoundError(f"no .wav clips under data/{_CLEAN}/ in {_ARCHIVE}")
        # Check everything up front so a broken archive never yields a partial dataset.
        seen: dict[str, str] = {}
        for speaker, chapter, name in clips:
            rel = f"{speaker}/{chapter}/{name}"
            if speaker not in librispeech.LIBRISPEECH_DEV_CLEAN_SPEAKERS:
                raise ValueError(f"data/{_CLEAN}/{rel} in {_ARCHIVE}: {speaker} is not one of the 40 speakers")
            if name in seen:
                raise ValueError(f"clip name {name} is not unique in {_ARCHIVE}: {seen[name]} and {rel}")
            seen[name] = rel
            for version in _ADVERSARIAL:
                if not (data / version / rel).exists():
                    raise FileNotFoundError(f"data/{version}/{rel} missing from {_ARCHIVE}")
        return {"adversarial": self._generate_examples(data, clips)}

    def _generate_examples(self, data: epath.Path, clips: list[tuple[str, str, str]]) -> Iterator[tuple[str, dict]]:
        for speaker, chapter, name in clips:
            audio = {version: data / version / speaker / chapter / name for version in (_CLEAN, *_ADVERSARIAL)}
            yield name, {"audio": audio, "label": speaker}
