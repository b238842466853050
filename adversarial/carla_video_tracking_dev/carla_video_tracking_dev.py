"""carla_video_tracking_dev: synthetic CARLA single-object tracking videos (dev split).

Each example is one video from the `dev/` folder of the source archive: 960x1280 RGB frames, one
unnormalised [x1, y1, x2, y2] pixel box of the tracked object per frame, and the patch metadata an
attack needs: the green-screen corners (`gs_coords`, (N, 4, 2) with N = 1 for a static screen or one per
frame) and the per-frame patch masks (white pixels stored as 1).
"""

import tensorflow_datasets as tfds

from dsbuild.families import carla_video

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_video_tracking_dev_2.0.0.tar.gz"
_ARCHIVE = "carla_video_tracking_dev_2.0.0.tar.gz"


class CarlaVideoTrackingDev(tfds.core.GeneratorBasedBuilder):
    """CARLA single-object tracking videos (960x1280 frames) with a green-screen patch region (dev)."""

    VERSION = tfds.core.Version("2.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "2.0.0": "Eval5 single-object tracking: higher resolution, HD textures, higher frame rate, "
        "extra non-tracked objects, camera motion",
    }

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__,
            features=carla_video.carla_video_tracking_features(),
            supervised_keys=None,
            homepage="https://carla.org",
            citation=carla_video.CARLA_CITATION,
            metadata=tfds.core.MetadataDict({"frame_rate": 10}),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        path = dl_manager.download_and_extract(_URL)
        return {"dev": self._generate_examples(path / "dev")}

    def _generate_examples(self, split_dir):
        yield from carla_video.carla_video_tracking_examples(split_dir, _ARCHIVE)
