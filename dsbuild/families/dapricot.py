"""D-APRICOT (dapricot_dev, dapricot_test)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families.base import ArchiveFamily
from dsbuild.families.coco import (
    coco_annotations_by_image,
    coco_label,
    coco_object,
    coco_records,
    coco_section,
    load_coco_json,
)
from dsbuild.families.files import require_file

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
    # armory's builder sorts case-insensitively; the order decides the example keys.
    for info in sorted(images, key=lambda im: im["file_name"].lower()):
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
    images are sorted by name (case-insensitively) and zipped; camera 2/3 names must be camera 1's with
    the camera token changed. Keys count all examples of all scenes in order, before the split filter,
    from 1 as armory's builder does: TFDS orders stored examples by a hash of the key, so equal keys
    give armory's stored order.
    """
    if split not in DAPRICOT_SPLITS.values():
        raise ValueError(f"unknown D-APRICOT split {split!r}; expected one of {set(DAPRICOT_SPLITS.values())}")
    base = epath.Path(root) / partition
    cc_truth = _dapricot_csv(base / "annotations" / DAPRICOT_COLOR_CHECKER, archive)
    key = 0  # the last key given; the first example gets 1, as in armory's builder
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
            key += 1
            this_key = key
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


class DapricotFamily(ArchiveFamily):
    """dapricot_dev / dapricot_test: a builder sets VERSION, RELEASE_NOTES, URL, PARTITION and SCENES."""

    PARTITION: ClassVar[str]
    SCENES: ClassVar[tuple[str, ...]]
    SPLITS = tuple(DAPRICOT_SPLITS.values())

    def features(self) -> tfds.features.FeaturesDict:
        return dapricot_features()

    def _generate_examples(self, root: epath.Path, split: str) -> Iterator[tuple[int, dict[str, Any]]]:
        yield from dapricot_examples(root, self.PARTITION, self.SCENES, split, archive=self.archive)
