"""Writes the dummy GTSRB tree beside this file: tiny .ppm images and the ';'-separated CSVs.

Training: all 43 class folders with one image each (class 00000 gets two). Test: two images.
With `--source-archives OUTDIR` writes german_traffic_sign.tar.gz with the same tree instead.
"""

import io
from pathlib import Path

import numpy as np
from PIL import Image

from dsbuild.testing import make

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


def files() -> dict[str, bytes]:
    """Path inside the archive -> content of every file."""
    out = {}
    for c in range(NUM_CLASSES):
        folder = f"GTSRB/Final_Training/Images/{c:05d}"
        lines = [HEADER]
        for i in range(2 if c == 0 else 1):
            name = f"{i // 30:05d}_{i % 30:05d}.ppm"  # <track>_<image in track>, as in GTSRB
            out[f"{folder}/{name}"], width, height = ppm_bytes(c * 10 + i)
            lines.append(csv_line(name, width, height, c))
        out[f"{folder}/GT-{c:05d}.csv"] = ("\n".join(lines) + "\n").encode()
    lines = [HEADER]
    for i, class_id in enumerate((14, 42)):
        name = f"{i:05d}.ppm"
        out[f"GTSRB/Final_Test/Images/{name}"], width, height = ppm_bytes(1000 + i)
        lines.append(csv_line(name, width, height, class_id))
    out["GTSRB/GT-final_test.csv"] = ("\n".join(lines) + "\n").encode()
    return out


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    make.main(__doc__, here, lambda: {"german_traffic_sign.tar.gz": files()}, dummy=files, clear=["GTSRB"])
