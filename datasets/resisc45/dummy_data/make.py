"""Writes the dummy NWPU-RESISC45 tree beside this file (3 small JPEGs per class).

With `--source-archives OUTDIR` writes NWPU-RESISC45.tar.gz instead, in the real layout and with
the full 700 images per class that the unmodified builder requires (same small JPEGs).
"""

from pathlib import Path

from dsbuild.families.resisc import RESISC45_LABELS
from dsbuild.testing import make
from dsbuild.testing.dummy import resisc

ROOT = "NWPU-RESISC45"
DUMMY_PER_CLASS = 3  # one per split; the test shrinks the split sizes to 1/1/1
REAL_PER_CLASS = 700


def files(per_class: int) -> dict[str, bytes]:
    """Relative path -> content of every image, in the real archive's layout.

    Image k (1-based) reuses the content of dummy image ((k - 1) % 3) + 1, so the 31500-image
    archive costs only 135 JPEG encodings.
    """
    out = {}
    for c, label in enumerate(RESISC45_LABELS):
        contents = [resisc.jpeg_bytes(c * 1000 + i) for i in range(1, DUMMY_PER_CLASS + 1)]
        for k in range(1, per_class + 1):
            out[f"{ROOT}/{label}/{label}_{k:03}.jpg"] = contents[(k - 1) % DUMMY_PER_CLASS]
    return out


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    sources = lambda: {"NWPU-RESISC45.tar.gz": files(REAL_PER_CLASS)}  # noqa: E731
    make.main(__doc__, here, sources, dummy=lambda: files(DUMMY_PER_CLASS), clear=[ROOT])
