"""How each kind of TFDS feature appears on the card: the feature table rows, and one example as cells.

Images get the example's BBoxFeature boxes (with their sibling ClassLabel as colour and text),
masks (any feature named *mask* with the image's height and width) and green-screen corners
(`gs_coords`, (4, 2) or per frame (T, 4, 2) as (x, y) pixels). A video's per-frame boxes are an
integer Tensor named *box* of shape (T, 4) in [x1, y1, x2, y2] pixels (CARLA video tracking). Videos become a strip of frames,
audio a WAV clip plus a waveform, text is shown, class labels by name; anything else, and anything
that fails to draw, is summarised by shape, dtype and range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dsbuild.card import draw
from dsbuild.card.pixels import EncodedFrames
from dsbuild.card.read import Leaf, leaves

MAX_TEXT = 600
MAX_LIST = 12
IMAGE_KINDS = ("Image",)
GS_COORDS = "gs_coords"
ORDER = {"image": 0, "strip": 1, "audio": 2, "text": 3, "summary": 4}


@dataclass(frozen=True)
class Cell:
    """One thing shown for an example. kind: image | strip | audio | text | summary."""

    kind: str
    key: str
    text: str = ""
    pngs: tuple[bytes, ...] = ()
    wav: bytes = b""


@dataclass(frozen=True)
class FeatureRow:
    key: str
    kind: str
    shape: str
    dtype: str
    class_names: tuple[str, ...] = ()


def _kind(feature: Any) -> str:
    return type(feature).__name__


def _shape(leaf: Leaf) -> str:
    shape = tuple(getattr(leaf.feature, "shape", ()) or ())
    dims = ["n"] * leaf.depth + ["?" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _dtype(feature: Any) -> str:
    dtype = getattr(feature, "np_dtype", None)  # not `or`: a plain np.dtype has len() 0, so is falsy
    if dtype is None:
        dtype = getattr(feature, "dtype", None)
    try:
        return np.dtype(dtype).name
    except TypeError:
        return str(dtype)


def feature_rows(features: Any) -> list[FeatureRow]:
    rows = []
    for leaf in leaves(features, None):
        names = tuple(leaf.feature.names) if _kind(leaf.feature) == "ClassLabel" else ()
        rows.append(FeatureRow(leaf.key, _kind(leaf.feature), _shape(leaf), _dtype(leaf.feature), names))
    return rows


def summarise(value: Any) -> str:
    """Shape, dtype and min/max of an array-like value (pictures: their shape from the header, not decoded)."""
    if isinstance(value, EncodedFrames):
        return value.describe()
    if isinstance(value, bytes):
        return f"{len(value):,} bytes"
    array = np.asarray(value)
    text = f"shape {tuple(array.shape)}, {array.dtype.name}"
    if array.size and (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        numbers = array.astype(np.float64)
        text += f", min {_num(float(np.min(numbers)))}, max {_num(float(np.max(numbers)))}"
    elif array.size and array.dtype.kind in "SUO" and array.ndim:
        text += ": " + ", ".join(_text(v) for v in array.ravel()[:MAX_LIST])
    return text


def _num(x: float) -> str:
    return f"{x:.6g}"


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"… ({len(text):,} characters)"


def _label_name(feature: Any, index: int) -> str:
    try:
        return str(feature.int2str(int(index)))
    except (ValueError, IndexError, KeyError):
        return str(int(index))


def _boxes(all_leaves: list[Leaf]) -> list[draw.Box]:
    """Every BBoxFeature value of the example, labelled by a ClassLabel of the same parent and length."""
    boxes: list[draw.Box] = []
    for leaf in all_leaves:
        if _kind(leaf.feature) != "BBoxFeature" or leaf.value is None:
            continue
        coords = np.asarray(leaf.value, dtype=np.float64).reshape(-1, 4)
        label_leaf = next(
            (
                other
                for other in all_leaves
                if _kind(other.feature) == "ClassLabel"
                and other.path[:-1] == leaf.path[:-1]
                and np.asarray(other.value).size == len(coords)
            ),
            None,
        )
        labels = np.asarray(label_leaf.value).ravel() if label_leaf is not None else None
        for i, box in enumerate(coords):
            label = int(labels[i]) if labels is not None else None
            text = _label_name(label_leaf.feature, label) if label_leaf is not None and label is not None else ""
            boxes.append(draw.Box((box[0], box[1], box[2], box[3]), label, text))
    return boxes


def _is_mask(leaf: Leaf) -> bool:
    return "mask" in leaf.path[-1].lower() if leaf.path else False


def _frames_of(leaf: Leaf) -> np.ndarray | EncodedFrames | None:
    """The value as a stack of images (n, H, W, C), or None if it is not image-like."""
    kind = _kind(leaf.feature)
    if isinstance(leaf.value, EncodedFrames):  # an Image or Video feature, still encoded
        return leaf.value if kind in IMAGE_KINDS or (kind == "Video" and leaf.depth == 0) else None
    array = np.asarray(leaf.value)
    if kind in IMAGE_KINDS:
        return array[None] if leaf.depth == 0 else array
    if kind == "Video":
        return array if leaf.depth == 0 else None
    if _is_mask(leaf) and array.ndim in (3, 4):  # a mask stored as a plain Tensor
        return array if array.ndim == 4 else array[..., None][None]
    return None


def example_cells(features: Any, example: dict[str, Any]) -> list[Cell]:
    """The cells of one example, in feature order; a feature that cannot be drawn is summarised."""
    all_leaves = list(leaves(features, example))
    boxes = _boxes(all_leaves)
    masks = [leaf for leaf in all_leaves if _is_mask(leaf) and leaf.value is not None]
    frame_boxes = [
        leaf
        for leaf in all_leaves
        if leaf.path and "box" in leaf.path[-1].lower() and _kind(leaf.feature) == "Tensor" and leaf.value is not None
    ]
    if not any(_kind(leaf.feature) == "Video" for leaf in all_leaves):
        frame_boxes = []
    coords = [leaf for leaf in all_leaves if leaf.path and leaf.path[-1] == GS_COORDS and leaf.value is not None]
    cells: list[Cell] = []
    for leaf in all_leaves:
        if leaf.value is None:
            continue
        try:
            cell = _cell(leaf, boxes, masks, coords, frame_boxes)
        except Exception as exc:  # a value the drawing code did not expect: summarise it instead
            cell = Cell("summary", leaf.key, f"{summarise(leaf.value)} (not drawn: {type(exc).__name__})")
        if cell is not None:
            cells.append(cell)
    # Pictures and sounds first, then labels and text, then summaries; feature order within each.
    return sorted(cells, key=lambda cell: ORDER.get(cell.kind, len(ORDER)))


def _matching(
    candidates: list[Leaf], frames: np.ndarray | EncodedFrames, exclude: Leaf
) -> list[np.ndarray | EncodedFrames]:
    """Mask stacks (n, H, W, C) of the same height and width as `frames`, not the image itself."""
    found = []
    for leaf in candidates:
        if leaf is exclude:
            continue
        stack = _frames_of(leaf)
        if stack is not None and stack.shape[1:3] == frames.shape[1:3]:
            found.append(stack)
    return found


def _gs_polygons(coords: list[Leaf], frame_count: int, frame: int) -> list[np.ndarray]:
    polygons = []
    for leaf in coords:
        array = np.asarray(leaf.value)
        if array.shape == (4, 2):
            polygons.append(array)
        elif array.ndim == 3 and array.shape[1:] == (4, 2) and len(array) == frame_count and frame < len(array):
            polygons.append(array[frame])
    return polygons


def _frame_boxes(candidates: list[Leaf], frame_count: int, frame: int) -> list[tuple[float, float, float, float]]:
    found = []
    for leaf in candidates:
        array = np.asarray(leaf.value)
        if array.ndim == 2 and array.shape == (frame_count, 4):
            x1, y1, x2, y2 = (float(v) for v in array[frame])
            found.append((x1, y1, x2, y2))
    return found


def declared_sample_rate(feature: Any) -> int | None:
    """The Audio feature's own sample_rate (a positive whole number of Hz), or None when it declares none."""
    rate = getattr(feature, "sample_rate", None)
    if isinstance(rate, bool) or not isinstance(rate, int | float | np.integer | np.floating):
        return None
    return int(rate) if 0 < rate < 2**31 and float(rate).is_integer() else None


