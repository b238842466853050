"""D-APRICOT dev partition: green-screen scenes photographed by three cameras.

Each example is one scene photo as seen by cameras 1-3 (every field is a length-3 list). The photo's
file name `scene_S_camera_C_<stp|pxg|spd>_<H>_<dist5|dist10|dist15>.JPG` gives the green-screen shape
(octagon, diamond, rect) and the split (dist5 -> large, dist10 -> medium, dist15 -> small). Each image
needs an annotation with exactly one segmentation polygon: the green screen, stored as rounded (x, y)
vertices in patch_metadata/gs_coords with the colour-checker values of the scene and of the reference.
Boxes are normalised by each camera's own image size (the real images all share one size, 1008x756).

Deviation from the source feature tree: `categories`, `objects` and `patch_metadata` are Sequences of
length None instead of 3, because TFDS cannot read back a length-3 Sequence of variable-length
Sequences (tensorflow/datasets#2243); every example still holds exactly 3 entries.
"""

import tensorflow_datasets as tfds

from dsbuild.families import dapricot

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/adversarial-datasets/dapricot_dev.tar.gz"
_ARCHIVE = "dapricot_dev.tar.gz"
SCENES = ("01", "06", "14")

_DESCRIPTION = (
    "D-APRICOT (dev): physical scenes photographed by 3 cameras, each containing one green screen "
    "(octagon/diamond/rectangle) for targeted patch insertion; COCO objects in the background are not "
    "labelled. MITRE, unpublished. Splits large, medium and small by camera distance (5, 10, 15)."
)


class DapricotDev(tfds.core.GeneratorBasedBuilder):
    """D-APRICOT dev partition (green screens for physical adversarial patch insertion)."""

    VERSION = tfds.core.Version("1.0.1")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.0.1": "Access to the full dev dataset",
    }

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description=_DESCRIPTION,
            features=dapricot.dapricot_features(),
            supervised_keys=None,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        root = dl_manager.download_and_extract(_URL)
        return {split: self._generate_examples(root, split) for split in ("large", "medium", "small")}

    def _generate_examples(self, root, split):
        yield from dapricot.dapricot_examples(root, "dev", SCENES, split, archive=_ARCHIVE)
