"""carla_obj_det_train: synthetic CARLA street-level object detection with paired RGB and depth images.

Published description: README.md. Shared definition (features, splits, reading): dsbuild.families.carla.

Annotation keys: images[] entries may carry license/flickr_url/coco_url and the misspelled
`data_captured` key, which armory's builder removes; we also remove `date_captured` (the evident
intent of that typo; the real JSON has neither), then each entry must hold exactly
id/file_name/height/width.
"""

from __future__ import annotations

import tensorflow_datasets as tfds

from dsbuild.families import carla


class CarlaObjDetTrain(carla.CarlaTrainFamily, tfds.core.GeneratorBasedBuilder):
    """CARLA street-level object detection (train/val), RGB + depth, 960x1280."""

    VERSION = tfds.core.Version("2.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.0.1": "Fixed RGB/depth image pairing",
        "2.0.0": "Eval5: higher resolution, HD textures, accurate annotations",
    }
    URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_od_train_val_2.0.0_dataset.tar.gz"
    NUM_CLASSES = 5
    DROPPED_IMAGE_KEYS = ("license", "flickr_url", "coco_url", "data_captured", "date_captured")