def _cell(
    leaf: Leaf, boxes: list[draw.Box], masks: list[Leaf], coords: list[Leaf], frame_boxes: list[Leaf]
) -> Cell | None:
    kind = _kind(leaf.feature)
    frames = _frames_of(leaf)
    if frames is not None and (kind in IMAGE_KINDS or kind == "Video") and not _is_mask(leaf):
        if isinstance(frames, EncodedFrames) and (why := frames.over_budget()):
            return Cell("summary", leaf.key, f"{frames.describe()} (not drawn: {why})")
        mask_stacks = _matching(masks, frames, leaf)

        def overlay(i: int) -> draw.Overlay:
            # Built per drawn frame: an encoded mask frame is decoded only when its picture is drawn.
            return draw.Overlay(
                boxes=boxes if kind in IMAGE_KINDS else [],
                masks=[m[i if len(m) == len(frames) else 0] for m in mask_stacks],
                polygons=_gs_polygons(coords, len(frames), i),
                pixel_boxes=_frame_boxes(frame_boxes, len(frames), i) if kind == "Video" else [],
            )

        if kind == "Video":
            wanted = set(draw.frame_indices(len(frames)))
            strip, shown = draw.render_strip(frames, [overlay(i) if i in wanted else None for i in range(len(frames))])
            shown_text = ", ".join(map(str, shown))
            return Cell("strip", leaf.key, f"{len(frames)} frames, showing {shown_text}", (draw.png_bytes(strip),))
        pictures = tuple(draw.png_bytes(draw.render_image(frames[i], overlay(i))) for i in range(len(frames)))
        return Cell("image", leaf.key, f"{frames.shape[2]}×{frames.shape[1]}", pictures)
    if frames is not None and _is_mask(leaf):
        return Cell("summary", leaf.key, summarise(leaf.value) + " (overlaid in magenta on images of its size)")
    if kind == "Audio" and leaf.depth == 0:
        samples = np.asarray(leaf.value)
        waveform = (draw.png_bytes(draw.render_waveform(samples)),)
        rate = declared_sample_rate(leaf.feature)
        if rate is None:  # any rate would be invented: a clip played at it would be too fast or too slow
            note = f"{len(samples):,} samples; sample rate not declared, so no duration and no player"
            return Cell("audio", leaf.key, note, waveform)
        wav, cut = draw.wav_bytes(samples, rate)
        seconds = len(samples) / rate
        note = f"{seconds:.2f} s at {rate} Hz" + (f", first {draw.MAX_AUDIO_SECONDS} s playable" if cut else "")
        return Cell("audio", leaf.key, note, waveform, wav=wav)
    if kind == "Text":
        values = np.asarray(leaf.value, dtype=object).ravel() if leaf.depth else [leaf.value]
        return Cell("text", leaf.key, " | ".join(_text(v) for v in list(values)[:MAX_LIST]))
    if kind == "ClassLabel":
        values = np.asarray(leaf.value).ravel()
        names = [f"{_label_name(leaf.feature, v)} ({int(v)})" for v in values[:MAX_LIST]]
        more = f" … {len(values) - MAX_LIST} more" if len(values) > MAX_LIST else ""
        return Cell("text", leaf.key, (", ".join(names) or "none") + more)
    if any(leaf is other for other in frame_boxes):
        return Cell("summary", leaf.key, summarise(leaf.value) + " (drawn on the frames as [x1, y1, x2, y2])")
    if kind == "BBoxFeature" and boxes:
        return Cell("summary", leaf.key, f"{np.asarray(leaf.value).size // 4} box(es), drawn on the images")
    return Cell("summary", leaf.key, summarise(leaf.value))
