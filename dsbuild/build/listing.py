"""`build.py --list`: every supported dataset, its versions and whether it is built and packed here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dsbuild.artifact.built_dataset import find_built
from dsbuild.build.reuse import builder_changed
from dsbuild.errors import NotBuiltError
from dsbuild.paths import tarball_name

if TYPE_CHECKING:
    from dsbuild.build.catalog import CatalogEntry


def built_status(data_dir: Path, entry: CatalogEntry) -> tuple[bool, bool]:
    """(is built here, has a tarball here) for --list; never raises on odd layouts."""
    try:
        built = find_built(data_dir, entry.name, entry.version)
    except NotBuiltError:
        built = None
    has_tarball = (data_dir / tarball_name(entry.name, entry.version)).is_file()
    return built is not None, has_tarball


def versions_cell(entry: CatalogEntry) -> str:
    """Every buildable version, the default marked with '*'."""
    return ",".join(f"{v}*" if v == entry.default else v for v in entry.buildable)


def list_lines(catalog: Mapping[str, CatalogEntry], data_dir: Path) -> list[str]:
    """The --list table, one aligned line per dataset under a header, notes, then the data dir.

    BUILT and TARBALL are about the default version; BUILT is "stale" when the build here was packed
    from other builder sources than the folder holds now (dsbuild.build.reuse). ARMORY is the version the
    installed armory-testbed's loader requests ("-": it has no loader for it).
    """
    rows = [("NAME", "CATEGORY", "VERSIONS", "ARMORY", "BUILT", "TARBALL")]
    notes: list[str] = []
    stale: list[str] = []
    for entry in catalog.values():
        built, tarball = built_status(data_dir, entry)
        armory = entry.armory_version or "-"
        changed = builder_changed(entry, data_dir) if built else None
        if changed is not None:
            assert entry.source is not None
            stale.append(f"  {entry.name} {entry.version}: {changed} (build.py -ds {entry.name} builds it again)")
        rows.append(
            (
                entry.name,
                entry.category,
                versions_cell(entry),
                armory,
                ("stale" if changed is not None else "yes") if built else "no",
                "yes" if tarball else "no",
            )
        )
        if entry.armory_version not in (None, entry.default):
            notes.append(f"  {entry.name}: default {entry.default}, armory asks {armory}")
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    if notes:
        lines += ["", "default (the builder's VERSION) differs from what armory asks for:", *notes]
    if stale:
        lines += ["", "stale: built here from another builder source than the folder's now:", *stale]
    return [*lines, "", "* default version (`build.py -ds NAME:VERSION` builds another)", f"data dir: {data_dir}"]
