"""Writes the dummy GTSRB tree beside this file: tiny .ppm images and the ';'-separated CSVs.

Training: all 43 class folders with one image each (class 00000 gets two). Test: two images.
With `--source-archives OUTDIR` writes german_traffic_sign.tar.gz with the same tree instead.
"""

from __future__ import annotations

import argparse
import io
import shutil
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
NUM_CLASSES = 43
HEADER = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId"


def ppm_bytes(seed: int) -> tuple[bytes, int, int]:
    """A tiny binary (P6) RGB .ppm of varying size, like GTSRB's, and its width and height."""
    rng = np.random.default_rng(seed)
    height, width = 6 + seed % 4, 7 + seed % 3
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)).save(buf, format="PPM")
    return buf.getvalue(), width, height


def csv_line(name: str, width: int, height: int, class_id: int) -> str:
    return f"{name};{width};{height};1;1;{width - 1};{height - 1};{class_id}"


def files() -> list[tuple[str, bytes]]:
    """(path inside the archive, content) of every file."""
    out = []
    for c in range(NUM_CLASSES):
        folder = f"GTSRB/Final_Training/Images/{c:05d}"
        lines = [HEADER]
        for i in range(2 if c == 0 else 1):
            name = f"{i // 30:05d}_{i % 30:05d}.ppm"  # <track>_<image in track>, as in GTSRB
            data, width, height = ppm_bytes(c * 10 + i)
            out.append((f"{folder}/{name}", data))
            lines.append(csv_line(name, width, height, c))
        out.append((f"{folder}/GT-{c:05d}.csv", ("\n".join(lines) + "\n").encode()))
    lines = [HEADER]
    for i, class_id in enumerate((14, 42)):
        name = f"{i:05d}.ppm"
        data, width, height = ppm_bytes(1000 + i)
        out.append((f"GTSRB/Final_Test/Images/{name}", data))
        lines.append(csv_line(name, width, height, class_id))
    out.append(("GTSRB/GT-final_test.csv", ("\n".join(lines) + "\n").encode()))
    return out


def write_dummy() -> None:
    shutil.rmtree(HERE / "GTSRB", ignore_errors=True)
    for rel, data in files():
        path = HERE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def write_archives(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    target = outdir / "german_traffic_sign.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        for rel, data in files():
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
