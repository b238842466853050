"""carla_mot_dev: synthetic CARLA multi-object tracking videos with a static green-screen patch (dev split).

Published description: README.md. Shared definition (features, reading): dsbuild.families.carla_video.

Uncertain: the dtype of the per-frame corner files is not known. armory stacks them with a cast to
int, so integer and float files are both accepted and floats are truncated the same way; the dummy data
has one video of each.
"""

import tensorflow_datasets as tfds

from dsbuild.families import carla_video


class CarlaMOTDev(carla_video.CarlaMotFamily, tfds.core.GeneratorBasedBuilder):
    """Synthetic CARLA multi-object tracking videos with a static green-screen patch (dev)."""

    VERSION = tfds.core.Version("1.0.1")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.0.1": "Green-screen coordinates updated so the patch is static in each video",
    }
    URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_mot_dev_1.0.1.tar.gz"
    SPLITS = ("dev",)
