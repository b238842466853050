"""The dataset lock: one dsbuild process at a time per dataset and data dir.

Build, pack, upload (when it packs) and download all take it, so it lives
apart from any of them and imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from dsbuild.errors import BuildInProgressError, OutputDirError
from dsbuild.paths import LOCK_DIR


@contextlib.contextmanager
def dataset_lock(data_dir: Path, name: str) -> Iterator[None]:
    """Hold `<data dir>/_locks/<name>.lock` exclusively; another holder means BuildInProgressError at once.

    The lock file is opened without truncating and never through a symlink
    (O_NOFOLLOW, and `_locks` itself must be a real directory), so a planted
    link cannot make us create or clobber a file elsewhere.
    """
    lock_dir = data_dir / LOCK_DIR
    path = lock_dir / f"{name}.lock"
    try:
        lock_dir.mkdir(parents=True, exist_ok=True)
        if lock_dir.is_symlink():
            raise OutputDirError(f"{str(lock_dir)!r} is a symbolic link; remove it (dsbuild creates it)")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputDirError(f"the lock file {str(path)!r} is a symbolic link; remove it") from None
        raise OutputDirError(f"cannot create the lock file {str(path)!r}: {exc.strerror or exc}") from None
    with open(fd, "r+b") as lock_file:
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
