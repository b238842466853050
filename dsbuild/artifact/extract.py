"""Extracting a tarball safely, from a local file or straight from a download stream.

Our tarballs hold only regular files and directories under the checksum file's
subdirectories, so extraction allows exactly that and nothing else, whatever
tarfile's own filter would let through (its 'data' filter runs as well, as a
second line). The decompressed stream passes through a TarStreamGuard, which
parses every header itself (bounded size, allowed types, running totals
against the limits) before tarfile reads it. When the checksum file lists the
tarball's files, every regular member must be one of them with exactly its
listed size, and is hashed as it is written and refused unless it has its listed
sha256, so not one byte is written that was not published and an installed
dataset always equals its list. Without a list (armory's checksum lines), the
members are hashed all the same: the list of what was written is returned, for
the installed copy's checksum file. Everything
goes into a temporary sibling of the target first and is renamed into place
only once complete, hashed and checked, so a reader never sees a partial or
unverified dataset.
"""

from __future__ import annotations

import errno
import hashlib
import os
import queue
import shutil
import tarfile
import threading
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from dsbuild.artifact.checksums import CHUNK_SIZE, ChecksumRecord, HashingReader
from dsbuild.artifact.tar_guard import Limits, open_guarded, quote
from dsbuild.artifact.tarball import COPY_BUFFER, DIR_MODE, FILE_MODE
from dsbuild.defaults import DEFAULT_MAX_EXPANSION, DEFAULT_MAX_MEMBERS, DIR_ALLOWANCE
from dsbuild.errors import ChecksumError, DsbuildError, ExtractError, UnsafeArchiveError
from dsbuild.log import log
from dsbuild.paths import TEMP_MARK, create_new

ALLOWED_FILE_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE)
FileList = tuple[tuple[str, int, str], ...]  # (path under the data dir, size, sha256), as ChecksumRecord.files
# Timestamps beyond this (year 2514) are refused rather than passed to utime().
MAX_MTIME = 1 << 34


class MemberChecksumError(ChecksumError):
    """A member's sha256 is not the one its checksum file lists (reported after the tarball's own check)."""


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
) -> FileList:
    """Extract the local file `tarball` into `data_dir` as `extract_stream` does; the files written."""
    if limits is None:
        limits = extraction_limits(expected, tarball.stat().st_size)
    try:
        raw = open(tarball, "rb")  # noqa: SIM115 - closed below, after the extraction
    except OSError as exc:
        raise _os_error(exc, f"cannot read {str(tarball)!r}") from None
    with raw:
        return extract_stream(
            raw,
            repr(str(tarball)),
            data_dir,
            subdirs,
            limits=limits,
            overwrite=overwrite,
            check=check,
            expected=expected,
        )


def extract_stream(
    raw: IO[bytes],
    where: str,
    data_dir: Path,
    subdirs: Sequence[str],
    *,
    limits: Limits,
    overwrite: bool = False,
    check: Callable[[Path, Sequence[str]], None] | None = None,
    expected: ChecksumRecord | None = None,
) -> FileList:
    """Extract the .tar.gz read from `raw` (a file or a download; `where` names it) into `data_dir`,
    restoring exactly `subdirs`; returns the files written: (path under `data_dir`, size, sha256).

    Members are checked one by one as the stream is read and written into a
    temporary directory beside the target; extraction stops as soon as the
    members pass `limits`. With `expected`, the stream's size and sha256 are
    computed in that same pass and must match before anything is installed,
    and a file list in it is enforced member by member.
    `check(staging_dir, subdirs)` may then inspect the result (e.g. load it).
    Only then are the subdirectories renamed into place, all or none. An
    existing subdirectory is kept unless `overwrite`. On any failure or
    interruption the target is untouched and the temporary directory removed.
    """
    _require_data_filter()
    data_dir = data_dir.absolute()
    if not overwrite:
        existing = [sub for sub in subdirs if (data_dir / sub).exists()]
        if existing:
            raise UnsafeArchiveError(
                f"{data_dir / existing[0]} already exists; kept it: pass --overwrite to replace it"
            )
    staging = data_dir / f"{TEMP_MARK}{uuid.uuid4().hex}-{subdirs[0].split('/')[0]}"
    try:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            if expected is not None and expected.uncompressed_bytes is not None:
                check_free_space(data_dir, expected.uncompressed_bytes, f"extracting {expected.tarball}")
            # Made inside the try: a signal the moment it exists still finds the clean-up below.
            staging.mkdir()
        except OSError as exc:
            raise _os_error(exc, f"cannot extract into {str(data_dir)!r}") from None
        files = _extract_checked(raw, where, staging, subdirs, limits, expected)
        if check is not None:
            check(staging, subdirs)
        _install(staging, data_dir, subdirs)
        return files
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _os_error(exc: OSError, doing: str) -> ExtractError:
    if exc.errno == errno.ENOSPC:
        return ExtractError(f"{doing}: no space left on the device; free some space")
    where = f" ({quote(exc.filename)})" if exc.filename else ""
    return ExtractError(f"{doing}: {exc.strerror or exc}{where}")


