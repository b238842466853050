"""NWPU-RESISC45 delivered by ARMORY as three pre-split archives (master `resisc45_split` builder).

Published description: README.md. Shared definition (features, splits, reading): dsbuild.families.resisc.

45 scene classes; per class 500 train / 100 validation / 100 test 256x256 JPEGs, already separated
into `resisc45_<split>.tar.gz`, each extracting to `<split>/<label>/<label>_NNN.jpg`. The label is
the class sub-folder name. Every one of the 45 class folders must be present (and hold at least one
image) in every split, and no unknown folder may appear, so a damaged archive never yields a partial
dataset silently. Per-class counts are not enforced: the facts give no rule for them.
"""

from __future__ import annotations

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families import resisc

_BASE_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/resisc45/"
_SPLITS = ("train", "validation", "test")

_LABELS = list(resisc.RESISC45_LABELS)


def list_split_files(split_dir: epath.Path, split: str) -> list[tuple[str, epath.Path]]:
    """(label, path) of every image of one extracted split archive, sorted by label then name (see
    `resisc.resisc_class_files` for the completeness checks)."""
    return resisc.resisc_class_files(split_dir, _LABELS, where=split, archive=f"resisc45_{split}.tar.gz")


class Resisc45Split(resisc.ResiscFamily, tfds.core.GeneratorBasedBuilder):
    """NWPU-RESISC45 with 500/100/100 per-class train/validation/test from three archives."""

    VERSION = tfds.core.Version("3.0.0")
    RELEASE_NOTES = {
        "3.0.0": "NWPU-RESISC45 from ARMORY's three pre-split archives (500/100/100 per class).",
    }
    LABELS = _LABELS
    KEY_PARTS = 3  # <split>/<label>/<file name>

    def split_items(self, dl_manager: tfds.download.DownloadManager) -> dict[str, list[tuple[str, epath.Path]]]:
        paths = dl_manager.download_and_extract({s: f"{_BASE_URL}resisc45_{s}.tar.gz" for s in _SPLITS})
        return {s: list_split_files(epath.Path(paths[s]) / s, s) for s in _SPLITS}
