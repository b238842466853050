"""Offline build of carla_obj_det_dev from dummy_data (a fake extracted source archive)."""

from __future__ import annotations

import json
import pathlib
import shutil
import tempfile
import unittest

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from . import carla_obj_det_dev as builder_module

_TREE = "carla_od_dev_2.0.0"
_SPLIT = "dev"
_JSON = "_out/kwcoco_annotations_without_patch_and_sans_tiny_objects.json"


class CarlaObjDetDevTest(tfds.testing.DatasetBuilderTestCase):
    """Builds the dev split (2 images) from the dummy tree."""

    DATASET_CLASS = builder_module.CarlaObjDetDev
    SPLITS = {_SPLIT: 2}
    DL_EXTRACT_RESULT = _TREE

    def test_example_content(self) -> None:
        """[x1,y1,x2,y2] boxes, clipping, depth/mask/patch files found by base name, dtypes."""
        examples = list(self.builder._generate_examples(self.dummy_data / _TREE / _SPLIT))
        self.assertEqual([k for k, _ in examples], [0, 1])  # enumeration index
        first = examples[0][1]
        # town10_00100 sorts before Town10_00200 (case-insensitive)
        self.assertEqual(
            [str(p.relative_to(self.dummy_data / _TREE / _SPLIT)) for p in first["image"]],
            ["_out/sensor.camera.rgb.2/town10_00100.png", "_out/sensor.camera.depth.2/town10_00100.png"],
        )
        self.assertEqual(
            [i["file_name"] for i in first["images"]],
            ["_out/sensor.camera.rgb.2/town10_00100.png", "_out/sensor.camera.depth.2/town10_00100.png"],
        )
        self.assertEqual(set(first["images"][0]), {"id", "file_name", "height", "width"})
        self.assertEqual([o["id"] for o in first["objects"]], [4, 5])  # sorted by annotation id
        np.testing.assert_allclose(
            [tuple(o["boxes"]) for o in first["objects"]],
            [(400 / 960, 1040 / 1280, 640 / 960, 1.0), (80 / 960, 160 / 1280, 200 / 960, 320 / 1280)],
        )
        self.assertEqual([o["is_crowd"] for o in first["objects"]], [True, False])
        meta = first["patch_metadata"]
        self.assertEqual(meta["gs_coords"].dtype, np.int32)
        np.testing.assert_array_equal(meta["gs_coords"][0], [400, 300])
        self.assertEqual(meta["avg_patch_depth"], 12.5)
        self.assertEqual(meta["mask"].name, "town10_00100.png")
        self.assertEqual(meta["mask"].parent.name, "foreground_mask")
        self.assertNotIn("max_depth_perturb_meters", meta)
        self.builder.info.features.encode_example(first)  # types/dtypes accepted by the features


class CarlaObjDetDevErrorsTest(unittest.TestCase):
    """Clear errors instead of a partial dataset."""

    def setUp(self) -> None:
        tmp = pathlib.Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        self.split_dir = tmp / "src" / _SPLIT
        shutil.copytree(builder_module.CarlaObjDetDev.code_path.parent / "dummy_data" / _TREE / _SPLIT, self.split_dir)
        self.builder = builder_module.CarlaObjDetDev(data_dir=tmp / "data")

    def _generate(self) -> list:
        return list(self.builder._generate_examples(epath.Path(self.split_dir)))

    def _edit_json(self, edit) -> None:
        path = self.split_dir / _JSON
        data = json.loads(path.read_text())
        edit(data)
        path.write_text(json.dumps(data))

    def test_copy_builds(self) -> None:
        self.assertEqual(len(self._generate()), 2)

    def test_missing_avg_depth_names_file_and_archive(self) -> None:
        (self.split_dir / "_out/patch_metadata/Town10_00200_avg_depth.npy").unlink()
        with self.assertRaisesRegex(
            FileNotFoundError, r"Town10_00200_avg_depth\.npy: file missing from source archive 'carla_od_dev_2\.0\.0"
        ):
            self._generate()

    def test_missing_mask_names_file(self) -> None:
        (self.split_dir / "_out/foreground_mask/town10_00100.png").unlink()
        with self.assertRaisesRegex(FileNotFoundError, r"foreground_mask/town10_00100\.png: file missing"):
            self._generate()

    def test_popped_image_key_must_exist(self) -> None:
        self._edit_json(lambda d: d["images"][0].pop("frame_index"))
        with self.assertRaisesRegex(ValueError, r"lacks the keys \['frame_index'\]"):
            self._generate()

    def test_box_outside_image_names_file(self) -> None:
        self._edit_json(lambda d: d["annotations"][0].update(bbox=[1300, 10, 1400, 20]))
        with self.assertRaisesRegex(ValueError, r"sans_tiny_objects\.json \(image .*entirely outside the 1280x960"):
            self._generate()


if __name__ == "__main__":
    tfds.testing.test_main()
