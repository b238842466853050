"""Write the dummy source data of carla_video_tracking_test (deterministic).

    python make.py                          # (re)write test/ next to this file: the extracted archive
    python make.py --source-archives OUTDIR # write OUTDIR/carla_video_tracking_test_2.0.0.tar.gz

Layout as in the real archive: test/<video>/<frame>.png, <frame>_mask.png, gt_boxes.npy (int64 (F, 4)
[x1, y1, x2, y2]) and gs_coords.npy (int64 (N, 4, 2), N = 1 or F). Frames are full size (960x1280)
because the masks feature is a fixed-shape Tensor; flat colours keep each PNG a few KB, and few
frames keep the test fast (each mask frame is a 3.7 MB tensor in the built dataset).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.dummy_sources import carla

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    # video name -> (number of frames, static green screen?)
    videos = {"video_07": (2, False)}
    carla.main(
        __doc__,
        carla.video_tracking_files("test", videos, seed=1),
        archives=["carla_video_tracking_test_2.0.0.tar.gz"],
        tree=HERE,
        clear=HERE / "test",
        name_in_gzip_header=True,
    )
