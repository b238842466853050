"""Missing files and .npy arrays: every reader checks its input and names the source archive."""

from __future__ import annotations

import numpy as np
from etils import epath


def require_file(path: epath.PathLike, archive: str) -> epath.Path:
    """Return `path` as an `epath.Path`, or raise FileNotFoundError naming it and its source archive.

    Builders call this before reading anything, so a truncated download fails with a message that says
    what is missing instead of producing a partial dataset.
    """
    p = epath.Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: file missing from source archive {archive!r}")
    return p


def load_npy(path: epath.Path, archive: str, shape: tuple[int, ...], dtype: type[np.generic]) -> np.ndarray:
    """np.load a .npy from the archive and check its shape; cast within the same dtype kind only."""
    with require_file(path, archive).open("rb") as f:
        arr = np.load(f)
    if arr.shape != shape:
        raise ValueError(f"{path}: expected shape {shape}, got {arr.shape} (archive {archive!r})")
    try:
        return arr.astype(dtype, casting="same_kind")
    except TypeError as e:
        raise ValueError(f"{path}: dtype {arr.dtype} cannot be read as {np.dtype(dtype)}") from e


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
