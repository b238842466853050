"""Writes the dummy resisc45_split trees beside this file: one small JPEG per class and split.

`resisc45_<split>/` stands for the extracted `resisc45_<split>.tar.gz` and holds
`<split>/<label>/<label>_NNN.jpg` (train 001, validation 501, test 601, as in the real archives).
With `--source-archives OUTDIR` writes the three .tar.gz files with the same content instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository root, for tests.dummy_sources

from dsbuild.builder_helpers import RESISC45_LABELS

from tests.dummy_sources import resisc

HERE = Path(__file__).resolve().parent
FIRST_NUMBER = {"train": 1, "validation": 501, "test": 601}


def files(split: str) -> list[tuple[str, bytes]]:
    """(path inside the split archive, content) of every image of one split."""
    number = FIRST_NUMBER[split]
    return [
        (f"{split}/{label}/{label}_{number:03}.jpg", resisc.jpeg_bytes(c * 1000 + number))
        for c, label in enumerate(RESISC45_LABELS)
    ]


def write_dummy() -> None:
    for split in FIRST_NUMBER:
        resisc.write_tree(HERE / f"resisc45_{split}", files(split), clear=HERE / f"resisc45_{split}")


def write_archives(outdir: Path) -> None:
    for split in FIRST_NUMBER:
        resisc.write_tar_gz(outdir / f"resisc45_{split}.tar.gz", files(split))


if __name__ == "__main__":
    resisc.main(__doc__, write_dummy, write_archives)
