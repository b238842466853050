"""Write the dummy data of carla_obj_det_test: a tiny fake copy of the extracted source archive.

    python dummy_data/make.py                          # (re)write dummy_data/<archive stem>/
    python dummy_data/make.py --source-archives DIR    # write DIR/<archive> (real .tar.gz form) only

Layout as in the real archive, under <split>/: _out/kwcoco_annotations_without_patch_and_sans_tiny_objects.json,
the RGB images at <file_name> (here _out/sensor.camera.rgb.2/<base>), _out/sensor.camera.depth.2/<base>,
_out/foreground_mask/<base>, _out/patch_metadata/<stem>_coords.npy (int32 (4, 2)) and
<stem>_avg_depth.npy (float64 scalar). Images are full-size (1280x960, as the feature shape requires)
but flat-coloured, so each PNG is ~5 KB.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.dummy_sources import carla

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    carla.main(
        __doc__,
        carla.street_green_screen_files("test", seed=20),
        archives=["carla_od_test_2.0.0.tar.gz"],
        tree=HERE / "carla_od_test_2.0.0",
    )
