"""Packing a built dataset into a reproducible `.tar.gz`.

Members are exactly the built layout relative to the data-dir root
(`mnist/3.0.1/...`), regular files and directories only, sorted, with fixed
mtime, owner and modes, in a gzip stream whose header carries no name or time:
packing the same directory twice gives the same sha256. The compressed bytes are
hashed and counted as they are written, so the checksum file needs no second
read. The tarball is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsbuild.artifact.built_dataset import BuiltDataset, check_structure
from dsbuild.artifact.checksums import (
    ChecksumRecord,
    HashingReader,
    HashingWriter,
    remember_digest,
    write_checksum_file,
)
from dsbuild.artifact.records import verify_built
from dsbuild.defaults import DEFAULT_COMPRESSION_LEVEL
from dsbuild.errors import BuildCancelledError, PackError
from dsbuild.leftovers import remove_leftovers, remove_stale_temp_files
from dsbuild.lock import dataset_lock
from dsbuild.log import log
from dsbuild.paths import create_new, tarball_name, temp_sibling

# 2000-01-01T00:00:00Z: a fixed, plausible time (GNU tar warns about 1970 stamps).
FIXED_MTIME = 946684800
DIR_MODE = 0o755
FILE_MODE = 0o644
# Compressed blocks are independent with a 32 KiB dictionary from the previous
# block, so the output is the same bytes whatever the thread count.
DEFAULT_THREADS = min(4, len(os.sched_getaffinity(0)))
COPY_BUFFER = 1 << 20


@dataclass
class MemberTally:
    """What a tarball expands to, recorded in our checksum file as extraction limits."""

    member_bytes: int = 0
    members: int = 0


@dataclass(frozen=True)
class PackResult:
    tarball: Path
    checksum_file: Path
    record: ChecksumRecord


def iter_members(root: Path, subdirs: Sequence[str]) -> Iterator[tuple[str, Path, os.stat_result]]:
    """(member name, path, lstat) for every directory and file under `subdirs`, sorted.

    Refuses anything that is not a regular file or a directory (symlinks,
    hardlinked copies are fine as plain files; FIFOs, sockets, devices are not).
    """
    for sub in sorted(subdirs):
        yield from _walk(root, root / sub, sub)


def _walk(root: Path, path: Path, name: str) -> Iterator[tuple[str, Path, os.stat_result]]:
    try:
        st = path.lstat()
    except OSError as exc:
        raise PackError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        yield name, path, st
        try:
            children = sorted(os.listdir(path))
        except OSError as exc:
            raise PackError(f"cannot list {str(path)!r}: {exc.strerror}; fix its permissions") from None
        for child in children:
            yield from _walk(root, path / child, f"{name}/{child}")
    elif stat.S_ISREG(st.st_mode):
        yield name, path, st
    else:
        kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file or directory"
        raise PackError(
            f"{str(path)!r} is {kind}: a dataset tarball holds only regular files and directories; "
            "remove it from the built dataset"
        )


def _tarinfo(name: str, st: os.stat_result) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
        info.mode = DIR_MODE
    else:
        info.type = tarfile.REGTYPE
        info.mode = FILE_MODE
        info.size = st.st_size
    return info


def _add_file(tar: tarfile.TarFile, info: tarfile.TarInfo, path: Path) -> str:
    """Add one file; return its sha256 (hashed as it is packed, for download.py --verify)."""
    try:
        with open(path, "rb") as f:
            hashing = HashingReader(f)
            tar.addfile(info, hashing)
            now = os.fstat(f.fileno()).st_size
    except PermissionError:
        raise PackError(f"cannot read {str(path)!r}: permission denied; fix its permissions") from None
    except OSError as exc:
        if exc.errno is None and "unexpected end of data" in str(exc):
            raise PackError(f"{str(path)!r} shrank while it was being packed; pack again") from None
        raise
    if now != info.size:
        raise PackError(f"{str(path)!r} changed size while it was being packed; pack again")
    return hashing.hexdigest()


def write_tarball(
    root: Path,
    subdirs: Sequence[str],
    destination: Path,
    compresslevel: int = DEFAULT_COMPRESSION_LEVEL,
    threads: int = DEFAULT_THREADS,
    cancel: threading.Event | None = None,
    tally: MemberTally | None = None,
    files: list[tuple[str, int, str]] | None = None,
) -> tuple[int, str]:
    """Write the tarball of `subdirs` (relative to `root`) to `destination` atomically.

    `files`, when given, receives (member name, size, sha256) of every file packed.

    One streaming pass: tar members go into a multi-threaded ISA-L gzip
    compressor whose output is hashed and counted as it is written. Memory stays
    bounded (a few compression blocks per thread). Returns (size, sha256);
    `tally`, if given, receives the member count and bytes of member data.
    """
    tally = tally if tally is not None else MemberTally()
    from isal import igzip_threaded

    tmp = temp_sibling(destination)
    try:
        with create_new(tmp) as raw:
            hashing = HashingWriter(raw)
            # ISA-L writes a gzip header without name or time: reproducible output.
            with (
                igzip_threaded.open(hashing, "wb", compresslevel=compresslevel, threads=threads) as gz,
                tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar,
            ):
                for name, path, st in iter_members(root, subdirs):
                    if cancel is not None and cancel.is_set():
                        raise BuildCancelledError(f"packing {destination} was cancelled")
                    info = _tarinfo(name, st)
                    tally.members += 1
                    tally.member_bytes += info.size
                    if info.isdir():
                        tar.addfile(info)
                    else:
                        digest = _add_file(tar, info, path)
                        if files is not None:
                            files.append((name, info.size, digest))
        # Not fsynced: at gigabytes, syncing costs more than packing. After a crash the
        # worst case is a tarball that disagrees with its (fsynced) checksum file, which
        # upload.py and download.py both refuse.
        os.replace(tmp, destination)
        # Remembered with the file's fingerprint, so upload.py need not read the tarball again.
        remember_digest(destination, hashing.digest())
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise PackError(
                f"no space left on the device while writing {str(destination)!r}; free some space"
            ) from None
        raise PackError(f"cannot write {str(destination)!r}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return hashing.size, hashing.hexdigest()


def pack(
    data_dir: Path,
    name: str,
    version: str,
    subdirs: Sequence[str],
    out_dir: Path | None = None,
    compresslevel: int = DEFAULT_COMPRESSION_LEVEL,
    cancel: threading.Event | None = None,
    provenance: dict[str, Any] | None = None,
) -> PackResult:
    """Pack `subdirs` of `data_dir` into `<name>-<version>.tar.gz` plus its checksum file (with `provenance`)."""
    out_dir = out_dir or data_dir
    tarball = out_dir / tarball_name(name, version)
    log.info("packing {} into {}", ", ".join(subdirs), tarball)
    tally = MemberTally()
    files: list[tuple[str, int, str]] = []
    size, sha256 = write_tarball(data_dir, subdirs, tarball, compresslevel, cancel=cancel, tally=tally, files=files)
    record = ChecksumRecord(
        name=name,
        version=version,
        size=size,
        sha256=sha256,
        subdirs=tuple(subdirs),
        provenance=provenance,
        uncompressed_bytes=tally.member_bytes,
        members=tally.members,
        files=tuple(sorted(files)),
    )
    try:
        checksum_file = write_checksum_file(record, out_dir)
    except BaseException:
        # A tarball without its checksum file would look publishable but unverified.
        tarball.unlink(missing_ok=True)
        raise
    return PackResult(tarball=tarball, checksum_file=checksum_file, record=record)


def pack_built(
    built: BuiltDataset, verify_all: bool = False, compresslevel: int = DEFAULT_COMPRESSION_LEVEL
) -> PackResult:
    """Verify and pack a dataset built elsewhere (e.g. by a plain `tfds build`)."""
    with dataset_lock(built.data_dir, built.name):
        remove_stale_temp_files(built.data_dir / tarball_name(built.name, built.version))
        remove_leftovers(built.data_dir, built.name)
        check_structure(built)
        verify_built(built.data_dir, built.subdirs, all_examples=verify_all)  # TensorFlow only for verify_all
        return pack(built.data_dir, built.name, built.version, built.subdirs, compresslevel=compresslevel)
