"""Packing a built dataset into a reproducible `.tar.gz`, and extracting one safely.

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
import re
import shutil
import stat
import tarfile
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsbuild.checksums import (
    DIGEST_CACHE_DIR,
    ChecksumRecord,
    HashingReader,
    HashingWriter,
    remember_digest,
    write_checksum_file,
)
from dsbuild.defaults import DEFAULT_COMPRESSION_LEVEL, DEFAULT_MAX_EXPANSION, DEFAULT_MAX_MEMBERS, DIR_ALLOWANCE
from dsbuild.errors import BuildCancelledError, ChecksumError, ExtractError, PackError, UnsafeArchiveError
from dsbuild.log import log
from dsbuild.paths import TEMP_MARK, create_new, tarball_name, temp_sibling
from dsbuild.tar_guard import Limits, open_guarded, quote

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


def remove_stale_temp_files(final_path: Path) -> list[Path]:
    """Remove temporary files an interrupted (even SIGKILLed) write of `final_path` left.

    Call it only while holding the dataset's lock, so no live writer is affected.
    """
    removed = []
    if final_path.parent.is_dir():
        for entry in final_path.parent.iterdir():
            if entry.name.startswith(TEMP_MARK) and entry.name.endswith(f"-{final_path.name}"):
                entry.unlink(missing_ok=True)
                removed.append(entry)
    return removed


def remove_leftovers(directory: Path, name: str) -> list[Path]:
    """Remove what interrupted (even SIGKILLed) runs left for dataset `name` in `directory`.

    Only our own temporary names (`TEMP_MARK` + 32 hex digits + `-name`, then
    optionally `-<version>.tar.gz` / `-<version>.json`) in `directory` and its
    digest cache. Call it only while holding the dataset's lock.
    """
    pattern = re.compile(rf"^{re.escape(TEMP_MARK)}[0-9a-f]{{32}}-{name}(-\d+\.\d+\.\d+\.(tar\.gz|json)(\.json)?)?$")
    removed = []
    for folder in (directory, directory / DIGEST_CACHE_DIR):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not pattern.match(entry.name):
                continue
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            log.debug("removed {}, left by an interrupted run", path)
            removed.append(path)
    return removed


# ---------------------------------------------------------------- safe extraction
#
# Our tarballs hold only regular files and directories under the checksum file's
# subdirectories, so extraction allows exactly that and nothing else, whatever
# tarfile's own filter would let through (its 'data' filter runs as well, as a
# second line). The decompressed stream passes through a TarStreamGuard, which
# parses every header itself (bounded size, allowed types, running totals
# against the limits) before tarfile reads it. Everything goes into a temporary
# sibling of the target first and is renamed into place once complete, so a
# reader never sees a partial dataset.

ALLOWED_FILE_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE)
# Timestamps beyond this (year 2514) are refused rather than passed to utime().
MAX_MTIME = 1 << 34


def _refuse(member: tarfile.TarInfo, why: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(f"refusing to extract tar member {quote(member.name)}: {why}; the tarball is not safe")


def check_member(member: tarfile.TarInfo, subdirs: Sequence[str], seen: set[str]) -> tarfile.TarInfo:
    """The member with ownership and modes stripped, or UnsafeArchiveError; `seen` catches duplicates."""
    name = member.name
    if not name or "\x00" in name or "\\" in name:
        raise _refuse(member, "the name is empty or holds a backslash or NUL")
    if name.startswith("/"):
        raise _refuse(member, "an absolute path")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise _refuse(member, "the path holds '..', '.' or an empty component")
    if member.isdir():
        is_dir = True
    elif member.type in ALLOWED_FILE_TYPES:
        is_dir = False
    elif member.issym() or member.islnk():
        raise _refuse(member, f"a link (to {quote(member.linkname)})")
    elif member.ischr() or member.isblk() or member.isfifo():
        raise _refuse(member, "a device or FIFO")
    else:
        raise _refuse(member, f"not a regular file or directory (type {quote(member.type)})")
    if not isinstance(member.mtime, int) or not 0 <= member.mtime < MAX_MTIME:
        raise _refuse(member, f"a malformed timestamp {quote(member.mtime)}")
    # Compare whole path components: 'mnist/3.0.0x' is not under 'mnist/3.0.0'.
    inside = any(name == sub or name.startswith(sub + "/") for sub in subdirs)
    ancestor = is_dir and any(sub.startswith(name + "/") for sub in subdirs)
    if not (inside or ancestor):
        raise _refuse(member, f"outside the dataset's directories ({', '.join(subdirs)})")
    if name in seen:
        raise _refuse(member, "a duplicate entry")
    seen.add(name)
    return member.replace(mode=DIR_MODE if is_dir else FILE_MODE, uid=0, gid=0, uname="", gname="", deep=False)


def _require_data_filter() -> None:
    if not hasattr(tarfile, "data_filter"):
        raise UnsafeArchiveError(
            "this Python's tarfile lacks extraction filters (PEP 706); "
            "use Python 3.11.4 or newer to extract datasets safely"
        )


def extraction_limits(
    record: ChecksumRecord | None,
    tarball_size: int,
    max_expansion: float = DEFAULT_MAX_EXPANSION,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> Limits:
    """The recorded sizes (plus a few directory entries), else the defaults scaled by the tarball's size."""
    if record is not None and record.uncompressed_bytes is not None and record.members is not None:
        return Limits(record.uncompressed_bytes, record.members + DIR_ALLOWANCE)
    return Limits(int(max_expansion * max(tarball_size, 1 << 20)), max_members)


