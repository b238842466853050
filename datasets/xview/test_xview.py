"""Offline tests of the xview builder on dummy TFRecords."""

import unittest
from unittest import mock

import tensorflow as tf
import tensorflow_datasets as tfds

from . import xview as builder_module


def _serialized(feature: dict) -> bytes:
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


class XviewTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.Xview
    SPLITS = {"train": 2, "test": 1}

    def _examples(self, split: str) -> dict[int, dict]:
        dl_manager = mock.Mock(download_and_extract=mock.Mock(return_value=self.dummy_data))
        return dict(self.builder._split_generators(dl_manager)[split])

    def test_objects_are_mapped_reordered_and_clipped(self):
        train = self._examples("train")
        self.assertEqual(sorted(train), [0, 1])
        objects = train[0]["objects"]
        self.assertEqual([o["labels"] for o in objects], [1, 62, 49])  # xView ids 11, 94, 73
        self.assertEqual([o["id"] for o in objects], [0, 1, 2])
        self.assertEqual({o["image_id"] for o in objects}, {0})
        self.assertFalse(any(o["is_crowd"] for o in objects))
        for got, want in zip(objects[0]["boxes"], (0.2, 0.1, 0.6, 0.5), strict=True):  # [ymin, xmin, ymax, xmax]
            self.assertAlmostEqual(got, want, places=6)
        self.assertEqual(objects[1]["boxes"].xmax, 1.0)  # stored 1.02, clipped
        # area = int(8 * (0.5 - 0.1) * 8 * (0.6 - 0.2)) on the stored float32 values
        self.assertEqual(objects[0]["area"], 10)
        self.assertEqual(train[1]["objects"], [])
        self.assertEqual(train[0]["image"][:2], b"\xff\xd8")  # JPEG bytes stored unchanged

    def test_object_ids_restart_per_split(self):
        (test_example,) = self._examples("test").values()
        (obj,) = test_example["objects"]
        self.assertEqual((obj["id"], obj["image_id"], obj["labels"]), (0, 0, 6))  # xView id 18


class RecordRulesTest(unittest.TestCase):
    """Errors name the record; out-of-image boxes and unknown ids never reach TFDS."""

    _CHIP = {"height": 300, "width": 200}

    def test_box_entirely_outside_is_an_error(self):
        with self.assertRaisesRegex(ValueError, r"xview_train_t1.record, record 4.*entirely outside"):
            builder_module.make_object((1.1, 0.2, 1.3, 0.4), 11, self._CHIP, "xview_train_t1.record, record 4")

    def test_unknown_class_id_is_an_error(self):
        with self.assertRaisesRegex(ValueError, r"record 2: unknown xView class id 10"):
            builder_module.make_object((0.1, 0.1, 0.2, 0.2), 10, self._CHIP, "x.record, record 2")

    def test_area_uses_chip_size(self):
        obj = builder_module.make_object((0.0, 0.0, 0.5, 0.5), 94, self._CHIP, "x")
        self.assertEqual((obj["area"], obj["labels"]), (int(200 * 0.5 * 300 * 0.5), 62))

    def test_mismatched_lists_are_an_error(self):
        def floats(values):
            return tf.train.Feature(float_list=tf.train.FloatList(value=values))

        raw = _serialized(
            {
                "image/height": tf.train.Feature(int64_list=tf.train.Int64List(value=[8])),
                "image/width": tf.train.Feature(int64_list=tf.train.Int64List(value=[8])),
                "image/encoded": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"x"])),
                "image/object/bbox/xmin": floats([0.1, 0.2]),
                "image/object/bbox/ymin": floats([0.1]),
                "image/object/bbox/xmax": floats([0.3]),
                "image/object/bbox/ymax": floats([0.3]),
                "image/object/class/label": tf.train.Feature(int64_list=tf.train.Int64List(value=[11])),
            }
        )
        with self.assertRaisesRegex(ValueError, r"r.record, record 0: 1 labels but .* \[2, 1, 1, 1\]"):
            builder_module.parse_record(raw, "r.record, record 0")

    def test_missing_key_is_an_error(self):
        raw = _serialized({"image/height": tf.train.Feature(int64_list=tf.train.Int64List(value=[8]))})
        with self.assertRaisesRegex(ValueError, r"missing feature\(s\) \['image/width'"):
            builder_module.parse_record(raw, "r.record, record 0")


if __name__ == "__main__":
    tfds.testing.test_main()
