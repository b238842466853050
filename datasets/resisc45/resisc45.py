"""NWPU-RESISC45 remote-sensing scenes, re-split per class by ARMORY (tfdsv4 builder).

Published description: README.md. Shared definition (features, splits, reading): dsbuild.families.resisc.
"""

from __future__ import annotations

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families import resisc

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/resisc45/NWPU-RESISC45.tar.gz"
_ARCHIVE = "NWPU-RESISC45.tar.gz"
_ROOT = "NWPU-RESISC45"

_LABELS = list(resisc.RESISC45_LABELS)


def split_class_files(
    root: epath.Path, label: str, split_sizes: tuple[tuple[str, int], ...]
) -> dict[str, list[epath.Path]]:
    """Returns the files of one class folder cut into consecutive runs per split.

    Raises ValueError naming the folder when it is missing, holds the wrong number of images,
    or its sorted file names are not `<label>_001.jpg`, `<label>_002.jpg`, ... in order.
    """
    class_dir = root / label
    if not class_dir.is_dir():
        raise ValueError(f"Class folder {_ROOT}/{label} is missing from {_ARCHIVE} (looked in {class_dir}).")
    files = sorted((p for p in class_dir.iterdir() if p.name.endswith(".jpg")), key=lambda p: p.name)
    expected = sum(size for _, size in split_sizes)
    if len(files) != expected:
        raise ValueError(f"{_ROOT}/{label} in {_ARCHIVE} holds {len(files)} .jpg files, expected {expected}.")
    for k, path in enumerate(files):
        want = f"{label}_{k + 1:03}.jpg"
        if path.name != want:
            raise ValueError(
                f"{_ROOT}/{label} in {_ARCHIVE}: file #{k + 1} in sorted order is {path.name!r}, "
                f"expected {want!r} (file numbers must be contiguous from 001)."
            )
    result: dict[str, list[epath.Path]] = {}
    start = 0
    for split, size in split_sizes:
        result[split] = files[start : start + size]
        start += size
    return result


class Resisc45(resisc.ResiscFamily, tfds.core.GeneratorBasedBuilder):
    """NWPU-RESISC45 with ARMORY's per-class 500/100/100 train/validation/test split."""

    VERSION = tfds.core.Version("3.0.0")
    RELEASE_NOTES = {
        "3.0.0": "ARMORY re-split of NWPU-RESISC45: per class 500 train, 100 validation, 100 test.",
    }
    LABELS = _LABELS
    KEY_PARTS = 2  # <label>/<file name>
    # Consecutive runs of each class's sorted files; the real archive has 700 per class.
    SPLIT_SIZES: tuple[tuple[str, int], ...] = (("train", 500), ("validation", 100), ("test", 100))

    def split_items(self, dl_manager: tfds.download.DownloadManager) -> dict[str, list[tuple[str, epath.Path]]]:
        root = epath.Path(dl_manager.download_and_extract(_URL)) / _ROOT
        if not root.is_dir():
            raise ValueError(f"Folder {_ROOT}/ is missing from {_ARCHIVE} (looked in {root}).")
        per_split: dict[str, list[tuple[str, epath.Path]]] = {name: [] for name, _ in self.SPLIT_SIZES}
        for label in _LABELS:
            for split, paths in split_class_files(root, label, self.SPLIT_SIZES).items():
                per_split[split].extend((label, p) for p in paths)
        return per_split
