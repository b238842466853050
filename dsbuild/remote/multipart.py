"""Resumable multipart uploads: parts read straight from the file, sent in parallel, recorded locally.

An upload this tool starts is recorded in `<tarball dir>/_uploads/<tarball name>.json` (endpoint,
bucket, key, UploadId, the tarball's sha256, size and part size) until it completes. The next run
of the same tarball to the same place continues it: it lists that UploadId's parts, keeps each
part whose size and ETag (the MD5 of its bytes) match the local bytes, and sends only the rest.
Anything else recorded there (another tarball, another destination, a gone upload) is aborted,
being ours, and the upload starts over. Uploads this tool did not record are never touched.
A lock on the record keeps two local processes from continuing the same UploadId.
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import errno
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dsbuild.artifact.checksums import write_json_atomic
from dsbuild.errors import ChecksumError
from dsbuild.log import log
from dsbuild.remote import s3

STATE_DIR = "_uploads"
STATE_MAX_BYTES = 64 * 1024
READ_BLOCK = 4 * 1024 * 1024  # hashing reads
SEND_BLOCK = 1024 * 1024  # what one read of a part's body may return


class CancelledError(Exception):
    """The transfer was stopped (another part failed, the rate floor tripped, Ctrl-C): stop sending."""


@dataclass(frozen=True)
class UploadState:
    endpoint: str
    bucket: str
    key: str
    upload_id: str
    sha256: str
    size: int
    part_size: int

    @classmethod
    def from_json(cls, data: Any) -> UploadState | None:
        """The record, or None when it is not one (a hostile or damaged file is ignored, never trusted)."""
        if not isinstance(data, dict):
            return None
        try:
            state = cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            return None
        texts = (state.endpoint, state.bucket, state.key, state.upload_id, state.sha256)
        if not all(isinstance(t, str) and 0 < len(t) <= 2048 for t in texts):
            return None
        if not all(type(n) is int and n > 0 for n in (state.size, state.part_size)):
            return None
        return state


class StateRecord:
    """The local record of an unfinished upload of one tarball, held under an exclusive lock."""

    def __init__(self, tarball: Path) -> None:
        directory = tarball.parent / STATE_DIR
        self.path = directory / f"{tarball.name}.json"
        self._lock_path = directory / f"{tarball.name}.lock"
        self._lock_file: Any = None

    @contextlib.contextmanager
    def held(self) -> Iterator[bool]:
        """Yields True with the lock held; False when it cannot be had (another local upload of this
        tarball is running, or the directory is not writable): then nothing is resumed or recorded."""
        try:
            self.path.parent.mkdir(exist_ok=True)
            if self.path.parent.is_symlink():
                raise OSError(errno.ELOOP, "a symbolic link")
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            log.warning("cannot record this upload in {} ({}): it cannot be resumed", self.path.parent, exc.strerror)
            yield False
            return
        with open(fd, "r+b") as lock_file:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("another local upload of {} is running: this one starts its own", self.path.stem)
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def load(self) -> UploadState | None:
        try:
            with open(self.path, "rb") as f:
                raw = f.read(STATE_MAX_BYTES + 1)
            if len(raw) > STATE_MAX_BYTES:
                return None
            return UploadState.from_json(json.loads(raw.decode("utf-8")))
        except (OSError, ValueError, RecursionError):
            return None

    def save(self, state: UploadState) -> None:
        try:
            self.path.parent.mkdir(exist_ok=True)
            write_json_atomic(self.path, asdict(state))
        except OSError as exc:
            log.warning("cannot record this upload in {} ({}): it cannot be resumed", self.path, exc.strerror)

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


@dataclass(frozen=True)
class Part:
    number: int
    etag: str
    sha256_b64: str


def part_ranges(size: int, part_size: int) -> list[tuple[int, int, int]]:
    """(part number, offset, length) of every part."""
    return [(i + 1, offset, min(part_size, size - offset)) for i, offset in enumerate(range(0, size, part_size))]


def hash_range(fd: int, offset: int, length: int, with_md5: bool = False) -> tuple[bytes, str | None]:
    """sha256 (raw) and, if asked, the MD5 hex of the file's bytes [offset, offset + length)."""
    sha = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False) if with_md5 else None
    done = 0
    while done < length:
        block = os.pread(fd, min(READ_BLOCK, length - done), offset + done)
        if not block:
            raise ChecksumError("the file was truncated while it was being uploaded; upload it again")
        sha.update(block)
        if md5 is not None:
            md5.update(block)
        done += len(block)
    return sha.digest(), md5.hexdigest() if md5 is not None else None


