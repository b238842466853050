"""Checks shared by the CARLA builder folders' tests (mixins for their TestCase classes)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from etils import epath


class TrainValChecks:
    """For a DatasetBuilderTestCase of carla_obj_det_train / carla_over_obj_det_train (dummy tree TREE)."""

    TREE: str

    def train_examples(self) -> list:
        """Checks the first train example (sorting, pairing, boxes, dropped keys) and returns all."""
        examples = list(self.builder._generate_examples(self.dummy_data / self.TREE / "train"))
        self.assertEqual([k for k, _ in examples], [1, 2])  # running integer from 1
        first = examples[0][1]
        # a_000100 sorts before B_000200 (case-insensitive); RGB and depth share the file name
        self.assertEqual(
            [p.parent.name + "/" + p.name for p in first["image"]], ["rgb/a_000100.png", "depth/a_000100.png"]
        )
        self.assertEqual(first["images"], [{"id": 3, "file_name": "a_000100.png", "height": 960, "width": 1280}] * 2)
        self.assertEqual([o["id"] for o in first["objects"]], [11, 12])  # sorted by annotation id
        np.testing.assert_allclose(
            [tuple(o["boxes"]) for o in first["objects"]],
            [(10 / 24, 26 / 32, 16 / 24, 1.0), (2 / 24, 4 / 32, 7 / 24, 12 / 32)],  # first one clipped
        )
        self.assertEqual([o["area"] for o in first["objects"]], [60, 40])
        self.assertEqual([o["is_crowd"] for o in first["objects"]], [False, False])
        self.builder.info.features.encode_example(first)  # types/dtypes accepted by the features
        return examples


class TrainValErrorChecks:
    """For a unittest.TestCase of a train/val builder (BUILDER; ARCHIVE_RE: its archive name, escaped)."""

    BUILDER: type
    ARCHIVE_RE: str

    def _generate(self, files: dict[str, object]) -> list:
        tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        split_dir = tmp / "src" / "train"
        for name, content in files.items():
            (split_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (split_dir / name).write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
        builder = self.BUILDER(data_dir=tmp / "data")
        return list(builder._generate_examples(epath.Path(split_dir)))

    @staticmethod
    def _annotations(bbox: list[float]) -> dict[str, object]:
        return {
            "images": [{"id": 1, "file_name": "x.png", "height": 960, "width": 1280}],
            "annotations": [{"id": 1, "image_id": 1, "area": 1, "bbox": bbox, "category_id": 1}],
            "categories": [{"id": 1, "name": "p", "supercategory": "p"}],
        }

    def test_missing_annotation_file(self) -> None:
        with self.assertRaisesRegex(FileNotFoundError, r"train/kwcoco_annotations\.json: file missing"):
            self._generate({})

    def test_missing_depth_image_names_file_and_archive(self) -> None:
        with self.assertRaisesRegex(
            FileNotFoundError, rf"depth/x\.png: file missing from source archive '{self.ARCHIVE_RE}"
        ):
            self._generate({"kwcoco_annotations.json": self._annotations([1, 1, 2, 2]), "rgb/x.png": b"x"})

    def test_box_outside_image_names_file(self) -> None:
        with self.assertRaisesRegex(ValueError, r"kwcoco_annotations\.json \(image x\.png.*entirely outside"):
            self._generate({"kwcoco_annotations.json": self._annotations([1300, 1, 2, 2])})


STREET_JSON = "_out/kwcoco_annotations_without_patch_and_sans_tiny_objects.json"


class StreetGreenScreenChecks:
    """For a DatasetBuilderTestCase of carla_obj_det_dev/test (dummy tree TREE, split SPLIT)."""

    TREE: str
    SPLIT: str

    def test_example_content(self) -> None:
        """[x1,y1,x2,y2] boxes, clipping, depth/mask/patch files found by base name, dtypes."""
        split_dir = self.dummy_data / self.TREE / self.SPLIT
        examples = list(self.builder._generate_examples(split_dir))
        self.assertEqual([k for k, _ in examples], [0, 1])  # enumeration index
        first = examples[0][1]
        # town10_00100 sorts before Town10_00200 (case-insensitive)
        self.assertEqual(
            [str(p.relative_to(split_dir)) for p in first["image"]],
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


class StreetGreenScreenErrorChecks:
    """For a unittest.TestCase of carla_obj_det_dev/test (BUILDER, TREE, SPLIT; ARCHIVE_RE escaped)."""

    BUILDER: type
    TREE: str
    SPLIT: str
    ARCHIVE_RE: str

    def setUp(self) -> None:
        tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        self.split_dir = tmp / "src" / self.SPLIT
        shutil.copytree(self.BUILDER.code_path.parent / "dummy_data" / self.TREE / self.SPLIT, self.split_dir)
        self.builder = self.BUILDER(data_dir=tmp / "data")

    def _generate(self) -> list:
        return list(self.builder._generate_examples(epath.Path(self.split_dir)))

    def _edit_json(self, edit) -> None:
        path = self.split_dir / STREET_JSON
        data = json.loads(path.read_text())
        edit(data)
        path.write_text(json.dumps(data))

    def test_copy_builds(self) -> None:
        self.assertEqual(len(self._generate()), 2)

    def test_missing_avg_depth_names_file_and_archive(self) -> None:
        (self.split_dir / "_out/patch_metadata/Town10_00200_avg_depth.npy").unlink()
        with self.assertRaisesRegex(
            FileNotFoundError, rf"Town10_00200_avg_depth\.npy: file missing from source archive '{self.ARCHIVE_RE}"
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


class VideoExamples:
    """For a tracking DatasetBuilderTestCase: `_examples(split_dir)` runs the builder's generator."""

    def _examples(self, split_dir: epath.Path) -> list:
        return list(self.DATASET_CLASS(data_dir=self.tmp_dir)._generate_examples(split_dir))
