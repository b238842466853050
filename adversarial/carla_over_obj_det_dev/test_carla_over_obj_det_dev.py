"""Offline builds of carla_over_obj_det_dev 2.0.1 (the class's VERSION, the default) and 1.0.0 from dummy_data."""

from __future__ import annotations

import pathlib
import shutil
import tempfile
import unittest

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.build.older_version import generate_as

from . import carla_over_obj_det_dev as builder_module

_TREE = "carla_over_od_dev"  # one fake tree stands for both versions' archives (same layout)
_SPLIT = "dev"


def _download_urls_of(builder: tfds.core.DatasetBuilder) -> set[str]:
    """URLs the builder's _split_generators asks for (its generators are lazy: nothing is read)."""
    urls: set[str] = set()

    class _Recorder:
        def download_and_extract(self, url: str) -> str:
            urls.add(url)
            return "/nonexistent"

    builder._split_generators(_Recorder())
    return urls


class CarlaOverObjDetDevTest(tfds.testing.DatasetBuilderTestCase):
    """Version 1.0.0 (armory tfdsv4): no max_depth_perturb_meters. Older than VERSION, so TFDS generates it
    only as the child of `build.py -ds carla_over_obj_det_dev:1.0.0` does: made the class's VERSION."""

    DATASET_CLASS = builder_module.CarlaOverObjDetDev
    VERSION = "1.0.0"
    SPLITS = {_SPLIT: 2}
    DL_EXTRACT_RESULT = _TREE

    @classmethod
    def setUpClass(cls) -> None:
        as_older = generate_as(builder_module.CarlaOverObjDetDev, "1.0.0")
        as_older.__enter__()
        cls.addClassCleanup(as_older.__exit__, None, None, None)
        super().setUpClass()

    def test_older_version_reads_its_archive(self) -> None:
        self.assertEqual(str(self.builder.version), "1.0.0")
        self.assertNotIn("max_depth_perturb_meters", self.builder.info.features["patch_metadata"])
        self.assertEqual(_download_urls_of(self.builder), {builder_module._URLS["1.0.0"]})

    def test_example_content(self) -> None:
        """[x,y,w,h] boxes, clipping, rgb/depth/mask/patch files by file_name, depth entry name."""
        examples = list(self.builder._generate_examples(self.dummy_data / _TREE / _SPLIT, "a.tar.gz"))
        self.assertEqual([k for k, _ in examples], [0, 1])
        first = examples[0][1]
        self.assertEqual(
            [f"{p.parent.name}/{p.name}" for p in first["image"]], ["rgb/1_000017.png", "depth/1_000017.png"]
        )
        self.assertEqual([i["file_name"] for i in first["images"]], ["1_000017.png", "depth/1_000017.png"])
        self.assertEqual([o["id"] for o in first["objects"]], [4, 5])
        np.testing.assert_allclose(
            [tuple(o["boxes"]) for o in first["objects"]],
            [(400 / 960, 1040 / 1280, 640 / 960, 1.0), (80 / 960, 160 / 1280, 200 / 960, 320 / 1280)],
        )
        self.assertEqual([o["is_crowd"] for o in first["objects"]], [True, False])
        self.assertEqual(len(first["categories"]), 2)
        meta = first["patch_metadata"]
        self.assertEqual(meta["gs_coords"].dtype, np.int32)
        self.assertEqual(meta["avg_patch_depth"].dtype, np.float64)
        self.assertEqual(f"{meta['mask'].parent.name}/{meta['mask'].name}", "foreground_mask/1_000017.png")
        self.assertNotIn("max_depth_perturb_meters", meta)
        self.builder.info.features.encode_example(first)


class CarlaOverObjDetDev201Test(tfds.testing.DatasetBuilderTestCase):
    """Version 2.0.1 (the class's VERSION, armory-testbed's): adds max_depth_perturb_meters, reads the 2.0.1 archive."""

    DATASET_CLASS = builder_module.CarlaOverObjDetDev
    SPLITS = {_SPLIT: 2}
    DL_EXTRACT_RESULT = _TREE

    def test_max_depth_perturb_meters(self) -> None:
        """3.0 m for file names starting with '1', 0.03 m otherwise."""
        self.assertEqual(str(self.builder.version), "2.0.1")
        self.assertEqual(_download_urls_of(self.builder), {builder_module._URLS["2.0.1"]})
        examples = dict(self.builder._generate_examples(self.dummy_data / _TREE / _SPLIT, "a.tar.gz"))
        got = {
            ex["images"][0]["file_name"]: ex["patch_metadata"]["max_depth_perturb_meters"] for ex in examples.values()
        }
        self.assertEqual(got, {"1_000017.png": 3.0, "3_000042.png": 0.03})
        self.assertEqual(type(got["1_000017.png"]), np.float64)
        self.builder.info.features.encode_example(examples[0])


class CarlaOverObjDetDevErrorsTest(unittest.TestCase):
    """Clear errors instead of a partial dataset."""

    def setUp(self) -> None:
        tmp = pathlib.Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        self.split_dir = tmp / "src" / _SPLIT
        shutil.copytree(
            builder_module.CarlaOverObjDetDev.code_path.parent / "dummy_data" / _TREE / _SPLIT, self.split_dir
        )
        self.builder = builder_module.CarlaOverObjDetDev(data_dir=tmp / "data")

    def test_missing_coords_names_file_and_archive(self) -> None:
        (self.split_dir / "patch_metadata/3_000042_coords.npy").unlink()
        with self.assertRaisesRegex(
            FileNotFoundError, r"3_000042_coords\.npy: file missing from source archive 'carla_over_od_dev_1\.0\.0"
        ):
            list(self.builder._generate_examples(epath.Path(self.split_dir), "carla_over_od_dev_1.0.0.tar.gz"))

    def test_wrong_coords_shape(self) -> None:
        np.save(self.split_dir / "patch_metadata/1_000017_coords.npy", np.zeros((2, 4), dtype=np.int32))
        with self.assertRaisesRegex(ValueError, r"1_000017_coords\.npy: expected shape \(4, 2\)"):
            list(self.builder._generate_examples(epath.Path(self.split_dir), "a.tar.gz"))


if __name__ == "__main__":
    tfds.testing.test_main()
