"""Dummy source data of the RESISC builders (resisc45, resisc45_split, resisc10_poison, resisc45_densenet121_...).

Each folder's `dummy_data/make.py` builds its own (path, content) list and calls `main` with its writers.
"""

from __future__ import annotations

import argparse
import io
import pathlib
import shutil
import tarfile
from collections.abc import Callable, Iterable

import numpy as np
from PIL import Image


def jpeg_bytes(seed: int) -> bytes:
    """A 256x256 RGB JPEG (the declared fixed shape): flat colour plus an 8x8 noise patch, ~0.7 kB."""
    rng = np.random.default_rng(seed)
    pixels = np.empty((256, 256, 3), dtype=np.uint8)
    pixels[:] = rng.integers(0, 256, size=3, dtype=np.uint8)
    pixels[:8, :8] = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=50, optimize=True)
    return buf.getvalue()


def write_tree(base: pathlib.Path, files: Iterable[tuple[str, bytes]], *, clear: pathlib.Path | None = None) -> None:
    """Delete the folder `clear` (if given), then write every (path relative to `base`, content)."""
    if clear is not None:
        shutil.rmtree(clear, ignore_errors=True)
    for rel, data in files:
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def write_tar_gz(target: pathlib.Path, files: Iterable[tuple[str, bytes]]) -> None:
    """A .tar.gz of (member path, content) in the given order, members with mtime 0 and mode 0644; prints its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz") as tar:
        for rel, data in files:
            info = tarfile.TarInfo(rel)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    print(target)


def main(doc: str, write_dummy: Callable[[], None], write_archives: Callable[[pathlib.Path], None]) -> None:
    """make.py command line: no args calls `write_dummy()`; `--source-archives OUTDIR` calls `write_archives(OUTDIR)`."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--source-archives", type=pathlib.Path, metavar="OUTDIR")
    args = parser.parse_args()
    if args.source_archives:
        write_archives(args.source_archives)
    else:
        write_dummy()
