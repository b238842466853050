"""Offline build of dapricot_dev from dummy_data/ (see dummy_data/make.py for what each scene exercises)."""

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.testing.checks.copied import CopiedDummyData

from . import dapricot_dev as builder_module

DUMMY = epath.Path(__file__).parent / "dummy_data" / "dapricot_dev"


class DapricotDevTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.DapricotDev
    SPLITS = {"large": 2, "medium": 1, "small": 1}
    DL_EXTRACT_RESULT = "dapricot_dev"


class DapricotDevRulesTest(CopiedDummyData, tfds.testing.TestCase):
    """Rules from the facts, checked on the generated examples and on broken copies of the dummy data."""

    DUMMY = DUMMY
    BUILDER = builder_module.DapricotDev

    def setUp(self):
        super().setUp()
        self.ann_dir = self.root / "dev" / "annotations"

    def _edit(self, scene: str, camera: int, fn) -> None:
        self.edit_json(self.ann_dir / f"labels_scene_{scene}_camera_{camera}.json", fn)

    def test_keys_count_all_scenes_before_split_filter(self):
        # Numbered from 1 as armory's builder does (TFDS stores examples in key-hash order).
        # Scene 01 sorted: spd..dist15 (key 1), stp..dist5 (key 2); scene 06 key 3; scene 14 key 4.
        self.assertEqual(sorted(self.examples("large")), [2, 4])
        self.assertEqual(sorted(self.examples("medium")), [3])
        self.assertEqual(sorted(self.examples("small")), [1])

    def test_example_fields(self):
        ex = self.examples("large")[4]
        self.assertEqual(
            [i["file_name"] for i in ex["images"]], [f"scene_14_camera_{c}_STP_100_dist5.JPG" for c in (1, 2, 3)]
        )
        meta = ex["patch_metadata"]
        self.assertEqual([m["shape"] for m in meta], ["octagon"] * 3)
        # Rounded polygon vertices (round half to even, as Python's round()).
        self.assertEqual(meta[0]["gs_coords"][:2], [[3, 2], [7, 2]])
        self.assertEqual(meta[0]["cc_scene"].shape, (24, 3))
        self.assertEqual(meta[0]["cc_scene"].dtype, np.float32)
        np.testing.assert_array_equal(meta[0]["cc_ground_truth"], meta[2]["cc_ground_truth"])
        self.assertFalse(np.array_equal(meta[0]["cc_scene"], meta[1]["cc_scene"]))
        # Camera 3: the first annotation has no segmentation; it is still an object, its box clipped.
        unsegmented, screen = ex["objects"][2]
        np.testing.assert_allclose(list(unsegmented["boxes"]), [13 / 16, 9 / 12, 1.0, 1.0])
        self.assertEqual(screen["labels"], 12)
        self.assertEqual(
            ex["categories"][0],
            [{"id": 12, "name": "octagon"}, {"id": 26, "name": "diamond"}, {"id": 29, "name": "rect"}],
        )

    def test_image_without_segmentation_is_an_error(self):
        self._edit("06", 2, lambda d: d["annotations"][0].update(segmentation=[]))
        with self.assertRaisesRegex(
            ValueError, r"scene_6_camera_2_pxg_50_dist10\.JPG.*no annotation with a segmentation"
        ):
            self.examples("medium")

    def test_two_polygons_is_an_error(self):
        def two(d):
            seg = d["annotations"][0]["segmentation"]
            seg.append(seg[0])

        self._edit("06", 1, two)
        with self.assertRaisesRegex(ValueError, r"scene_6_camera_1_pxg_50_dist10\.JPG.*exactly one polygon"):
            self.examples("medium")

    def test_bad_file_name_is_an_error(self):
        self._edit("06", 1, lambda d: d["images"][0].update(file_name="scene_6_camera_1_xxx_50_dist10.JPG"))
        with self.assertRaisesRegex(ValueError, r"scene_6_camera_1_xxx_50_dist10\.JPG.*not a D-APRICOT file name"):
            self.examples("medium")

    def test_cameras_must_match(self):
        self._edit("06", 3, lambda d: d["images"][0].update(file_name="scene_6_camera_3_pxg_60_dist10.JPG"))
        with self.assertRaisesRegex(ValueError, r"camera 3 image 'scene_6_camera_3_pxg_60_dist10\.JPG' does not match"):
            self.examples("medium")

    def test_missing_scene_names_file_and_archive(self):
        (self.ann_dir / "scene_14_camera_2_CC_values.csv").unlink()
        with self.assertRaisesRegex(FileNotFoundError, r"scene_14_camera_2_CC_values\.csv.*dapricot_dev\.tar\.gz"):
            self.examples("large")


if __name__ == "__main__":
    tfds.testing.test_main()
