"""Write the dummy D-APRICOT dev data: the extracted tree of dapricot_dev.tar.gz, tiny and deterministic.

Every scene has the same scenes x cameras layout as the real archive, with 16x12 JPEGs. Splits:
large 2 (scene 01 stp dist5, scene 14 stp dist5), medium 1 (scene 06 pxg), small 1 (scene 01 spd).
Scene 14 camera 3 has an annotation without segmentation before the green screen (first segmented
annotation wins) and a box sticking out of the image (clipped).
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import apricot

# scene -> [(shape token, height token, distance token)] of its photos (same for the 3 cameras).
SCENES = {
    "01": [("stp", "50", "dist5"), ("spd", "100", "dist15")],
    "06": [("pxg", "50", "dist10")],
    "14": [("STP", "100", "dist5")],
}

if __name__ == "__main__":
    make.main(
        __doc__,
        Path(__file__).resolve().parent,
        lambda: {"dapricot_dev.tar.gz": apricot.dapricot_files("dev", SCENES, odd_scene="14")},
    )
