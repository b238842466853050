"""Packing: member list and metadata, reproducibility, refusals, nothing half-written."""

from __future__ import annotations

import builtins
import errno
import gzip
import hashlib
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from dsbuild.artifact import tarball as archive
from dsbuild.artifact.checksums import ChecksumRecord, read_checksum_file
from dsbuild.artifact.extract import extract_tarball
from dsbuild.artifact.tarball import (
    FIXED_MTIME,
    pack,
    write_tarball,
)
from dsbuild.defaults import COMPRESSION_LEVELS
from dsbuild.errors import ChecksumError, PackError
from dsbuild.leftovers import remove_stale_temp_files
from dsbuild.paths import temp_sibling


def make_built(data_dir: Path, name: str = "toy", version: str = "1.0.0") -> Path:
    version_dir = data_dir / name / version
    version_dir.mkdir(parents=True)
    (version_dir / "dataset_info.json").write_text('{"name": "toy"}')
    (version_dir / "features.json").write_text("{}")
    (version_dir / f"{name}-train.tfrecord-00000-of-00001").write_bytes(os.urandom(50_000))
    (version_dir / "sub").mkdir()
    (version_dir / "sub" / "nested.txt").write_text("nested")
    os.chmod(version_dir / "features.json", 0o600)
    return version_dir


def test_members_and_metadata(tmp_path: Path) -> None:
    make_built(tmp_path)
    result = pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"])
    assert result.tarball == tmp_path / "toy-1.0.0.tar.gz"
    with tarfile.open(result.tarball) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == [
        "toy/1.0.0",
        "toy/1.0.0/dataset_info.json",
        "toy/1.0.0/features.json",
        "toy/1.0.0/sub",
        "toy/1.0.0/sub/nested.txt",
        "toy/1.0.0/toy-train.tfrecord-00000-of-00001",
    ]
    for member in members:
        assert member.isdir() or member.isfile()
        assert (member.uid, member.gid, member.uname, member.gname, member.mtime) == (0, 0, "", "", FIXED_MTIME)
        assert member.mode == (0o755 if member.isdir() else 0o644)


