"""Tests for dsbuild.families.boxes and .carla (box conversion, CARLA patch metadata, kwcoco reading)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dsbuild.families import boxes, carla, files


@pytest.mark.parametrize(
    ("box", "fmt", "expected"),
    [
        # whole image, both formats
        ([0, 0, 40, 20], "xywh", (0.0, 0.0, 1.0, 1.0)),
        ([0, 0, 40, 20], "xyxy", (0.0, 0.0, 1.0, 1.0)),
        # ordinary box: x=10 y=5 w=20 h=10 -> [ymin, xmin, ymax, xmax]
        ([10, 5, 20, 10], "xywh", (0.25, 0.25, 0.75, 0.75)),
        ([10, 5, 30, 15], "xyxy", (0.25, 0.25, 0.75, 0.75)),
        # partly outside: clipped to [0, 1]
        ([-10, -5, 30, 15], "xywh", (0.0, 0.0, 0.5, 0.5)),
        ([30, 10, 50, 30], "xyxy", (0.5, 0.75, 1.0, 1.0)),
        # degenerate (zero-size) box on the border is kept
        ([40, 20, 0, 0], "xywh", (1.0, 1.0, 1.0, 1.0)),
    ],
)
def test_to_tfds_bbox_table(box: list[float], fmt: boxes.BoxFormat, expected: tuple[float, ...]) -> None:
    got = boxes.to_tfds_bbox(box, height=20, width=40, box_format=fmt, file_name="a.png")
    assert tuple(got) == pytest.approx(expected)
    assert all(type(v) is float for v in got)  # BBoxFeature rejects ints


@pytest.mark.parametrize(
    ("box", "fmt", "message"),
    [
        (
            [41, 0, 5, 5],
            "xywh",
            "img_7.png: bounding box [41, 0, 5, 5] (xywh) lies entirely outside the 40x20 image",
        ),
        ([-9, 0, -1, 5], "xyxy", "lies entirely outside"),
        ([0, 21, 5, 30], "xyxy", "lies entirely outside"),
        ([10, 10, 5, 12], "xyxy", "img_7.png: bounding box [10, 10, 5, 12] (xyxy) has negative size"),
        ([0, 0, -3, 4], "xywh", "has negative size"),
        ([0, 0, 1], "xywh", "does not have 4 numbers"),
        ([0, 0, float("nan"), 1], "xywh", "is not finite"),
    ],
)
def test_to_tfds_bbox_errors_name_the_file(box: list[float], fmt: boxes.BoxFormat, message: str) -> None:
    with pytest.raises(ValueError, match=r"img_7\.png") as exc:
        boxes.to_tfds_bbox(box, height=20, width=40, box_format=fmt, file_name="img_7.png")
    assert message in str(exc.value)


def test_to_tfds_bbox_rejects_unknown_format_and_bad_size() -> None:
    with pytest.raises(ValueError, match="unknown box format"):
        boxes.to_tfds_bbox([0, 0, 1, 1], height=2, width=2, box_format="yxyx", file_name="f")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="f: image size 0x2"):
        boxes.to_tfds_bbox([0, 0, 1, 1], height=2, width=0, box_format="xywh", file_name="f")


def test_require_file_names_file_and_archive(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.json: file missing from source archive 'src.tar.gz'"):
        files.require_file(tmp_path / "nope.json", "src.tar.gz")
    (tmp_path / "yes").write_text("x")
    assert files.require_file(tmp_path / "yes", "a").name == "yes"


def test_carla_stem() -> None:
    assert carla.carla_stem("_out/rgb/000123.png") == "000123"
    assert carla.carla_stem("1_abc.depth.png") == "1_abc"


def test_load_carla_patch_metadata(tmp_path) -> None:
    np.save(tmp_path / "s_coords.npy", np.array([[1, 2], [3, 2], [3, 4], [1, 4]], dtype=np.int64))
    np.save(tmp_path / "s_avg_depth.npy", np.array(7.5, dtype=np.float32))
    (tmp_path / "m.png").write_bytes(b"png")
    meta = carla.load_carla_patch_metadata(tmp_path, "s", tmp_path / "m.png", archive="a.tgz")
    assert meta["gs_coords"].dtype == np.int32 and meta["gs_coords"].shape == (4, 2)
    assert meta["avg_patch_depth"].dtype == np.float64 and meta["avg_patch_depth"] == 7.5
    assert "max_depth_perturb_meters" not in meta
    meta = carla.load_carla_patch_metadata(
        tmp_path, "s", tmp_path / "m.png", archive="a.tgz", max_depth_perturb_meters=0.03
    )
    assert meta["max_depth_perturb_meters"] == np.float64(0.03)


def test_load_carla_patch_metadata_errors(tmp_path) -> None:
    np.save(tmp_path / "s_coords.npy", np.zeros((3, 2), dtype=np.int32))
    np.save(tmp_path / "s_avg_depth.npy", np.array(1.0))
    (tmp_path / "m.png").write_bytes(b"png")
    with pytest.raises(ValueError, match=r"s_coords.npy: expected shape \(4, 2\)"):
        carla.load_carla_patch_metadata(tmp_path, "s", tmp_path / "m.png", archive="a.tgz")
    np.save(tmp_path / "s_coords.npy", np.zeros((4, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="cannot be read as int32"):
        carla.load_carla_patch_metadata(tmp_path, "s", tmp_path / "m.png", archive="a.tgz")
    with pytest.raises(FileNotFoundError, match=r"t_coords.npy: file missing from source archive 'a.tgz'"):
        carla.load_carla_patch_metadata(tmp_path, "t", tmp_path / "m.png", archive="a.tgz")


def test_carla_features_have_declared_dtypes() -> None:
    feats = carla.carla_od_features(3, patch_metadata=carla.carla_patch_metadata_feature(with_max_depth=True))
    pm = feats["patch_metadata"]
    assert pm["gs_coords"].shape == (4, 2) and pm["gs_coords"].np_dtype == np.int32
    assert pm["avg_patch_depth"].np_dtype == np.float64
    assert pm["mask"].shape == carla.CARLA_IMAGE_SHAPE
    assert feats["objects"]["labels"].num_classes == 3
    assert "patch_metadata" not in carla.carla_od_features(5)


def _kwcoco(tmp_path, image_extra: dict, bbox: list[float]):
    data = {
        "images": [
            {"id": 2, "file_name": "B.png", "height": 10, "width": 10, **image_extra},
            {"id": 1, "file_name": "a.png", "height": 10, "width": 10, **image_extra},
        ],
        "annotations": [
            {"id": 9, "image_id": 1, "area": 4.0, "bbox": bbox, "category_id": 2, "iscrowd": 0},
            {"id": 3, "image_id": 1, "area": 4, "bbox": bbox, "category_id": 1, "iscrowd": 1},
        ],
        "categories": [{"id": 1, "name": "pedestrian", "supercategory": "none"}],
    }
    path = tmp_path / "k.json"
    path.write_text(json.dumps(data))
    return path


def test_read_carla_kwcoco_sorts_and_drops(tmp_path) -> None:
    path = _kwcoco(tmp_path, {"license": 1, "video_id": 0}, [2, 2, 4, 4])
    cats, examples = carla.read_carla_kwcoco(
        path,
        archive="a",
        box_format="xyxy",
        required_drop=["video_id"],
        optional_drop=["license", "coco_url"],
    )
    assert cats == [{"id": 1, "name": "pedestrian", "supercategory": "none"}]
    assert [info["file_name"] for info, _ in examples] == ["a.png", "B.png"]  # case-insensitive sort
    info, objects = examples[0]
    assert set(info) == set(carla.CARLA_IMAGE_KEYS)
    assert [o["id"] for o in objects] == [3, 9]
    assert [o["is_crowd"] for o in objects] == [True, False]
    assert tuple(objects[0]["boxes"]) == pytest.approx((0.2, 0.2, 0.4, 0.4))
    assert examples[1][1] == []


def test_read_carla_kwcoco_key_errors(tmp_path) -> None:
    path = _kwcoco(tmp_path, {"license": 1}, [0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"image 'a.png' lacks the keys \['video_id'\]"):
        carla.read_carla_kwcoco(path, archive="a", box_format="xywh", required_drop=["video_id"])
    with pytest.raises(ValueError, match=r"image 'a\.png' has keys"):
        carla.read_carla_kwcoco(path, archive="a", box_format="xywh")
    path = _kwcoco(tmp_path, {}, [20, 0, 1, 1])
    with pytest.raises(ValueError, match=r"k\.json \(image a\.png, annotation 3\): bounding box .* outside"):
        carla.read_carla_kwcoco(path, archive="a", box_format="xywh")
