"""Safe extraction: malicious tarballs built here with TarInfo; nothing may land outside the data dir."""

from __future__ import annotations

import dataclasses
import io
import os
import tarfile
from pathlib import Path

import pytest

from dsbuild.artifact import extract
from dsbuild.artifact.extract import check_member, extract_tarball
from dsbuild.errors import ChecksumError, Terminated, UnsafeArchiveError
from tests.publish_helpers import make_tarball, tree

SUB = "toy/1.0.0"


def build_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def reg(name: str, data: bytes = b"evil", mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.mode = mode
    return info, data


def node(name: str, kind: bytes, target: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def good_prefix() -> list:
    return [node("toy", tarfile.DIRTYPE), node(SUB, tarfile.DIRTYPE), reg(f"{SUB}/dataset_info.json", b"{}")]


MALICIOUS = {
    "dotdot": [*good_prefix(), reg("../evil")],
    "nested-dotdot": [*good_prefix(), reg(f"{SUB}/../../../evil")],
    "absolute": [*good_prefix(), reg("/abs/evil")],
    "backslash": [*good_prefix(), reg("..\\evil")],
    "symlink-passwd": [*good_prefix(), node(f"{SUB}/passwd", tarfile.SYMTYPE, "/etc/passwd")],
    "symlink-dir-escape": [*good_prefix(), node(f"{SUB}/up", tarfile.SYMTYPE, "../../.."), reg(f"{SUB}/up/evil")],
    "symlink-chain": [
        *good_prefix(),
        node(f"{SUB}/redir", tarfile.SYMTYPE, "."),
        node(f"{SUB}/redir/up", tarfile.SYMTYPE, ".."),
        reg(f"{SUB}/redir/up/evil"),
    ],
    "hardlink-outside": [*good_prefix(), node(f"{SUB}/hard", tarfile.LNKTYPE, "../../evil")],
    "hardlink-passwd": [*good_prefix(), node(f"{SUB}/hard", tarfile.LNKTYPE, "/etc/passwd")],
    "char-device": [*good_prefix(), node(f"{SUB}/null", tarfile.CHRTYPE)],
    "block-device": [*good_prefix(), node(f"{SUB}/sda", tarfile.BLKTYPE)],
    "fifo": [*good_prefix(), node(f"{SUB}/fifo", tarfile.FIFOTYPE)],
    "outside-subdir": [*good_prefix(), reg("other/1.0.0/evil")],
    "sibling-prefix": [*good_prefix(), reg("toy/1.0.0x/evil")],
    "top-level-file": [*good_prefix(), reg("evil")],
    "duplicate": [*good_prefix(), reg(f"{SUB}/dataset_info.json", b"again")],
}


@pytest.fixture(params=[True, False], ids=["with-data_filter", "without-data_filter"])
def filter_state(request, monkeypatch):
    """Our allow-list must stand on its own: run each case with tarfile.data_filter removed too."""
    if not request.param:
        monkeypatch.delattr(tarfile, "data_filter")
    return request.param


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_malicious_members_are_refused_and_nothing_is_written(case, tmp_path, filter_state):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    tarball = build_tar(tmp_path / "toy-1.0.0.tar.gz", MALICIOUS[case])
    before = tree(tmp_path)
    with pytest.raises(UnsafeArchiveError) as info:
        extract_tarball(tarball, data_dir, [SUB])
    if filter_state:
        assert "refusing to extract" in str(info.value) and "the tarball is not safe" in str(info.value)
    else:
        assert "lacks extraction filters" in str(info.value)
    assert tree(tmp_path) == before  # no evil file, no temp dir, no half-extracted dataset
    assert not (tmp_path / "evil").exists() and not Path("/abs/evil").exists()


def test_good_tarball_extracts_with_modes_and_owner_stripped(tmp_path):
    data_dir = tmp_path / "data"
    tarball = build_tar(
        tmp_path / "t.tar.gz",
        [*good_prefix(), reg(f"{SUB}/shard", b"data", mode=0o4777)],  # setuid, world-writable
    )
    extract_tarball(tarball, data_dir, [SUB])
    shard = data_dir / SUB / "shard"
    assert shard.read_bytes() == b"data"
    assert shard.stat().st_mode & 0o7777 == 0o644
    assert sorted(p.name for p in data_dir.iterdir()) == ["toy"]  # no temp dir left


def test_packed_tarball_round_trips(tmp_path):
    src = tmp_path / "src"
    packed = make_tarball(src, payload=b"payload")
    dst = tmp_path / "dst"
    files = extract_tarball(packed.tarball, dst, list(packed.record.subdirs))
    assert tree(dst / "toy") == tree(src / "toy")
    # Without a file list to hold it to, the extraction still returns what it wrote: the pack's own list.
    assert files == packed.record.files


def test_missing_subdir_is_refused(tmp_path):
    tarball = build_tar(tmp_path / "t.tar.gz", good_prefix())
    with pytest.raises(UnsafeArchiveError, match=r"does not hold toy/\.config"):
        extract_tarball(tarball, tmp_path / "data", [SUB, "toy/.config"])
    assert tree(tmp_path / "data") == {}


def test_existing_dataset_is_kept_unless_overwrite(tmp_path):
    data_dir = tmp_path / "data"
    (data_dir / SUB).mkdir(parents=True)
    (data_dir / SUB / "old").write_text("old")
    tarball = build_tar(tmp_path / "t.tar.gz", [*good_prefix(), reg(f"{SUB}/new", b"new")])
    with pytest.raises(UnsafeArchiveError, match="already exists; kept it: pass --overwrite"):
        extract_tarball(tarball, data_dir, [SUB])
    assert (data_dir / SUB / "old").read_text() == "old"
    extract_tarball(tarball, data_dir, [SUB], overwrite=True)
    assert sorted(p.name for p in (data_dir / SUB).iterdir()) == ["dataset_info.json", "new"]
    assert sorted(p.name for p in data_dir.iterdir()) == ["toy"]


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, Terminated], ids=["ctrl-c", "sigterm"])
def test_interruption_during_extraction_leaves_the_target_untouched(tmp_path, monkeypatch, interruption):
    data_dir = tmp_path / "data"
    (data_dir / SUB).mkdir(parents=True)
    (data_dir / SUB / "old").write_text("old")
    before = tree(data_dir)
    tarball = build_tar(tmp_path / "t.tar.gz", [*good_prefix(), *(reg(f"{SUB}/f{i}", b"x") for i in range(5))])
    real_extractfile = tarfile.TarFile.extractfile  # how each regular member is read to be written
    calls = []

    def interrupted(self, member, *args, **kwargs):
        calls.append(member.name)
        if len(calls) == 4:
            raise interruption
        return real_extractfile(self, member, *args, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "extractfile", interrupted)
    with pytest.raises(interruption):
        extract_tarball(tarball, data_dir, [SUB], overwrite=True)
    assert len(calls) == 4
    assert tree(data_dir) == before


