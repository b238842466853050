"""The dataset lock: one dsbuild process at a time per dataset and data dir.

Build, pack, upload (when it packs) and download all take it, so it lives
apart from any of them and imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from dsbuild.errors import BuildInProgressError
from dsbuild.paths import LOCK_DIR


@contextlib.contextmanager
def dataset_lock(data_dir: Path, name: str) -> Iterator[None]:
    """Hold `<data dir>/_locks/<name>.lock` exclusively; another holder means BuildInProgressError at once."""
    lock_dir = data_dir / LOCK_DIR
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{name}.lock", "w") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildInProgressError(
                f"another dsbuild process is building or packing {name} in {data_dir}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
