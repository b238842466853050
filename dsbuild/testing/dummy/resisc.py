"""Dummy source images of the RESISC builders (resisc45, resisc45_split, resisc10_poison)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def jpeg_bytes(seed: int) -> bytes:
    """A 256x256 RGB JPEG (the declared fixed shape): flat colour plus an 8x8 noise patch, ~0.7 kB."""
    rng = np.random.default_rng(seed)
    pixels = np.empty((256, 256, 3), dtype=np.uint8)
    pixels[:] = rng.integers(0, 256, size=3, dtype=np.uint8)
    pixels[:8, :8] = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=50, optimize=True)
    return buf.getvalue()
