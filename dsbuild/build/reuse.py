"""Whether an existing build may be reused: what its provenance says against what would be built now.

A build packed by build.py records (in its checksum file's `provenance`) the
sha256 of its builder folder's source files and the options that change its
bytes. When the builder folder asked for now has other sources, or the options
differ, the build is stale: it is built again, never reported "up to date".
A TFDS-core dataset (its code is the installed TFDS) and a build without
provenance (--no-pack, `tfds build`, --pack-only, an older dsbuild) cannot be
compared: they are reused as before, and the log says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsbuild.artifact.checksums import read_checksum_file
from dsbuild.artifact.provenance import builder_file_sha256s, builder_source_sha256
from dsbuild.build.catalog import CatalogEntry
from dsbuild.errors import ChecksumError
from dsbuild.paths import checksum_file_name

MAX_NAMED = 8  # changed files named in one message; the rest counted


@dataclass(frozen=True)
class Verdict:
    """`known` False: nothing to compare with (`why` says what); else `stale` lists what differs."""

    known: bool
    why: str = ""
    stale: tuple[str, ...] = ()  # why the build must be made again (builder source, options)
    repack: bool = False  # only the tarball's compression level differs
    provenance: dict[str, Any] | None = None  # the recorded one, when known


def _named(files: list[str]) -> str:
    shown = ", ".join(files[:MAX_NAMED])
    return shown + (f" and {len(files) - MAX_NAMED} more" if len(files) > MAX_NAMED else "")


def changed_files(folder: Path, recorded: dict[str, Any], built_at: float) -> str | None:
    """None if `folder` has the recorded builder source; else which files differ, as a phrase."""
    now = builder_file_sha256s(folder)
    if builder_source_sha256(folder, now) == recorded["source_sha256"]:
        return None
    before = recorded.get("file_sha256")
    old_files = set(recorded["files"])
    parts = []
    added = sorted(set(now) - old_files)
    missing = sorted(old_files - set(now))
    if isinstance(before, dict):
        changed = sorted(rel for rel in set(now) & old_files if before.get(rel) != now[rel])
        if changed:
            parts.append(f"changed: {_named(changed)}")
    else:
        # Older records hold one digest for the whole folder: name the files edited since the build.
        newer = sorted(rel for rel in set(now) & old_files if (folder / rel).stat().st_mtime > built_at)
        parts.append(f"modified since the build: {_named(newer)}" if newer else "a file's contents differ")
    if added:
        parts.append(f"new: {_named(added)}")
    if missing:
        parts.append(f"removed: {_named(missing)}")
    return "; ".join(parts)


def recorded_provenance(entry: CatalogEntry, data_dir: Path) -> tuple[dict[str, Any] | None, float, str]:
    """(provenance, the checksum file's mtime, why there is none) of `entry`'s packed build in `data_dir`."""
    path = data_dir / checksum_file_name(entry.name, entry.version)
    if not path.is_file():
        return None, 0.0, "it was never packed here (--no-pack or a plain `tfds build`), so it records no provenance"
    try:
        record = read_checksum_file(path)
    except ChecksumError as exc:
        return None, 0.0, f"its checksum file cannot be read ({exc})"
    if record.provenance is None:
        return None, 0.0, f"{path.name} records no provenance (--pack-only, --add-custom or an older dsbuild)"
    return record.provenance, path.stat().st_mtime, ""


def judge(
    entry: CatalogEntry,
    data_dir: Path,
    *,
    config: str | None = None,
    file_format: str | None = None,
    max_examples_per_split: int | None = None,
    compression_level: int | None = None,
) -> Verdict:
    """May `entry`'s existing build in `data_dir` be reused for a build with these options?"""
    if entry.source is None:
        return Verdict(False, "a TFDS-core dataset: its builder is the installed TFDS, not compared")
    provenance, built_at, why = recorded_provenance(entry, data_dir)
    if provenance is None:
        return Verdict(False, why)
    stale: list[str] = []
    recorded = provenance["builder"]
    if recorded.get("source_sha256") is None:
        return Verdict(False, "it was built by TFDS's own builder, not a builder folder")
    changes = changed_files(entry.source.folder, recorded, built_at)
    if changes is not None:
        stale.append(f"the builder source in {entry.source.folder} differs from the one it was built from ({changes})")
    options = provenance["options"]
    if options["config"] is not None and options["config"] != config:
        stale.append(f"it was built with --config {options['config']}, now {config or 'every config'}")
    if options["file_format"] != (file_format or "tfrecord"):
        stale.append(f"it was built as {options['file_format']}, now {file_format or 'tfrecord'}")
    if options["max_examples_per_split"] != max_examples_per_split:
        was, now = options["max_examples_per_split"], max_examples_per_split
        stale.append(
            f"it was built with {'--max-examples-per-split ' + str(was) if was else 'every example'}, "
            f"now {'--max-examples-per-split ' + str(now) if now else 'every example'}"
        )
    repack = compression_level is not None and options["compression_level"] != compression_level
    return Verdict(True, stale=tuple(stale), repack=repack, provenance=provenance)


def builder_changed(entry: CatalogEntry, data_dir: Path) -> str | None:
    """For --list: which files of `entry`'s builder folder differ from its packed build's, or None
    (the same, or nothing to compare with)."""
    if entry.source is None:
        return None
    provenance, built_at, _ = recorded_provenance(entry, data_dir)
    if provenance is None or provenance["builder"].get("source_sha256") is None:
        return None
    return changed_files(entry.source.folder, provenance["builder"], built_at)
