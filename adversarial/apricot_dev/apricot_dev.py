"""APRICOT dev partition: photos of printed adversarial patches, COCO-style object annotations.

Published description: README.md. Shared definition (features, splits, reading): dsbuild.families.apricot.

Label-count choice (uncertain in the facts): `objects/labels` is a ClassLabel of size 81, not 91.
armory's tfdsv4 builder, the newest version armory uses, changed the size from 91 to 81 and
re-published the apricot_dev 1.0.2 cache built with it (a ClassLabel rejects ids >= its size, so that
build proves every dev category id is < 81); a dataset built here must match that published one.
apricot_test keeps 91. A category id >= 81 fails with a ValueError naming the file and annotation.

Splits are the attacked models: an image goes to `frcnn`, `retinanet` or `ssd` according to the patch
of its first (by annotation id) annotation with a `patch_id`; every image must have one. Labels are the
raw COCO category ids (the patch is category 12); armory's preprocessing, not this builder, maps the
patch label to ADV_PATCH_MAGIC_NUMBER_LABEL_ID (-10).
"""

import tensorflow_datasets as tfds

from dsbuild.families import apricot


class ApricotDev(apricot.ApricotFamily, tfds.core.GeneratorBasedBuilder):
    """APRICOT v1.1 dev partition (physical adversarial patches against COCO object detectors)."""

    VERSION = tfds.core.Version("1.0.2")
    RELEASE_NOTES = {"1.0.2": "Version armory uses (tfdsv4); objects/labels has 81 classes."}
    URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/adversarial-datasets/apricot_dev.tar.gz"
    PARTITION = "dev"
    NUM_CLASSES = 81  # tfdsv4's size, not master's 91: see the module docstring.
