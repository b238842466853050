"""Offline tests of the resisc10_poison builder on dummy data (one image per class and split)."""

import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import tensorflow_datasets as tfds
from etils import epath

from . import resisc10_poison as builder_module


class Resisc10PoisonTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.Resisc10Poison
    SPLITS = {"train": 10, "validation": 10, "test": 10}

    def test_validation_split_reads_val_folder(self):
        dl_manager = mock.Mock(download_and_extract=mock.Mock(return_value=self.dummy_data))
        examples = dict(self.builder._split_generators(dl_manager)["validation"])
        self.assertEqual(len(examples), 10)
        self.assertTrue(all(key.startswith("val/") and key.endswith("_501.jpg") for key in examples))
        self.assertEqual(examples["val/ship/ship_501.jpg"]["label"], "ship")


class ListSplitFilesTest(unittest.TestCase):
    """The completeness rules of `list_split_files`, on throw-away folders."""

    def _split_dir(self, labels: list[str], with_files: bool = True) -> epath.Path:
        tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        for label in labels:
            (tmp / "val" / label).mkdir(parents=True)
            if with_files:
                (tmp / "val" / label / f"{label}_501.jpg").write_bytes(b"")
        return epath.Path(tmp) / "val"

    def test_missing_class_folder_is_an_error(self):
        labels = builder_module._LABELS[:-1]
        with self.assertRaisesRegex(
            ValueError, r"data_original/val/thermal_power_station is missing from resisc_poison_256x256"
        ):
            builder_module.list_split_files(self._split_dir(labels))

    def test_unknown_class_folder_is_an_error(self):
        with self.assertRaisesRegex(ValueError, r"unknown class folder\(s\) \['lake'\]"):
            builder_module.list_split_files(self._split_dir([*builder_module._LABELS, "lake"]))

    def test_empty_class_folder_is_an_error(self):
        with self.assertRaisesRegex(ValueError, r"data_original/val/airplane in .* holds no .jpg"):
            builder_module.list_split_files(self._split_dir(builder_module._LABELS, with_files=False))

    def test_missing_split_folder_is_an_error(self):
        with self.assertRaisesRegex(ValueError, r"Folder data_original/val/ is missing"):
            builder_module.list_split_files(epath.Path(tempfile.gettempdir()) / "no-such-dir" / "val")


if __name__ == "__main__":
    tfds.testing.test_main()
