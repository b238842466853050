"""Offline build of carla_over_obj_det_test (two attack-goal splits) from dummy_data."""

from __future__ import annotations

import pathlib
import shutil
import tempfile
import unittest

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from . import carla_over_obj_det_test as builder_module

_TREE = "carla_over_od_test_2.0.0"


class CarlaOverObjDetTestTest(tfds.testing.DatasetBuilderTestCase):
    """Builds test_hallucination (2 images) and test_disappearance (1 image)."""

    DATASET_CLASS = builder_module.CarlaOverObjDetTest
    SPLITS = {"test_hallucination": 2, "test_disappearance": 1}
    DL_EXTRACT_RESULT = _TREE

    def test_max_depth_per_split(self) -> None:
        """3.0 m for hallucination, 0.03 m for disappearance, read from test/<goal>/."""
        gens = self.builder._split_generators(_FakeDl(self.dummy_data / _TREE))
        got = {
            split: [(ex["images"][0]["file_name"], ex["patch_metadata"]["max_depth_perturb_meters"]) for _, ex in gen]
            for split, gen in gens.items()
        }
        self.assertEqual(
            got,
            {
                "test_hallucination": [("h_000017.png", 3.0), ("h_000042.png", 3.0)],
                "test_disappearance": [("d_000017.png", 0.03)],
            },
        )

    def test_example_content(self) -> None:
        """[x,y,w,h] boxes with clipping; depth entry name; patch dtypes; encodes."""
        ((_, first), _) = self.builder._generate_examples(self.dummy_data / _TREE / "test" / "hallucination", 3.0)
        self.assertEqual([i["file_name"] for i in first["images"]], ["h_000017.png", "depth/h_000017.png"])
        np.testing.assert_allclose(
            [tuple(o["boxes"]) for o in first["objects"]],
            [(400 / 960, 1040 / 1280, 640 / 960, 1.0), (80 / 960, 160 / 1280, 200 / 960, 320 / 1280)],
        )
        meta = first["patch_metadata"]
        self.assertEqual((meta["gs_coords"].dtype, meta["avg_patch_depth"].dtype), (np.int32, np.float64))
        self.assertEqual(type(meta["max_depth_perturb_meters"]), np.float64)
        self.builder.info.features.encode_example(first)


class _FakeDl:
    """Stands in for the download manager: the archive 'extracts' to a fixed directory."""

    def __init__(self, root: epath.Path) -> None:
        self.root = root
        self.urls: list[str] = []

    def download_and_extract(self, url: str) -> epath.Path:
        self.urls.append(url)
        return self.root


class CarlaOverObjDetTestErrorsTest(unittest.TestCase):
    """Clear errors instead of a partial dataset."""

    def setUp(self) -> None:
        tmp = pathlib.Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        self.root = tmp / "src"
        shutil.copytree(builder_module.CarlaOverObjDetTest.code_path.parent / "dummy_data" / _TREE, self.root)
        self.builder = builder_module.CarlaOverObjDetTest(data_dir=tmp / "data")

    def test_reads_the_real_url(self) -> None:
        dl = _FakeDl(epath.Path(self.root))
        self.builder._split_generators(dl)
        self.assertEqual(dl.urls, [builder_module._URL])

    def test_missing_goal_folder_names_file_and_archive(self) -> None:
        shutil.rmtree(self.root / "test" / "disappearance")
        gens = self.builder._split_generators(_FakeDl(epath.Path(self.root)))
        with self.assertRaisesRegex(
            FileNotFoundError,
            r"disappearance/kwcoco_annotations\.json: file missing from source archive 'carla_over_od_test_2\.0\.0",
        ):
            list(gens["test_disappearance"])

    def test_missing_depth_names_file(self) -> None:
        (self.root / "test/hallucination/depth/h_000042.png").unlink()
        gens = self.builder._split_generators(_FakeDl(epath.Path(self.root)))
        with self.assertRaisesRegex(FileNotFoundError, r"hallucination/depth/h_000042\.png: file missing"):
            list(gens["test_hallucination"])


if __name__ == "__main__":
    tfds.testing.test_main()
