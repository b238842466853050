"""D-APRICOT dev partition: green-screen scenes photographed by three cameras.

Published description: README.md. Shared definition (features, splits, reading): dsbuild.families.dapricot.

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


class DapricotDev(dapricot.DapricotFamily, tfds.core.GeneratorBasedBuilder):
    """D-APRICOT dev partition (green screens for physical adversarial patch insertion)."""

    VERSION = tfds.core.Version("1.0.1")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.0.1": "Access to the full dev dataset",
    }
    URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/adversarial-datasets/dapricot_dev.tar.gz"
    PARTITION = "dev"
    SCENES = ("01", "06", "14")
