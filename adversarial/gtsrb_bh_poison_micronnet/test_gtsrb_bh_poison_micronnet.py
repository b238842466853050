"""Offline test of gtsrb_bh_poison_micronnet built from dummy_data/."""

import tempfile

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from . import gtsrb_bh_poison_micronnet as builder_module


class GtsrbBhPoisonMicronnetTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.GtsrbBhPoisonMicronnet
    SPLITS = {"poison": 2, "poison_test": 1}
    DL_DOWNLOAD_RESULT = {
        "poison": "gtsrb_poisoned_images_entire_class.npy",
        "poison_test": "gtsrb_poisoned_test_images.npy",
    }

    def _assertAsDataset(self, builder):  # noqa: N802 - TFDS hook name
        super()._assertAsDataset(builder)
        # Values pass through unchanged (no rescaling, see the module docstring) and every label is 2.
        with tf.io.gfile.GFile(self.dummy_data / "gtsrb_poisoned_images_entire_class.npy", "rb") as f:
            source = np.load(f)
        examples = list(tfds.as_numpy(builder.as_dataset(split="poison")))
        got = np.stack([ex["image"] for ex in sorted(examples, key=lambda ex: ex["image"].sum())])
        want = np.stack(sorted(source, key=lambda im: im.sum()))
        np.testing.assert_array_equal(got, want)
        self.assertEqual({int(ex["label"]) for ex in examples}, {2})

    def test_wrong_dtype_is_rejected(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = f"{tmp}/bad.npy"
            with tf.io.gfile.GFile(path, "wb") as f:
                np.save(f, np.zeros((1, 48, 48, 3), dtype=np.float64))
            with self.assertRaisesRegex(ValueError, "bad.npy: expected a float32"):
                builder_module.load_poison_array(path)


if __name__ == "__main__":
    tfds.testing.test_main()
