"""carla_video_tracking_dev: synthetic CARLA single-object tracking videos (dev split).

Published description: README.md. Shared definition (features, reading): dsbuild.families.carla_video.
"""

import tensorflow_datasets as tfds

from dsbuild.families import carla_video


class CarlaVideoTrackingDev(carla_video.CarlaVideoTrackingFamily, tfds.core.GeneratorBasedBuilder):
    """CARLA single-object tracking videos (960x1280 frames) with a green-screen patch region (dev)."""

    VERSION = tfds.core.Version("2.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "2.0.0": "Eval5 single-object tracking: higher resolution, HD textures, higher frame rate, "
        "extra non-tracked objects, camera motion",
    }
    URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_video_tracking_dev_2.0.0.tar.gz"
    SPLITS = ("dev",)
    FRAME_RATE = 10