def test_checksum_file_matches_the_bytes_written(tmp_path: Path) -> None:
    make_built(tmp_path)
    result = pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"])
    data = result.tarball.read_bytes()
    record = read_checksum_file(result.checksum_file)
    assert record == result.record
    assert (record.size, record.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert record.subdirs == ("toy/1.0.0",)


def test_reproducible(tmp_path: Path) -> None:
    make_built(tmp_path)
    first = pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"]).record.sha256
    # Touch every file: new mtimes and permissions must not change the tarball.
    for path in (tmp_path / "toy").rglob("*"):
        os.utime(path, (1, 1))
        os.chmod(path, 0o700)
    assert pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"]).record.sha256 == first


def test_gzip_header_has_no_name_or_time(tmp_path: Path) -> None:
    make_built(tmp_path)
    header = pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"]).tarball.read_bytes()[:10]
    assert header[3] & 0x08 == 0  # FNAME flag unset
    assert header[4:8] == b"\0\0\0\0"  # MTIME zero


def test_gnu_tar_restores_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    make_built(data_dir)
    tarball = pack(data_dir, "toy", "1.0.0", ["toy/1.0.0"]).tarball
    restore = tmp_path / "restore"
    restore.mkdir()
    subprocess.run(["tar", "zxf", str(tarball)], cwd=restore, check=True)
    original = data_dir / "toy" / "1.0.0" / "toy-train.tfrecord-00000-of-00001"
    assert (restore / "toy" / "1.0.0" / original.name).read_bytes() == original.read_bytes()
    assert gzip.decompress(tarball.read_bytes())  # plain gzip, readable by any gzip


@pytest.mark.parametrize("kind", ["symlink", "fifo", "outside_symlink"])
def test_refuses_links_and_special_files(tmp_path: Path, kind: str) -> None:
    version_dir = make_built(tmp_path)
    if kind == "symlink":
        (version_dir / "link").symlink_to(version_dir / "features.json")
    elif kind == "outside_symlink":
        (version_dir / "passwd").symlink_to("/etc/passwd")
    else:
        os.mkfifo(version_dir / "pipe")
    with pytest.raises(PackError, match="regular files and directories"):
        pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy"]


def test_unreadable_file_is_named_and_nothing_is_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version_dir = make_built(tmp_path)
    secret = version_dir / "sub" / "nested.txt"
    real_open = builtins.open

    # The tests run as root, which reads mode-000 files; fake the permission error instead.
    def guarded_open(file, *args, **kwargs):
        if not isinstance(file, int) and Path(file) == secret:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    with pytest.raises(PackError, match=f"cannot read '{secret}': permission denied"):
        pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy"]


def test_no_space_keeps_the_previous_tarball(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_built(tmp_path)
    previous = pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"])
    before = previous.tarball.read_bytes()
    (tmp_path / "toy" / "1.0.0" / "features.json").write_text('{"changed": true}')

    def full_disk(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(archive.HashingWriter, "write", full_disk)
    with pytest.raises(PackError, match="no space left on the device"):
        pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"])
    assert previous.tarball.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_digests", "toy", "toy-1.0.0.json", "toy-1.0.0.tar.gz"]


def test_interrupt_leaves_no_final_or_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_built(tmp_path)

    def interrupted(tar, info, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(archive, "_add_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy"]


def test_file_changing_size_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version_dir = make_built(tmp_path)
    victim = version_dir / "toy-train.tfrecord-00000-of-00001"
    real_tarinfo = archive._tarinfo

    def grow_after_stat(name, st):
        info = real_tarinfo(name, st)
        if name.endswith(victim.name):
            with open(victim, "ab") as f:
                f.write(b"more")
        return info

    monkeypatch.setattr(archive, "_tarinfo", grow_after_stat)
    with pytest.raises(PackError, match="changed size while it was being packed"):
        pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"])
    assert not (tmp_path / "toy-1.0.0.tar.gz").exists()


def test_stale_temp_files_of_a_killed_pack_are_removed(tmp_path: Path) -> None:
    final = tmp_path / "toy-1.0.0.tar.gz"
    stale = temp_sibling(final)
    stale.write_bytes(b"partial")
    other = temp_sibling(tmp_path / "other-1.0.0.tar.gz")
    other.write_bytes(b"someone else's")
    assert remove_stale_temp_files(final) == [stale]
    assert not stale.exists() and other.exists()


def test_same_bytes_whatever_the_thread_count(tmp_path: Path) -> None:
    make_built(tmp_path)
    digests = {write_tarball(tmp_path, ["toy/1.0.0"], tmp_path / f"t{n}.tar.gz", threads=n)[1] for n in (1, 2, 4)}
    assert len(digests) == 1


@pytest.mark.parametrize("level", COMPRESSION_LEVELS)
def test_every_level_is_standard_gzip(tmp_path: Path, level: int) -> None:
    make_built(tmp_path)
    tarball = tmp_path / "toy.tar.gz"
    write_tarball(tmp_path, ["toy/1.0.0"], tarball, compresslevel=level)
    with tarfile.open(tarball, "r:gz") as tar:  # Python's own zlib reads it
        assert len(tar.getnames()) == 6


def test_extract_verifies_in_the_same_pass(tmp_path: Path) -> None:
    source = tmp_path / "src"
    make_built(source)
    record = pack(source, "toy", "1.0.0", ["toy/1.0.0"]).record
    target = tmp_path / "target"
    extract_tarball(source / record.tarball, target, record.subdirs, expected=record)
    original = source / "toy" / "1.0.0" / "toy-train.tfrecord-00000-of-00001"
    assert (target / "toy" / "1.0.0" / original.name).read_bytes() == original.read_bytes()

    wrong = ChecksumRecord(record.name, record.version, record.size, "0" * 64, record.subdirs)
    other = tmp_path / "other"
    with pytest.raises(ChecksumError, match="but its checksum file says"):
        extract_tarball(source / record.tarball, other, record.subdirs, expected=wrong)
    assert list(other.iterdir()) == []  # nothing installed, staging removed


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[:-100], "holds {cut} bytes but its checksum file says {size}: the tarball is truncated"),
        (lambda data: data + b"GARBAGE", "holds more than the {size} bytes its checksum file says"),
        (lambda data: data[:200] + bytes([data[200] ^ 0xFF]) + data[201:], "sha256 of .* is [0-9a-f]{{64}} but"),
    ],
    ids=["truncated", "longer", "one-byte"],
)
def test_a_damaged_tarball_is_reported_as_such_not_by_its_symptom(tmp_path: Path, damage, message) -> None:
    """The size and sha256 are checked before the tar or gzip error the damage causes is reported."""
    source = tmp_path / "src"
    make_built(source)
    record = pack(source, "toy", "1.0.0", ["toy/1.0.0"]).record
    tarball = source / record.tarball
    tarball.write_bytes(damage(tarball.read_bytes()))
    target = tmp_path / "target"
    with pytest.raises(ChecksumError, match=message.format(cut=record.size - 100, size=record.size)):
        extract_tarball(tarball, target, record.subdirs, expected=record)
    assert list(target.iterdir()) == []
