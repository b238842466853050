"""APRICOT test partition: photos of printed adversarial patches, COCO-style object annotations.

Published description: README.md. Shared definition (features, splits, reading): dsbuild.families.apricot.

Splits are the attacked models: an image goes to `frcnn`, `retinanet` or `ssd` according to the patch
of its first (by annotation id) annotation with a `patch_id`; every image must have one. Labels are the
raw COCO category ids (ClassLabel of size 91, as in both armory branches; the patch is category 12);
armory's preprocessing, not this builder, maps the patch label to ADV_PATCH_MAGIC_NUMBER_LABEL_ID (-10).
"""

import tensorflow_datasets as tfds

from dsbuild.families import apricot


class ApricotTest(apricot.ApricotFamily, tfds.core.GeneratorBasedBuilder):
    """APRICOT v1.1 test partition (physical adversarial patches against COCO object detectors)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Version armory uses (tfdsv4 and master); objects/labels has 91 classes."}
    URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/adversarial-datasets/apricot_test.tar.gz"
    PARTITION = "test"
    NUM_CLASSES = 91
