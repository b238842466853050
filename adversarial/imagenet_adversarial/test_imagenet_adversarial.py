"""Offline test of imagenet_adversarial built from dummy_data/.

The committed dummy TFRecord is gzip-compressed to stay small (see dummy_data/make.py); it is unpacked
into a temporary directory, which the mocked download returns.
"""

import gzip
import pathlib
import shutil
import tempfile

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from . import imagenet_adversarial as builder_module

_FILENAME = "ILSVRC12_ResNet50_PGD_adversarial_dataset_v1.0.tfrecords"
_PACKED = pathlib.Path(__file__).parent / "dummy_data" / f"{_FILENAME}.gz"


class ImagenetAdversarialTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.ImagenetAdversarial
    SPLITS = {"adversarial": 2}
    DL_DOWNLOAD_RESULT = _FILENAME

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._tmp = tempfile.mkdtemp()
        with gzip.open(_PACKED, "rb") as src, open(f"{cls._tmp}/{_FILENAME}", "wb") as dst:
            shutil.copyfileobj(src, dst)
        # An absolute path overrides the dummy_data/ prefix TFDS puts in front of relative ones.
        cls.DL_DOWNLOAD_RESULT = f"{cls._tmp}/{_FILENAME}"

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls._tmp)
        super().tearDownClass()

    def _assertAsDataset(self, builder):  # noqa: N802 - TFDS hook name
        super()._assertAsDataset(builder)
        examples = list(tfds.as_numpy(builder.as_dataset(split="adversarial")))
        self.assertEqual(sorted(int(ex["label"]) for ex in examples), [7, 981])
        for ex in examples:
            # make.py perturbs every pixel by exactly +-2: a wrong byte order or cast would break this.
            diff = ex["images"]["adversarial"].astype(np.int16) - ex["images"]["clean"].astype(np.int16)
            self.assertEqual(set(np.unique(np.abs(diff))), {2})

    def test_wrong_image_size_is_rejected(self):
        example = tf.train.Example()
        example.features.feature["height"].int64_list.value.append(32)
        example.features.feature["width"].int64_list.value.append(32)
        with self.assertRaisesRegex(ValueError, "rec 0: image is 32x32, expected 224x224"):
            builder_module.parse_record(example.SerializeToString(), "rec 0")


if __name__ == "__main__":
    tfds.testing.test_main()
