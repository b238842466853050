"""Pictures for the dataset card, drawn with Pillow: images with their boxes, masks and
green-screen corners, video frame strips, audio waveforms, and WAV clips.

Every function is pure: the same arrays give the same bytes (Pillow's PNG writer
adds no timestamps; `wave` adds none either), so cards are reproducible.
"""

from __future__ import annotations

import base64
import io
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Small images are enlarged by a whole factor (nearest neighbour) until the long side reaches
# MIN_SIDE; large ones are shrunk to MAX_SIDE. Boxes are drawn after scaling, so lines stay thin.
MIN_SIDE = 128
MAX_SIDE = 320
FRAME_SIDE = 160
STRIP_FRAMES = 6
WAVEFORM_SIZE = (360, 64)
MAX_AUDIO_SECONDS = 20
MASK_COLOUR = (255, 0, 255)
GS_COLOUR = (0, 255, 0)
# Distinct, readable on photos; class i gets PALETTE[i % len(PALETTE)].
PALETTE: tuple[tuple[int, int, int], ...] = (
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
    (0, 128, 128),
    (170, 110, 40),
)


def class_colour(label: int | None) -> tuple[int, int, int]:
    return PALETTE[0 if label is None or label < 0 else label % len(PALETTE)]


@dataclass
class Box:
    """A box in normalised [ymin, xmin, ymax, xmax] (TFDS BBoxFeature) with an optional class."""

    coords: tuple[float, float, float, float]
    label: int | None = None
    text: str = ""


@dataclass
class Overlay:
    """What is drawn on one image: boxes, masks (same height/width as the image) and polygons in pixels."""

    boxes: list[Box] = field(default_factory=list)
    masks: list[np.ndarray] = field(default_factory=list)
    polygons: list[np.ndarray] = field(default_factory=list)  # (k, 2) as (x, y) source pixels
    pixel_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)  # x1, y1, x2, y2


def png_data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def wav_data_uri(data: bytes) -> str:
    return "data:audio/wav;base64," + base64.b64encode(data).decode("ascii")


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    values = array.astype(np.float64)
    low, high = float(np.min(values)) if values.size else 0.0, float(np.max(values)) if values.size else 0.0
    if high <= low:
        return np.zeros(array.shape, dtype=np.uint8)
    return np.round((values - low) * (255.0 / (high - low))).astype(np.uint8)


def to_pil(array: np.ndarray) -> Image.Image:
    """An (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array of any numeric dtype as an RGB image."""
    pixels = _to_uint8(np.asarray(array))
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim == 2:
        return Image.fromarray(pixels, mode="L").convert("RGB")
    if pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        return Image.fromarray(np.ascontiguousarray(pixels[:, :, :3]), mode="RGB")
    raise ValueError(f"not an image: shape {array.shape}")


