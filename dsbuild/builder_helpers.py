"""Helpers shared by the builder folders in datasets/ and adversarial/.

Builders import this as `dsbuild.builder_helpers` (the project is installed with
`pip install -e .`, so `tfds build <folder>` finds it from any working directory).
Only what several builders truly share lives here: bounding-box conversion,
COCO-style annotation reading and the CARLA green-screen fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal

import numpy as np
import PIL.Image
import tensorflow_datasets as tfds
from etils import epath

# ---------------------------------------------------------------------------
# Missing files and bounding boxes (all builders)
# ---------------------------------------------------------------------------

BoxFormat = Literal["xywh", "xyxy"]


def require_file(path: epath.PathLike, archive: str) -> epath.Path:
    """Return `path` as an `epath.Path`, or raise FileNotFoundError naming it and its source archive.

    Builders call this before reading anything, so a truncated download fails with a message that says
    what is missing instead of producing a partial dataset.
    """
    p = epath.Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: file missing from source archive {archive!r}")
    return p


def to_tfds_bbox(
    box: Sequence[float],
    *,
    height: float,
    width: float,
    box_format: BoxFormat,
    file_name: str,
) -> tfds.features.BBox:
    """Convert a pixel box to TFDS's normalised [ymin, xmin, ymax, xmax], clipped to [0, 1].

    `box_format` is "xywh" ([x, y, width, height], COCO) or "xyxy" ([x1, y1, x2, y2]). Parts of a box
    that stick out of the image are clipped; a box with no point inside the image, an inverted box, or
    a non-positive image size raises ValueError naming `file_name` (TFDS would otherwise fail later
    with a message that does not say which file is wrong).
    """
    if len(box) != 4:
        raise ValueError(f"{file_name}: bounding box {list(box)} does not have 4 numbers")
    if height <= 0 or width <= 0:
        raise ValueError(f"{file_name}: image size {width}x{height} is not positive")
    x1, y1, a, b = (float(v) for v in box)
    if box_format == "xywh":
        x2, y2 = x1 + a, y1 + b
    elif box_format == "xyxy":
        x2, y2 = a, b
    else:
        raise ValueError(f"unknown box format {box_format!r} (expected 'xywh' or 'xyxy')")
    if not all(np.isfinite(v) for v in (x1, y1, x2, y2)):
        raise ValueError(f"{file_name}: bounding box {list(box)} is not finite")
    if x2 < x1 or y2 < y1:
        raise ValueError(f"{file_name}: bounding box {list(box)} ({box_format}) has negative size")
    if x2 < 0 or y2 < 0 or x1 > width or y1 > height:
        raise ValueError(
            f"{file_name}: bounding box {list(box)} ({box_format}) lies entirely outside the {width:g}x{height:g} image"
        )

    def clip(v: float) -> float:
        return float(min(max(v, 0.0), 1.0))

    return tfds.features.BBox(
        ymin=clip(y1 / height), xmin=clip(x1 / width), ymax=clip(y2 / height), xmax=clip(x2 / width)
    )


# ---------------------------------------------------------------------------
# CARLA object detection (carla_obj_det_*, carla_over_obj_det_*)
# ---------------------------------------------------------------------------

CARLA_IMAGE_SHAPE = (960, 1280, 3)
# Keys every CARLA images[] entry keeps (the `images` feature); everything else is dropped or rejected.
CARLA_IMAGE_KEYS = ("id", "file_name", "height", "width")
CARLA_CATEGORY_KEYS = ("id", "name", "supercategory")


def carla_patch_metadata_feature(*, with_max_depth: bool = False) -> tfds.features.FeaturesDict:
    """The `patch_metadata` feature of the CARLA green-screen (adversarial) sets.

    gs_coords: green-screen corners (x, y) in pixels, int32 (4, 2); mask: patch mask image;
    avg_patch_depth: float64 scalar; max_depth_perturb_meters (newer versions only): float64 scalar
    computed by the builder.
    """
    fields: dict[str, tfds.features.FeatureConnector] = {
        "gs_coords": tfds.features.Tensor(shape=(4, 2), dtype=np.int32),
        "mask": tfds.features.Image(shape=CARLA_IMAGE_SHAPE),
        "avg_patch_depth": tfds.features.Tensor(shape=(), dtype=np.float64),
    }
    if with_max_depth:
        fields["max_depth_perturb_meters"] = tfds.features.Tensor(shape=(), dtype=np.float64)
    return tfds.features.FeaturesDict(fields)


def carla_od_features(
    num_classes: int, *, patch_metadata: tfds.features.FeaturesDict | None = None
) -> tfds.features.FeaturesDict:
    """Feature tree shared by the CARLA object-detection builders: [RGB, depth] images and COCO objects."""
    fields: dict[str, Any] = {
        "image": tfds.features.Sequence(tfds.features.Image(shape=CARLA_IMAGE_SHAPE), length=2),
        "images": tfds.features.Sequence(
            tfds.features.FeaturesDict(
                {
                    "file_name": tfds.features.Text(),
                    "height": np.int64,
                    "width": np.int64,
                    "id": np.int64,
                }
            ),
            length=2,
        ),
        "categories": tfds.features.Sequence(
            tfds.features.FeaturesDict(
                {"id": np.int64, "name": tfds.features.Text(), "supercategory": tfds.features.Text()}
            )
        ),
        "objects": tfds.features.Sequence(
            {
                "id": np.int64,
                "image_id": np.int64,
                "area": np.int64,
                "boxes": tfds.features.BBoxFeature(),
                "labels": tfds.features.ClassLabel(num_classes=num_classes),
                "is_crowd": np.bool_,
            }
        ),
    }
    if patch_metadata is not None:
        fields["patch_metadata"] = patch_metadata
    return tfds.features.FeaturesDict(fields)


def _load_npy(path: epath.Path, archive: str, shape: tuple[int, ...], dtype: type[np.generic]) -> np.ndarray:
    """np.load a .npy from the archive and check its shape; cast within the same dtype kind only."""
    with require_file(path, archive).open("rb") as f:
        arr = np.load(f)
    if arr.shape != shape:
        raise ValueError(f"{path}: expected shape {shape}, got {arr.shape} (archive {archive!r})")
    try:
        return arr.astype(dtype, casting="same_kind")
    except TypeError as e:
        raise ValueError(f"{path}: dtype {arr.dtype} cannot be read as {np.dtype(dtype)}") from e


def load_carla_patch_metadata(
    patch_dir: epath.PathLike,
    stem: str,
    mask_path: epath.PathLike,
    *,
    archive: str,
    max_depth_perturb_meters: float | None = None,
) -> dict[str, Any]:
    """Read `<patch_dir>/<stem>_coords.npy`, `<stem>_avg_depth.npy` and the mask into a `patch_metadata` dict.

    Pass `max_depth_perturb_meters` only for versions whose feature has that field.
    """
    patch_dir = epath.Path(patch_dir)
    meta: dict[str, Any] = {
        "gs_coords": _load_npy(patch_dir / f"{stem}_coords.npy", archive, (4, 2), np.int32),
        "mask": require_file(mask_path, archive),
        "avg_patch_depth": _load_npy(patch_dir / f"{stem}_avg_depth.npy", archive, (), np.float64),
    }
    if max_depth_perturb_meters is not None:
        meta["max_depth_perturb_meters"] = np.float64(max_depth_perturb_meters)
    return meta


def carla_stem(file_name: str) -> str:
    """Patch-metadata stem of an image: its base name up to the first '.'."""
    return file_name.rsplit("/", 1)[-1].split(".", 1)[0]


def read_carla_kwcoco(
    json_path: epath.PathLike,
    *,
    archive: str,
    box_format: BoxFormat,
    required_drop: Iterable[str] = (),
    optional_drop: Iterable[str] = (),
    crowd_from_annotations: bool = True,
) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], list[dict[str, Any]]]]]:
    """Read a CARLA kwcoco JSON into (categories, [(image_info, objects), ...]).

    Images come sorted by file_name (case-insensitive), objects per image by annotation id. Each
    images[] entry must hold `required_drop` keys (dropped, as the source builders pop them without a
    default), may hold `optional_drop` keys (dropped), and must then hold exactly CARLA_IMAGE_KEYS;
    categories[] entries exactly CARLA_CATEGORY_KEYS. Boxes are converted with `to_tfds_bbox`.
    With `crowd_from_annotations=False` `is_crowd` is always False (train sets have no iscrowd key).
    """
    path = require_file(json_path, archive)
    data = json.loads(path.read_text())
    for key in ("images", "annotations", "categories"):
        if key not in data:
            raise ValueError(f"{path}: no {key!r} list in annotation file")

    categories = []
    for cat in data["categories"]:
        if set(cat) != set(CARLA_CATEGORY_KEYS):
            raise ValueError(f"{path}: category {cat} must have exactly the keys {CARLA_CATEGORY_KEYS}")
        categories.append(dict(cat))

    required, optional = list(required_drop), list(optional_drop)
    by_image: dict[int, list[dict[str, Any]]] = {}
    for ann in data["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)

    examples = []
    for img in sorted(data["images"], key=lambda im: im["file_name"].lower()):
        name = img.get("file_name", img.get("id"))
        missing = [k for k in required if k not in img]
        if missing:
            raise ValueError(f"{path}: image {name!r} lacks the keys {missing}")
        info = {k: v for k, v in img.items() if k not in required and k not in optional}
        if set(info) != set(CARLA_IMAGE_KEYS):
            raise ValueError(
                f"{path}: image {name!r} has keys {sorted(info)} besides the dropped ones; "
                f"expected exactly {list(CARLA_IMAGE_KEYS)}"
            )
        objects = [
            {
                "id": ann["id"],
                "image_id": ann["image_id"],
                "area": int(ann["area"]),
                "boxes": to_tfds_bbox(
                    ann["bbox"],
                    height=info["height"],
                    width=info["width"],
                    box_format=box_format,
                    file_name=f"{path} (image {info['file_name']}, annotation {ann['id']})",
                ),
                "labels": ann["category_id"],
                "is_crowd": bool(ann["iscrowd"]) if crowd_from_annotations else False,
            }
            for ann in sorted(by_image.get(img["id"], []), key=lambda a: a["id"])
        ]
        examples.append((info, objects))
    return categories, examples


def carla_train_examples(
    split_dir: epath.PathLike, *, archive: str, dropped_image_keys: Iterable[str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (key, example) for a CARLA train/val split (carla_obj_det_train, carla_over_obj_det_train).

    Layout: `<split>/kwcoco_annotations.json` ([x, y, width, height] boxes, no iscrowd), `rgb/<file_name>`
    and `depth/<file_name>`. Keys run from 1; `images` repeats the image entry for RGB and depth.
    `dropped_image_keys` are removed from images[] entries when present.
    """
    split_dir = epath.Path(split_dir)
    categories, examples = read_carla_kwcoco(
        split_dir / "kwcoco_annotations.json",
        archive=archive,
        box_format="xywh",
        optional_drop=dropped_image_keys,
        crowd_from_annotations=False,  # no iscrowd in the train JSON: always False
    )
    for key, (info, objects) in enumerate(examples, start=1):
        rgb = require_file(split_dir / "rgb" / info["file_name"], archive)
        depth = require_file(split_dir / "depth" / info["file_name"], archive)
        yield (
            key,
            {"image": [rgb, depth], "images": [info, info], "categories": categories, "objects": objects},
        )


