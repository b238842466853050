"""Offline tests of the ARMORY resisc45 builder on dummy data (3 images per class)."""

import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import tensorflow_datasets as tfds
from etils import epath

# Our builder has the same name as TFDS's own `resisc45`; do not register it over TFDS's.
with tfds.core.registered.skip_registration():
    from . import resisc45 as builder_module

_TINY_SPLITS = (("train", 1), ("validation", 1), ("test", 1))


class Resisc45Test(tfds.testing.DatasetBuilderTestCase):
    """Builds all splits; the per-class split sizes are shrunk from 500/100/100 to 1/1/1."""

    DATASET_CLASS = builder_module.Resisc45
    SPLITS = {"train": 45, "validation": 45, "test": 45}

    def setUp(self):
        # The dummy tree holds <label>_001..003.jpg per class instead of 700 images.
        patcher = mock.patch.object(builder_module.Resisc45, "SPLIT_SIZES", _TINY_SPLITS)
        patcher.start()
        self.addCleanup(patcher.stop)
        super().setUp()

    def test_registered(self):
        """ARMORY's builder shadows TFDS's own `resisc45`, so it is deliberately not registered.

        Instead check that the name still resolves to TFDS's builder and ours keeps the same name.
        """
        self.assertEqual(builder_module.Resisc45.name, "resisc45")
        self.assertIsNot(tfds.builder_cls("resisc45"), builder_module.Resisc45)

    def test_splits_take_consecutive_files(self):
        dl_manager = mock.Mock(download_and_extract=mock.Mock(return_value=self.dummy_data))
        generators = self.builder._split_generators(dl_manager)
        for split, number in (("train", "001"), ("validation", "002"), ("test", "003")):
            names = {ex["filename"] for _, ex in generators[split]}
            self.assertEqual(names, {f"{label}_{number}.jpg" for label in builder_module._LABELS})


class SplitClassFilesTest(unittest.TestCase):
    """The naming and count rules of `split_class_files`, on throw-away folders."""

    def _root(self, names: list[str]) -> epath.Path:
        tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        (tmp / "lake").mkdir()
        for name in names:
            (tmp / "lake" / name).write_bytes(b"")
        return epath.Path(tmp)

    def test_contiguous_names_are_split_in_order(self):
        root = self._root(["lake_003.jpg", "lake_001.jpg", "lake_002.jpg", "lake_004.jpg"])
        got = builder_module.split_class_files(root, "lake", (("train", 2), ("validation", 1), ("test", 1)))
        self.assertEqual(
            {k: [p.name for p in v] for k, v in got.items()},
            {
                "train": ["lake_001.jpg", "lake_002.jpg"],
                "validation": ["lake_003.jpg"],
                "test": ["lake_004.jpg"],
            },
        )

    def test_gap_in_numbering_is_an_error(self):
        root = self._root(["lake_001.jpg", "lake_002.jpg", "lake_004.jpg"])
        with self.assertRaisesRegex(ValueError, r"'lake_004.jpg', expected 'lake_003.jpg'"):
            builder_module.split_class_files(root, "lake", _TINY_SPLITS)

    def test_wrong_count_is_an_error(self):
        root = self._root(["lake_001.jpg", "lake_002.jpg"])
        with self.assertRaisesRegex(ValueError, r"NWPU-RESISC45/lake in NWPU-RESISC45.tar.gz holds 2 .jpg"):
            builder_module.split_class_files(root, "lake", _TINY_SPLITS)

    def test_missing_class_folder_is_an_error(self):
        root = self._root([])
        with self.assertRaisesRegex(ValueError, r"NWPU-RESISC45/river is missing from NWPU-RESISC45.tar.gz"):
            builder_module.split_class_files(root, "river", _TINY_SPLITS)

    def test_real_split_sizes(self):
        self.assertEqual(builder_module.Resisc45.SPLIT_SIZES, (("train", 500), ("validation", 100), ("test", 100)))


if __name__ == "__main__":
    tfds.testing.test_main()
