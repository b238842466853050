"""ILSVRC12 validation images with targeted PGD adversarial counterparts against ResNet50.

1000 examples. The attack is targeted PGD with 10 iterations, eps 8 and step size 2 (pixel scale 0-255).
The source is one TFRecord file (not an archive) of `tf.train.Example`s with keys `height`, `width`,
`label` (ImageNet class index) and `clean-image` / `adv-image`: raw little-endian float32 buffers of
height*width*3 integer values in 0..255, which the builder casts to uint8 and reshapes to (h, w, 3).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

_URL = (
    "https://armory-public-data.s3.us-east-2.amazonaws.com/imagenet-adv/"
    "ILSVRC12_ResNet50_PGD_adversarial_dataset_v1.0.tfrecords"
)
_IMAGE_SHAPE = (224, 224, 3)


def _int64(example: tf.train.Example, key: str, where: str) -> int:
    values = example.features.feature[key].int64_list.value
    if len(values) != 1:
        raise ValueError(f"{where}: expected one int64 in {key!r}, found {len(values)}")
    return int(values[0])


def _image(example: tf.train.Example, key: str, height: int, width: int, where: str) -> np.ndarray:
    values = example.features.feature[key].bytes_list.value
    if len(values) != 1:
        raise ValueError(f"{where}: expected one bytes value in {key!r}, found {len(values)}")
    pixels = np.frombuffer(values[0], dtype="<f4")
    if pixels.size != height * width * 3:
        raise ValueError(f"{where}: {key!r} holds {pixels.size} floats, expected {height}*{width}*3")
    return pixels.astype(np.uint8).reshape(height, width, 3)


def parse_record(raw: bytes, where: str) -> dict[str, np.ndarray | int]:
    """Turn one serialized source record into the builder's example (without the key)."""
    example = tf.train.Example.FromString(raw)
    height = _int64(example, "height", where)
    width = _int64(example, "width", where)
    if (height, width, 3) != _IMAGE_SHAPE:
        raise ValueError(f"{where}: image is {height}x{width}, expected 224x224")
    return {
        "images": {
            "clean": _image(example, "clean-image", height, width, where),
            "adversarial": _image(example, "adv-image", height, width, where),
        },
        "label": _int64(example, "label", where),
    }


class ImagenetAdversarial(tfds.core.GeneratorBasedBuilder):
    """ILSVRC12 ResNet50 targeted-PGD adversarial images."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {"1.1.0": "Initial release."}

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "images": tfds.features.FeaturesDict(
                        {
                            "clean": tfds.features.Tensor(shape=_IMAGE_SHAPE, dtype=np.uint8),
                            "adversarial": tfds.features.Tensor(shape=_IMAGE_SHAPE, dtype=np.uint8),
                        }
                    ),
                    "label": tfds.features.Tensor(shape=(), dtype=np.int64),
                }
            ),
            supervised_keys=("images", "label"),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        path = dl_manager.download(_URL)
        return {"adversarial": self._generate_examples(path=path)}

    def _generate_examples(self, path):
        records = tf.data.TFRecordDataset(str(path)).as_numpy_iterator()
        for i, raw in enumerate(records):
            yield str(i), parse_record(raw, f"{path} record {i}")