# ---------------------------------------------------------------------------
# CARLA video tracking (carla_video_tracking_*) and multi-object tracking (carla_mot_*)
# ---------------------------------------------------------------------------

CARLA_VIDEO_SHAPE = (None, *CARLA_IMAGE_SHAPE)
CARLA_CITATION = """
@inproceedings{Dosovitskiy17,
  title = {{CARLA}: {An} Open Urban Driving Simulator},
  author = {Alexey Dosovitskiy and German Ros and Felipe Codevilla and Antonio Lopez and Vladlen Koltun},
  booktitle = {Proceedings of the 1st Annual Conference on Robot Learning},
  pages = {1--16},
  year = {2017}
}
"""
MOT_ANNOTATION_COLUMNS = 9


def carla_video_tracking_features() -> tfds.features.FeaturesDict:
    """Features of carla_video_tracking_dev/test 2.0.0: RGB video, one [x1, y1, x2, y2] pixel box per frame
    and the green-screen corners plus per-frame patch masks (a uint8 Tensor, not a Video)."""
    return tfds.features.FeaturesDict(
        {
            "video": tfds.features.Video(shape=CARLA_VIDEO_SHAPE, encoding_format="png"),
            "bboxes": tfds.features.Sequence(tfds.features.Tensor(shape=(4,), dtype=np.int64)),
            "patch_metadata": tfds.features.FeaturesDict(
                {
                    "gs_coords": tfds.features.Tensor(shape=(None, 4, 2), dtype=np.int64),
                    "masks": tfds.features.Tensor(shape=CARLA_VIDEO_SHAPE, dtype=np.uint8),
                }
            ),
        }
    )


