"""Write the dummy data of carla_obj_det_dev: a tiny fake copy of the extracted source archive.

Layout as in the real archive, under <split>/: _out/kwcoco_annotations_without_patch_and_sans_tiny_objects.json,
the RGB images at <file_name> (here _out/sensor.camera.rgb.2/<base>), _out/sensor.camera.depth.2/<base>,
_out/foreground_mask/<base>, _out/patch_metadata/<stem>_coords.npy (int32 (4, 2)) and
<stem>_avg_depth.npy (float64 scalar). Images are full-size (1280x960, as the feature shape requires)
but flat-coloured, so each PNG is ~5 KB.
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import carla

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    make.main(__doc__, HERE, lambda: {"carla_od_dev_2.0.0.tar.gz": carla.street_green_screen_files("dev", seed=10)})
