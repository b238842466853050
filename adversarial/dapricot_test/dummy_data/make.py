"""Write the dummy D-APRICOT test data: the extracted tree of dapricot_test.tar.gz, tiny and deterministic.

All 12 test scenes of the real archive are present, one 16x12 JPEG per scene and camera. Splits: large 4, medium 4, small 4. Scene 15 camera 3 has an annotation without
segmentation before the green screen and a box sticking out of the image (clipped).
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import apricot

# scene -> [(shape token, height token, distance token)] of its photos (same for the 3 cameras).
SCENES = {
    "02": [("stp", "50", "dist5")],
    "03": [("pxg", "50", "dist10")],
    "04": [("spd", "50", "dist15")],
    "05": [("stp", "100", "dist10")],
    "07": [("pxg", "100", "dist15")],
    "08": [("spd", "100", "dist5")],
    "09": [("stp", "50", "dist15")],
    "10": [("pxg", "50", "dist5")],
    "11": [("spd", "50", "dist10")],
    "12": [("stp", "100", "dist5")],
    "13": [("pxg", "100", "dist10")],
    "15": [("SPD", "100", "dist15")],
}

if __name__ == "__main__":
    make.main(
        __doc__,
        Path(__file__).resolve().parent,
        lambda: {"dapricot_test.tar.gz": apricot.dapricot_files("test", SCENES, odd_scene="15")},
    )
