"""When an existing build may be reused (dsbuild.build.reuse), without building: the verdicts for what
cannot be compared, and a checksum file's provenance against an edited builder folder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dsbuild.artifact.provenance import BuildInputs, collect
from dsbuild.build.builders import check_builder_path
from dsbuild.build.catalog import CatalogEntry, load_catalog
from dsbuild.build.pipeline import LOCAL
from dsbuild.build.reuse import builder_changed, judge
from tests.helpers import EXAMPLE


def _entry(folder: Path) -> CatalogEntry:
    source = check_builder_path(folder)
    return CatalogEntry(source.name, LOCAL, source.version, None, source)


def test_what_cannot_be_compared_is_said_plainly(tmp_path: Path) -> None:
    core = judge(load_catalog()["mnist"], tmp_path)
    assert not core.known and not core.stale and "TFDS-core dataset" in core.why
    unpacked = judge(_entry(EXAMPLE), tmp_path)
    assert not unpacked.known and "never packed here" in unpacked.why and "no provenance" in unpacked.why


def test_provenance_against_the_folder_and_the_options(tmp_path: Path) -> None:
    folder = tmp_path / "tiny_shapes"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    entry = _entry(folder)
    provenance = collect(BuildInputs("tiny_shapes", "1.0.0", folder, None, None, 1, None, ("build.py",)))
    record = {"name": "tiny_shapes", "version": "1.0.0", "tarball": "tiny_shapes-1.0.0.tar.gz", "size": 1}
    record |= {"sha256": "0" * 64, "subdir": "tiny_shapes/1.0.0", "url": None, "provenance": provenance}
    checksum_file = tmp_path / "tiny_shapes-1.0.0.json"
    checksum_file.write_text(json.dumps(record))
    os.utime(checksum_file, (1_000_000_000, 1_000_000_000))  # packed long before the edits below
    same = judge(entry, tmp_path, compression_level=1)
    if not same.known:  # this checksum file shape is not readable here: say why rather than pass vacuously
        raise AssertionError(same.why)
    assert same.stale == () and not same.repack
    assert judge(entry, tmp_path, compression_level=3).repack
    assert judge(entry, tmp_path, max_examples_per_split=2).stale == (
        "it was built with every example, now --max-examples-per-split 2",
    )
    assert builder_changed(entry, tmp_path) is None
    (folder / "notes.txt").write_text("new file")
    (folder / "tiny_shapes.py").write_text((folder / "tiny_shapes.py").read_text() + "\n# edited\n")
    changed = builder_changed(entry, tmp_path)
    assert changed is not None and "tiny_shapes.py" in changed and "new: notes.txt" in changed
    (stale,) = judge(entry, tmp_path).stale
    assert stale.startswith(f"the builder source in {folder} differs from the one it was built from (")