def _extract_checked(
    raw: IO[bytes],
    where: str,
    staging: Path,
    subdirs: Sequence[str],
    limits: Limits,
    expected: ChecksumRecord | None,
) -> FileList:
    """Extract into `staging`, each member checked before it is written and hashed as it is; then the
    stream's size and sha256. Returns the files written, sorted by path."""
    from isal import igzip_threaded
    from isal.isal_zlib import error as IsalError  # noqa: N812 - an exception class

    listed = (
        {path: (size, sha) for path, size, sha in expected.files} if expected is not None and expected.files else None
    )
    # Without `expected` the caller verified the tarball before extracting it: no second sha256 of it.
    hashing = HashingReader(raw) if expected is not None else None
    seen: set[str] = set()
    written: list[tuple[str, int, str]] = []
    failure: DsbuildError | None = None
    try:
        # One pass over the stream: hashed as read, decompressed by ISA-L in a second thread.
        with igzip_threaded.open(hashing or raw, "rb", threads=1) as gz:
            try:
                tar, guard = open_guarded(gz, limits, where)
                with tar:
                    tar.copybufsize = COPY_BUFFER  # tarfile copies members in 16 KiB pieces by default
                    while (member := tar.next()) is not None:
                        guard.expect(member)
                        member = check_member(member, subdirs, seen)
                        if member.isdir():
                            tar.extract(member, staging, filter="data")
                        else:
                            written.append(_write_file(tar, member, staging, listed, where))
                        tar.members.clear()  # a stream has no use for them; keeps memory flat
                while guard.read(COPY_BUFFER):  # the end-of-archive padding still counts for the hash
                    pass
            except BaseException as exc:
                # Interrupted (Ctrl-C, SIGTERM): leaving this block joins the decompressor thread, which
                # may be blocked reading a stalled download; a stream that can, wakes it first.
                abort = getattr(raw, "abort", None)
                if abort is not None and not isinstance(exc, Exception):
                    abort()
                raise
    except (UnsafeArchiveError, MemberChecksumError) as exc:
        failure = exc
    except tarfile.FilterError as exc:
        failure = UnsafeArchiveError(f"refusing to extract {where}: {quote(str(exc))}")
    except (tarfile.TarError, EOFError, zlib.error, IsalError) as exc:
        failure = UnsafeArchiveError(f"{where} is not a readable .tar.gz: {quote(str(exc))}")
    except OSError as exc:
        if exc.errno is not None:
            raise _os_error(exc, f"cannot extract {where}") from None
        failure = UnsafeArchiveError(f"{where} is not a readable .tar.gz: {quote(str(exc))}")  # gzip format errors
    except (OverflowError, ValueError) as exc:
        failure = UnsafeArchiveError(f"{where} holds a malformed tar header: {quote(str(exc))}")
    if hashing is not None and expected is not None:
        # A damaged or changed tarball is reported as such, not by whatever its first bad byte caused.
        _check_digest(hashing, where, expected)
    if failure is not None:
        raise failure
    missing = [sub for sub in subdirs if not (staging / sub).is_dir()]
    missing += [path for path in listed or () if not (staging / path).is_file()]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise UnsafeArchiveError(f"{where} does not hold {', '.join(missing[:3])}{more}, which its checksum file lists")
    return tuple(sorted(written))


_HASH_JOBS: queue.SimpleQueue[tuple[Callable[[bytes], None], bytes, threading.Event]] | None = None
_HASH_JOBS_LOCK = threading.Lock()


def _run_hash_jobs(jobs: queue.SimpleQueue[tuple[Callable[[bytes], None], bytes, threading.Event]]) -> None:
    while True:
        update, chunk, done = jobs.get()
        try:
            update(chunk)
        finally:
            done.set()


