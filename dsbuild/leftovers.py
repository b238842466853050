"""What interrupted (even SIGKILLed) runs leave behind, removed by the next run that takes the dataset's lock.

Packing, downloading and upload's packing all write under temporary names
(`paths.temp_sibling`) and rename into place; whichever of them next holds a
dataset's lock removes that dataset's stale temporary names. A large download
keeps its received bytes in `.dsbuild-partial-<name>-<version>.tar.gz` beside a
`.json` naming the object they came from, to be resumed by the next run; one of
the pair without the other is a leftover.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from dsbuild.log import log
from dsbuild.paths import DIGEST_CACHE_DIR, TEMP_MARK

PARTIAL_MARK = ".dsbuild-partial-"
PARTIAL_META_SUFFIX = ".json"


def partial_download_path(directory: Path, tarball: str) -> Path:
    """Where a resumable download of `tarball` keeps its received bytes between runs."""
    return directory / f"{PARTIAL_MARK}{tarball}"


def remove_stale_temp_files(final_path: Path) -> list[Path]:
    """Remove temporary files an interrupted (even SIGKILLed) write of `final_path` left.

    Call it only while holding the dataset's lock, so no live writer is affected.
    """
    removed = []
    if final_path.parent.is_dir():
        for entry in final_path.parent.iterdir():
            if entry.name.startswith(TEMP_MARK) and entry.name.endswith(f"-{final_path.name}"):
                # Our writes leave files; a directory under such a name was planted or left by hand.
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed.append(entry)
    return removed


def remove_leftovers(directory: Path, name: str) -> list[Path]:
    """Remove what interrupted (even SIGKILLed) runs left for dataset `name` in `directory`.

    Only our own temporary names (`TEMP_MARK` + 32 hex digits + `-name`, then
    optionally `-<version>.tar.gz` / `-<version>.json`) in `directory` and its
    digest cache. Call it only while holding the dataset's lock.
    """
    pattern = re.compile(rf"^{re.escape(TEMP_MARK)}[0-9a-f]{{32}}-{name}(-\d+\.\d+\.\d+\.(tar\.gz|json)(\.json)?)?$")
    removed = []
    for folder in (directory, directory / DIGEST_CACHE_DIR):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not pattern.match(entry.name):
                continue
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            log.debug("removed {}, left by an interrupted run", path)
            removed.append(path)
    return removed + _remove_unpaired_partials(directory, name)


def _remove_unpaired_partials(directory: Path, name: str) -> list[Path]:
    """A partial download without the JSON that says what it is (or that JSON alone) can never be resumed."""
    pattern = re.compile(
        rf"^{re.escape(PARTIAL_MARK)}{name}-\d+\.\d+\.\d+\.tar\.gz({re.escape(PARTIAL_META_SUFFIX)})?$"
    )
    try:
        names = {entry.name for entry in os.scandir(directory) if pattern.match(entry.name)}
    except OSError:
        return []
    removed = []
    for entry in sorted(names):
        meta = entry.endswith(PARTIAL_META_SUFFIX)
        pair = entry[: -len(PARTIAL_META_SUFFIX)] if meta else entry + PARTIAL_META_SUFFIX
        if pair not in names:
            path = directory / entry
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            log.debug("removed {}, left by an interrupted download", path)
            removed.append(path)
    return removed
