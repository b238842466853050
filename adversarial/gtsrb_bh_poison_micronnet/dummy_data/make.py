"""Write the dummy source files of gtsrb_bh_poison_micronnet (deterministic).

Default: two tiny float32 `.npy` files (2 and 1 rows) in this folder, named like the real downloads.
`--source-archives OUTDIR`: the same files in their real download form (plain `.npy`) into OUTDIR.
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
FILES = {"gtsrb_poisoned_images_entire_class.npy": 2, "gtsrb_poisoned_test_images.npy": 1}


def write(outdir: pathlib.Path) -> list[pathlib.Path]:
    rng = np.random.default_rng(0)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in FILES.items():
        path = outdir / name
        np.save(path, rng.random((rows, 48, 48, 3), dtype=np.float32))
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-archives", type=pathlib.Path, metavar="OUTDIR")
    args = parser.parse_args()
    if args.source_archives is not None:
        for path in write(args.source_archives):
            print(path)
    else:
        write(HERE)


if __name__ == "__main__":
    main()
