"""Writes the dummy resisc45_split trees beside this file: one small JPEG per class and split.

`resisc45_<split>/` stands for the extracted `resisc45_<split>.tar.gz` and holds
`<split>/<label>/<label>_NNN.jpg` (train 001, validation 501, test 601, as in the real archives).
With `--source-archives OUTDIR` writes the three .tar.gz files with the same content instead.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the folder's parent, as `tfds build` does

from resisc45_split.resisc45_split import _LABELS  # noqa: E402

FIRST_NUMBER = {"train": 1, "validation": 501, "test": 601}


def jpeg_bytes(seed: int) -> bytes:
    """A 256x256 RGB JPEG (the declared fixed shape): flat colour plus an 8x8 noise patch, ~0.7 kB."""
    rng = np.random.default_rng(seed)
    pixels = np.empty((256, 256, 3), dtype=np.uint8)
    pixels[:] = rng.integers(0, 256, size=3, dtype=np.uint8)
    pixels[:8, :8] = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=50, optimize=True)
    return buf.getvalue()


def files(split: str) -> list[tuple[str, bytes]]:
    """(path inside the split archive, content) of every image of one split."""
    number = FIRST_NUMBER[split]
    return [
        (f"{split}/{label}/{label}_{number:03}.jpg", jpeg_bytes(c * 1000 + number)) for c, label in enumerate(_LABELS)
    ]


def write_dummy() -> None:
    for split in FIRST_NUMBER:
        top = HERE / f"resisc45_{split}"
        shutil.rmtree(top, ignore_errors=True)
        for rel, data in files(split):
            path = top / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def write_archives(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    for split in FIRST_NUMBER:
        target = outdir / f"resisc45_{split}.tar.gz"
        with tarfile.open(target, "w:gz") as tar:
            for rel, data in files(split):
                info = tarfile.TarInfo(rel)
                info.size, info.mtime, info.mode = len(data), 0, 0o644
                tar.addfile(info, io.BytesIO(data))
        print(target)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-archives", type=Path, metavar="OUTDIR")
    args = parser.parse_args()
    if args.source_archives:
        write_archives(args.source_archives)
    else:
        write_dummy()
