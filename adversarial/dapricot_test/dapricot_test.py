"""D-APRICOT test partition: green-screen scenes photographed by three cameras.

Published description: README.md. Same layout, rules and feature tree as dapricot_dev (see its module
docstring and dsbuild.families.dapricot); only the archive and its 12 scenes differ.
"""

import tensorflow_datasets as tfds

from dsbuild.families import dapricot


class DapricotTest(dapricot.DapricotFamily, tfds.core.GeneratorBasedBuilder):
    """D-APRICOT test partition (green screens for physical adversarial patch insertion)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/adversarial-datasets/dapricot_test.tar.gz"
    PARTITION = "test"
    SCENES = ("02", "03", "04", "05", "07", "08", "09", "10", "11", "12", "13", "15")
