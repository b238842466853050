"""carla_over_obj_det_train: synthetic CARLA object detection from overhead viewpoints, RGB + depth.

Published description: README.md. Shared definition (features, splits, reading): dsbuild.families.carla.

Annotation keys: license/flickr_url/coco_url/date_captured are removed from images[] entries when
present; each entry must then hold exactly id/file_name/height/width.
"""

from __future__ import annotations

import tensorflow_datasets as tfds

from dsbuild.families import carla


class CarlaOverObjDetTrain(carla.CarlaTrainFamily, tfds.core.GeneratorBasedBuilder):
    """CARLA overhead-view object detection (train/val), RGB + depth, 960x1280."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Eval6: overhead-perspective images (migrated from carla_obj_det_train)"}
    URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_over_od_train_val_1.0.0.tar.gz"
    NUM_CLASSES = 3
    DROPPED_IMAGE_KEYS = ("license", "flickr_url", "coco_url", "date_captured")
