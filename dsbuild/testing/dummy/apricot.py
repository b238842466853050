"""Dummy source data of the APRICOT and D-APRICOT builders (apricot_dev/test, dapricot_dev/test).

Each folder's `dummy_data/make.py` calls `apricot_files` or `dapricot_files` with its own partition
parameters. Everything is tiny and deterministic.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
from PIL import Image


def jpeg(rng: np.random.Generator, height: int, width: int, **save_args: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(buf, format="JPEG", **save_args)
    return buf.getvalue()


# ---- APRICOT: APRICOT/Annotations/apricot_<partition>_all_annotations.json, APRICOT/Images/<partition>/

APRICOT_WIDTH, APRICOT_HEIGHT = 16, 12
APRICOT_MODELS = [
    ("frcnn", "resnet50", "faster_rcnn_resnet50_coco_2018_01_28"),
    ("retinanet", "resnet50", "ssd_resnet50_v1_fpn_shared_box_predictor_640x640_coco14_sync_2018_07_03"),
    ("ssd", "mobilenetv1", "ssd_mobilenet_v1_coco_2018_01_28"),
]
APRICOT_TARGETS = [52, 26, 43, 16, 84, 72, 77, 0, 63, 32]


def apricot_patches() -> list[dict]:
    """The 60 APRICOT patches: id = 20*adv_model + 10*is_square + (k-1)."""
    out = []
    for model in range(3):
        for square in (False, True):
            for k in range(1, 11):
                prefix = ("fr", "rr", "sm")[model]
                out.append(
                    {
                        "adv_model": model,
                        "adv_target": APRICOT_TARGETS[k - 1],
                        "id": 20 * model + 10 * square + k - 1,
                        "is_circle": not square,
                        "is_square": square,
                        "name": f"{prefix}{'s' if square else 'c'}{k}",
                    }
                )
    return out


def apricot_annotations(max_category: int) -> dict:
    """The annotation JSON; annotation 5 has category `max_category`, the largest the ClassLabel accepts."""
    images = [
        {"id": i, "file_name": f"img_{i:04d}.jpg", "height": APRICOT_HEIGHT, "width": APRICOT_WIDTH}
        for i in (1, 2, 3, 4)
    ]
    anns = [
        # id, image_id, category_id, bbox, extra optional keys
        (1, 1, 12, [2, 2, 6, 5], {"patch_id": 3, "is_warped": True, "angle": [0, 1, 2]}),
        (2, 1, 1, [0, 0, 16, 12], {}),
        (3, 2, 12, [4, 3, 5, 5], {"patch_id": 25, "is_warped": False, "angle": [2, 2, 0]}),
        (4, 3, 12, [10, 8, 10, 10], {"patch_id": 57}),
        (5, 3, max_category, [1.5, 1, 3, 2.5], {"patch_id": -1}),
        (6, 4, 12, [3, 3, 4, 4], {"patch_id": 10}),
        (7, 4, 12, [8, 6, 4, 4], {"patch_id": 45}),
    ]
    return {
        "info": {"description": "dummy APRICOT", "version": "1.1"},
        "images": images,
        "categories": [
            {"id": 1, "name": "person", "supercategory": "person"},
            {"id": 3, "name": "car", "supercategory": "vehicle"},
            {"id": 12, "name": "adversarial patch", "supercategory": "adversarial patch"},
            {"id": 80, "name": "toaster", "supercategory": "appliance"},
            {"id": 90, "name": "toothbrush", "supercategory": "indoor"},
        ],
        "models": [
            {
                "classifier": c,
                "id": i,
                "model": m,
                "url": f"http://download.tensorflow.org/models/object_detection/{u}.tar.gz",
            }
            for i, (m, c, u) in enumerate(APRICOT_MODELS)
        ],
        "patches": apricot_patches(),
        "annotations": [
            {
                "id": a,
                "image_id": im,
                "area": round(b[2] * b[3]),
                "bbox": b,
                "category_id": cat,
                "iscrowd": 0,
                **extra,
            }
            for a, im, cat, b, extra in anns
        ],
    }


def apricot_files(partition: str, max_category: int) -> dict[str, bytes]:
    """Archive-relative path -> content of apricot_<partition>.tar.gz."""
    rng = np.random.default_rng(0)
    data = apricot_annotations(max_category)
    out = {f"APRICOT/Annotations/apricot_{partition}_all_annotations.json": json.dumps(data, indent=1).encode()}
    for img in data["images"]:
        out[f"APRICOT/Images/{partition}/{img['file_name']}"] = jpeg(rng, APRICOT_HEIGHT, APRICOT_WIDTH, quality=90)
    return out


# ---- D-APRICOT: <partition>/annotations/*.json|*.csv, <partition>/scene_<SS>/camera_<C>/*.JPG

DAPRICOT_HEIGHT, DAPRICOT_WIDTH = 16, 12
DAPRICOT_CATEGORY = {"stp": 12, "pxg": 26, "spd": 29}
DAPRICOT_POLYGON = {  # green-screen outline (x, y) in pixels
    "stp": [3.4, 2, 7, 2, 9, 4, 9, 7.5, 7, 10, 3.6, 10, 2, 7.5, 2, 4],
    "pxg": [6, 2, 10, 6, 6, 10, 2, 6],
    "spd": [2, 3, 10, 3, 10, 9, 2, 9],
}


def _csv(rng: np.random.Generator) -> bytes:
    rows = rng.uniform(0, 255, (24, 3))
    return "".join(",".join(f"{v:.4f}" for v in row) + "\n" for row in rows).encode()


def _dapricot_labels(
    partition: str, scenes: dict, odd_scene: str, scene: str, camera: int, rng: np.random.Generator, out: dict
) -> dict:
    images, anns = [], []
    for i, (shape, height, dist) in enumerate(scenes[scene], start=1):
        name = f"scene_{int(scene)}_camera_{camera}_{shape}_{height}_{dist}.JPG"
        out[f"{partition}/scene_{scene}/camera_{camera}/{name}"] = jpeg(rng, DAPRICOT_HEIGHT, DAPRICOT_WIDTH)
        image_id = 100 * int(scene) + i
        images.append({"id": image_id, "file_name": name, "height": DAPRICOT_HEIGHT, "width": DAPRICOT_WIDTH})
        poly = DAPRICOT_POLYGON[shape.lower()]
        xs, ys = poly[0::2], poly[1::2]
        bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        ann = {"image_id": image_id, "category_id": DAPRICOT_CATEGORY[shape.lower()], "iscrowd": 0}
        if scene == odd_scene and camera == 3:
            anns.append({**ann, "id": 10 * image_id, "area": 9, "bbox": [9, 13, 6, 6], "segmentation": []})
        anns.append(
            {**ann, "id": 10 * image_id + 1, "area": round(bbox[2] * bbox[3]), "bbox": bbox, "segmentation": [poly]}
        )
    return {
        "images": images,
        "categories": [{"id": 12, "name": "octagon"}, {"id": 26, "name": "diamond"}, {"id": 29, "name": "rect"}],
        "annotations": anns,
    }


def dapricot_files(partition: str, scenes: dict[str, list[tuple[str, str, str]]], odd_scene: str) -> dict[str, bytes]:
    """Archive-relative path -> content of dapricot_<partition>.tar.gz.

    `scenes`: scene -> [(shape token, height token, distance token)] of its photos (same for the 3
    cameras). Camera 3 of `odd_scene` gets an unsegmented annotation with an out-of-image box first.
    """
    rng = np.random.default_rng(0)
    out = {f"{partition}/annotations/xrite_passport_colors_sRGB-GMB-2005.csv": _csv(rng)}
    for scene in scenes:
        for camera in (1, 2, 3):
            labels = _dapricot_labels(partition, scenes, odd_scene, scene, camera, rng, out)
            out[f"{partition}/annotations/labels_scene_{scene}_camera_{camera}.json"] = json.dumps(labels).encode()
            out[f"{partition}/annotations/scene_{scene}_camera_{camera}_CC_values.csv"] = _csv(rng)
    return out