def carla_mot_features() -> tfds.features.FeaturesDict:
    """Features of carla_mot_dev/test 1.0.1: RGB video, its name, MOT rows (N, 9) and patch metadata."""
    return tfds.features.FeaturesDict(
        {
            "video": tfds.features.Video(shape=CARLA_VIDEO_SHAPE, encoding_format="png"),
            "video_name": tfds.features.Text(),
            "annotations": tfds.features.Tensor(shape=(None, MOT_ANNOTATION_COLUMNS), dtype=np.float32),
            "patch_metadata": tfds.features.FeaturesDict(
                {
                    "gs_coords": tfds.features.Tensor(shape=(None, 4, 2), dtype=np.int64),
                    "masks": tfds.features.Video(shape=CARLA_VIDEO_SHAPE, encoding_format="png"),
                }
            ),
        }
    )


def load_int64_npy(
    path: epath.PathLike, archive: str, shape: tuple[int | None, ...], *, truncate_floats: bool = False
) -> np.ndarray:
    """np.load a .npy, check its shape against `shape` (None matches any length) and return it as int64.

    Integer arrays are cast; float arrays only with `truncate_floats` (for sources whose reader casts
    with `astype(int)`), else ValueError naming the file, as for a wrong shape.
    """
    p = require_file(path, archive)
    with p.open("rb") as f:
        arr = np.load(f)
    if arr.ndim != len(shape) or any(w not in (None, g) for w, g in zip(shape, arr.shape, strict=True)):
        want = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{p}: expected shape {want}, got {arr.shape} (archive {archive!r})")
    floats_ok = truncate_floats and np.issubdtype(arr.dtype, np.floating)
    if not (np.issubdtype(arr.dtype, np.integer) or floats_ok):
        raise ValueError(f"{p}: dtype {arr.dtype} cannot be read as int64 (archive {archive!r})")
    return arr.astype(np.int64)


def read_patch_mask(path: epath.PathLike, archive: str) -> np.ndarray:
    """Read a video-tracking patch mask PNG as uint8 (H, W, 3): pure white (255, 255, 255) pixels become 1,
    all others keep their value (0 in the real data)."""
    p = require_file(path, archive)
    with p.open("rb") as f:
        mask = np.array(PIL.Image.open(f).convert("RGB"), dtype=np.uint8)
    mask[np.all(mask == 255, axis=-1)] = 1
    return mask


def read_mot_instances(path: epath.PathLike, archive: str) -> np.ndarray:
    """Read a MOT `instances.txt` (whitespace-separated rows: timestep (1-based), object_id, left, top,
    width, height, confidence, class_id, visibility) as float32 (N, 9); an empty file gives (0, 9)."""
    p = require_file(path, archive)
    text = p.read_text()
    if not text.strip():
        return np.zeros((0, MOT_ANNOTATION_COLUMNS), np.float32)
    try:
        rows = np.loadtxt(text.splitlines(), dtype=np.float32, ndmin=2)
    except ValueError as e:
        raise ValueError(f"{p}: not a whitespace-separated table of numbers ({e})") from e
    if rows.shape[1] != MOT_ANNOTATION_COLUMNS:
        raise ValueError(f"{p}: expected {MOT_ANNOTATION_COLUMNS} columns per row, got {rows.shape[1]}")
    return rows


def _video_dirs(split_dir: epath.PathLike, archive: str) -> list[epath.Path]:
    """Every entry of the split folder, sorted; each must be a video directory."""
    d = epath.Path(split_dir)
    if not d.is_dir():
        raise FileNotFoundError(f"{d}: folder missing from source archive {archive!r}")
    entries = sorted(d.iterdir(), key=lambda p: p.name)
    if not entries:
        raise FileNotFoundError(f"{d}: no video folders in source archive {archive!r}")
    for e in entries:
        if not e.is_dir():
            raise ValueError(f"{e}: expected only video folders in {d.name}/ of archive {archive!r}")
    return entries


