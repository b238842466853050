"""Pixel boxes to TFDS BBoxes (shared by every family with boxes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import tensorflow_datasets as tfds

BoxFormat = Literal["xywh", "xyxy"]


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
