"""Offline tests of the resisc45_split builder on dummy data (one image per class and split)."""

import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import tensorflow_datasets as tfds
from etils import epath

from . import resisc45_split as builder_module

_DL_RESULT = {s: f"resisc45_{s}" for s in ("train", "validation", "test")}


class Resisc45SplitTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.Resisc45Split
    SPLITS = {"train": 45, "validation": 45, "test": 45}
    DL_EXTRACT_RESULT = _DL_RESULT

    def test_each_split_reads_its_own_archive(self):
        dummy = self.dummy_data
        dl_manager = mock.Mock(
            download_and_extract=mock.Mock(return_value={k: dummy / v for k, v in _DL_RESULT.items()})
        )
        generators = self.builder._split_generators(dl_manager)
        for split, number in (("train", "001"), ("validation", "501"), ("test", "601")):
            examples = dict(generators[split])
            self.assertEqual(
                {ex["filename"] for ex in examples.values()},
                {f"{label}_{number}.jpg" for label in builder_module._LABELS},
            )
            self.assertIn(f"{split}/lake/lake_{number}.jpg", examples)
            self.assertEqual(examples[f"{split}/lake/lake_{number}.jpg"]["label"], "lake")


class ListSplitFilesTest(unittest.TestCase):
    """The completeness rules of `list_split_files`, on throw-away folders."""

    def _split_dir(self, labels: list[str], with_files: bool = True) -> epath.Path:
        tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        for label in labels:
            (tmp / "test" / label).mkdir(parents=True)
            if with_files:
                (tmp / "test" / label / f"{label}_601.jpg").write_bytes(b"")
        return epath.Path(tmp) / "test"

    def test_all_classes_listed_in_label_order(self):
        items = builder_module.list_split_files(self._split_dir(builder_module._LABELS), "test")
        self.assertEqual([label for label, _ in items], builder_module._LABELS)

    def test_missing_class_folder_is_an_error(self):
        labels = [x for x in builder_module._LABELS if x != "wetland"]
        with self.assertRaisesRegex(ValueError, r"test/wetland is missing from resisc45_test.tar.gz"):
            builder_module.list_split_files(self._split_dir(labels), "test")

    def test_unknown_class_folder_is_an_error(self):
        with self.assertRaisesRegex(ValueError, r"unknown class folder\(s\) \['volcano'\]"):
            builder_module.list_split_files(self._split_dir([*builder_module._LABELS, "volcano"]), "test")

    def test_empty_class_folder_is_an_error(self):
        with self.assertRaisesRegex(ValueError, r"test/airplane in resisc45_test.tar.gz holds no .jpg"):
            builder_module.list_split_files(self._split_dir(builder_module._LABELS, with_files=False), "test")

    def test_missing_split_folder_is_an_error(self):
        with self.assertRaisesRegex(ValueError, r"Folder test/ is missing from resisc45_test.tar.gz"):
            builder_module.list_split_files(epath.Path(tempfile.gettempdir()) / "no-such-dir" / "test", "test")


if __name__ == "__main__":
    tfds.testing.test_main()
