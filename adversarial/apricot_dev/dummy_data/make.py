"""Write the dummy APRICOT dev data: the extracted tree of apricot_dev.tar.gz, tiny and deterministic.

Images: 4 JPEGs of 16x12. Splits: frcnn 2 (ids 1, 4), retinanet 1 (id 2), ssd 1 (id 3). Image 4 has two
patches (frcnn first by annotation id, then ssd) to exercise the split rule; image 3 has a box sticking
out of the image (clipped) and category 80, the largest id the 81-class ClassLabel accepts.
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import apricot

if __name__ == "__main__":
    make.main(
        __doc__,
        Path(__file__).resolve().parent,
        lambda: {"apricot_dev.tar.gz": apricot.apricot_files("dev", max_category=80)},
    )
