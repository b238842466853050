"""Write the dummy data of carla_over_obj_det_test: a tiny fake copy of the extracted source archive.

Layout, under test/hallucination/ and test/disappearance/: kwcoco_annotations.json, rgb/<f>,
depth/<f>, foreground_mask/<f>, patch_metadata/<stem>_coords.npy (int32 (4, 2)) and
<stem>_avg_depth.npy (float64 scalar). Images are full-size (1280x960, as the feature shape requires)
but flat-coloured, so each PNG is ~5 KB.
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import carla

HERE = Path(__file__).resolve().parent


def files() -> dict[str, bytes]:
    return {
        **carla.overhead_green_screen_files("test/hallucination", seed=40, names=["h_000017.png", "h_000042.png"]),
        **carla.overhead_green_screen_files("test/disappearance", seed=41, names=["d_000017.png"]),
    }


if __name__ == "__main__":
    make.main(__doc__, HERE, lambda: {"carla_over_od_test_2.0.0.tar.gz": files()})
