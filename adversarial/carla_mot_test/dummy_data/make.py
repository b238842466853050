"""Write the dummy source data of carla_mot_test (deterministic).

Layout as in the real archive: test/<video>/rgb/<frame>.png, foreground_mask/<frame>.png,
patch_metadata/<frame>.npy ((4, 2) corners) and instances.txt (9 whitespace-separated columns).
Frames are full size (960x1280: TFDS rejects other sizes when decoding the videos); flat colours keep
each PNG a few KB.
"""

from pathlib import Path

import numpy as np

from dsbuild.testing import make
from dsbuild.testing.dummy import carla

HERE = Path(__file__).resolve().parent

# video name -> (number of frames, dtype of the per-frame corner files; dev covers int64 too)
VIDEOS = {"video_00": (3, np.float64)}


def files() -> dict[str, bytes]:
    return carla.mot_files("test", VIDEOS, seed=1)


if __name__ == "__main__":
    make.main(__doc__, HERE, lambda: {"carla_mot_test_1.0.1.tar.gz": files()}, dummy=files, clear=["test"])
