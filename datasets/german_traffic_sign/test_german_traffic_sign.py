"""Offline tests of the german_traffic_sign builder on dummy GTSRB data."""

import io
import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import numpy as np
import tensorflow_datasets as tfds
from etils import epath
from PIL import Image

from . import german_traffic_sign as builder_module


class GermanTrafficSignTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.GermanTrafficSign
    SPLITS = {"train": 44, "test": 2}

    def _examples(self, split: str) -> dict[str, dict]:
        dl_manager = mock.Mock(download_and_extract=mock.Mock(return_value=self.dummy_data))
        return dict(self.builder._split_generators(dl_manager)[split])

    def test_test_split_uses_csv_under_gtsrb_and_class_column(self):
        examples = self._examples("test")
        self.assertEqual(sorted(examples), ["Final_Test/Images/00000.bmp", "Final_Test/Images/00001.bmp"])
        self.assertEqual([examples[k]["label"] for k in sorted(examples)], [14, 42])

    def test_images_are_bmp_with_the_ppm_pixels(self):
        ex = self._examples("train")["Final_Training/Images/00007/00000_00000.bmp"]
        self.assertEqual(ex["filename"], "00000_00000.bmp")
        self.assertEqual(ex["label"], 7)
        self.assertEqual(ex["image"][:2], b"BM")
        ppm = self.dummy_data / "GTSRB/Final_Training/Images/00007/00000_00000.ppm"
        np.testing.assert_array_equal(
            np.asarray(Image.open(io.BytesIO(ex["image"]))), np.asarray(Image.open(io.BytesIO(ppm.read_bytes())))
        )


class MissingFilesTest(unittest.TestCase):
    """A missing CSV or image is a ValueError naming it, never a partial split."""

    def setUp(self):
        tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        shutil.copytree(Path(__file__).parent / "dummy_data" / "GTSRB", tmp / "GTSRB")
        self.gtsrb = epath.Path(tmp) / "GTSRB"

    def test_missing_class_csv(self):
        (self.gtsrb / "Final_Training/Images/00042/GT-00042.csv").unlink()
        with self.assertRaisesRegex(ValueError, r"GTSRB/Final_Training/Images/00042/GT-00042.csv in german_"):
            builder_module.read_csv_rows(self.gtsrb / "Final_Training/Images/00042/GT-00042.csv", self.gtsrb)

    def test_missing_image(self):
        with self.assertRaisesRegex(ValueError, r"Image GTSRB/Final_Test/Images/00009.ppm listed in a CSV"):
            builder_module.ppm_to_bmp(self.gtsrb / "Final_Test/Images/00009.ppm", self.gtsrb)

    def test_short_row(self):
        (self.gtsrb / "GT-final_test.csv").write_text("Filename;ClassId\n00000.ppm;3\n")
        with self.assertRaisesRegex(ValueError, r"GT-final_test.csv in .*line 2: expected 8"):
            builder_module.read_csv_rows(self.gtsrb / "GT-final_test.csv", self.gtsrb)

    def test_crlf_csv(self):
        (self.gtsrb / "GT-final_test.csv").write_bytes(b"h;h;h;h;h;h;h;h\r\n00000.ppm;8;6;1;1;7;5;14\r\n")
        rows = builder_module.read_csv_rows(self.gtsrb / "GT-final_test.csv", self.gtsrb)
        self.assertEqual(rows, [("00000.ppm", 14)])


if __name__ == "__main__":
    tfds.testing.test_main()
