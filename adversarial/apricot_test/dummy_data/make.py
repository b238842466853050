"""Write the dummy APRICOT test data: the extracted tree of apricot_test.tar.gz, tiny and deterministic.

    python make.py                          # (re)write dummy_data/apricot_test/APRICOT/...
    python make.py --source-archives OUTDIR # write OUTDIR/apricot_test.tar.gz (real download form)

Images: 4 JPEGs of 16x12. Splits: frcnn 2 (ids 1, 4), retinanet 1 (id 2), ssd 1 (id 3). Image 4 has two
patches (frcnn first by annotation id, then ssd) to exercise the split rule; image 3 has a box sticking
out of the image (clipped) and category 90, the largest id the 91-class ClassLabel accepts.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.dummy_sources import apricot


def files() -> dict[str, bytes]:
    """Archive-relative path -> content."""
    return apricot.apricot_files("test", max_category=90)


if __name__ == "__main__":
    apricot.main(__doc__, Path(__file__).resolve().parent, "apricot_test", files)
