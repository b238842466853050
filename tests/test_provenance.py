"""Provenance in our checksum file: what it records, what it leaves out, and what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsbuild.artifact.checksums import ChecksumRecord, read_checksum_file, write_checksum_file
from dsbuild.artifact.provenance import (
    BuildInputs,
    builder_files,
    builder_source_sha256,
    collect,
    safe_command,
    side_by_side,
)
from dsbuild.errors import ChecksumError
from tests.helpers import ROOT

DIGIT = ROOT / "datasets" / "digit"


def digit_provenance(**changes: object) -> dict:
    inputs = BuildInputs("digit", "1.0.8", DIGIT, None, None, 1, None, ("build.py", "-ds", "digit"))
    return collect(inputs) | changes


def test_builder_files_exclude_dummy_data_tests_and_caches(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    for rel in (
        "b.py",
        "__init__.py",
        "checksums.tsv",
        "labels.txt",
        "b_test.py",
        "dummy_data/x.wav",
        "__pycache__/b.cpython-311.pyc",
        ".hidden",
        "sub/helper.py",
    ):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(rel)
    assert builder_files(folder) == ["__init__.py", "b.py", "checksums.tsv", "labels.txt", "sub/helper.py"]
    before = builder_source_sha256(folder)
    (folder / "dummy_data" / "x.wav").write_text("other")
    assert builder_source_sha256(folder) == before
    (folder / "labels.txt").write_text("changed")
    assert builder_source_sha256(folder) != before


def test_collect_records_sources_tools_and_options() -> None:
    prov = digit_provenance()
    assert prov["builder"]["name"] == "digit" and len(prov["builder"]["source_sha256"]) == 64
    assert "digit_test.py" not in prov["builder"]["files"] and "digit.py" in prov["builder"]["files"]
    assert list(prov["sources"].values()) and all(len(v) == 64 for v in prov["sources"].values())
    assert set(prov["tools"]) == {"python", "tensorflow", "tensorflow_datasets", "protobuf", "isal", "dsbuild"}
    assert prov["options"] == {
        "config": None,
        "file_format": "tfrecord",
        "compression_level": 1,
        "max_examples_per_split": None,
    }


def test_command_line_keeps_no_paths_of_the_users_machine() -> None:
    argv = ["build.py", "-lcs", "/home/alice/work/my_ds/", "-o", "/srv/data", "--manual-dir=~/dl", "--config", "a"]
    assert safe_command(argv) == ["build.py", "-lcs", "my_ds", "-o", "data", "--manual-dir=dl", "--config", "a"]
    text = json.dumps(digit_provenance(command=safe_command(argv)))
    assert "alice" not in text and "/home" not in text


def test_provenance_goes_in_the_checksum_file_but_not_the_index(tmp_path: Path) -> None:
    record = ChecksumRecord("digit", "1.0.8", 10, "a" * 64, ("digit/1.0.8",), provenance=digit_provenance())
    assert "provenance" not in record.index_entry()
    assert set(record.index_entry()) == {"sha256", "size", "subdir", "url", "version"}
    path = write_checksum_file(record, tmp_path)
    assert read_checksum_file(path).provenance == record.provenance
    assert read_checksum_file(path).with_url("s3://b/k").provenance == record.provenance


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"builder": {"name": "../../etc", "version": "1.0.8", "source_sha256": None, "files": []}}, "builder names"),
        ({"sources": {"a.zip": "not-a-sha"}}, "must be a sha256"),
        ({"command": ["x"] * 1001}, "at most 1000"),
        ({"command": ["x" * 70000]}, "larger than"),
        ({"options": {"config": None}}, "exactly the keys"),
        ({"tools": {"python": "3.11\n"}}, "printable text"),
        ({"format": 2}, "format"),
    ],
)
def test_malformed_or_oversized_provenance_is_refused(tmp_path: Path, change: dict, message: str) -> None:
    record = ChecksumRecord("digit", "1.0.8", 10, "a" * 64, ("digit/1.0.8",), provenance=digit_provenance(**change))
    path = write_checksum_file(record, tmp_path)
    with pytest.raises(ChecksumError, match="malformed checksum file") as caught:
        read_checksum_file(path)
    assert message in str(caught.value)


def test_side_by_side_names_what_changed() -> None:
    a = digit_provenance()
    b = digit_provenance(tools={**a["tools"], "tensorflow": "2.99.0"})
    text = side_by_side(a, b)
    assert "tools.tensorflow: local 2.21.0 | remote 2.99.0" in text.replace(a["tools"]["tensorflow"], "2.21.0")
    assert "builder" not in text
    assert "no provenance in the remote" in side_by_side(a, None)
