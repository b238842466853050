"""The checksum file: its fields, validation, atomic writes and armory's index."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from dsbuild.artifact.checksums import (
    ChecksumRecord,
    file_sha256,
    merge_index,
    read_checksum_file,
    write_checksum_file,
)
from dsbuild.errors import ChecksumError

SHA = "ab" * 32


def record(**overrides) -> ChecksumRecord:
    fields = {"name": "mnist", "version": "3.0.1", "size": 10, "sha256": SHA, "subdirs": ("mnist/3.0.1",)}
    return ChecksumRecord(**{**fields, **overrides})


def test_round_trip_and_armory_shape(tmp_path: Path) -> None:
    path = write_checksum_file(record(), tmp_path)
    assert path.name == "mnist-3.0.1.json"
    data = json.loads(path.read_text())
    assert data == {
        "name": "mnist",
        "tarball": "mnist-3.0.1.tar.gz",
        "sha256": SHA,
        "size": 10,
        "subdir": "mnist/3.0.1",
        "url": None,
        "version": "3.0.1",
    }
    assert read_checksum_file(path) == record()
    assert [p.name for p in tmp_path.iterdir()] == ["mnist-3.0.1.json"]  # no temp file left


def test_several_subdirs_are_a_list() -> None:
    subdirs = ("imagenette/full-size/1.0.0", "imagenette/.config")
    rec = record(name="imagenette", version="1.0.0", subdirs=subdirs)
    assert rec.index_entry()["subdir"] == list(subdirs)
    assert ChecksumRecord.from_json(rec.to_json()) == rec


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sha256": "AB" * 32}, "invalid sha256"),
        ({"sha256": "ab" * 31}, "invalid sha256"),
        ({"sha256": "zz" * 32}, "invalid sha256"),
        ({"size": -1}, "invalid size"),
        ({"size": "10"}, "invalid size"),
        ({"name": "../mnist"}, "invalid name"),
        ({"version": "3.0.1/../../x"}, "invalid version"),
        ({"subdir": "mnist/../../etc"}, "invalid subdir"),
        ({"subdir": "/mnist/3.0.1"}, "invalid subdir"),
        ({"subdir": "cifar10/3.0.2"}, "invalid subdir"),
        ({"subdir": "mnist"}, "invalid subdir"),
        ({"subdir": ["mnist/3.0.1", "mnist/3.0.1"]}, "duplicate subdir"),
        ({"subdir": []}, "non-empty list"),
        ({"subdir": "mnist\\3.0.1"}, "invalid subdir"),
        ({"tarball": "other.tar.gz"}, "should be 'mnist-3.0.1.tar.gz'"),
        ({"url": 5}, "invalid url"),
    ],
)
def test_malformed_checksum_files_are_rejected(change: dict, message: str) -> None:
    data = {**record().to_json(), **change}
    with pytest.raises(ChecksumError, match="malformed") as caught:
        ChecksumRecord.from_json(data)
    assert message in str(caught.value)


@pytest.mark.parametrize("field", ["name", "version", "size", "sha256", "subdir"])
def test_missing_fields_are_named(field: str) -> None:
    data = record().to_json()
    del data[field]
    with pytest.raises(ChecksumError, match=f"missing field\\(s\\) {field}"):
        ChecksumRecord.from_json(data)


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "mnist-3.0.1.json"
    path.write_text("{not json")
    with pytest.raises(ChecksumError, match="not JSON"):
        read_checksum_file(path)


def test_file_sha256(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    payload = bytes(range(256)) * 5000
    path.write_bytes(payload)
    assert file_sha256(path) == (len(payload), hashlib.sha256(payload).hexdigest())


def test_merge_index_keeps_other_entries(tmp_path: Path) -> None:
    index = tmp_path / "cached_datasets.json"
    index.write_text(
        json.dumps({"cifar10": {"sha256": SHA, "size": 1, "subdir": "cifar10/3.0.2", "url": None, "version": "3.0.2"}})
    )
    merged = merge_index(index, [record(url="s3://bucket/datasets/mnist-3.0.1.tar.gz")])
    assert set(merged) == {"cifar10", "mnist"}
    assert json.loads(index.read_text())["mnist"]["url"] == "s3://bucket/datasets/mnist-3.0.1.tar.gz"


def test_part_digests_and_the_remembered_digest(tmp_path: Path) -> None:
    import io

    from dsbuild.artifact.checksums import HashingWriter, recall_digest, remember_digest

    payload = bytes(range(256)) * 41  # 10,496 bytes: 2 full 4 KiB parts and a short one
    writer = HashingWriter(io.BytesIO(), part_size=4096)
    for start in range(0, len(payload), 1000):  # writes that straddle part boundaries
        writer.write(payload[start : start + 1000])
    digest = writer.digest()
    assert digest.sha256 == hashlib.sha256(payload).hexdigest()
    assert digest.part_sha256s == tuple(hashlib.sha256(payload[i : i + 4096]).hexdigest() for i in (0, 4096, 8192))

    path = tmp_path / "blob.tar.gz"
    path.write_bytes(payload)
    remember_digest(path, digest)
    assert recall_digest(path) == digest
    path.write_bytes(payload)  # same bytes, rewritten: no longer provably the same file
    assert recall_digest(path) is None
    assert recall_digest(tmp_path / "other") is None


def test_the_file_list_round_trips_and_stays_out_of_armory_index() -> None:
    files = (("toy/1.0.0/a", 3, "a" * 64), ("toy/1.0.0/b", 0, "b" * 64))
    record = ChecksumRecord("toy", "1.0.0", 10, "c" * 64, ("toy/1.0.0",), files=files)
    data = record.to_json()
    assert data["files"] == {
        "toy/1.0.0/a": {"size": 3, "sha256": "a" * 64},
        "toy/1.0.0/b": {"size": 0, "sha256": "b" * 64},
    }
    assert ChecksumRecord.from_json(data) == record
    assert "files" not in record.index_entry()
    assert record.with_url("s3://b/k").files == files
    for bad_path in ("toy/1.0.0/../x", "other/1.0.0/a", "toy/2.0.0/a"):
        with pytest.raises(ChecksumError, match="invalid file path"):
            ChecksumRecord.from_json({**data, "files": {bad_path: {"size": 1, "sha256": "a" * 64}}})
