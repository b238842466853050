"""Write the dummy source file of imagenet_adversarial (deterministic).

The real source is one uncompressed TFRecord file. Two 224x224 float32 images per record make even one
record 1.2 MB, so the committed dummy copy is gzip-compressed (`<filename>.gz`, 2 records); the test
unpacks it into a temporary directory before building.
`--source-archives OUTDIR`: the same records in the real download form (plain TFRecord) into OUTDIR.
"""

import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from dsbuild.testing import archive, make

FILENAME = "ILSVRC12_ResNet50_PGD_adversarial_dataset_v1.0.tfrecords"
LABELS = (7, 981)


def _bytes(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int64(value: int) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def image(index: int, adversarial: bool) -> np.ndarray:
    """Blocky integer-valued float32 image (compresses well); the adversarial one differs by +-2."""
    rows, cols = np.meshgrid(np.arange(224) // 16, np.arange(224) // 16, indexing="ij")
    pixels = (np.stack([rows * 7, cols * 13, rows + cols], axis=-1) + 40 * index) % 200 + 20
    if adversarial:
        pixels = pixels + np.where((rows + cols) % 2 == 0, 2, -2)[..., None]
    return pixels.astype(np.float32)


def tfrecord() -> bytes:
    """The records (TFRecordWriter writes only to files, so via a temporary one)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / FILENAME
        with tf.io.TFRecordWriter(str(path)) as writer:
            for i, label in enumerate(LABELS):
                features = {
                    "height": _int64(224),
                    "width": _int64(224),
                    "label": _int64(label),
                    "clean-image": _bytes(image(i, adversarial=False).astype("<f4").tobytes()),
                    "adv-image": _bytes(image(i, adversarial=True).astype("<f4").tobytes()),
                }
                example = tf.train.Example(features=tf.train.Features(feature=features))
                writer.write(example.SerializeToString(deterministic=True))
        return path.read_bytes()


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    make.main(
        __doc__, here, lambda: {FILENAME: tfrecord()}, dummy=lambda: {f"{FILENAME}.gz": archive.gzip_bytes(tfrecord())}
    )
