"""carla_obj_det_dev: CARLA street-level RGB + depth images with a green-screen region for patch insertion.

Published description: README.md. Shared definition (features, splits, reading): dsbuild.families.carla.

Uncertain choices:
- `images[1]` (the depth entry) gets file_name `_out/sensor.camera.depth.2/<base>`, the depth path
  relative to the split directory like the RGB file_name, not an absolute path of the machine that
  built the dataset (which would make builds differ from machine to machine).
- checksums.tsv uses armory tfdsv4's size 67507963 (master says 67507876, same sha256): tfdsv4 built
  its published cache with --force_checksums_validation against that value.
"""

from __future__ import annotations

import tensorflow_datasets as tfds

from dsbuild.families import carla


class CarlaObjDetDev(carla.CarlaStreetGreenScreenFamily, tfds.core.GeneratorBasedBuilder):
    """CARLA street-level green-screen images (dev), RGB + depth + patch metadata, 960x1280."""

    VERSION = tfds.core.Version("2.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.0.1": "Fixed RGB/depth pairing",
        "2.0.0": "Eval5: higher resolution, HD textures, accurate annotations, objects overlapping the patch",
    }
    URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_od_dev_2.0.0.tar.gz"
    SPLITS = ("dev",)
