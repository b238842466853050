"""Writes the dummy NWPU-RESISC45 tree beside this file (3 small JPEGs per class).

With `--source-archives OUTDIR` writes NWPU-RESISC45.tar.gz instead, in the real layout and with
the full 700 images per class that the unmodified builder requires (same small JPEGs).
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the folder's parent, as `tfds build` does

from resisc45.resisc45 import _LABELS  # noqa: E402

ROOT = "NWPU-RESISC45"
DUMMY_PER_CLASS = 3  # one per split; the test shrinks the split sizes to 1/1/1
REAL_PER_CLASS = 700


def jpeg_bytes(seed: int) -> bytes:
    """A 256x256 RGB JPEG (the declared fixed shape): flat colour plus an 8x8 noise patch, ~0.7 kB."""
    rng = np.random.default_rng(seed)
    pixels = np.empty((256, 256, 3), dtype=np.uint8)
    pixels[:] = rng.integers(0, 256, size=3, dtype=np.uint8)
    pixels[:8, :8] = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=50, optimize=True)
    return buf.getvalue()


def files(per_class: int) -> Iterator[tuple[str, bytes]]:
    """(relative path, content) of every image, in the real archive's layout.

    Image k (1-based) reuses the content of dummy image ((k - 1) % 3) + 1, so the 31500-image
    archive costs only 135 JPEG encodings.
    """
    for c, label in enumerate(_LABELS):
        contents = [jpeg_bytes(c * 1000 + i) for i in range(1, DUMMY_PER_CLASS + 1)]
        for k in range(1, per_class + 1):
            yield f"{ROOT}/{label}/{label}_{k:03}.jpg", contents[(k - 1) % DUMMY_PER_CLASS]


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def write_dummy() -> None:
    shutil.rmtree(HERE / ROOT, ignore_errors=True)
    for rel, data in files(DUMMY_PER_CLASS):
        path = HERE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def write_archives(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    target = outdir / "NWPU-RESISC45.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        for rel, data in files(REAL_PER_CLASS):
            add_bytes(tar, rel, data)
    print(target)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-archives", type=Path, metavar="OUTDIR")
    args = parser.parse_args()
    if args.source_archives:
        write_archives(args.source_archives)
    else:
        write_dummy()
