"""RESISC45 test images with universal adversarial versions against DenseNet121, 224x224 PNG.

225 examples: 5 test images for each of the 45 classes, each as a clean image, an untargeted universal
perturbation (label = the clean label) and a targeted universal patch (label = the attack target).

Source archive layout (after extraction):
  data/clean/<label>/*.png
  data/adversarial_univperturbation/<label>/*.png
  data/adversarial_univpatch/<label>/*.png
Labels are the sorted folder names under data/clean; per label the three sorted PNG lists are paired
in order. As in ARMORY, the patch target is the 22nd label of that listing (index 21, 'lake' when all 45
folders exist), so the archive must hold at least 22 label folders.
"""

from __future__ import annotations

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families import resisc
from dsbuild.families.files import require_file

_URL = (
    "https://armory-public-data.s3.us-east-2.amazonaws.com/adversarial-datasets/"
    "resisc45_densenet121_univpatch_and_univperturbation_adversarial_224x224_1.0.1.tar.gz"
)
_ARCHIVE = _URL.rsplit("/", 1)[1]
_LABELS = list(resisc.RESISC45_LABELS)
_TARGET_INDEX = 21
_KINDS = ("clean", "adversarial_univperturbation", "adversarial_univpatch")


def list_labels(clean_dir: epath.Path) -> list[str]:
    """Sorted label folders under data/clean; checks the names and that the target index exists."""
    labels = sorted(p.name for p in require_file(clean_dir, _ARCHIVE).iterdir() if p.is_dir())
    unknown = sorted(set(labels) - set(_LABELS))
    if unknown:
        raise ValueError(f"{clean_dir}: unknown label folders {unknown} in {_ARCHIVE}")
    if len(labels) <= _TARGET_INDEX:
        raise ValueError(
            f"{clean_dir}: {len(labels)} label folders in {_ARCHIVE}, need at least {_TARGET_INDEX + 1} "
            f"(the universal patch target is label index {_TARGET_INDEX})"
        )
    return labels


class Resisc45Densenet121UnivpatchAndUnivperturbationAdversarial224x224(tfds.core.GeneratorBasedBuilder):
    """RESISC45 DenseNet121 universal patch and universal perturbation adversarial images."""

    VERSION = tfds.core.Version("1.0.2")
    RELEASE_NOTES = {"1.0.2": "Version used by ARMORY (built from source archive 1.0.1)."}

    def _info(self) -> tfds.core.DatasetInfo:
        image = tfds.features.Image(shape=(224, 224, 3), encoding_format="png")
        label = tfds.features.ClassLabel(names=_LABELS)
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "images": tfds.features.FeaturesDict({kind: image for kind in _KINDS}),
                    "labels": tfds.features.FeaturesDict({kind: label for kind in _KINDS}),
                    "imagename": tfds.features.Text(),
                }
            ),
            supervised_keys=("images", "labels"),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        path = dl_manager.download_and_extract(_URL)
        return {"adversarial": self._generate_examples(data_dir=epath.Path(path) / "data")}

    def _generate_examples(self, data_dir):
        labels = list_labels(data_dir / "clean")
        target = labels[_TARGET_INDEX]
        for label in labels:
            files = {kind: sorted(require_file(data_dir / kind / label, _ARCHIVE).glob("*.png")) for kind in _KINDS}
            counts = {kind: len(paths) for kind, paths in files.items()}
            if len(set(counts.values())) != 1:
                raise ValueError(f"{data_dir}: different PNG counts for label {label!r} in {_ARCHIVE}: {counts}")
            for clean, perturbation, patch in zip(*(files[kind] for kind in _KINDS), strict=True):
                yield (
                    clean.name,
                    {
                        "images": {
                            "clean": clean,
                            "adversarial_univperturbation": perturbation,
                            "adversarial_univpatch": patch,
                        },
                        "labels": {
                            "clean": label,
                            "adversarial_univperturbation": label,
                            "adversarial_univpatch": target,
                        },
                        "imagename": clean.name,
                    },
                )
