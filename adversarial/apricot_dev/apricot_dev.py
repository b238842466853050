"""APRICOT dev partition: photos of printed adversarial patches, COCO-style object annotations.

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

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/adversarial-datasets/apricot_dev.tar.gz"
_ARCHIVE = "apricot_dev.tar.gz"
# See the module docstring: tfdsv4 size, not master's 91.
NUM_CLASSES = 81

_DESCRIPTION = (
    "APRICOT v1.1 (dev partition): real photos of printed adversarial patches in context, COCO-style "
    "boxes for COCO objects plus the patch (category 12). Physical, preloaded adversarial data; no clean "
    "counterpart. Splits frcnn, retinanet and ssd hold the images whose patch attacks that model."
)
_CITATION = """\
@article{braunegg2019apricot,
  title={APRICOT: A Dataset of Physical Adversarial Attacks on Object Detection},
  author={Braunegg, A. and Chakraborty, Amartya and Krumdick, Michael and Lape, Nicole and Leary, Sara
          and Manville, Keith and Merkhofer, Elizabeth and Strickhart, Laura and Walmer, Matthew},
  journal={arXiv preprint arXiv:1912.08166},
  year={2019}
}
"""


class ApricotDev(tfds.core.GeneratorBasedBuilder):
    """APRICOT v1.1 dev partition (physical adversarial patches against COCO object detectors)."""

    VERSION = tfds.core.Version("1.0.2")
    RELEASE_NOTES = {"1.0.2": "Version armory uses (tfdsv4); objects/labels has 81 classes."}

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description=_DESCRIPTION,
            features=apricot.apricot_features(NUM_CLASSES),
            supervised_keys=None,
            homepage="https://arxiv.org/abs/1912.08166",
            citation=_CITATION,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        root = dl_manager.download_and_extract(_URL)
        return {split: self._generate_examples(root, split) for split in apricot.APRICOT_MODELS}

    def _generate_examples(self, root, split):
        yield from apricot.apricot_examples(root, "dev", split, num_classes=NUM_CLASSES, archive=_ARCHIVE)
