"""carla_mot_test: synthetic CARLA multi-object tracking videos with a static green-screen patch (test split).

Each example is one video folder of `test/` in the source archive: its RGB frames (`rgb/*.png`), its name,
its MOT annotation rows from `instances.txt` as float32 (N, 9) — timestep (1-based), object_id,
bbox_left_x, bbox_top_y, bbox_width, bbox_height, confidence (1), class_id, visibility (1), kept as in
the file — and the patch metadata: green-screen corners stacked from the per-frame
`patch_metadata/<frame>.npy` files (int64 (F, 4, 2)) and the `foreground_mask/*.png` frames as a video.

Uncertain: the dtype of the per-frame corner files is not known. armory stacks them with a cast to
int, so integer and float files are both accepted and floats are truncated the same way; the dummy data
has float files.
"""

import tensorflow_datasets as tfds

from dsbuild.families import carla_video

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_mot_test_1.0.1.tar.gz"
_ARCHIVE = "carla_mot_test_1.0.1.tar.gz"


class CarlaMOTTest(tfds.core.GeneratorBasedBuilder):
    """Synthetic CARLA multi-object tracking videos with a static green-screen patch (test)."""

    VERSION = tfds.core.Version("1.0.1")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.0.1": "Green-screen coordinates and RGB/instance-segmentation misalignment fixed "
        "(no patch movement/flicker)",
    }

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__,
            features=carla_video.carla_mot_features(),
            supervised_keys=None,
            homepage="https://carla.org",
            citation=carla_video.CARLA_CITATION,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        path = dl_manager.download_and_extract(_URL)
        return {"test": self._generate_examples(path / "test")}

    def _generate_examples(self, split_dir):
        yield from carla_video.carla_mot_examples(split_dir, _ARCHIVE)
