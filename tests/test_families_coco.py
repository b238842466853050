"""Tests for the COCO-style reading in dsbuild.families.coco, .apricot and .dapricot (and minicoco)."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image
from tensorflow_datasets.core import example_parser, example_serializer

from dsbuild.families import apricot, coco, dapricot


def _write_json(path: pathlib.Path, data: object) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


# --- generic COCO reading -----------------------------------------------------------------------


def test_load_coco_json_reads_object(tmp_path: pathlib.Path) -> None:
    path = _write_json(tmp_path / "a.json", {"images": []})
    assert coco.load_coco_json(path, "x.tar.gz") == {"images": []}


def test_load_coco_json_missing_names_file_and_archive(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nothere\.json.*'x\.tar\.gz'"):
        coco.load_coco_json(tmp_path / "nothere.json", "x.tar.gz")


@pytest.mark.parametrize(("text", "message"), [("{oops", "not valid JSON"), ("[1, 2]", "JSON object")])
def test_load_coco_json_rejects_bad_content(tmp_path: pathlib.Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"bad\.json.*{message}"):
        coco.load_coco_json(path, "x.zip")


def test_coco_select_keys_keeps_exactly_the_declared_keys() -> None:
    record = {"id": 1, "file_name": "a.jpg", "height": 2, "width": 3, "license": 4, "coco_url": "u"}
    assert coco.coco_select_keys(record, ("file_name", "height", "width", "id"), "f.json") == {
        "file_name": "a.jpg",
        "height": 2,
        "width": 3,
        "id": 1,
    }


def test_coco_select_keys_missing_key_names_where_and_key() -> None:
    with pytest.raises(ValueError, match=r"f\.json images\[0\].*\['height'\]"):
        coco.coco_records({"images": [{"id": 1, "file_name": "a", "width": 3}]}, "images", ("id", "height"), "f.json")


def test_coco_records_keeps_file_order_and_needs_the_section() -> None:
    data = {"categories": [{"id": 7, "name": "b", "x": 0}, {"id": 3, "name": "a"}]}
    assert coco.coco_records(data, "categories", ("id", "name"), "f") == [
        {"id": 7, "name": "b"},
        {"id": 3, "name": "a"},
    ]
    with pytest.raises(ValueError, match=r"f: no 'images' list"):
        coco.coco_records(data, "images", ("id",), "f")


def test_coco_annotations_by_image_groups_and_sorts_by_id() -> None:
    anns = [{"id": 5, "image_id": 1}, {"id": 2, "image_id": 2}, {"id": 1, "image_id": 1}]
    grouped = coco.coco_annotations_by_image(anns, "f")
    assert {k: [a["id"] for a in v] for k, v in grouped.items()} == {1: [1, 5], 2: [2]}
    with pytest.raises(ValueError, match=r"annotations\[0\].*\['image_id'\]"):
        coco.coco_annotations_by_image([{"id": 1}], "f")


def test_coco_object_converts_box_area_and_crowd() -> None:
    ann = {"id": 3, "image_id": 1, "area": 12.9, "bbox": [4, 2, 8, 4], "category_id": 1, "iscrowd": 1, "seg": []}
    obj = coco.coco_object(ann, height=8, width=16, where="f.json: image 'a.jpg'")
    assert set(obj) == {"id", "image_id", "area", "boxes", "is_crowd"}
    assert (obj["id"], obj["image_id"], obj["area"], obj["is_crowd"]) == (3, 1, 12, True)
    np.testing.assert_allclose(list(obj["boxes"]), [0.25, 0.25, 0.75, 0.75])


def test_coco_object_outside_image_names_the_file() -> None:
    ann = {"id": 3, "image_id": 1, "area": 1, "bbox": [20, 0, 2, 2], "category_id": 1, "iscrowd": 0}
    with pytest.raises(ValueError, match=r"image 'a\.jpg'.*entirely outside"):
        coco.coco_object(ann, height=8, width=16, where="f.json: image 'a.jpg'")


@pytest.mark.parametrize(("category_id", "ok"), [(0, True), (80, True), (81, False), (-1, False)])
def test_coco_label_range(category_id: int, ok: bool) -> None:
    if ok:
        assert coco.coco_label(category_id, 81, "w") == category_id
    else:
        with pytest.raises(ValueError, match=rf"w: category_id {category_id} is outside the 81"):
            coco.coco_label(category_id, 81, "w")


# --- APRICOT --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patch_id", "model"), [(0, "frcnn"), (19, "frcnn"), (20, "retinanet"), (39, "retinanet"), (40, "ssd"), (59, "ssd")]
)
def test_apricot_patch_model(patch_id: int, model: str) -> None:
    assert apricot.apricot_patch_model(patch_id, "w") == model


@pytest.mark.parametrize("patch_id", [-1, 60])
def test_apricot_patch_model_rejects_unknown_patch(patch_id: int) -> None:
    with pytest.raises(ValueError, match=rf"w: patch_id {patch_id} is not one of the 60"):
        apricot.apricot_patch_model(patch_id, "w")


def test_apricot_features_label_size() -> None:
    assert apricot.apricot_features(81)["objects"]["labels"].num_classes == 81
    assert apricot.apricot_features(91)["objects"]["labels"].num_classes == 91


def _apricot_tree(root: pathlib.Path, annotations: list[dict]) -> None:
    _write_json(
        root / "APRICOT" / "Annotations" / "apricot_dev_all_annotations.json",
        {
            "images": [{"id": 1, "file_name": "a.jpg", "height": 4, "width": 4, "extra": 0}],
            "categories": [{"id": 12, "name": "patch", "supercategory": "patch"}],
            "models": [{"classifier": "c", "id": 0, "model": "frcnn", "url": "u"}],
            "patches": [
                {"adv_model": 0, "adv_target": 1, "id": 0, "is_circle": True, "is_square": False, "name": "frc1"}
            ],
            "annotations": annotations,
        },
    )
    (root / "APRICOT" / "Images" / "dev").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(root / "APRICOT" / "Images" / "dev" / "a.jpg")


def _ann(ann_id: int, patch_id: int) -> dict:
    return {
        "id": ann_id,
        "image_id": 1,
        "area": 4,
        "bbox": [0, 0, 2, 2],
        "category_id": 12,
        "iscrowd": 0,
        "patch_id": patch_id,
    }


def test_apricot_split_is_the_first_patch_by_annotation_id(tmp_path: pathlib.Path) -> None:
    # In file order the ssd patch (45) comes first, but annotation 2 (frcnn patch 10) has the lower id.
    _apricot_tree(tmp_path, [_ann(9, 45), _ann(2, 10)])
    got = dict(apricot.apricot_examples(tmp_path, "dev", "frcnn", num_classes=81, archive="a.tar.gz"))
    assert list(got) == [1]
    assert [o["id"] for o in got[1]["objects"]] == [2, 9]
    assert got[1]["images"] == [{"file_name": "a.jpg", "height": 4, "width": 4, "id": 1}]
    assert list(apricot.apricot_examples(tmp_path, "dev", "ssd", num_classes=81, archive="a.tar.gz")) == []


def test_apricot_image_without_patch_is_an_error(tmp_path: pathlib.Path) -> None:
    _apricot_tree(tmp_path, [_ann(1, -1)])
    with pytest.raises(ValueError, match=r"image 'a\.jpg' has no annotation with a patch_id"):
        list(apricot.apricot_examples(tmp_path, "dev", "frcnn", num_classes=81, archive="a.tar.gz"))


# --- D-APRICOT ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("scene_1_camera_1_stp_50_dist5.JPG", (1, 1, "octagon", "50", "large")),
        ("scene_14_camera_3_PXG_h100_dist10.JPG", (14, 3, "diamond", "h100", "medium")),
        ("scene_02_camera_2_spd_30_DIST15.jpg", (2, 2, "rect", "30", "small")),
    ],
)
def test_dapricot_parse_file_name(name: str, expected: tuple) -> None:
    got = dapricot.dapricot_parse_file_name(name)
    assert (got["scene"], got["camera"], got["shape"], got["height"], got["split"]) == expected


@pytest.mark.parametrize(
    "name",
    [
        "scene_1_camera_1_xyz_50_dist5.JPG",  # unknown shape
        "scene_1_camera_1_stp_50_dist20.JPG",  # unknown distance
        "scene_1_camera_1_stp_dist5.JPG",  # no height
        "scene_1_camera_1_stp_50_dist5.png",  # not a JPEG
    ],
)
def test_dapricot_parse_file_name_rejects(name: str) -> None:
    with pytest.raises(ValueError, match="not a D-APRICOT file name"):
        dapricot.dapricot_parse_file_name(name)


def test_dapricot_green_screen_uses_first_segmented_annotation() -> None:
    anns = [{"id": 1, "segmentation": []}, {"id": 2, "segmentation": [[0.4, 1.6, 2.5, 3.5, 4, 5]]}]
    assert dapricot._dapricot_green_screen(anns, "w") == [[0, 2], [2, 4], [4, 5]]


@pytest.mark.parametrize(
    ("seg", "message"),
    [
        (None, "no annotation with a segmentation"),
        ([[0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2]], "exactly one polygon"),
        ([[0, 0, 1, 1, 2]], "even number"),
    ],
)
def test_dapricot_green_screen_errors(seg: list | None, message: str) -> None:
    with pytest.raises(ValueError, match=rf"img\.JPG: .*{message}"):
        dapricot._dapricot_green_screen([{"id": 1, "segmentation": seg}], "img.JPG")


def test_dapricot_features_round_trip_through_tf_example() -> None:
    """The nested variable-length fields must read back (a length-3 outer Sequence would not: TFDS #2243)."""
    features = dapricot.dapricot_features()
    camera_objects = [
        [
            {
                "id": 1,
                "image_id": 1,
                "area": 4,
                "boxes": tfds.features.BBox(0.0, 0.0, 0.5, 0.5),
                "labels": 12,
                "is_crowd": False,
            }
        ],
        [],
        [
            {
                "id": 2,
                "image_id": 2,
                "area": 4,
                "boxes": tfds.features.BBox(0.0, 0.0, 0.5, 0.5),
                "labels": 26,
                "is_crowd": False,
            },
            {
                "id": 3,
                "image_id": 2,
                "area": 1,
                "boxes": tfds.features.BBox(0.5, 0.5, 1.0, 1.0),
                "labels": 29,
                "is_crowd": True,
            },
        ],
    ]
    example = {
        "image": [np.zeros((4, 3, 3), np.uint8)] * 3,
        "images": [{"file_name": f"c{c}.JPG", "height": 4, "width": 3, "id": c} for c in (1, 2, 3)],
        "categories": [
            [{"id": 12, "name": "octagon"}],
            [],
            [{"id": 26, "name": "diamond"}, {"id": 29, "name": "rect"}],
        ],
        "objects": camera_objects,
        "patch_metadata": [
            {
                "gs_coords": [*[[0, 0], [1, 0], [1, 1]][: 3 - c], [2, 2]],
                "cc_ground_truth": np.ones((24, 3), np.float32),
                "cc_scene": np.full((24, 3), c, np.float32),
                "shape": "octagon",
            }
            for c in range(3)
        ],
    }
    specs = features.get_serialized_info()
    serialized = example_serializer.ExampleSerializer(specs).serialize_example(features.encode_example(example))
    decoded = features.decode_example(example_parser.ExampleParser(specs).parse_example(tf.constant(serialized)))
    assert decoded["objects"]["labels"].to_list() == [[12], [], [26, 29]]
    assert decoded["categories"]["name"].to_list() == [[b"octagon"], [], [b"diamond", b"rect"]]
    assert decoded["patch_metadata"]["gs_coords"].to_list() == [
        [[0, 0], [1, 0], [1, 1], [2, 2]],
        [[0, 0], [1, 0], [2, 2]],
        [[0, 0], [2, 2]],
    ]
    assert decoded["patch_metadata"]["cc_scene"].shape == (3, 24, 3)
    assert decoded["image"].shape == (3, 4, 3, 3)
