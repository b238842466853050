"""Issue 21 item 4: every path dataset_info.json derives stays a regular file inside the version directory.

A tarball holding only metadata, whose shard template names a file elsewhere, is refused by download.py
before anything is installed (the real load check runs: it is the one that must refuse); a FIFO or a
symlink named by a local build is refused without being opened.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import download
from dsbuild.artifact.built_dataset import BuiltDataset, check_structure, shard_problem, shards
from dsbuild.artifact.records import verify_built
from dsbuild.errors import VerificationError
from tests.hostile import SUB, directory, files_listed, files_unlisted, finish, member, publish, snapshot
from tests.test_records import GOOD_KEYS, example, frame, make_dataset

LOCK_ONLY = {"_locks": None, "_locks/toy.lock": b""}
BOTH_WAYS = pytest.mark.parametrize("way", [files_unlisted, files_listed], ids=["fetched", "streamed"])


@pytest.fixture(scope="module")
def s3_bucket(s3_server) -> str:
    return s3_server.create_bucket()


def info_with(template: str, lengths: list[str] | None = None) -> bytes:
    split = {"name": "train", "shardLengths": ["1"] if lengths is None else lengths, "filepathTemplate": template}
    return json.dumps({"name": "toy", "version": "1.0.0", "splits": [split]}).encode()


def metadata_only(info: bytes) -> tuple[bytes, tuple[tuple[str, bytes], ...]]:
    """A tarball holding dataset_info.json and features.json and no shard at all."""
    files = ((f"{SUB}/dataset_info.json", info), (f"{SUB}/features.json", b'{"featuresDict": {"features": {}}}'))
    return finish(directory(SUB) + b"".join(member(path, data) for path, data in files)), files


def listing(files: tuple[tuple[str, bytes], ...]) -> dict:
    import hashlib

    return {"files": {p: {"size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for p, d in files}}


@pytest.mark.parametrize("streamed", [False, True], ids=["fetched", "streamed"])
@pytest.mark.parametrize(
    ("template", "shown"),
    [
        ("/etc/hostname", "'/etc/hostname'"),
        ("../../other/1.0.0/other-train.tfrecord-{SHARD_X_OF_Y}", "'../../other/1.0.0/other-train.tfrecord-00000"),
        ("{SPLIT}/../../../x", "'train/../../../x'"),
    ],
    ids=["absolute", "other-dataset", "dot-dot"],
)
def test_a_template_pointing_elsewhere_is_refused_before_install(
    streamed, template, shown, capfd, data_dir, remote, s3_server, s3_bucket, tmp_path
) -> None:
    # Another dataset installed beside: the template's target exists and holds valid records.
    other = data_dir / "other" / "1.0.0"
    other.mkdir(parents=True)
    (other / "other-train.tfrecord-00000-of-00001").write_bytes(frame(example(GOOD_KEYS)))
    tarball, files = metadata_only(info_with(template))
    publish(s3_server, s3_bucket, tarball, **(listing(files) if streamed else {}))
    before = snapshot(data_dir)
    capfd.readouterr()
    code = download.main(["-o", str(data_dir), *remote, "toy"])
    out, err = capfd.readouterr()
    assert (code, out) == (1, ""), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f"names shard {shown}" in err and "not a plain path inside the version directory" in err
    assert snapshot(data_dir) == {**before, **LOCK_ONLY}


def test_a_fifo_outside_is_never_opened(capfd, data_dir, remote, s3_server, s3_bucket, tmp_path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    tarball, files = metadata_only(info_with(str(fifo)))
    publish(s3_server, s3_bucket, tarball, **listing(files))
    code = download.main(["-o", str(data_dir), *remote, "toy"])  # a hang here would be the bug
    assert code == 1
    assert "not a plain path inside the version directory" in capfd.readouterr().err
    assert not (data_dir / "toy").exists()


def test_a_tarball_with_no_shards_at_all_still_installs(capfd, data_dir, remote, s3_server, s3_bucket) -> None:
    tarball, files = metadata_only(info_with("{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}", lengths=[]))
    publish(s3_server, s3_bucket, tarball, **listing(files))
    code = download.main(["-o", str(data_dir), *remote, "toy"])
    assert code == 0, capfd.readouterr().err
    assert (data_dir / "toy" / "1.0.0" / "features.json").is_file()


# ---------------------------------------------------------------- local builds: FIFO, symlink, device


def _local(tmp_path: Path) -> tuple[Path, Path]:
    version_dir = make_dataset(tmp_path / "data", [[example(GOOD_KEYS)]])
    return version_dir, version_dir / "toy-train.tfrecord-00000-of-00001"


@pytest.mark.parametrize("kind", ["fifo", "symlink-out", "symlink-in", "directory", "missing"])
def test_a_shard_that_is_not_a_regular_file_inside_is_refused_unopened(tmp_path: Path, kind: str) -> None:
    version_dir, shard = _local(tmp_path)
    outside = tmp_path / "outside"
    outside.write_bytes(shard.read_bytes())  # valid records: only the path may refuse it
    shard.unlink()
    if kind == "fifo":
        os.mkfifo(shard)
    elif kind == "symlink-out":
        shard.symlink_to(outside)
    elif kind == "symlink-in":
        (version_dir / "real").write_bytes(outside.read_bytes())
        shard.symlink_to(version_dir / "real")
    elif kind == "directory":
        shard.mkdir()
    expected = {
        "fifo": "is a FIFO, not a regular file",
        "symlink-out": "is a symbolic link, not a regular file",
        "symlink-in": "is a symbolic link, not a regular file",
        "directory": "is a directory, not a regular file",
        "missing": "is missing",
    }[kind]
    with pytest.raises(VerificationError, match=expected):
        verify_built(tmp_path / "data", ["toy/1.0.0"])
    with pytest.raises(VerificationError, match=expected):
        check_structure(BuiltDataset(tmp_path / "data", "toy", "1.0.0"))


def test_shard_names_are_checked_one_by_one() -> None:
    info = {"splits": [{"name": "train", "shardLengths": ["2", 3], "filepathTemplate": "sub/{SPLIT}-{SHARD_INDEX}"}]}
    assert [(s.name, s.records) for s in shards(info, "toy")] == [("sub/train-00000", 2), ("sub/train-00001", 3)]
    for template in ("/abs", "a/../b", "a//b", "./a", "a\\b", "a\x00b", ""):
        with pytest.raises(VerificationError):
            shards({"splits": [{"name": "train", "shardLengths": ["1"], "filepathTemplate": template}]}, "toy")


def test_a_directory_component_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "shard").write_bytes(b"x")
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "sub").symlink_to(tmp_path / "elsewhere")
    assert "is a symbolic link" in (shard_problem(tmp_path / "v", "sub/shard") or "")