def check_free_space(directory: Path, needed: int, what: str) -> None:
    """ExtractError unless the file system of `directory` has `needed` bytes free."""
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise ExtractError(f"{what} needs {needed} bytes but {str(directory)!r} has only {free} free; free some space")


def extract_tarball(
    tarball: Path,
    data_dir: Path,
    subdirs: Sequence[str],
    *,
    overwrite: bool = False,
    check: Callable[[Path, Sequence[str]], None] | None = None,
    expected: ChecksumRecord | None = None,
    limits: Limits | None = None,
) -> None:
    """Extract `tarball` safely into `data_dir`, restoring exactly `subdirs`.

    Members are checked one by one as the stream is read and written into a
    temporary directory beside the target; extraction stops as soon as the
    members pass `limits` (default: from `expected`, else conservative). With
    `expected`, the tarball's size and sha256 are computed in that same pass and
    must match before anything is installed. `check(staging_dir, subdirs)` may
    then inspect the result (e.g. load it). Only then are the subdirectories
    renamed into place, all or none. An existing subdirectory is kept unless
    `overwrite`. On any failure or interruption the target is untouched and the
    temporary directory removed.
    """
    _require_data_filter()
    data_dir = data_dir.absolute()
    if not overwrite:
        existing = [sub for sub in subdirs if (data_dir / sub).exists()]
        if existing:
            raise UnsafeArchiveError(
                f"{data_dir / existing[0]} already exists; kept it: pass --overwrite to replace it"
            )
    top = subdirs[0].split("/")[0]
    if limits is None:
        limits = extraction_limits(expected, tarball.stat().st_size)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if expected is not None and expected.uncompressed_bytes is not None:
            check_free_space(data_dir, expected.uncompressed_bytes, f"extracting {expected.tarball}")
        staging = data_dir / f"{TEMP_MARK}{uuid.uuid4().hex}-{top}"
        staging.mkdir()
    except OSError as exc:
        raise _os_error(exc, f"cannot extract into {str(data_dir)!r}") from None
    try:
        size, sha256 = _extract_checked(tarball, staging, subdirs, limits)
        if expected is not None and (size, sha256) != (expected.size, expected.sha256):
            raise ChecksumError(
                f"{str(tarball)!r} ({size} bytes, sha256 {sha256}) does not match its checksum file "
                f"({expected.size} bytes, sha256 {expected.sha256}); nothing was extracted"
            )
        if check is not None:
            check(staging, subdirs)
        _install(staging, data_dir, subdirs)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _os_error(exc: OSError, doing: str) -> ExtractError:
    if exc.errno == errno.ENOSPC:
        return ExtractError(f"{doing}: no space left on the device; free some space")
    where = f" ({quote(exc.filename)})" if exc.filename else ""
    return ExtractError(f"{doing}: {exc.strerror or exc}{where}")