class FileSlice:
    """Bytes [offset, offset + length) of an open file as a seekable, read-only request body.

    Each read reports its size (progress bar, rate watchdog) and checks the stop flag, so a
    stopped transfer breaks off within one block instead of sending the whole part."""

    def __init__(self, fd: int, offset: int, length: int, on_read: Callable[[int], None], stop: threading.Event):
        self._fd, self._offset, self._length = fd, offset, length
        self._pos = 0
        self._high = 0  # bytes reported so far: a body read again (a retry) is not counted twice
        self._on_read = on_read
        self._stop = stop

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        if self._stop.is_set():
            raise CancelledError()
        left = self._length - self._pos
        size = left if size is None or size < 0 else min(size, left)
        size = min(size, SEND_BLOCK) if size > SEND_BLOCK else size
        if size <= 0:
            return b""
        data = os.pread(self._fd, size, self._offset + self._pos)
        if len(data) != size:
            raise ChecksumError("the file was truncated while it was being uploaded; upload it again")
        self._pos += size
        if self._pos > self._high:
            self._on_read(self._pos - self._high)
            self._high = self._pos
        return data

    def seek(self, pos: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._length}[whence]
        self._pos = max(0, min(self._length, base + pos))
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True


def listed_parts(client: s3.Client, bucket: str, key: str, upload_id: str) -> dict[int, tuple[int, str]] | None:
    """{part number: (size, ETag)} of an upload, or None when it no longer exists."""
    from botocore.exceptions import ClientError

    parts: dict[int, tuple[int, str]] = {}
    marker = 0
    with s3.remote_errors(f"cannot list the parts of the unfinished upload of {s3.s3_url(bucket, key)}", client):
        while True:
            try:
                response = client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker)
            except ClientError as exc:
                if s3.error_code(exc) in ("NoSuchUpload", "404", "NoSuchKey"):
                    return None
                raise
            for item in response.get("Parts", []):
                number, size, etag = item.get("PartNumber"), item.get("Size"), item.get("ETag")
                if type(number) is int and type(size) is int and isinstance(etag, str):
                    parts[number] = (size, etag.strip('"').lower())
            if not response.get("IsTruncated") or len(parts) > s3.MAX_PARTS:
                return parts
            marker = int(response.get("NextPartNumberMarker") or 0)
            if marker <= 0:
                return parts


def reusable_parts(fd: int, ranges: list[tuple[int, int, int]], listed: dict[int, tuple[int, str]]) -> dict[int, Part]:
    """The listed parts whose size and MD5 ETag match the local bytes (hashed here, once)."""
    kept: dict[int, Part] = {}
    for number, offset, length in ranges:
        if number not in listed or listed[number][0] != length:
            continue
        sha, md5 = hash_range(fd, offset, length, with_md5=True)
        if md5 == listed[number][1]:
            kept[number] = Part(number, f'"{md5}"', base64.b64encode(sha).decode())
    return kept


def send_part(
    client: s3.Client,
    bucket: str,
    key: str,
    upload_id: str,
    fd: int,
    part: tuple[int, int, int],
    on_read: Callable[[int], None],
    stop: threading.Event,
) -> Part:
    number, offset, length = part
    sha, _ = hash_range(fd, offset, length)
    if stop.is_set():
        raise CancelledError()
    checksum = base64.b64encode(sha).decode()
    response = client.upload_part(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        PartNumber=number,
        Body=FileSlice(fd, offset, length, on_read, stop),
        ContentLength=length,
        ChecksumSHA256=checksum,
    )
    return Part(number, response["ETag"], checksum)


def send_parts(
    client: s3.Client,
    bucket: str,
    key: str,
    upload_id: str,
    fd: int,
    todo: list[tuple[int, int, int]],
    concurrency: int,
    on_read: Callable[[int], None],
    stop: threading.Event,
    poll: Callable[[], None],
) -> list[Part]:
    """Send `todo` with `concurrency` threads. `poll` runs in this thread while waiting (it raises to
    stop the transfer, e.g. on a stall); on any failure the other parts stop within one block."""
    if not todo:
        return []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(todo))))
    futures = [pool.submit(send_part, client, bucket, key, upload_id, fd, p, on_read, stop) for p in todo]
    try:
        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(pending, timeout=0.25, return_when="FIRST_EXCEPTION")
            for future in done:
                future.result()  # raises the first failure
            poll()
        return [f.result() for f in futures]
    except BaseException:
        stop.set()
        for future in futures:
            future.cancel()
        raise
    finally:
        # On failure the running parts break off at their next block (their sockets time out at worst):
        # waited for, so that no part arrives after the upload is aborted.
        pool.shutdown(wait=True, cancel_futures=True)


def composite_checksum(parts: list[Part]) -> str:
    """The checksum S3 reports for a multipart object: base64(sha256(part sha256s)) + "-N"."""
    joined = b"".join(base64.b64decode(p.sha256_b64) for p in sorted(parts, key=lambda p: p.number))
    return f"{base64.b64encode(hashlib.sha256(joined).digest()).decode()}-{len(parts)}"
