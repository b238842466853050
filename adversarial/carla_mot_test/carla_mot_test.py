"""carla_mot_test: synthetic CARLA multi-object tracking videos with a static green-screen patch (test split).

Published description: README.md. Shared definition (features, reading): dsbuild.families.carla_video.

Uncertain: the dtype of the per-frame corner files is not known. armory stacks them with a cast to
int, so integer and float files are both accepted and floats are truncated the same way; the dummy data
has float files.
"""

import tensorflow_datasets as tfds

from dsbuild.families import carla_video


class CarlaMOTTest(carla_video.CarlaMotFamily, tfds.core.GeneratorBasedBuilder):
    """Synthetic CARLA multi-object tracking videos with a static green-screen patch (test)."""

    VERSION = tfds.core.Version("1.0.1")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.0.1": "Green-screen coordinates and RGB/instance-segmentation misalignment fixed "
        "(no patch movement/flicker)",
    }
    URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_mot_test_1.0.1.tar.gz"
    SPLITS = ("test",)