def display_size(height: int, width: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """(width, height) an image is shown at: whole-factor enlargement if small, shrunk to max_side if large."""
    side = max(height, width, 1)
    if side < MIN_SIDE:
        factor = max(1, MIN_SIDE // side)
        return width * factor, height * factor
    if side > max_side:
        scale = max_side / side
        return max(1, round(width * scale)), max(1, round(height * scale))
    return width, height


def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default()


def _label(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, colour: tuple[int, int, int]) -> None:
    if not text:
        return
    font = _font()
    left, top, right, bottom = draw.textbbox(xy, text, font=font)
    draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=colour)
    draw.text(xy, text, fill=(0, 0, 0) if sum(colour) > 380 else (255, 255, 255), font=font)


def render_image(array: np.ndarray, overlay: Overlay | None = None, max_side: int = MAX_SIDE) -> Image.Image:
    """The image at display size with masks blended in and boxes, corners and labels drawn on top."""
    source = np.asarray(array)
    height, width = source.shape[:2]
    base = to_pil(source)
    overlay = overlay or Overlay()
    if overlay.masks:
        tint = Image.new("RGB", base.size, MASK_COLOUR)
        for mask in overlay.masks:
            m = np.asarray(mask)
            if m.ndim == 3:
                m = m.max(axis=2)
            alpha = Image.fromarray(np.where(m > 0, 110, 0).astype(np.uint8), mode="L")
            base = Image.composite(tint, base, alpha)
    size = display_size(height, width, max_side)
    shown = base.resize(size, Image.Resampling.NEAREST if size[0] >= width else Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(shown)
    sx, sy = size[0] / width, size[1] / height
    for polygon in overlay.polygons:
        points = [(float(x) * sx, float(y) * sy) for x, y in np.asarray(polygon).reshape(-1, 2)]
        if len(points) >= 2:
            draw.line([*points, points[0]], fill=GS_COLOUR, width=2)
    for x1, y1, x2, y2 in overlay.pixel_boxes:
        draw.rectangle((x1 * sx, y1 * sy, max(x1, x2) * sx, max(y1, y2) * sy), outline=PALETTE[0], width=2)
    for box in overlay.boxes:
        ymin, xmin, ymax, xmax = box.coords
        x0, y0 = round(xmin * size[0]), round(ymin * size[1])
        x1, y1 = round(xmax * size[0]) - 1, round(ymax * size[1]) - 1
        colour = class_colour(box.label)
        draw.rectangle((x0, y0, max(x0, x1), max(y0, y1)), outline=colour, width=2)
        _label(draw, (x0 + 2, y0 + 2), box.text, colour)
    return shown


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def frame_indices(count: int, wanted: int = STRIP_FRAMES) -> list[int]:
    """Evenly spread frame numbers, first and last included."""
    if count <= wanted:
        return list(range(count))
    return [round(i * (count - 1) / (wanted - 1)) for i in range(wanted)]


def render_strip(
    frames: np.ndarray | Sequence[np.ndarray],
    overlays: Sequence[Overlay | None] | None = None,
    wanted: int = STRIP_FRAMES,
) -> tuple[Image.Image, list[int]]:
    """A row of evenly spread frames of a (T, H, W, C) video, each with its own overlay; and their numbers."""
    indices = frame_indices(len(frames), wanted)
    tiles = []
    for i in indices:
        overlay = overlays[i] if overlays is not None and i < len(overlays) else None
        tile = render_image(frames[i], overlay, max_side=FRAME_SIDE)
        _label(ImageDraw.Draw(tile), (2, 2), f"#{i}", (255, 255, 255))
        tiles.append(tile)
    if not tiles:
        return Image.new("RGB", (1, 1)), []
    gap = 2
    strip = Image.new(
        "RGB",
        (sum(t.width for t in tiles) + gap * (len(tiles) - 1), max(t.height for t in tiles)),
        (255, 255, 255),
    )
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, 0))
        x += tile.width + gap
    return strip, indices


def _as_int16(samples: np.ndarray) -> np.ndarray:
    values = np.asarray(samples)
    if np.issubdtype(values.dtype, np.floating):
        peak = float(np.max(np.abs(values))) if values.size else 0.0
        scale = 32767.0 if peak <= 1.0 else 32767.0 / peak
        return np.clip(np.round(values * scale), -32768, 32767).astype(np.int16)
    wide = values.astype(np.int64)
    peak = int(np.max(np.abs(wide))) if wide.size else 0
    if peak > 32767:  # e.g. int32 samples: rescale into 16 bits
        wide = wide * 32767 // peak
    return wide.astype(np.int16)


def wav_bytes(samples: np.ndarray, sample_rate: int) -> tuple[bytes, bool]:
    """A 16-bit PCM WAV of (N,) or (N, C) samples, cut to MAX_AUDIO_SECONDS; and whether it was cut."""
    pcm = _as_int16(samples)
    if pcm.ndim == 1:
        pcm = pcm[:, None]
    limit = sample_rate * MAX_AUDIO_SECONDS
    cut = len(pcm) > limit
    pcm = pcm[:limit]
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(pcm.shape[1])
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(np.ascontiguousarray(pcm.astype("<i2")).tobytes())
    return out.getvalue(), cut


def render_waveform(samples: np.ndarray, size: tuple[int, int] = WAVEFORM_SIZE) -> Image.Image:
    """Min/max envelope of the (first channel of the) samples, one column per pixel."""
    width, height = size
    values = np.asarray(samples)
    if values.ndim == 2:
        values = values[:, 0]
    values = values.astype(np.float64)
    image = Image.new("RGB", size, (250, 250, 250))
    draw = ImageDraw.Draw(image)
    middle = height / 2
    draw.line((0, middle, width, middle), fill=(200, 200, 200))
    if values.size == 0:
        return image
    peak = float(np.max(np.abs(values))) or 1.0
    edges = np.linspace(0, values.size, width + 1).astype(np.int64)
    for x in range(width):
        start, stop = int(edges[x]), max(int(edges[x + 1]), int(edges[x]) + 1)
        chunk = values[start : min(stop, values.size)]
        if chunk.size == 0:
            continue
        top = middle - float(chunk.max()) / peak * (middle - 2)
        bottom = middle - float(chunk.min()) / peak * (middle - 2)
        draw.line((x, top, x, bottom), fill=(0, 90, 170))
    return image
