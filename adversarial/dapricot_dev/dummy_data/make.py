"""Write the dummy D-APRICOT dev data: the extracted tree of dapricot_dev.tar.gz, tiny and deterministic.

    python make.py                          # (re)write dummy_data/dapricot_dev/dev/...
    python make.py --source-archives OUTDIR # write OUTDIR/dapricot_dev.tar.gz (real download form)

Every scene has the same scenes x cameras layout as the real archive, with 16x12 JPEGs. Splits:
large 2 (scene 01 stp dist5, scene 14 stp dist5), medium 1 (scene 06 pxg), small 1 (scene 01 spd).
Scene 14 camera 3 has an annotation without segmentation before the green screen (first segmented
annotation wins) and a box sticking out of the image (clipped).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.dummy_sources import apricot

# scene -> [(shape token, height token, distance token)] of its photos (same for the 3 cameras).
SCENES = {
    "01": [("stp", "50", "dist5"), ("spd", "100", "dist15")],
    "06": [("pxg", "50", "dist10")],
    "14": [("STP", "100", "dist5")],
}


def files() -> dict[str, bytes]:
    """Archive-relative path -> content."""
    return apricot.dapricot_files("dev", SCENES, odd_scene="14")


if __name__ == "__main__":
    apricot.main(__doc__, Path(__file__).resolve().parent, "dapricot_dev", files)
