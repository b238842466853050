"""Write the dummy source data of carla_video_tracking_dev (deterministic).

Layout as in the real archive: dev/<video>/<frame>.png, <frame>_mask.png, gt_boxes.npy (int64 (F, 4)
[x1, y1, x2, y2]) and gs_coords.npy (int64 (N, 4, 2), N = 1 or F). Frames are full size (960x1280)
because the masks feature is a fixed-shape Tensor; flat colours keep each PNG a few KB, and few
frames keep the test fast (each mask frame is a 3.7 MB tensor in the built dataset).
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import carla

HERE = Path(__file__).resolve().parent

# video name -> (number of frames, static green screen?)
VIDEOS = {"video_00": (1, True), "video_01": (2, False)}


def files() -> dict[str, bytes]:
    return carla.video_tracking_files("dev", VIDEOS, seed=0)


if __name__ == "__main__":
    make.main(__doc__, HERE, lambda: {"carla_video_tracking_dev_2.0.0.tar.gz": files()}, dummy=files, clear=["dev"])
