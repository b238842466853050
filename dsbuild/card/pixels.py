"""Pictures read for the card as their encoded bytes: size from the header, decoded only within a pixel budget.

The card reads images (and video frames) undecoded, and decodes each one it draws just
before drawing it, one at a time, only when its header says it has at most MAX_PIXELS
pixels; a larger one is summarised by its shape. So the card's memory follows what it
shows, not the data: a 190 KB PNG of 8000×8000 zeros is never expanded to 192 MB.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

# 4096 × 4096: one such RGB image is 48 MiB decoded, a few times that while it is drawn.
MAX_PIXELS = 4096 * 4096

_PNG = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): they carry the size.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD9)}  # TEM, RSTn, SOI, EOI: markers without a length


class OverBudgetError(ValueError):
    """A picture whose header gives more pixels than the card decodes (or no readable size)."""


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _STANDALONE:
            at += 2
            continue
        (length,) = struct.unpack_from(">H", data, at + 2)
        if marker in _SOF:
            if at + 9 > len(data):
                return None
            height, width = struct.unpack_from(">HH", data, at + 5)
            return width, height
        if marker == 0xDA or length < 2:  # start of scan before any frame header: not a usable JPEG
            return None
        at += 2 + length
    return None


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, JPEG, GIF or BMP header (TensorFlow's formats), or None."""
    if data.startswith(_PNG) and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack_from(">II", data, 16)
        return width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack_from("<HH", data, 6)
        return width, height
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack_from("<ii", data, 18)
        return abs(width), abs(height)
    return None


def _as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else bytes(value)


@dataclass(frozen=True, eq=False)
class EncodedFrames:
    """One image (n = 1) or a stack of n encoded frames of one TFDS Image feature, decoded on demand."""

    feature: Any  # tfds.features.Image
    frames: tuple[bytes, ...]
    single: bool = False  # one image, not a sequence of frames

    @classmethod
    def of(cls, feature: Any, value: Any) -> EncodedFrames:
        """From what a skipped decode gives: bytes, or an array (or ragged value) of bytes."""
        if isinstance(value, bytes):
            return cls(feature, (value,), single=True)
        flat = getattr(value, "flat_values", value)
        return cls(feature, tuple(_as_bytes(v) for v in np.asarray(flat, dtype=object).ravel()))

    def sizes(self) -> Iterator[tuple[int, int] | None]:
        return (header_size(frame) for frame in self.frames)

    @property
    def channels(self) -> int:
        shape = tuple(getattr(self.feature, "shape", ()) or ())
        return int(shape[-1]) if shape and shape[-1] is not None else 3

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(getattr(self.feature, "np_dtype", np.uint8))

    @property
    def shape(self) -> tuple[int, ...]:
        """(n, height, width, channels) as the first frame's header says ((n, 0, 0, c) if unreadable)."""
        first = header_size(self.frames[0]) if self.frames else None
        width, height = first or (0, 0)
        return (len(self.frames), height, width, self.channels)

    @property
    def ndim(self) -> int:
        return 4

    def over_budget(self) -> str:
        """Why these frames are not drawn ("" when every frame's header is readable and within MAX_PIXELS)."""
        for size in self.sizes():
            if size is None:
                return "no readable PNG, JPEG, GIF or BMP header"
            if size[0] * size[1] > MAX_PIXELS:
                return f"{size[0] * size[1]:,} pixels, over the card's budget of {MAX_PIXELS:,} per picture"
        return ""

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index: int) -> np.ndarray:
        """Frame `index` decoded as TFDS decodes it (H, W, C), after its header is checked against the budget."""
        data = self.frames[index]
        size = header_size(data)
        if size is None or size[0] * size[1] > MAX_PIXELS:
            raise OverBudgetError(f"picture of size {size} not decoded")
        import tensorflow as tf

        return self.feature.decode_example(tf.constant(data)).numpy()

    def describe(self) -> str:
        n, height, width, channels = self.shape
        dims = (height, width, channels) if self.single else (n, height, width, channels)
        encoded = sum(len(frame) for frame in self.frames)
        return f"shape {dims}, {self.dtype.name}, {encoded:,} bytes encoded"