class _OverlappedSha256:
    """sha256 of the chunks given to `update`, computed in one shared worker thread (hashlib releases the
    GIL), one chunk at a time and in order, so that hashing a member overlaps writing it. The worker is a
    daemon thread: a run stopped by Ctrl-C or SIGTERM must not wait for it at exit."""

    def __init__(self) -> None:
        global _HASH_JOBS
        with _HASH_JOBS_LOCK:
            if _HASH_JOBS is None:
                _HASH_JOBS = queue.SimpleQueue()
                worker = threading.Thread(
                    target=_run_hash_jobs, args=(_HASH_JOBS,), name="dsbuild-member-sha256", daemon=True
                )
                worker.start()
        self._jobs = _HASH_JOBS
        self._hash = hashlib.sha256()
        self._pending: threading.Event | None = None

    def update(self, chunk: bytes) -> None:
        if self._pending is not None:
            self._pending.wait()
        self._pending = threading.Event()
        self._jobs.put((self._hash.update, chunk, self._pending))

    def hexdigest(self) -> str:
        if self._pending is not None:
            self._pending.wait()
            self._pending = None
        return self._hash.hexdigest()


def _write_file(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    staging: Path,
    listed: Mapping[str, tuple[int, str]] | None,
    where: str,
) -> tuple[str, int, str]:
    """Write a regular member, hashing it as it is written: (its path, size, sha256). With a file list it
    must be listed with its size, and ChecksumError (nothing installed) when its sha256 is not the listed one."""
    size, sha256 = listed.get(member.name, (None, "")) if listed is not None else (member.size, None)
    if size != member.size:
        why = "not a file its checksum file lists" if size is None else "not of its listed size"
        raise _refuse(member, f"{why} ({member.size} bytes)")
    member = tarfile.data_filter(member, str(staging))  # the second line, as tar.extract(filter="data") has it
    target = staging / member.name
    target.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(member)
    if source is None:  # unreachable: only regular files come here
        raise _refuse(member, "not a regular file")
    digest = _OverlappedSha256()
    try:
        with create_new(target) as out:
            while chunk := source.read(COPY_BUFFER):
                digest.update(chunk)  # hashed in another thread while this one writes and reads on
                out.write(chunk)
    finally:
        actual = digest.hexdigest()
    os.chmod(target, member.mode if member.mode is not None else FILE_MODE)
    os.utime(target, (member.mtime, member.mtime))
    if sha256 is not None and actual != sha256:
        raise MemberChecksumError(
            f"{quote(member.name)} in {where} has sha256 {actual} but its checksum file lists "
            f"{sha256}: the checksum file does not describe this tarball; nothing was installed"
        )
    return member.name, member.size, actual


def _check_digest(hashing: HashingReader, where: str, expected: ChecksumRecord) -> None:
    """ChecksumError unless the whole stream (read to its end, or one chunk past the listed size) matches."""
    while hashing.size <= expected.size and hashing.read(CHUNK_SIZE):
        pass
    if hashing.size > expected.size:
        raise ChecksumError(
            f"{where} holds more than the {expected.size} bytes its checksum file says: "
            "the tarball was changed; nothing was installed"
        )
    if hashing.size < expected.size:
        raise ChecksumError(
            f"{where} holds {hashing.size} bytes but its checksum file says {expected.size}: "
            "the tarball is truncated; nothing was installed"
        )
    if hashing.hexdigest() != expected.sha256:
        raise ChecksumError(
            f"sha256 of {where} is {hashing.hexdigest()} but its checksum file says {expected.sha256}: "
            "the tarball is corrupt or was changed; nothing was installed"
        )


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step (Linux renameat2 RENAME_EXCHANGE); False where that is not
    available, so the caller falls back to two renames."""
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _install(staging: Path, data_dir: Path, subdirs: Sequence[str]) -> None:
    """Rename every subdir into place, or none: on failure the ones already moved go back.

    A subdir that replaces an existing one is swapped with it in one step where the file system can, so
    a kill at any moment leaves the old or the new one under the name (the old one ends in the staging
    dir and is removed with it); elsewhere the old one is moved aside first.
    """
    done: list[tuple[Path, Path, Path | None, bool]] = []  # (target, new copy's origin, old copy, swapped)
    try:
        for index, sub in enumerate(subdirs):
            source, target = staging / sub, data_dir / sub
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() and _exchange(source, target):
                done.append((target, source, None, True))
                log.debug("installed {} (swapped with the old one)", target)
                continue
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
            done.append((target, source, old, False))
            log.debug("installed {}", target)
    except BaseException as exc:
        for target, source, old, swapped in reversed(done):
            if swapped:
                _exchange(source, target)
                continue
            os.rename(target, source)
            if old is not None:
                os.rename(old, target)
        if isinstance(exc, OSError):
            raise _os_error(exc, f"cannot install into {str(data_dir)!r}") from None
        raise
