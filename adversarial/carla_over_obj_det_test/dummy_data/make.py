"""Write the dummy data of carla_over_obj_det_test: a tiny fake copy of the extracted source archive.

    python dummy_data/make.py                          # (re)write dummy_data/carla_over_od_test_2.0.0/
    python dummy_data/make.py --source-archives DIR    # write DIR/<archive> (real .tar.gz form) only

Layout, under test/hallucination/ and test/disappearance/: kwcoco_annotations.json, rgb/<f>,
depth/<f>, foreground_mask/<f>, patch_metadata/<stem>_coords.npy (int32 (4, 2)) and
<stem>_avg_depth.npy (float64 scalar). Images are full-size (1280x960, as the feature shape requires)
but flat-coloured, so each PNG is ~5 KB.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.dummy_sources import carla

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    files = {
        **carla.overhead_green_screen_files("test/hallucination", seed=40, names=["h_000017.png", "h_000042.png"]),
        **carla.overhead_green_screen_files("test/disappearance", seed=41, names=["d_000017.png"]),
    }
    carla.main(__doc__, files, archives=["carla_over_od_test_2.0.0.tar.gz"], tree=HERE / "carla_over_od_test_2.0.0")
