"""S3 transfers: verified uploads and downloads with progress bars.

The integrity model is described in `dsbuild.remote.s3`: the client, URLs and error
translation live there; this module moves bytes and checks them.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dsbuild.artifact.checksums import CHUNK_SIZE, FileDigest, HashingWriter, recall_digest
from dsbuild.defaults import Status
from dsbuild.errors import ChecksumError, RemoteConflictError, RemoteError
from dsbuild.log import log
from dsbuild.paths import create_new
from dsbuild.remote.s3 import (
    CHECKSUM_FILE_MAX_BYTES,
    DOWNLOAD_ATTEMPTS,
    SHA256_METADATA_KEY,
    Client,
    abort_incomplete_uploads,
    delete,
    head,
    remote_errors,
    s3_url,
    transfer_config,
)

if TYPE_CHECKING:
    from boto3.s3.transfer import TransferConfig

T = TypeVar("T")


# ---------------------------------------------------------------- metadata


@dataclass(frozen=True)
class LocalDigest:
    """Size and sha256 of a local file, and the checksum S3 will report once it is uploaded."""

    size: int
    sha256: str
    # base64 sha256, or for multipart base64(sha256(part digests)) + "-N". None when only the
    # whole-file sha256 is known (a multipart tarball unchanged since packing): the server
    # still checks every part's SHA256 as it arrives, and size and sha256 metadata are compared.
    s3_checksum: str | None


def _s3_checksum(digest: FileDigest, multipart: bool) -> str | None:
    if not multipart:
        return base64.b64encode(bytes.fromhex(digest.sha256)).decode()
    if not digest.part_sha256s:
        return None
    composite = hashlib.sha256(b"".join(bytes.fromhex(p) for p in digest.part_sha256s)).digest()
    return f"{base64.b64encode(composite).decode()}-{len(digest.part_sha256s)}"


def digest_for_upload(path: Path, config: TransferConfig | None = None) -> LocalDigest:
    """The sha256 of `path` and, where it can be known, the SHA256 checksum S3 will report for it.

    The sha256 recorded while the tarball was packed is used when the file
    provably has not changed since (same size, mtime, ctime and inode): the
    tarball is not read again. Otherwise it is read once, at full speed,
    hashing the whole file and each part.
    """
    from s3transfer.utils import ChunksizeAdjuster

    config = config or transfer_config()
    size = path.stat().st_size
    multipart = size >= config.multipart_threshold
    known = recall_digest(path)
    if known is not None and known.size == size:
        log.debug("{} is unchanged since it was packed: its sha256 is not computed again", path)
        return LocalDigest(size=size, sha256=known.sha256, s3_checksum=_s3_checksum(known, multipart))
    part = ChunksizeAdjuster().adjust_chunksize(config.multipart_chunksize, size) if multipart else None
    with open(path, "rb") as f:
        hashing = HashingWriter(_NullSink(), part_size=part)
        for chunk in iter(lambda: f.read(CHUNK_SIZE), b""):
            hashing.write(chunk)
    digest = hashing.digest()
    return LocalDigest(size=size, sha256=digest.sha256, s3_checksum=_s3_checksum(digest, multipart))


class _NullSink:
    def write(self, data: bytes | bytearray | memoryview) -> int:
        return len(data)

    def flush(self) -> None:
        pass


# ---------------------------------------------------------------- progress


class _Bar:
    """A tqdm bar in bytes (rate, time left), or nothing with progress off; thread-safe updates."""

    def __init__(self, label: str, total: int, enabled: bool) -> None:
        self._lock = threading.Lock()
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, desc=label, unit="B", unit_scale=True, unit_divisor=1024, leave=True, dynamic_ncols=True
            )

    def update(self, amount: int) -> None:
        if self._bar is not None:
            with self._lock:
                self._bar.update(amount)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _progress_subscriber(bar: _Bar) -> Any:
    from s3transfer.subscribers import BaseSubscriber

    class Progress(BaseSubscriber):
        def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
            bar.update(bytes_transferred)

    return Progress()


# ---------------------------------------------------------------- upload


# The statuses upload_file returns (kept as names here for callers and tests).
UP_TO_DATE = Status.UP_TO_DATE
UPLOADED = Status.UPLOADED


# Over 60 lines on purpose: head, abort, transfer, verify and the clean-up of every failure path
# read as one sequence, which is the upload's integrity contract.
def upload_file(
    client: Client,
    path: Path,
    bucket: str,
    key: str,
    digest: LocalDigest,
    *,
    force: bool = False,
    public: bool = False,
    progress: bool = True,
    config: TransferConfig | None = None,
) -> str:
    """Upload `path` to `bucket/key` unless an identical object is there; verify it. Returns UPLOADED or UP_TO_DATE.

    An object that differs is replaced only with `force`. A failed or interrupted
    upload leaves no unfinished multipart upload of `key` behind (best effort when
    the server itself is gone; the next run cleans up).
    """
    from s3transfer.manager import TransferManager

    url = s3_url(bucket, key)
    remote = head(client, bucket, key)
    if remote is not None:
        if remote.size == digest.size and remote.sha256 == digest.sha256:
            log.debug("{} is up to date", url)  # upload.py prints it once
            return UP_TO_DATE
        if not force:
            remote_hash = remote.sha256 or "unknown"
            raise RemoteConflictError(
                f"{url} already exists and differs from {path.name} "
                f"(remote {remote.size} bytes, sha256 {remote_hash}; local {digest.size} bytes, "
                f"sha256 {digest.sha256}); pass --force to replace it"
            )
        log.warning("replacing {} (--force)", url)
    # Parts left by an earlier run that died with the server are ours to clean.
    abort_incomplete_uploads(client, bucket, key)
    extra: dict[str, Any] = {"ChecksumAlgorithm": "SHA256", "Metadata": {SHA256_METADATA_KEY: digest.sha256}}
    if path.suffix == ".json":
        extra["ContentType"] = "application/json"
    if public:
        extra["ACL"] = "public-read"
    bar = _Bar(path.name, digest.size, progress)
    log.debug("uploading {} ({} bytes) to {}", path, digest.size, url)
    try:
        with (
            remote_errors(f"upload of {path.name} to {url} failed", client),
            TransferManager(client, config or transfer_config()) as manager,
        ):
            future = manager.upload(str(path), bucket, key, extra_args=extra, subscribers=[_progress_subscriber(bar)])
            future.result()
    except BaseException:
        bar.close()
        abort_incomplete_uploads(client, bucket, key)
        if remote is None:
            # Interrupted just as the upload completed: a new object that was never
            # verified or announced by its checksum file must not stay behind.
            with contextlib.suppress(Exception):
                if head(client, bucket, key) is not None:
                    delete(client, bucket, key)
        raise
    bar.close()
    verify_uploaded(client, bucket, key, digest)
    return UPLOADED


def verify_uploaded(client: Client, bucket: str, key: str, digest: LocalDigest) -> None:
    """Compare the stored object with the local digest; delete it on any difference."""
    url = s3_url(bucket, key)
    remote = head(client, bucket, key)
    problem = None
    if remote is None:
        problem = "it is missing after the upload"
    elif remote.size != digest.size:
        problem = f"it is {remote.size} bytes, the local file {digest.size}"
    elif None not in (remote.s3_checksum, digest.s3_checksum) and remote.s3_checksum != digest.s3_checksum:
        problem = f"its SHA256 checksum is {remote.s3_checksum}, expected {digest.s3_checksum}"
    elif remote.sha256 != digest.sha256:
        problem = f"its sha256 metadata is {remote.sha256}, expected {digest.sha256}"
    if problem is None:
        log.debug("verified {}: {} bytes, checksum {}", url, digest.size, digest.s3_checksum)
        return
    if remote is not None:
        delete(client, bucket, key)
    raise ChecksumError(f"upload verification of {url} failed: {problem}; deleted it, upload again")


# ---------------------------------------------------------------- download


def read_small_object(client: Client, bucket: str, key: str, max_bytes: int = CHECKSUM_FILE_MAX_BYTES) -> bytes:
    """The content of a small object (a checksum file); RemoteNotFoundError when absent."""
    url = s3_url(bucket, key)
    with remote_errors(f"cannot read {url}", client):
        response = client.get_object(Bucket=bucket, Key=key)
        body = response["Body"]
        try:
            data = body.read(max_bytes + 1)
        finally:
            body.close()
    if len(data) > max_bytes:
        raise ChecksumError(f"{url} is larger than {max_bytes} bytes: not a checksum file")
    return data


class _CutShortError(Exception):
    """The response stream broke off before its end; the whole object is read once more."""


class ObjectStream(io.RawIOBase):
    """An S3 response body as a read-only raw file.

    Counts what arrives for the progress bar, refuses more bytes than the
    checksum file gave (whatever the server's headers say), and turns a broken
    stream into _CutShortError so the caller's retry sees one kind of error.
    """

    def __init__(self, body: Any, limit: int, url: str, bar: _Bar) -> None:
        self._body = body
        self._limit = limit
        self._url = url
        self._bar = bar
        self.size = 0

    def readable(self) -> bool:
        return True

    def abort(self) -> None:
        """Shut the connection's read side, so a read blocked in another thread on a stalled server
        returns at once (and fails) instead of after the read timeout."""
        response = getattr(self._body, "_raw_stream", None)  # where botocore keeps urllib3's response
        with contextlib.suppress(Exception):  # already closed or released: nothing is blocked on it
            response.shutdown()  # type: ignore[union-attr]

    def readinto(self, buffer: Any) -> int:
        from botocore.exceptions import IncompleteReadError, ReadTimeoutError, ResponseStreamingError

        try:
            data = self._body.read(len(buffer))
        except (IncompleteReadError, ResponseStreamingError, ReadTimeoutError, ConnectionError) as exc:
            raise _CutShortError(type(exc).__name__) from None
        count = len(data)
        self.size += count
        if self.size > self._limit:
            raise ChecksumError(
                f"{self._url} sends more than the {self._limit} bytes its checksum file says: "
                "the tarball on the server was changed; nothing was installed"
            )
        memoryview(buffer)[:count] = data
        self._bar.update(count)
        return count


def read_object(
    client: Client, bucket: str, key: str, expected_size: int, consume: Callable[[ObjectStream], T], *, progress: bool
) -> T:
    """`consume(stream)` of the object, once its size is checked to be `expected_size`.

    A stream cut short is read once more from the start (`consume` must start
    over cleanly); a second break is a RemoteError.
    """
    url = s3_url(bucket, key)
    with remote_errors(f"cannot download {url}", client):
        response = client.head_object(Bucket=bucket, Key=key)
    remote_size = int(response["ContentLength"])
    if remote_size != expected_size:
        raise ChecksumError(
            f"{url} is {remote_size} bytes but its checksum file says {expected_size}: "
            "the tarball on the server was truncated or changed; nothing was downloaded"
        )
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        bar = _Bar(key.rsplit("/", 1)[-1], expected_size, progress)
        try:
            with remote_errors(f"cannot download {url}", client):
                body = client.get_object(Bucket=bucket, Key=key)["Body"]
            stream = ObjectStream(body, expected_size, url, bar)
            try:
                return consume(stream)
            except BaseException:
                stream.abort()  # a reader thread `consume` started may still be blocked on the socket
                raise
            finally:
                body.close()
        except _CutShortError as exc:
            if attempt == DOWNLOAD_ATTEMPTS:
                raise RemoteError(f"download of {url} was cut short twice ({exc}); try again later") from None
            log.warning("download of {} was cut short ({}); retrying once", url, exc)
        finally:
            bar.close()
    raise AssertionError("unreachable: the last attempt returns or raises")


def download_file(
    client: Client,
    bucket: str,
    key: str,
    dest: Path,
    expected_size: int,
    expected_sha256: str,
    *,
    progress: bool = True,
) -> None:
    """Download to `dest`, hashing as it is written; check size, then sha256. On failure `dest` is gone."""
    url = s3_url(bucket, key)

    def write(stream: ObjectStream) -> tuple[int, str]:
        dest.unlink(missing_ok=True)  # a retry starts over; create_new refuses what is already there
        with create_new(dest) as raw:
            writer = HashingWriter(raw)
            while chunk := stream.read(CHUNK_SIZE):
                writer.write(chunk)
            raw.flush()
            os.fsync(raw.fileno())
        return writer.size, writer.hexdigest()

    try:
        size, sha256 = read_object(client, bucket, key, expected_size, write, progress=progress)
        if size != expected_size:
            raise ChecksumError(
                f"downloaded {size} bytes from {url} but its checksum file says {expected_size}: "
                "the download is truncated; deleted it"
            )
        if sha256 != expected_sha256:
            raise ChecksumError(
                f"sha256 of {url} is {sha256} but its checksum file says {expected_sha256}: "
                "the tarball on the server is corrupt or was changed; deleted the download, extracted nothing"
            )
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
