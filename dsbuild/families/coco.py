"""COCO-style annotation reading (apricot_*, dapricot_*, minicoco)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from etils import epath

from dsbuild.families.boxes import to_tfds_bbox
from dsbuild.families.files import require_file


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
