"""Writes the dummy resisc10_poison tree beside this file: one small JPEG per class and split.

`data_original/{train,val,test}/<label>/<label>_NNN.jpg` as in the extracted
resisc_poison_256x256.tar.gz. With `--source-archives OUTDIR` writes that .tar.gz instead.
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import resisc

ROOT = "data_original"
FIRST_NUMBER = {"train": 1, "val": 501, "test": 601}
HERE = Path(__file__).resolve().parent
LABELS = make.builder_literal(HERE, "_LABELS")  # the builder's 10 classes, in its label order


def files() -> dict[str, bytes]:
    """Path inside the archive -> content of every image."""
    return {
        f"{ROOT}/{folder}/{label}/{label}_{number:03}.jpg": resisc.jpeg_bytes(c * 1000 + number)
        for folder, number in FIRST_NUMBER.items()
        for c, label in enumerate(LABELS)
    }


if __name__ == "__main__":
    make.main(__doc__, HERE, lambda: {"resisc_poison_256x256.tar.gz": files()}, dummy=files, clear=[ROOT])
