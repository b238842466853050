"""Writes the dummy resisc45_split trees beside this file: one small JPEG per class and split.

`resisc45_<split>/` stands for the extracted `resisc45_<split>.tar.gz` and holds
`<split>/<label>/<label>_NNN.jpg` (train 001, validation 501, test 601, as in the real archives).
With `--source-archives OUTDIR` writes the three .tar.gz files with the same content instead.
"""

from pathlib import Path

from dsbuild.families.resisc import RESISC45_LABELS
from dsbuild.testing import make
from dsbuild.testing.dummy import resisc

FIRST_NUMBER = {"train": 1, "validation": 501, "test": 601}


def sources() -> dict[str, dict[str, bytes]]:
    """Archive name -> (path inside the split archive -> content) of every image of one split."""
    return {
        f"resisc45_{split}.tar.gz": {
            f"{split}/{label}/{label}_{number:03}.jpg": resisc.jpeg_bytes(c * 1000 + number)
            for c, label in enumerate(RESISC45_LABELS)
        }
        for split, number in FIRST_NUMBER.items()
    }


if __name__ == "__main__":
    make.main(__doc__, Path(__file__).resolve().parent, sources)
