"""Write the dummy source data of carla_mot_test (deterministic).

    python make.py                          # (re)write test/ next to this file: the extracted archive
    python make.py --source-archives OUTDIR # write OUTDIR/carla_mot_test_1.0.1.tar.gz

Layout as in the real archive: test/<video>/rgb/<frame>.png, foreground_mask/<frame>.png,
patch_metadata/<frame>.npy ((4, 2) corners) and instances.txt (9 whitespace-separated columns).
Frames are full size (960x1280: TFDS rejects other sizes when decoding the videos); flat colours keep
each PNG a few KB.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.dummy_sources import carla

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    # video name -> (number of frames, dtype of the per-frame corner files; dev covers int64 too)
    videos = {"video_00": (3, np.float64)}
    carla.main(
        __doc__,
        carla.mot_files("test", videos, seed=1),
        archives=["carla_mot_test_1.0.1.tar.gz"],
        tree=HERE,
        clear=HERE / "test",
        name_in_gzip_header=True,
    )
