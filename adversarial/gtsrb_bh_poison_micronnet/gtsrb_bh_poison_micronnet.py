"""GTSRB poison samples for MicronNet: traffic signs carrying a bullet-hole trigger, 48x48 float32.

The source is two plain `.npy` files (downloaded, not extracted), each a float32 array of shape
(N, 48, 48, 3): 2220 poisoned training images and 750 poisoned test images. Every example gets label 2,
as in ARMORY's builder (whose description mentions class 1).

Uncertain: the value range of the arrays ([0, 1] is likely but unverified). The builder stores the
values unchanged and does not rescale; it only checks dtype and shape, so either reading builds the
same dataset.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

_URLS = {
    "poison": "https://armory-public-data.s3.us-east-2.amazonaws.com/adversarial-datasets/"
    "gtsrb_poisoned_images_entire_class.npy",
    "poison_test": "https://armory-public-data.s3.us-east-2.amazonaws.com/adversarial-datasets/"
    "gtsrb_poisoned_test_images.npy",
}
_IMAGE_SHAPE = (48, 48, 3)
_NUM_CLASSES = 43
# ARMORY labels every poisoned sample 2.
_POISON_LABEL = 2


def load_poison_array(path: str) -> np.ndarray:
    """Load one source `.npy` and check it is float32 of shape (N, 48, 48, 3)."""
    with tf.io.gfile.GFile(path, "rb") as f:
        array = np.load(f)
    if array.dtype != np.float32 or array.ndim != 4 or array.shape[1:] != _IMAGE_SHAPE:
        raise ValueError(f"{path}: expected a float32 array of shape (N, 48, 48, 3), got {array.dtype} {array.shape}")
    return array


class GtsrbBhPoisonMicronnet(tfds.core.GeneratorBasedBuilder):
    """GTSRB bullet-hole poison images for MicronNet."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Tensor(shape=_IMAGE_SHAPE, dtype=np.float32),
                    "label": tfds.features.ClassLabel(num_classes=_NUM_CLASSES),
                }
            ),
            supervised_keys=("image", "label"),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        paths = dl_manager.download(_URLS)
        return {split: self._generate_examples(path=paths[split]) for split in _URLS}

    def _generate_examples(self, path):
        for i, image in enumerate(load_poison_array(str(path))):
            yield i, {"image": image, "label": _POISON_LABEL}
