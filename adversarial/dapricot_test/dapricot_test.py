"""D-APRICOT test partition: green-screen scenes photographed by three cameras.

Same layout, rules and feature tree as dapricot_dev (see its module docstring and
`dsbuild.families.dapricot.dapricot_examples`); only the archive and its 12 scenes differ.
"""

import tensorflow_datasets as tfds

from dsbuild.families import dapricot

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/adversarial-datasets/dapricot_test.tar.gz"
_ARCHIVE = "dapricot_test.tar.gz"
SCENES = ("02", "03", "04", "05", "07", "08", "09", "10", "11", "12", "13", "15")

_DESCRIPTION = (
    "D-APRICOT (test): physical scenes photographed by 3 cameras, each containing one green screen "
    "(octagon/diamond/rectangle) for targeted patch insertion; COCO objects in the background are not "
    "labelled. MITRE, unpublished. Splits large, medium and small by camera distance (5, 10, 15)."
)


class DapricotTest(tfds.core.GeneratorBasedBuilder):
    """D-APRICOT test partition (green screens for physical adversarial patch insertion)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}

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
        yield from dapricot.dapricot_examples(root, "test", SCENES, split, archive=_ARCHIVE)