def _extract_checked(tarball: Path, staging: Path, subdirs: Sequence[str], limits: Limits) -> tuple[int, str]:
    """Extract into `staging`, each member checked before it is written; return the tarball's (size, sha256)."""
    from isal import igzip_threaded
    from isal.isal_zlib import error as IsalError  # noqa: N812 - an exception class

    seen: set[str] = set()
    where = repr(str(tarball))
    try:
        with open(tarball, "rb") as raw:
            hashing = HashingReader(raw)
            # One pass over the file: hashed as read, decompressed by ISA-L in a second thread.
            with igzip_threaded.open(hashing, "rb", threads=1) as gz:
                tar, guard = open_guarded(gz, limits, where)
                with tar:
                    tar.copybufsize = COPY_BUFFER  # tarfile copies members in 16 KiB pieces by default
                    while (member := tar.next()) is not None:
                        guard.expect(member)
                        tar.extract(check_member(member, subdirs, seen), staging, filter="data")
                        tar.members.clear()  # a stream has no use for them; keeps memory flat
                while guard.read(COPY_BUFFER):  # the end-of-archive padding still counts for the hash
                    pass
            hashing.drain()
    except tarfile.FilterError as exc:
        raise UnsafeArchiveError(f"refusing to extract {where}: {quote(str(exc))}") from None
    except (tarfile.TarError, EOFError, zlib.error, IsalError) as exc:
        raise UnsafeArchiveError(f"{where} is not a readable .tar.gz: {quote(str(exc))}") from None
    except OSError as exc:
        if exc.errno is None:  # gzip format errors (e.g. trailing garbage) carry no errno
            raise UnsafeArchiveError(f"{where} is not a readable .tar.gz: {quote(str(exc))}") from None
        raise _os_error(exc, f"cannot extract {where}") from None
    except (OverflowError, ValueError) as exc:
        raise UnsafeArchiveError(f"{where} holds a malformed tar header: {quote(str(exc))}") from None
    missing = [sub for sub in subdirs if not (staging / sub).is_dir()]
    if missing:
        raise UnsafeArchiveError(f"{where} does not hold {', '.join(missing)}, which its checksum file lists")
    return hashing.size, hashing.hexdigest()


def _install(staging: Path, data_dir: Path, subdirs: Sequence[str]) -> None:
    """Rename every subdir into place, or none: on failure the ones already moved go back."""
    done: list[tuple[Path, Path, Path | None]] = []  # (target, where the new copy came from, old copy)
    try:
        for index, sub in enumerate(subdirs):
            source, target = staging / sub, data_dir / sub
            target.parent.mkdir(parents=True, exist_ok=True)
            old = None
            if target.exists():
                # Move the old copy into the staging dir (same file system), so clean-up removes it.
                old = staging / f"old-{index}"
                os.rename(target, old)
            try:
                os.rename(source, target)
            except BaseException:
                if old is not None:
                    os.rename(old, target)
                raise
            done.append((target, source, old))
            log.debug("installed {}", target)
    except BaseException as exc:
        for target, source, old in reversed(done):
            os.rename(target, source)
            if old is not None:
                os.rename(old, target)
        if isinstance(exc, OSError):
            raise _os_error(exc, f"cannot install into {str(data_dir)!r}") from None
        raise
