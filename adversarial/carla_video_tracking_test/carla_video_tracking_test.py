"""carla_video_tracking_test: synthetic CARLA single-object tracking videos (test split).

Published description: README.md. Shared definition (features, reading): dsbuild.families.carla_video.
"""

import tensorflow_datasets as tfds

from dsbuild.families import carla_video


class CarlaVideoTrackingTest(carla_video.CarlaVideoTrackingFamily, tfds.core.GeneratorBasedBuilder):
    """CARLA single-object tracking videos (960x1280 frames) with a green-screen patch region (test)."""

    VERSION = tfds.core.Version("2.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "2.0.0": "Eval5 single-object tracking: higher resolution, HD textures, higher frame rate, "
        "extra non-tracked objects, camera motion",
    }
    URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_video_tracking_test_2.0.0.tar.gz"
    SPLITS = ("test",)
    # Unlike the dev builder, armory's test builder declares no frame_rate metadata.
