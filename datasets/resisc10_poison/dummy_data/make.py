"""Writes the dummy resisc10_poison tree beside this file: one small JPEG per class and split.

`data_original/{train,val,test}/<label>/<label>_NNN.jpg` as in the extracted
resisc_poison_256x256.tar.gz. With `--source-archives OUTDIR` writes that .tar.gz instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository root, for tests.dummy_sources
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the folder's parent, as `tfds build` does

from resisc10_poison.resisc10_poison import _LABELS

from tests.dummy_sources import resisc

HERE = Path(__file__).resolve().parent
ROOT = "data_original"
FIRST_NUMBER = {"train": 1, "val": 501, "test": 601}


def files() -> list[tuple[str, bytes]]:
    """(path inside the archive, content) of every image."""
    return [
        (f"{ROOT}/{folder}/{label}/{label}_{number:03}.jpg", resisc.jpeg_bytes(c * 1000 + number))
        for folder, number in FIRST_NUMBER.items()
        for c, label in enumerate(_LABELS)
    ]


if __name__ == "__main__":
    resisc.main(
        __doc__,
        lambda: resisc.write_tree(HERE, files(), clear=HERE / ROOT),
        lambda outdir: resisc.write_tar_gz(outdir / "resisc_poison_256x256.tar.gz", files()),
    )
