"""Packing a built dataset into a reproducible `.tar.gz`.

Members are exactly the built layout relative to the data-dir root
(`mnist/3.0.1/...`), regular files and directories only, sorted, with fixed
mtime, owner and modes, in a gzip stream whose header carries no name or time:
packing the same directory twice gives the same sha256. The compressed bytes are
hashed and counted as they are written, so the checksum file needs no second
read. The tarball is written under a temporary name and renamed into place.

Packing keeps every core busy: this thread reads and hashes the members, ISA-L
compresses blocks in worker threads, a writer thread hashes and writes the
result, and the TensorFlow-free shard check of `pack_built` runs in a thread of
its own beside them (hashlib, ISA-L and file reads release the GIL).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tarfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any

from dsbuild.artifact.built_dataset import BuiltDataset, check_structure
from dsbuild.artifact.checksums import (
    HASH_NAME,
    ChecksumRecord,
    HashingWriter,
    remember_digest,
    write_checksum_file,
)
from dsbuild.artifact.records import needs_tensorflow, verify_built
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
# The compressor buffers its input in COMPRESS_BUFFER bytes and compresses each
# block it hands on. Fed by tarfile (10 KiB records, tarfile.RECORDSIZE), it
# always handed on 102 records at a time: those block boundaries fix the bytes
# of every tarball ever published, so the stream is cut exactly there.
COMPRESS_BUFFER = 1 << 20
BLOCK_SIZE = COMPRESS_BUFFER // tarfile.RECORDSIZE * tarfile.RECORDSIZE


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


class _TarStream:
    """The tar stream, cut into the compressor's blocks as it is produced.

    File data is read straight into the current block and hashed there: one
    copy from the page cache, one GIL-free sha256 call per piece. Each full
    block goes to the threaded compressor, which copies it into its queue, so
    the one buffer is reused.
    """

    def __init__(self, sink: Callable[[memoryview], object]) -> None:
        self._sink = sink
        self._block = bytearray(BLOCK_SIZE)
        self._view = memoryview(self._block)
        self._fill = 0
        self.offset = 0  # bytes of tar stream so far

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            take = min(len(view), BLOCK_SIZE - self._fill)
            self._view[self._fill : self._fill + take] = view[:take]
            self._advance(take)
            view = view[take:]

    def copy_file(self, f: IO[bytes], size: int, digest: Any, path: Path) -> int:
        """Copy up to `size` bytes of `f` into the stream, hashing them; return how many there were."""
        copied = 0
        while copied < size:
            room = self._view[self._fill : self._fill + min(size - copied, BLOCK_SIZE - self._fill)]
            try:
                count = f.readinto(room)  # type: ignore[attr-defined]
            except OSError as exc:
                raise PackError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
            if not count:
                break
            digest.update(room[:count])
            copied += count
            self._advance(count)
        return copied

    def pad(self, size: int) -> None:
        """NUL bytes up to the next multiple of `size` (tar's 512-byte blocks and 10 KiB records)."""
        remainder = self.offset % size
        if remainder:
            self.write(bytes(size - remainder))

    def _advance(self, count: int) -> None:
        self._fill += count
        self.offset += count
        if self._fill == BLOCK_SIZE:
            self.flush()

    def flush(self) -> None:
        if self._fill:
            self._sink(self._view[: self._fill])
            self._fill = 0

    def close(self) -> None:
        """End of archive as tarfile writes it: two zero blocks, then zeros to a whole record."""
        self.write(bytes(2 * tarfile.BLOCKSIZE))
        self.pad(tarfile.RECORDSIZE)
        self.flush()


def _add_file(stream: _TarStream, info: tarfile.TarInfo, path: Path) -> str:
    """Add one file; return its sha256 (hashed as it is packed, for download.py --verify)."""
    digest = hashlib.new(HASH_NAME)
    try:
        with open(path, "rb", buffering=0) as f:
            stream.write(info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape"))
            copied = stream.copy_file(f, info.size, digest, path)
            now = os.fstat(f.fileno()).st_size
    except PermissionError:
        raise PackError(f"cannot read {str(path)!r}: permission denied; fix its permissions") from None
    if copied < info.size:
        raise PackError(f"{str(path)!r} shrank while it was being packed; pack again")
    if now != info.size:
        raise PackError(f"{str(path)!r} changed size while it was being packed; pack again")
    stream.pad(tarfile.BLOCKSIZE)
    return digest.hexdigest()


class _Beside:
    """A check run in a daemon thread while the tarball is written; `result()` re-raises its failure.

    A daemon, so Ctrl-C during packing does not wait for it; after a failed pack
    it runs to its end unobserved (it only reads).
    """

    def __init__(self, check: Callable[[], object]) -> None:
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(check,), name="dsbuild-pack-check", daemon=True)
        self._thread.start()

    def _run(self, check: Callable[[], object]) -> None:
        try:
            check()
        except BaseException as exc:  # handed to the packing thread, which raises it
            self._error = exc
        finally:
            self._done.set()

    def raise_failure(self) -> None:
        if self._error is not None:
            raise self._error

    def result(self, cancel: threading.Event | None, destination: Path) -> None:
        while not self._done.wait(0.1):
            if cancel is not None and cancel.is_set():
                raise BuildCancelledError(f"packing {destination} was cancelled")
        self.raise_failure()


def write_tarball(
    root: Path,
    subdirs: Sequence[str],
    destination: Path,
    compresslevel: int = DEFAULT_COMPRESSION_LEVEL,
    threads: int = DEFAULT_THREADS,
    cancel: threading.Event | None = None,
    tally: MemberTally | None = None,
    files: list[tuple[str, int, str]] | None = None,
    check: Callable[[], object] | None = None,
) -> tuple[int, str]:
    """Write the tarball of `subdirs` (relative to `root`) to `destination` atomically.

    `files`, when given, receives (member name, size, sha256) of every file packed.
    `check`, when given, runs in a thread beside the packing (the shard
    verification); the tarball is renamed into place only if it returns, and
    its exception, raised as soon as it is seen, aborts the pack.

    One streaming pass on every core: this thread reads each file into the
    current block and hashes it, ISA-L compresses blocks in `threads` threads,
    and a writer thread hashes and counts the compressed bytes as it writes
    them. Memory stays bounded (a few blocks per thread). Returns (size, sha256);
    `tally`, if given, receives the member count and bytes of member data.
    """
    tally = tally if tally is not None else MemberTally()
    from isal import igzip_threaded

    tmp = temp_sibling(destination)
    beside = _Beside(check) if check is not None else None
    try:
        with create_new(tmp) as raw:
            hashing = HashingWriter(raw)
            # ISA-L writes a gzip header without name or time: reproducible output.
            with igzip_threaded.open(
                hashing, "wb", compresslevel=compresslevel, threads=threads, block_size=COMPRESS_BUFFER
            ) as gz:

                def stop_if_asked() -> None:
                    if cancel is not None and cancel.is_set():
                        raise BuildCancelledError(f"packing {destination} was cancelled")
                    if beside is not None:
                        beside.raise_failure()

                def send(block: memoryview) -> None:
                    stop_if_asked()  # per block too: one shard may be gigabytes
                    gz.raw.write(block)  # whole blocks straight to the compressor, past its (empty) buffer

                stream = _TarStream(send)
                for name, path, st in iter_members(root, subdirs):
                    stop_if_asked()
                    info = _tarinfo(name, st)
                    tally.members += 1
                    tally.member_bytes += info.size
                    if info.isdir():
                        stream.write(info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape"))
                    else:
                        digest = _add_file(stream, info, path)
                        if files is not None:
                            files.append((name, info.size, digest))
                stream.close()
            if beside is not None:
                beside.result(cancel, destination)
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
    check: Callable[[], object] | None = None,
) -> PackResult:
    """Pack `subdirs` of `data_dir` into `<name>-<version>.tar.gz` plus its checksum file (with `provenance`).

    `check` runs beside the packing (see `write_tarball`); nothing is written if it fails.
    """
    out_dir = out_dir or data_dir
    tarball = out_dir / tarball_name(name, version)
    log.info("packing {} into {}", ", ".join(subdirs), tarball)
    tally = MemberTally()
    files: list[tuple[str, int, str]] = []
    size, sha256 = write_tarball(
        data_dir, subdirs, tarball, compresslevel, cancel=cancel, tally=tally, files=files, check=check
    )
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
        data_dir, subdirs = built.data_dir, built.subdirs
        if verify_all or needs_tensorflow(data_dir, subdirs):
            verify_built(data_dir, subdirs, all_examples=verify_all)  # TensorFlow, before any packing
            check = None
        else:
            # The TensorFlow-free shard check, on the other core while this one packs.
            check = partial(verify_built, data_dir, subdirs)
        return pack(data_dir, built.name, built.version, subdirs, compresslevel=compresslevel, check=check)