def carla_video_tracking_examples(split_dir: epath.PathLike, archive: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (video index, example) for `<split>/<video>/{<frame>.png, <frame>_mask.png, gt_boxes.npy,
    gs_coords.npy}`. Frames are the sorted non-mask PNGs, paired in order with the sorted masks; a mask
    whose name does not contain its frame's stem is an error."""
    for index, video_dir in enumerate(_video_dirs(split_dir, archive)):
        pngs = sorted((p for p in video_dir.iterdir() if p.name.endswith(".png")), key=lambda p: p.name)
        masks = [p for p in pngs if p.name.endswith("_mask.png")]
        frames = [p for p in pngs if not p.name.endswith("_mask.png")]
        if not frames:
            raise FileNotFoundError(f"{video_dir}: no frame PNGs in source archive {archive!r}")
        if len(masks) != len(frames):
            raise ValueError(f"{video_dir}: {len(frames)} frames but {len(masks)} *_mask.png files")
        for frame, mask in zip(frames, masks, strict=True):
            if frame.stem not in mask.name:
                raise ValueError(f"{video_dir}: mask {mask.name} does not belong to frame {frame.name}")
        yield (
            index,
            {
                "video": [str(p) for p in frames],
                "bboxes": load_int64_npy(video_dir / "gt_boxes.npy", archive, (None, 4)),
                "patch_metadata": {
                    "gs_coords": load_int64_npy(video_dir / "gs_coords.npy", archive, (None, 4, 2)),
                    "masks": np.stack([read_patch_mask(m, archive) for m in masks]),
                },
            },
        )


def carla_mot_examples(split_dir: epath.PathLike, archive: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (video index, example) for `<split>/<video>/{rgb/*.png, foreground_mask/*.png,
    patch_metadata/*.npy, instances.txt}`; the three frame folders must hold the same sorted base names."""
    for index, video_dir in enumerate(_video_dirs(split_dir, archive)):
        listed: dict[str, list[epath.Path]] = {}
        for sub, suffix in (("rgb", ".png"), ("foreground_mask", ".png"), ("patch_metadata", ".npy")):
            folder = video_dir / sub
            if not folder.is_dir():
                raise FileNotFoundError(f"{folder}: folder missing from source archive {archive!r}")
            listed[sub] = sorted(folder.glob(f"*{suffix}"), key=lambda p: p.name)
        stems = {sub: [p.stem for p in paths] for sub, paths in listed.items()}
        if not stems["rgb"]:
            raise FileNotFoundError(f"{video_dir / 'rgb'}: no frames in source archive {archive!r}")
        if not stems["rgb"] == stems["foreground_mask"] == stems["patch_metadata"]:
            counts = ", ".join(f"{sub}/: {len(names)}" for sub, names in stems.items())
            raise ValueError(
                f"{video_dir}: rgb/, foreground_mask/ and patch_metadata/ do not hold the same frame names "
                f"({counts} files)"
            )
        # armory stacks these with a cast to int, so float coordinates are truncated as there.
        gs_coords = [load_int64_npy(p, archive, (4, 2), truncate_floats=True) for p in listed["patch_metadata"]]
        yield (
            index,
            {
                "video": [str(p) for p in listed["rgb"]],
                "video_name": video_dir.name,
                "annotations": read_mot_instances(video_dir / "instances.txt", archive),
                "patch_metadata": {
                    "gs_coords": np.stack(gs_coords),
                    "masks": [str(p) for p in listed["foreground_mask"]],
                },
            },
        )


# ---------------------------------------------------------------------------
# COCO-style annotation reading (apricot_*, dapricot_*, minicoco)
# ---------------------------------------------------------------------------


def load_coco_json(path: epath.PathLike, archive: str) -> dict[str, Any]:
    """Read a COCO-style annotation JSON (a top-level object); missing or invalid files name the archive."""
    p = require_file(path, archive)
    try:
        data = json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}: not valid JSON ({e}); source archive {archive!r}") from e
    if not isinstance(data, dict):
        raise ValueError(f"{p}: expected a JSON object at the top level; source archive {archive!r}")
    return data


def coco_section(data: dict[str, Any], section: str, source: str) -> list[dict[str, Any]]:
    """Return the list `data[section]` (e.g. "images"), or raise ValueError naming `source`."""
    items = data.get(section)
    if not isinstance(items, list):
        raise ValueError(f"{source}: no {section!r} list in annotation file")
    return items


def coco_select_keys(record: dict[str, Any], keys: Sequence[str], where: str) -> dict[str, Any]:
    """Copy exactly `keys` out of `record` for a FeaturesDict (TFDS raises KeyError on extra keys).

    Extra keys (e.g. COCO's `license`, `coco_url`) are dropped; a missing key raises ValueError naming
    `where` and the key, because TFDS would otherwise fail deep inside encoding.
    """
    missing = [k for k in keys if k not in record]
    if missing:
        raise ValueError(f"{where}: entry {record} lacks the key(s) {missing}")
    return {k: record[k] for k in keys}


def coco_records(data: dict[str, Any], section: str, keys: Sequence[str], source: str) -> list[dict[str, Any]]:
    """`coco_select_keys` applied to every entry of `data[section]`, in file order."""
    items = coco_section(data, section, source)
    return [coco_select_keys(r, keys, f"{source} {section}[{i}]") for i, r in enumerate(items)]


def coco_annotations_by_image(annotations: Iterable[dict[str, Any]], source: str) -> dict[int, list[dict[str, Any]]]:
    """Group annotations by `image_id`; each group sorted by annotation `id`."""
    by_image: dict[int, list[dict[str, Any]]] = {}
    for i, ann in enumerate(annotations):
        missing = [k for k in ("id", "image_id") if k not in ann]
        if missing:
            raise ValueError(f"{source}: annotations[{i}] lacks the key(s) {missing}")
        by_image.setdefault(ann["image_id"], []).append(ann)
    for anns in by_image.values():
        anns.sort(key=lambda a: a["id"])
    return by_image


COCO_OBJECT_KEYS = ("id", "image_id", "area", "bbox", "category_id", "iscrowd")


def coco_object(ann: dict[str, Any], *, height: float, width: float, where: str) -> dict[str, Any]:
    """The common object fields of a COCO annotation: id, image_id, area (int), boxes (TFDS BBox from
    [x, y, w, h] pixels of a `height` x `width` image) and is_crowd. Callers add their label field."""
    ann = coco_select_keys(ann, COCO_OBJECT_KEYS, where)
    return {
        "id": ann["id"],
        "image_id": ann["image_id"],
        # TFDS would truncate a float area when casting to int64; do it explicitly.
        "area": int(ann["area"]),
        "boxes": to_tfds_bbox(ann["bbox"], height=height, width=width, box_format="xywh", file_name=where),
        "is_crowd": bool(ann["iscrowd"]),
    }


def coco_label(category_id: int, num_classes: int, where: str) -> int:
    """A COCO category id used directly as a ClassLabel index; out of range is an error naming `where`."""
    if not 0 <= int(category_id) < num_classes:
        raise ValueError(f"{where}: category_id {category_id} is outside the {num_classes} declared classes")
    return int(category_id)


# ---------------------------------------------------------------------------
# APRICOT (apricot_dev, apricot_test)
# ---------------------------------------------------------------------------

# Armory's preprocessing replaces the raw patch label with this value; the builder keeps raw labels.
APRICOT_ADV_PATCH_MAGIC_NUMBER_LABEL_ID = -10
APRICOT_PATCH_CATEGORY_ID = 12
# adv_model id -> split name (also the `model` field of models[]).
APRICOT_MODELS = ("frcnn", "retinanet", "ssd")
APRICOT_NUM_PATCHES = 60
APRICOT_IMAGE_KEYS = ("file_name", "height", "width", "id")
APRICOT_CATEGORY_KEYS = ("id", "name", "supercategory")
APRICOT_MODEL_KEYS = ("classifier", "id", "model", "url")
APRICOT_PATCH_KEYS = ("adv_model", "adv_target", "id", "is_circle", "is_square", "name")


def apricot_features(num_classes: int) -> tfds.features.FeaturesDict:
    """Feature tree of the APRICOT builders; only the ClassLabel size differs between dev and test."""
    return tfds.features.FeaturesDict(
        {
            "image": tfds.features.Image(shape=(None, None, 3), encoding_format="jpeg"),
            "images": tfds.features.Sequence(
                {"file_name": tfds.features.Text(), "height": np.int64, "width": np.int64, "id": np.int64}
            ),
            "categories": tfds.features.Sequence(
                {"id": np.int64, "name": tfds.features.Text(), "supercategory": tfds.features.Text()}
            ),
            "models": tfds.features.Sequence(
                {
                    "classifier": tfds.features.Text(),
                    "id": np.int64,
                    "model": tfds.features.Text(),
                    "url": tfds.features.Text(),
                }
            ),
            "patches": tfds.features.Sequence(
                {
                    "adv_model": np.int64,
                    "adv_target": np.int64,
                    "id": np.int64,
                    "is_circle": np.bool_,
                    "is_square": np.bool_,
                    "name": tfds.features.Text(),
                }
            ),
            "objects": tfds.features.Sequence(
                {
                    "id": np.int64,
                    "image_id": np.int64,
                    "area": np.int64,
                    "boxes": tfds.features.BBoxFeature(),
                    "labels": tfds.features.ClassLabel(num_classes=num_classes),
                    "is_crowd": np.bool_,
                    "is_warped": np.bool_,
                    "angle": tfds.features.Tensor(shape=(3,), dtype=np.int64),
                    "patch_id": np.int64,
                }
            ),
        }
    )


def apricot_patch_model(patch_id: int, where: str) -> str:
    """Split (attacked model) of an APRICOT patch: ids are 20*adv_model + 10*is_square + (k-1)."""
    if not 0 <= patch_id < APRICOT_NUM_PATCHES:
        raise ValueError(f"{where}: patch_id {patch_id} is not one of the {APRICOT_NUM_PATCHES} patches")
    return APRICOT_MODELS[patch_id // 20]


def apricot_examples(
    root: epath.PathLike, partition: str, split: str, *, num_classes: int, archive: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (image id, example) of one APRICOT split from the extracted archive at `root`.

    Reads APRICOT/Annotations/apricot_<partition>_all_annotations.json and
    APRICOT/Images/<partition>/<file_name>. An image belongs to the split of the first (by annotation
    id) of its annotations with a patch_id; an image without one is an error.
    """
    if split not in APRICOT_MODELS:
        raise ValueError(f"unknown APRICOT split {split!r}; expected one of {APRICOT_MODELS}")
    base = epath.Path(root) / "APRICOT"
    json_path = base / "Annotations" / f"apricot_{partition}_all_annotations.json"
    data = load_coco_json(json_path, archive)
    src = str(json_path)
    images = coco_records(data, "images", APRICOT_IMAGE_KEYS, src)
    categories = coco_records(data, "categories", APRICOT_CATEGORY_KEYS, src)
    models = coco_records(data, "models", APRICOT_MODEL_KEYS, src)
    patches = coco_records(data, "patches", APRICOT_PATCH_KEYS, src)
    by_image = coco_annotations_by_image(coco_section(data, "annotations", src), src)

    for info in sorted(images, key=lambda im: im["id"]):
        name = info["file_name"]
        anns = by_image.get(info["id"], [])
        patch_ids = [a["patch_id"] for a in anns if a.get("patch_id", -1) != -1]
        if not patch_ids:
            raise ValueError(f"{src}: image {name!r} has no annotation with a patch_id, so it has no split")
        if apricot_patch_model(patch_ids[0], f"{src}: image {name!r}") != split:
            continue
        objects = []
        for ann in anns:
            where = f"{src}: image {name!r}, annotation {ann['id']}"
            obj = coco_object(ann, height=info["height"], width=info["width"], where=where)
            obj["labels"] = coco_label(ann["category_id"], num_classes, where)
            # Optional APRICOT fields, with the defaults of the source builder.
            obj["is_warped"] = bool(ann.get("is_warped", False))
            obj["angle"] = np.asarray(ann.get("angle", [-1, -1, -1]), dtype=np.int64)
            obj["patch_id"] = int(ann.get("patch_id", -1))
            objects.append(obj)
        image_path = require_file(base / "Images" / partition / name, archive)
        example = {"image": image_path, "images": images, "categories": categories, "models": models}
        yield info["id"], {**example, "patches": patches, "objects": objects}


# ---------------------------------------------------------------------------
# D-APRICOT (dapricot_dev, dapricot_test)
# ---------------------------------------------------------------------------

DAPRICOT_SHAPES = {"stp": "octagon", "pxg": "diamond", "spd": "rect"}
DAPRICOT_SPLITS = {"dist5": "large", "dist10": "medium", "dist15": "small"}
DAPRICOT_CAMERAS = (1, 2, 3)
DAPRICOT_FILE_NAME = re.compile(
    r"scene_(?P<scene>\d+)_camera_(?P<camera>\d+)_(?P<shape>stp|pxg|spd)_(?P<height>[^_/]+)_"
    r"(?P<dist>dist5|dist10|dist15)\.jpg",
    re.IGNORECASE,
)
DAPRICOT_IMAGE_KEYS = ("file_name", "height", "width", "id")
DAPRICOT_CATEGORY_KEYS = ("id", "name")
DAPRICOT_NUM_CLASSES = 91
DAPRICOT_COLOR_CHECKER = "xrite_passport_colors_sRGB-GMB-2005.csv"


def dapricot_features() -> tfds.features.FeaturesDict:
    """Feature tree of the D-APRICOT builders: every field holds [camera_1, camera_2, camera_3].

    `categories`, `objects` and `patch_metadata` are declared with length None, not the source's 3:
    TFDS cannot read back a fixed-length Sequence holding a variable-length Sequence (a tensor of
    shape (3, None, ...) is written as ragged but parsed as dense; tensorflow/datasets#2243, the bug
    that stopped armory's own tfdsv4 port of D-APRICOT). The builder still writes exactly 3 entries.
    """
    return tfds.features.FeaturesDict(
        {
            "image": tfds.features.Sequence(tfds.features.Image(shape=(None, None, 3)), length=3),
            "images": tfds.features.Sequence(
                {"file_name": tfds.features.Text(), "height": np.int64, "width": np.int64, "id": np.int64},
                length=3,
            ),
            "categories": tfds.features.Sequence(
                tfds.features.Sequence({"id": np.int64, "name": tfds.features.Text()})
            ),
            "objects": tfds.features.Sequence(
                tfds.features.Sequence(
                    {
                        "id": np.int64,
                        "image_id": np.int64,
                        "area": np.int64,
                        "boxes": tfds.features.BBoxFeature(),
                        "labels": tfds.features.ClassLabel(num_classes=DAPRICOT_NUM_CLASSES),
                        "is_crowd": np.bool_,
                    }
                )
            ),
            "patch_metadata": tfds.features.Sequence(
                {
                    "gs_coords": tfds.features.Sequence(tfds.features.Tensor(shape=(2,), dtype=np.int64)),
                    "cc_ground_truth": tfds.features.Tensor(shape=(24, 3), dtype=np.float32),
                    "cc_scene": tfds.features.Tensor(shape=(24, 3), dtype=np.float32),
                    "shape": tfds.features.Text(),
                }
            ),
        }
    )


def dapricot_parse_file_name(file_name: str) -> dict[str, Any]:
    """Parse `scene_S_camera_C_<stp|pxg|spd>_<H>_<dist5|dist10|dist15>.JPG` (case-insensitive).

    Returns scene (int), camera (int), shape (octagon|diamond|rect), height (str) and split
    (large|medium|small); any other name raises ValueError naming the file.
    """
    m = DAPRICOT_FILE_NAME.fullmatch(file_name)
    if m is None:
        raise ValueError(
            f"{file_name!r} is not a D-APRICOT file name "
            "scene_<S>_camera_<C>_<stp|pxg|spd>_<H>_<dist5|dist10|dist15>.JPG"
        )
    return {
        "scene": int(m["scene"]),
        "camera": int(m["camera"]),
        "shape": DAPRICOT_SHAPES[m["shape"].lower()],
        "height": m["height"],
        "split": DAPRICOT_SPLITS[m["dist"].lower()],
    }


def _dapricot_csv(path: epath.Path, archive: str) -> np.ndarray:
    """A 24x3 colour-checker table (CSV, no header) as float32."""
    with require_file(path, archive).open("r") as f:
        try:
            arr = np.loadtxt(f, delimiter=",", dtype=np.float32, ndmin=2)
        except ValueError as e:
            raise ValueError(f"{path}: not a CSV of numbers ({e}); source archive {archive!r}") from e
    if arr.shape != (24, 3):
        raise ValueError(f"{path}: expected 24 rows x 3 values, got {arr.shape}; source archive {archive!r}")
    return arr


def _dapricot_green_screen(anns: list[dict[str, Any]], where: str) -> list[list[int]]:
    """Rounded (x, y) vertices of the one polygon of the image's first annotation with a segmentation."""
    for ann in anns:
        seg = ann.get("segmentation")
        if not seg:
            continue
        if not (isinstance(seg, list) and len(seg) == 1 and isinstance(seg[0], list)):
            raise ValueError(f"{where}: segmentation must hold exactly one polygon [x0, y0, x1, y1, ...]")
        poly = seg[0]
        if len(poly) < 6 or len(poly) % 2:
            raise ValueError(f"{where}: segmentation polygon needs an even number (>= 6) of coordinates")
        return [[round(poly[i]), round(poly[i + 1])] for i in range(0, len(poly), 2)]
    raise ValueError(f"{where}: no annotation with a segmentation polygon (the green screen)")


def _dapricot_object(ann: dict[str, Any], info: dict[str, Any], where: str) -> dict[str, Any]:
    """One D-APRICOT object; boxes are normalised by this camera's image size (all cameras are 1008x756
    in the real data, so this equals the source builder's use of camera 1's size)."""
    obj = coco_object(ann, height=info["height"], width=info["width"], where=where)
    obj["labels"] = coco_label(ann["category_id"], DAPRICOT_NUM_CLASSES, where)
    return obj


def _dapricot_camera(
    base: epath.Path, scene: str, camera: int, archive: str
) -> tuple[str, list[tuple[dict[str, Any], dict[str, Any]]], list[dict[str, Any]]]:
    """Read one camera's labels: (json path, [(image info, parsed name)] sorted by name, categories)."""
    json_path = base / "annotations" / f"labels_scene_{scene}_camera_{camera}.json"
    data = load_coco_json(json_path, archive)
    src = str(json_path)
    images = coco_records(data, "images", DAPRICOT_IMAGE_KEYS, src)
    categories = coco_records(data, "categories", DAPRICOT_CATEGORY_KEYS, src)
    by_image = coco_annotations_by_image(coco_section(data, "annotations", src), src)
    entries = []
    for info in sorted(images, key=lambda im: im["file_name"]):
        parsed = dapricot_parse_file_name(info["file_name"])
        if parsed["camera"] != camera or parsed["scene"] != int(scene):
            raise ValueError(f"{src}: image {info['file_name']!r} is not from scene {scene}, camera {camera}")
        parsed["annotations"] = by_image.get(info["id"], [])
        entries.append((info, parsed))
    return src, entries, categories


def dapricot_examples(
    root: epath.PathLike, partition: str, scenes: Sequence[str], split: str, *, archive: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (key, example) of one D-APRICOT split from the extracted archive at `root`.

    Layout: <partition>/annotations/labels_scene_<SS>_camera_<C>.json, the colour-checker CSVs beside
    them, and images in <partition>/scene_<SS>/camera_<C>/<file_name>. Per scene the three cameras'
    images are sorted by name and zipped; camera 2/3 names must be camera 1's with the camera token
    changed. Keys count all examples of all scenes in order, before the split filter.
    """
    if split not in DAPRICOT_SPLITS.values():
        raise ValueError(f"unknown D-APRICOT split {split!r}; expected one of {set(DAPRICOT_SPLITS.values())}")
    base = epath.Path(root) / partition
    cc_truth = _dapricot_csv(base / "annotations" / DAPRICOT_COLOR_CHECKER, archive)
    key = 0
    for scene in scenes:
        cameras = [_dapricot_camera(base, scene, c, archive) for c in DAPRICOT_CAMERAS]
        cc_scene = [
            _dapricot_csv(base / "annotations" / f"scene_{scene}_camera_{c}_CC_values.csv", archive)
            for c in DAPRICOT_CAMERAS
        ]
        counts = [len(entries) for _, entries, _ in cameras]
        if len(set(counts)) != 1:
            raise ValueError(f"scene {scene} of {archive!r}: cameras 1-3 have {counts} images, not equal")
        for triple in zip(*(entries for _, entries, _ in cameras), strict=True):
            first = triple[0][0]["file_name"]
            for camera, (info, _) in zip(DAPRICOT_CAMERAS, triple, strict=True):
                expected = first.replace("_camera_1_", f"_camera_{camera}_", 1)
                if info["file_name"] != expected:
                    raise ValueError(
                        f"scene {scene} of {archive!r}: camera {camera} image {info['file_name']!r} does not "
                        f"match camera 1 image {first!r} (expected {expected!r})"
                    )
            this_key, key = key, key + 1
            if triple[0][1]["split"] != split:
                continue
            fields = ("image", "images", "categories", "objects", "patch_metadata")
            example: dict[str, list[Any]] = {k: [] for k in fields}
            for camera, (src, _, categories), (info, parsed), cc in zip(
                DAPRICOT_CAMERAS, cameras, triple, cc_scene, strict=True
            ):
                where = f"{src}: image {info['file_name']!r}"
                anns = parsed["annotations"]
                image_path = base / f"scene_{scene}" / f"camera_{camera}" / info["file_name"]
                example["image"].append(require_file(image_path, archive))
                example["images"].append(info)
                example["categories"].append(categories)
                example["objects"].append(
                    [_dapricot_object(a, info, f"{where}, annotation {a.get('id')}") for a in anns]
                )
                example["patch_metadata"].append(
                    {
                        "gs_coords": _dapricot_green_screen(anns, where),
                        "cc_ground_truth": cc_truth,
                        "cc_scene": cc,
                        "shape": parsed["shape"],
                    }
                )
            yield this_key, example


# ---------------------------------------------------------------------------
# CARLA green-screen examples (carla_obj_det_dev/test, carla_over_obj_det_dev/test)
# ---------------------------------------------------------------------------


def carla_green_screen_examples(
    split_dir: epath.PathLike,
    *,
    archive: str,
    annotation_file: str,
    rgb_dir: str,
    depth_dir: str,
    mask_dir: str,
    patch_dir: str,
    box_format: BoxFormat,
    required_drop: Iterable[str],
    max_depth_perturb_meters: Callable[[str], float] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (index, example) for a CARLA green-screen split (carla_obj_det_dev/test, carla_over_obj_det_*).

    All directory arguments are relative to `split_dir` ("" for the split directory itself). The RGB
    image is `<rgb_dir>/<file_name>`; depth, mask and patch metadata are found by the file's base name
    (`<depth_dir>/<base>`, `<mask_dir>/<base>`, `<patch_dir>/<stem>_coords.npy`, `..._avg_depth.npy`).
    `images` is [RGB entry, depth entry] where the depth entry's file_name is `<depth_dir>/<base>`.
    `max_depth_perturb_meters` maps the image file_name to that field, for versions that have it.
    """
    split_dir = epath.Path(split_dir)
    categories, examples = read_carla_kwcoco(
        split_dir / annotation_file, archive=archive, box_format=box_format, required_drop=required_drop
    )
    for index, (info, objects) in enumerate(examples):
        base = info["file_name"].rsplit("/", 1)[-1]
        depth_name = f"{depth_dir}/{base}" if depth_dir else base
        yield (
            index,
            {
                "image": [
                    require_file(split_dir / rgb_dir / info["file_name"], archive),
                    require_file(split_dir / depth_name, archive),
                ],
                "images": [info, {**info, "file_name": depth_name}],
                "categories": categories,
                "objects": objects,
                "patch_metadata": load_carla_patch_metadata(
                    split_dir / patch_dir,
                    carla_stem(base),
                    split_dir / mask_dir / base,
                    archive=archive,
                    max_depth_perturb_meters=(
                        None if max_depth_perturb_meters is None else max_depth_perturb_meters(info["file_name"])
                    ),
                ),
            },
        )


# images[] keys armory's green-screen builders pop without a default: each entry must carry them.
CARLA_STREET_REQUIRED_IMAGE_KEYS = ("date_captured", "license", "coco_url", "flickr_url", "video_id", "frame_index")
CARLA_OVERHEAD_REQUIRED_IMAGE_KEYS = ("date_captured", "license", "coco_url", "flickr_url")


def carla_street_green_screen_examples(
    split_dir: epath.PathLike, *, archive: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """carla_green_screen_examples for the street-level layout (carla_obj_det_dev/test): `_out/` holds
    the annotations, `sensor.camera.depth.2/`, `foreground_mask/` and `patch_metadata/`; boxes are xyxy."""
    return carla_green_screen_examples(
        split_dir,
        archive=archive,
        annotation_file="_out/kwcoco_annotations_without_patch_and_sans_tiny_objects.json",
        rgb_dir="",
        depth_dir="_out/sensor.camera.depth.2",
        mask_dir="_out/foreground_mask",
        patch_dir="_out/patch_metadata",
        box_format="xyxy",
        required_drop=CARLA_STREET_REQUIRED_IMAGE_KEYS,
    )


def carla_overhead_green_screen_examples(
    split_dir: epath.PathLike, *, archive: str, max_depth_perturb_meters: Callable[[str], float] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """carla_green_screen_examples for the overhead layout (carla_over_obj_det_dev/test):
    `kwcoco_annotations.json`, `rgb/`, `depth/`, `foreground_mask/`, `patch_metadata/`; boxes are xywh."""
    return carla_green_screen_examples(
        split_dir,
        archive=archive,
        annotation_file="kwcoco_annotations.json",
        rgb_dir="rgb",
        depth_dir="depth",
        mask_dir="foreground_mask",
        patch_dir="patch_metadata",
        box_format="xywh",
        required_drop=CARLA_OVERHEAD_REQUIRED_IMAGE_KEYS,
        max_depth_perturb_meters=max_depth_perturb_meters,
    )


# ---- RESISC (resisc45, resisc45_split, resisc10_poison, resisc45_densenet121_..._adversarial224x224)

RESISC45_LABELS = (
    "airplane", "airport", "baseball_diamond", "basketball_court", "beach", "bridge", "chaparral",
    "church", "circular_farmland", "cloud", "commercial_area", "dense_residential", "desert", "forest",
    "freeway", "golf_course", "ground_track_field", "harbor", "industrial_area", "intersection", "island",
    "lake", "meadow", "medium_residential", "mobile_home_park", "mountain", "overpass", "palace",
    "parking_lot", "railway", "railway_station", "rectangular_farmland", "river", "roundabout", "runway",
    "sea_ice", "ship", "snowberg", "sparse_residential", "stadium", "storage_tank", "tennis_court",
    "terrace", "thermal_power_station", "wetland",
)  # fmt: skip

RESISC45_CITATION = """\
@article{Cheng_2017,
   title={Remote Sensing Image Scene Classification: Benchmark and State of the Art},
   volume={105},
   ISSN={1558-2256},
   url={http://dx.doi.org/10.1109/JPROC.2017.2675998},
   DOI={10.1109/jproc.2017.2675998},
   number={10},
   journal={Proceedings of the IEEE},
   publisher={Institute of Electrical and Electronics Engineers (IEEE)},
   author={Cheng, Gong and Han, Junwei and Lu, Xiaoqiang},
   year={2017},
   month={Oct},
   pages={1865-1883}
}
"""


def resisc_class_files(
    split_dir: epath.Path, labels: Sequence[str], *, where: str, archive: str
) -> list[tuple[str, epath.Path]]:
    """(label, path) of every .jpg in the class folders `split_dir/<label>/`, sorted by label order then name.

    `where` names `split_dir` inside `archive` in messages. Raises ValueError naming the archive when
    `split_dir` or a class folder is missing or holds no .jpg, or when an unknown class folder is present.
    """
    if not split_dir.is_dir():
        raise ValueError(f"Folder {where}/ is missing from {archive} (looked in {split_dir}).")
    found = {p.name for p in split_dir.iterdir() if p.is_dir()}
    unknown = sorted(found - set(labels))
    if unknown:
        raise ValueError(f"{archive} holds unknown class folder(s) {unknown} under {where}/.")
    items = []
    for label in labels:
        if label not in found:
            raise ValueError(f"Class folder {where}/{label} is missing from {archive}.")
        files = sorted(p for p in (split_dir / label).iterdir() if p.name.endswith(".jpg"))
        if not files:
            raise ValueError(f"Class folder {where}/{label} in {archive} holds no .jpg files.")
        items.extend((label, p) for p in files)
    return items


# ---------------------------------------------------------------------------
# ---- LibriSpeech: speaker/chapter tables, transcripts, examples, text configs
# (librispeech_full, librispeech_dev_test, librispeech_dev_clean_split, librispeech_adversarial)
# ---------------------------------------------------------------------------

LIBRISPEECH_SAMPLE_RATE = 16000
LIBRISPEECH_SPEAKER_FIELDS = ("speaker_id", "gender", "subset", "minutes", "name")
LIBRISPEECH_CHAPTER_FIELDS = (
    "chapter_id",
    "speaker_id",
    "minutes",
    "subset",
    "project_id",
    "book_id",
    "chapter_title",
    "project_title",
)
# The 40 speakers of dev-clean, in ARMORY's label order: the class names of a speaker label.
LIBRISPEECH_DEV_CLEAN_SPEAKERS = (  # noqa: SIM905 (40 ids as one packed string, not 40 lines)
    "84 174 251 422 652 777 1272 1462 1673 1919 1988 1993 2035 2078 2086 2277 2412 2428 2803 2902 "
    "3000 3081 3170 3536 3576 3752 3853 5338 5536 5694 5895 6241 6295 6313 6319 6345 7850 7976 8297 8842"
).split()


class LibrispeechTextConfig(tfds.core.BuilderConfig):
    """Chooses how the transcript is stored: plain text or subword ids."""

    def __init__(self, *, version: str, vocab_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(version=tfds.core.Version(version), **kwargs)
        self.vocab_size = vocab_size

    @property
    def text_encoder_config(self) -> tfds.deprecated.text.TextEncoderConfig | None:
        if self.vocab_size is None:
            return None
        return tfds.deprecated.text.TextEncoderConfig(
            encoder_cls=tfds.deprecated.text.SubwordTextEncoder, vocab_size=self.vocab_size
        )


def librispeech_text_configs(version: str) -> list[LibrispeechTextConfig]:
    """`plain_text` plus `subwords8k` / `subwords32k` (a TFDS SubwordTextEncoder of vocab 2**13 / 2**15)."""
    return [
        LibrispeechTextConfig(name="plain_text", version=version, description="Transcripts as plain text."),
        LibrispeechTextConfig(
            name="subwords8k", version=version, vocab_size=2**13, description="Transcripts as subword ids (vocab 8k)."
        ),
        LibrispeechTextConfig(
            name="subwords32k", version=version, vocab_size=2**15, description="Transcripts as subword ids (vocab 32k)."
        ),
    ]


def read_librispeech_table(path: epath.Path, fields: Sequence[str], archive: str) -> dict[int, dict[str, str]]:
    """Parse a pipe-separated LibriSpeech table, skipping ';' comment lines.

    The last field keeps any '|' it contains (a real SPEAKERS.TXT name is `|CBW|Simon`).
    """
    if not path.exists():
        raise FileNotFoundError(f"{path.name} missing from {archive} (expected at {path})")
    table = {}
    for line in path.read_text().splitlines():
        if line.startswith(";") or not line.strip():
            continue
        values = line.split("|", len(fields) - 1)
        table[int(values[0])] = {k: v.strip() for k, v in zip(fields[1:], values[1:], strict=False)}
    return table


def librispeech_download(
    dl_manager: tfds.download.DownloadManager, url_base: str, archives: dict[str, str]
) -> dict[str, epath.Path]:
    """Download and extract `url_base + file` for every split -> file of `archives`; split -> extract dir."""
    urls = {split: url_base + archive for split, archive in archives.items()}
    return {split: epath.Path(d) for split, d in dl_manager.download_and_extract(urls).items()}


def librispeech_metadata(directory: epath.Path, archive: str) -> dict[str, dict[int, dict[str, str]]]:
    """`speakers` and `chapters` tables (for `info.metadata`) from SPEAKERS.TXT / CHAPTERS.TXT in `directory`."""
    return {
        "speakers": read_librispeech_table(directory / "SPEAKERS.TXT", LIBRISPEECH_SPEAKER_FIELDS, archive),
        "chapters": read_librispeech_table(directory / "CHAPTERS.TXT", LIBRISPEECH_CHAPTER_FIELDS, archive),
    }


def librispeech_transcripts(
    directory: epath.Path, archive: str, *, top: str = "LibriSpeech/<subset>"
) -> Iterator[tuple[str, str, epath.Path]]:
    """Yield (utterance id, transcript, flac path) for every line of every transcript file.

    Transcripts are `<top>/<speaker>/<chapter>/*.txt` under `directory`, sorted; each `<...>` part of `top`
    matches any one directory (the official archives: `LibriSpeech/<subset>`; ARMORY's re-split: `<top>`).
    """
    files = sorted(directory.glob(re.sub(r"<[^>]*>", "*", top) + "/*/*/*.txt"))
    if not files:
        raise FileNotFoundError(f"no {top}/<speaker>/<chapter>/*.txt transcripts in {archive}")
    for transcript_file in files:
        for line in transcript_file.read_text().splitlines():
            if not line.strip():
                continue
            key, _, text = line.strip().partition(" ")
            yield key, text, transcript_file.parent / f"{key}.flac"


def librispeech_examples(
    directory: epath.Path,
    archive: str,
    *,
    top: str = "LibriSpeech/<subset>",
    speakers: Sequence[str] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (utterance id, example) with `id`, `speaker_id`, `chapter_id`, `speech` (the flac) and `text`.

    With `speakers` (class names), the example also gets `label` = the speaker id, which must be one of them.
    """
    for key, text, flac in librispeech_transcripts(directory, archive, top=top):
        if not flac.exists():
            raise FileNotFoundError(f"{flac.name} (listed in a transcript) missing from {archive}")
        speaker_id, chapter_id, _ = key.split("-")
        example = {
            "id": key,
            "speaker_id": int(speaker_id),
            "chapter_id": int(chapter_id),
            "speech": flac,
            "text": text,
        }
        if speakers is not None:
            if speaker_id not in speakers:
                raise ValueError(
                    f"{flac.name} in {archive}: speaker {speaker_id} is not one of the {len(speakers)} labels"
                )
            example["label"] = speaker_id
        yield key, example
