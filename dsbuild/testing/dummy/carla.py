"""Dummy CARLA source data for the builder folders' dummy_data/make.py scripts.

Object detection (carla_obj_det_train, carla_over_obj_det_train), green screen (carla_obj_det_dev/test,
carla_over_obj_det_dev/test), single-object video tracking (carla_video_tracking_dev/test) and
multi-object tracking (carla_mot_dev/test). Each `*_files` function returns {relative path: bytes} of
the extracted archive. All output is deterministic.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

H, W = 960, 1280  # full size: the features have fixed shapes

# ---------------------------------------------------------------------------
# Encoders
# ---------------------------------------------------------------------------


def png_image(img: Image.Image) -> bytes:
    """An optimised PNG (the object-detection sets)."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def png_array(array: np.ndarray) -> bytes:
    """A plain PNG of a uint8 array (the tracking sets)."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


# ---------------------------------------------------------------------------
# Object detection and green screen (kwcoco JSON + RGB/depth PNGs)
# ---------------------------------------------------------------------------

CATEGORIES = [
    {"id": 1, "name": "pedestrian", "supercategory": "pedestrian"},
    {"id": 2, "name": "vehicle", "supercategory": "vehicle"},
    {"id": 3, "name": "trafficlight", "supercategory": "trafficlight"},
]


def scene(rng: np.random.Generator, box: tuple[int, int, int, int] | None = None) -> Image.Image:
    """Flat random colour with one rectangle (random colour, or white on black for a mask)."""
    if box is not None:
        img = Image.new("RGB", (W, H), (0, 0, 0))
        ImageDraw.Draw(img).rectangle(box, fill=(255, 255, 255))
        return img
    img = Image.new("RGB", (W, H), tuple(int(c) for c in rng.integers(0, 256, 3)))
    x, y = int(rng.integers(0, W - 200)), int(rng.integers(0, H - 200))
    ImageDraw.Draw(img).rectangle([x, y, x + 199, y + 199], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return img


def kwcoco(images: list[dict], annotations: list[dict], num_categories: int) -> bytes:
    return json.dumps(
        {"images": images, "annotations": annotations, "categories": CATEGORIES[:num_categories]}, indent=1
    ).encode()


def train_val_files(num_categories: int, image_b_keys: dict[str, Any], val_keys: dict[str, Any]) -> dict[str, bytes]:
    """carla_obj_det_train / carla_over_obj_det_train: <split>/kwcoco_annotations.json, rgb/<f>, depth/<f>.

    `image_b_keys` and `val_keys` are extra images[] keys (the builder drops them); the last annotation
    uses the last category.
    """
    base = {"height": H, "width": W}
    train_images = [  # listed unsorted: the builder sorts by file_name, case-insensitively
        {"id": 7, "file_name": "B_000200.png", **base, "license": 0, **image_b_keys},
        {"id": 3, "file_name": "a_000100.png", **base, "coco_url": "", "flickr_url": ""},
    ]
    train_ann = [
        {"id": 12, "image_id": 3, "area": 40, "bbox": [160, 80, 320, 200], "category_id": 1},
        # partly outside the image: clipped to xmax=1
        {"id": 11, "image_id": 3, "area": 60.0, "bbox": [1040, 400, 400, 240], "category_id": 2},
        {"id": 13, "image_id": 7, "area": 9, "bbox": [0, 0, 120, 120], "category_id": num_categories},
    ]
    val_images = [{"id": 1, "file_name": "c_000300.png", **base, **val_keys}]
    val_ann = [{"id": 1, "image_id": 1, "area": 24, "bbox": [320, 480, 240, 160], "category_id": 2}]
    files = {}
    for seed, (split, images, anns) in enumerate((("train", train_images, train_ann), ("val", val_images, val_ann))):
        rng = np.random.default_rng(seed)
        files[f"{split}/kwcoco_annotations.json"] = kwcoco(images, anns, num_categories)
        for img in images:
            files[f"{split}/rgb/{img['file_name']}"] = png_image(scene(rng))
            files[f"{split}/depth/{img['file_name']}"] = png_image(scene(rng))
    return files


def _green_screen_files(
    rng: np.random.Generator,
    images: list[dict],
    annotation_path: str,
    annotation_json: bytes,
    *,
    rgb_dir: str,
    out: str,
    depth_dir: str,
) -> dict[str, bytes]:
    """Annotations plus, per image in id order, `<rgb_dir>/<file_name>`, `<out>/<depth_dir>/<base>`,
    `<out>/foreground_mask/<base>` and `<out>/patch_metadata/<stem>_coords.npy` / `_avg_depth.npy`."""
    files = {annotation_path: annotation_json}
    for k, img in enumerate(sorted(images, key=lambda im: im["id"])):
        base = img["file_name"].rsplit("/", 1)[-1]
        stem = base.split(".", 1)[0]
        x, y = 400 + 100 * k, 300
        corners = np.array([[x, y], [x + 299, y], [x + 299, y + 199], [x, y + 199]], dtype=np.int32)
        files[f"{rgb_dir}/{img['file_name']}"] = png_image(scene(rng))
        files[f"{out}/{depth_dir}/{base}"] = png_image(scene(rng))
        files[f"{out}/foreground_mask/{base}"] = png_image(scene(rng, (x, y, x + 299, y + 199)))
        files[f"{out}/patch_metadata/{stem}_coords.npy"] = npy(corners)
        files[f"{out}/patch_metadata/{stem}_avg_depth.npy"] = npy(np.array(12.5 + k, dtype=np.float64))
    return files


def street_green_screen_files(split: str, seed: int) -> dict[str, bytes]:
    """carla_obj_det_dev/test: <split>/_out/kwcoco_annotations_without_patch_and_sans_tiny_objects.json,
    RGB at <split>/<file_name> (_out/sensor.camera.rgb.2/<base>), _out/sensor.camera.depth.2/<base>, ..."""
    # Keys armory's builder pops without a default: every images[] entry must have them.
    extra = {"date_captured": "", "license": 0, "coco_url": "", "flickr_url": "", "video_id": 1}
    images = [  # listed unsorted: the builder sorts by file_name, case-insensitively
        {"id": 2, "file_name": "_out/sensor.camera.rgb.2/Town10_00200.png", "height": H, "width": W},
        {"id": 1, "file_name": "_out/sensor.camera.rgb.2/town10_00100.png", "height": H, "width": W},
    ]
    for i, img in enumerate(images):
        img.update(extra, frame_index=i)
    annotations = [  # boxes are [x1, y1, x2, y2] pixels
        {"id": 5, "image_id": 1, "area": 19200, "bbox": [160, 80, 320, 200], "category_id": 1, "iscrowd": 0},
        # partly outside the image: clipped to xmax=1
        {"id": 4, "image_id": 1, "area": 96000.0, "bbox": [1040, 400, 1440, 640], "category_id": 2, "iscrowd": 1},
        {"id": 6, "image_id": 2, "area": 14400, "bbox": [0, 0, 120, 120], "category_id": 3, "iscrowd": 0},
    ]
    out = f"{split}/_out"
    return _green_screen_files(
        np.random.default_rng(seed),
        images,
        f"{out}/kwcoco_annotations_without_patch_and_sans_tiny_objects.json",
        kwcoco(images, annotations, 3),
        rgb_dir=split,
        out=out,
        depth_dir="sensor.camera.depth.2",
    )


def overhead_green_screen_files(out: str, seed: int, names: Sequence[str]) -> dict[str, bytes]:
    """carla_over_obj_det_dev/test: <out>/kwcoco_annotations.json, rgb/<f>, depth/<f>, foreground_mask/<f>,
    patch_metadata/<stem>_*.npy for 1 or 2 images: `names` are the file names of image ids 1, 2."""
    extra = {"date_captured": "", "license": 0, "coco_url": "", "flickr_url": ""}
    images = [  # listed unsorted (last id first): the builder sorts by file_name
        {"id": i, "file_name": name, "height": H, "width": W, **extra}
        for i, name in reversed(list(enumerate(names, start=1)))
    ]
    annotations = [  # boxes are [x, y, width, height] pixels
        {"id": 5, "image_id": 1, "area": 19200, "bbox": [160, 80, 160, 120], "category_id": 1, "iscrowd": 0},
        # partly outside the image: clipped to xmax=1
        {"id": 4, "image_id": 1, "area": 96000.0, "bbox": [1040, 400, 400, 240], "category_id": 2, "iscrowd": 1},
        {"id": 6, "image_id": 2, "area": 14400, "bbox": [0, 0, 120, 120], "category_id": 2, "iscrowd": 0},
    ]
    annotations = [a for a in annotations if a["image_id"] <= len(names)]
    return _green_screen_files(
        np.random.default_rng(seed),
        images,
        f"{out}/kwcoco_annotations.json",
        kwcoco(images, annotations, 2),
        rgb_dir=f"{out}/rgb",
        out=out,
        depth_dir="depth",
    )


# ---------------------------------------------------------------------------
# Video tracking and multi-object tracking (per-video folders of frames)
# ---------------------------------------------------------------------------


def video_tracking_files(split: str, videos: dict[str, tuple[int, bool]], seed: int) -> dict[str, bytes]:
    """carla_video_tracking_dev/test: <split>/<video>/<frame>.png, <frame>_mask.png, gt_boxes.npy and
    gs_coords.npy. `videos` maps a name to (number of frames, static green screen?)."""
    rng = np.random.default_rng(seed)
    out: dict[str, bytes] = {}
    for v, (name, (num_frames, static)) in enumerate(videos.items()):
        boxes, corners = [], []
        for f in range(num_frames):
            x, y = 100 + 40 * f + 10 * v, 200 + 20 * f
            frame = np.full((H, W, 3), rng.integers(0, 200, 3), dtype=np.uint8)
            frame[y : y + 50, x : x + 80] = (200, 30, 30)  # the tracked object
            mask = np.zeros((H, W, 3), np.uint8)
            px, py = 600 + 5 * f * (not static), 300
            mask[py : py + 40, px : px + 60] = 255  # patch region
            out[f"{split}/{name}/{f:05d}.png"] = png_array(frame)
            out[f"{split}/{name}/{f:05d}_mask.png"] = png_array(mask)
            boxes.append([x, y, x + 80, y + 50])
            corners.append([[px, py], [px + 60, py], [px + 60, py + 40], [px, py + 40]])
        out[f"{split}/{name}/gt_boxes.npy"] = npy(np.array(boxes, np.int64))
        out[f"{split}/{name}/gs_coords.npy"] = npy(np.array(corners[:1] if static else corners, np.int64))
    return out


def mot_files(split: str, videos: dict[str, tuple[int, type[np.generic]]], seed: int) -> dict[str, bytes]:
    """carla_mot_dev/test: <split>/<video>/rgb/<frame>.png, foreground_mask/<frame>.png,
    patch_metadata/<frame>.npy and instances.txt. `videos` maps a name to (number of frames, dtype of
    the corner files); the first video has two objects and float corners offset by 0.75."""
    rng = np.random.default_rng(seed)
    out: dict[str, bytes] = {}
    for v, (name, (num_frames, coord_dtype)) in enumerate(videos.items()):
        rows = []
        corners = np.array([[900, 200], [1000, 200], [1000, 260], [900, 260]], coord_dtype)  # static green screen
        for f in range(num_frames):
            stem = f"{f:05d}"
            frame = np.full((H, W, 3), rng.integers(0, 200, 3), dtype=np.uint8)
            frame[300:350, 100 + 10 * f : 180 + 10 * f] = (200, 30, 30)  # a tracked car
            mask = np.zeros((H, W, 3), np.uint8)
            mask[200:260, 900:1000] = 255  # the static patch region
            out[f"{split}/{name}/rgb/{stem}.png"] = png_array(frame)
            out[f"{split}/{name}/foreground_mask/{stem}.png"] = png_array(mask)
            out[f"{split}/{name}/patch_metadata/{stem}.npy"] = npy(corners + (0.75 if v == 0 else 0))
            # timestep (1-based), object_id, left, top, width, height, confidence, class_id, visibility
            rows.append(f"{f + 1} 1 {1 + f}.5 3 4 5 1 1 1")
            if v == 0:  # a second object in the first video only: the other keeps a one-row file
                rows.append(f"{f + 1} 2 8 {8 + f} 3.25 2 1 2 1")
        if v == 1:
            rows = rows[:1]
        out[f"{split}/{name}/instances.txt"] = ("\n".join(rows) + "\n").encode()
    return out
