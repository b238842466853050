"""RESISC-10: a 10-class subset of NWPU-RESISC45 used by ARMORY for poisoning experiments.

Published description: README.md. Shared definition (features, splits, reading): dsbuild.families.resisc.
"""

from __future__ import annotations

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families import resisc

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/resisc45/resisc_poison_256x256.tar.gz"
_ARCHIVE = "resisc_poison_256x256.tar.gz"
_ROOT = "data_original"
# TFDS split name -> folder under data_original/.
_SPLIT_FOLDERS = {"train": "train", "validation": "val", "test": "test"}

_LABELS = [
    "airplane",
    "airport",
    "harbor",
    "industrial_area",
    "railway",
    "railway_station",
    "runway",
    "ship",
    "storage_tank",
    "thermal_power_station",
]


def list_split_files(split_dir: epath.Path) -> list[tuple[str, epath.Path]]:
    """(label, path) of every image in one `data_original/<folder>`, sorted by label then name (see
    `resisc.resisc_class_files` for the completeness checks)."""
    return resisc.resisc_class_files(split_dir, _LABELS, where=f"{_ROOT}/{split_dir.name}", archive=_ARCHIVE)


class Resisc10Poison(resisc.ResiscFamily, tfds.core.GeneratorBasedBuilder):
    """10-class RESISC subset (256x256) for ARMORY poisoning scenarios."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.1.0": "64x64 images replaced by 256x256",
    }
    LABELS = _LABELS
    KEY_PARTS = 3  # <folder>/<label>/<file name>
    WITH_FILENAME = False
    HOMEPAGE = None

    def split_items(self, dl_manager: tfds.download.DownloadManager) -> dict[str, list[tuple[str, epath.Path]]]:
        root = epath.Path(dl_manager.download_and_extract(_URL)) / _ROOT
        return {split: list_split_files(root / folder) for split, folder in _SPLIT_FOLDERS.items()}
