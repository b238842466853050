"""Packing: member list and metadata, reproducibility, the same bytes as ever, the check beside it,
refusals, nothing half-written."""

from __future__ import annotations

import builtins
import errno
import gzip
import hashlib
import json
import os
import random
import struct
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from dsbuild.artifact import tarball as archive
from dsbuild.artifact.built_dataset import from_directory
from dsbuild.artifact.checksums import ChecksumRecord, read_checksum_file
from dsbuild.artifact.extract import extract_tarball
from dsbuild.artifact.records import example_class, masked_crc32c
from dsbuild.artifact.tarball import (
    BLOCK_SIZE,
    FIXED_MTIME,
    pack,
    pack_built,
    write_tarball,
)
from dsbuild.defaults import COMPRESSION_LEVELS
from dsbuild.errors import BuildCancelledError, ChecksumError, PackError, VerificationError
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

    def interrupted(stream, info, path):
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


# ---------------------------------------------------------------- the same bytes as ever


def reference_tarball(root: Path, subdirs: list[str], destination: Path, level: int) -> bytes:
    """The packer as it was before packing used every core (tarfile's stream into the threaded
    ISA-L writer, one thread): the bytes every published tarball has, which must not change."""
    from isal import igzip_threaded

    with (
        open(destination, "wb") as raw,
        igzip_threaded.open(raw, "wb", compresslevel=level, threads=1) as gz,
        tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, path, st in archive.iter_members(root, subdirs):
            info = archive._tarinfo(name, st)
            if info.isdir():
                tar.addfile(info)
            else:
                with open(path, "rb") as f:
                    tar.addfile(info, f)
    return destination.read_bytes()


def make_awkward(data_dir: Path) -> list[str]:
    """Sizes on and around every boundary (tar blocks, records, compressor blocks), long and
    non-ASCII names (pax headers), empty files and directories, compressible and random data."""
    rng = random.Random(23)
    version_dir = data_dir / "odd" / "1.0.0"
    (version_dir / "empty_dir").mkdir(parents=True)
    sizes = [0, 1, 511, 512, 513, 10_239, 10_240, BLOCK_SIZE - 513, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1]
    for i, size in enumerate(sizes):
        data = rng.randbytes(size) if i % 2 else (b"text %d\n" % i) * (size // 7 + 1)
        (version_dir / f"f{i:02d}-{size}").write_bytes(data[:size])
    (version_dir / ("long_" * 30 + "name.txt")).write_bytes(rng.randbytes(3000))
    (version_dir / "déjà-vu-数据.bin").write_bytes(rng.randbytes(70_000))
    (version_dir / "big.bin").write_bytes(rng.randbytes(3 * BLOCK_SIZE + 4321))
    return ["odd/1.0.0"]


@pytest.mark.parametrize("level", [1, 3])
def test_bytes_are_those_of_the_tarfile_packer(tmp_path: Path, level: int) -> None:
    """Same sha256 as before for any layout: a published tarball's checksum stays valid."""
    subdirs = make_awkward(tmp_path)
    expected = reference_tarball(tmp_path, subdirs, tmp_path / "reference.tar.gz", level)
    size, sha256 = write_tarball(tmp_path, subdirs, tmp_path / "ours.tar.gz", level, threads=2)
    assert (tmp_path / "ours.tar.gz").read_bytes() == expected
    assert (size, sha256) == (len(expected), hashlib.sha256(expected).hexdigest())


def test_a_file_that_shrinks_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version_dir = make_built(tmp_path)
    victim = version_dir / "toy-train.tfrecord-00000-of-00001"
    real_tarinfo = archive._tarinfo

    def shrink_after_stat(name, st):
        info = real_tarinfo(name, st)
        if name.endswith(victim.name):
            os.truncate(victim, 10)
        return info

    monkeypatch.setattr(archive, "_tarinfo", shrink_after_stat)
    with pytest.raises(PackError, match="shrank while it was being packed; pack again"):
        pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy"]


def test_a_read_error_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version_dir = make_built(tmp_path)
    victim = version_dir / "toy-train.tfrecord-00000-of-00001"
    real_open = builtins.open

    class FailingDisk:
        def __init__(self, f):
            self._f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

        def fileno(self):
            return self._f.fileno()

        def readinto(self, buffer):
            raise OSError(errno.EIO, "Input/output error")

    def failing_open(file, *args, **kwargs):
        f = real_open(file, *args, **kwargs)
        return FailingDisk(f) if not isinstance(file, int) and Path(file) == victim else f

    monkeypatch.setattr(builtins, "open", failing_open)
    with pytest.raises(PackError, match=f"cannot read '{victim}': Input/output error"):
        pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy"]


# ---------------------------------------------------------------- the check beside the packing


def test_the_check_runs_while_the_tarball_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is not run before or after the packing but during it, in another thread."""
    subdirs = make_awkward(tmp_path)
    first_block = threading.Event()
    seen: dict[str, object] = {}
    real_flush = archive._TarStream.flush

    def flush(self):
        real_flush(self)
        first_block.set()

    def check():
        seen["thread"] = threading.current_thread()
        seen["overlapped"] = first_block.wait(timeout=60)  # the packing goes on without waiting for us

    monkeypatch.setattr(archive._TarStream, "flush", flush)
    write_tarball(tmp_path, subdirs, tmp_path / "ours.tar.gz", check=check)
    assert seen["overlapped"] is True
    assert seen["thread"] is not threading.main_thread()


def test_the_tarball_waits_for_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A check that fails after the last byte is written still stops the tarball."""
    subdirs = make_awkward(tmp_path)
    written = threading.Event()
    real_result = archive._Beside.result

    def result(self, cancel, destination):
        written.set()  # every block is compressed and written: only the rename is left
        return real_result(self, cancel, destination)

    def late_failure():
        assert written.wait(timeout=60)
        raise VerificationError("shard 3: bad data CRC")

    monkeypatch.setattr(archive._Beside, "result", result)
    with pytest.raises(VerificationError, match="shard 3: bad data CRC"):
        pack(tmp_path, "odd", "1.0.0", subdirs, check=late_failure)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd"]


def test_an_early_check_failure_stops_the_packing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subdirs = make_awkward(tmp_path)
    reached = threading.Event()
    added: list[str] = []
    real_add = archive._add_file

    def add_file(stream, info, path):
        added.append(info.name)
        if len(added) == 2:
            reached.set()
            (checker,) = [t for t in threading.enumerate() if t.name == "dsbuild-pack-check"]
            checker.join(timeout=60)  # the check has failed
        return real_add(stream, info, path)

    def check():
        assert reached.wait(timeout=60)
        raise VerificationError("bad record")

    monkeypatch.setattr(archive, "_add_file", add_file)
    with pytest.raises(VerificationError, match="bad record"):
        pack(tmp_path, "odd", "1.0.0", subdirs, check=check)
    assert len(added) == 2  # no member after the failure was seen
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd"]


def test_cancel_does_not_wait_for_the_check(tmp_path: Path) -> None:
    subdirs = make_awkward(tmp_path)
    cancel, release = threading.Event(), threading.Event()

    def slow_check():
        cancel.set()  # the user presses Ctrl-C while the check still runs
        release.wait(timeout=60)

    try:
        with pytest.raises(BuildCancelledError, match="was cancelled"):
            write_tarball(tmp_path, subdirs, tmp_path / "odd-1.0.0.tar.gz", cancel=cancel, check=slow_check)
    finally:
        release.set()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd"]


def tfrecord(records: list[bytes]) -> bytes:
    out = b""
    for data in records:
        header = struct.pack("<Q", len(data))
        out += header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", masked_crc32c(data))
    return out


def make_verifiable(data_dir: Path, shards: int = 3) -> Path:
    """A built dataset that passes the TensorFlow-free shard check: real TFRecord framing and Examples."""
    version_dir = data_dir / "shapes" / "1.0.0"
    version_dir.mkdir(parents=True)
    message = example_class()()
    message.features.feature["image"].bytes_list.value.append(random.Random(1).randbytes(200_000))
    record = message.SerializeToString()
    info = {"name": "shapes", "fileFormat": "tfrecord", "splits": [{"name": "train", "shardLengths": ["4"] * shards}]}
    (version_dir / "dataset_info.json").write_text(json.dumps(info))
    (version_dir / "features.json").write_text(json.dumps({"featuresDict": {"features": {"image": {"image": {}}}}}))
    for i in range(shards):
        (version_dir / f"shapes-train.tfrecord-{i:05d}-of-{shards:05d}").write_bytes(tfrecord([record] * 4))
    return version_dir


def test_pack_built_checks_the_shards_beside_the_packing(tmp_path: Path) -> None:
    version_dir = make_verifiable(tmp_path)
    result = pack_built(from_directory(version_dir))
    assert result.tarball.is_file() and result.checksum_file.is_file()
    shard = version_dir / "shapes-train.tfrecord-00002-of-00003"
    data = bytearray(shard.read_bytes())
    data[-100] ^= 0x01  # one bit of the last record of the last shard
    shard.write_bytes(bytes(data))
    result.tarball.unlink()
    result.checksum_file.unlink()
    with pytest.raises(VerificationError, match=f"{shard}: bad data CRC of the record at byte "):
        pack_built(from_directory(version_dir))
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("_")) == ["shapes"]
