"""Write the dummy source files of gtsrb_bh_poison_micronnet (deterministic).

Default: two tiny float32 `.npy` files (2 and 1 rows) in this folder, named like the real downloads.
`--source-archives OUTDIR`: the same files in their real download form (plain `.npy`) into OUTDIR.
"""

import io
from pathlib import Path

import numpy as np

from dsbuild.testing import make

FILES = {"gtsrb_poisoned_images_entire_class.npy": 2, "gtsrb_poisoned_test_images.npy": 1}


def sources() -> dict[str, bytes]:
    """File name -> `.npy` content: float32 rows of 48x48x3, one random stream across the files."""
    rng = np.random.default_rng(0)
    out = {}
    for name, rows in FILES.items():
        buf = io.BytesIO()
        np.save(buf, rng.random((rows, 48, 48, 3), dtype=np.float32))
        out[name] = buf.getvalue()
    return out


if __name__ == "__main__":
    make.main(__doc__, Path(__file__).resolve().parent, sources)