def test_failed_check_installs_nothing(tmp_path):
    tarball = build_tar(tmp_path / "t.tar.gz", good_prefix())
    seen = []

    def check(staging: Path, subdirs):
        seen.append((staging.name.startswith(extract.TEMP_MARK), (staging / SUB / "dataset_info.json").exists()))
        raise UnsafeArchiveError("does not load")

    with pytest.raises(UnsafeArchiveError, match="does not load"):
        extract_tarball(tarball, tmp_path / "data", [SUB], check=check)
    assert seen == [(True, True)]
    assert tree(tmp_path / "data") == {}


@pytest.mark.parametrize(
    ("name", "kind", "subdirs", "ok"),
    [
        ("toy", tarfile.DIRTYPE, [SUB], True),  # an ancestor directory
        ("toy", tarfile.REGTYPE, [SUB], False),  # ...but not as a file
        ("toy/.config/meta.json", tarfile.REGTYPE, [SUB, "toy/.config"], True),
        ("toy/1.0.0/./x", tarfile.REGTYPE, [SUB], False),
        ("toy/1.0.0//x", tarfile.REGTYPE, [SUB], False),
        ("toy/1.0.0/sparse", tarfile.GNUTYPE_SPARSE, [SUB], False),
    ],
)
def test_check_member_table(name, kind, subdirs, ok):
    info = tarfile.TarInfo(name)
    info.type = kind
    if ok:
        assert check_member(info, subdirs, set()).name == name
    else:
        with pytest.raises(UnsafeArchiveError, match="refusing to extract tar member"):
            check_member(info, subdirs, set())


def test_a_member_unlike_its_listed_sha256_is_refused(tmp_path):
    """Issue 21.6: each listed member is hashed as it is written; another sha256 installs nothing."""
    packed = make_tarball(tmp_path / "src", payload=b"payload")
    shard = "toy/1.0.0/toy-train.tfrecord-00000-of-00001"
    files = tuple((p, s, "0" * 64 if p == shard else h) for p, s, h in packed.record.files)
    record = dataclasses.replace(packed.record, files=files)
    with pytest.raises(ChecksumError) as caught:
        extract_tarball(packed.tarball, tmp_path / "data", list(record.subdirs), expected=record)
    actual = dict((p, h) for p, _, h in packed.record.files)[shard]
    assert str(caught.value) == (
        f"'{shard}' in {str(packed.tarball)!r} has sha256 {actual} but its checksum file lists {'0' * 64}: "
        "the checksum file does not describe this tarball; nothing was installed"
    )
    assert tree(tmp_path / "data") == {}
    extract_tarball(packed.tarball, tmp_path / "data", list(record.subdirs), expected=packed.record)
    assert tree(tmp_path / "data" / "toy") == tree(tmp_path / "src" / "toy")


def test_overwrite_swaps_old_and_new_in_one_step(tmp_path, monkeypatch):
    """Issue 21.7: no moment without a dataset under the name; the old one leaves with the staging dir."""
    data_dir = tmp_path / "data"
    (data_dir / SUB).mkdir(parents=True)
    (data_dir / SUB / "old").write_text("old")
    tarball = build_tar(tmp_path / "t.tar.gz", [*good_prefix(), reg(f"{SUB}/new", b"new")])
    swaps, renames = [], []
    real_exchange, real_rename = extract._exchange, os.rename
    monkeypatch.setattr(extract, "_exchange", lambda a, b: swaps.append(b) or real_exchange(a, b))
    monkeypatch.setattr(extract.os, "rename", lambda a, b: renames.append(b) or real_rename(a, b))
    extract_tarball(tarball, data_dir, [SUB], overwrite=True)
    assert swaps == [data_dir / SUB] and renames == []  # tmpfs and ext4 have RENAME_EXCHANGE
    assert sorted(p.name for p in (data_dir / SUB).iterdir()) == ["dataset_info.json", "new"]
    assert sorted(p.name for p in data_dir.iterdir()) == ["toy"]
