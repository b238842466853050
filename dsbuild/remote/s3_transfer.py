"""S3 transfers: verified uploads and downloads with progress bars.

The integrity model is described in `dsbuild.remote.s3`: the client, URLs and error
translation live there; this module moves bytes and checks them.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dsbuild.artifact.checksums import CHUNK_SIZE, FileDigest, HashingWriter, recall_digest
from dsbuild.defaults import Status
from dsbuild.errors import ChecksumError, ExtractError, RemoteConflictError, RemoteError
from dsbuild.leftovers import PARTIAL_META_SUFFIX
from dsbuild.log import log
from dsbuild.paths import NEW_FILE_FLAGS, create_new
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
            log.info("{} is up to date", url)
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
    """The response stream broke off before its end, and reconnecting did not help."""


# A stream cut short is reconnected from the byte where it stopped; this many cuts in a row without a
# byte received in between (or this many in all) end the download.
CUTS_IN_A_ROW = DOWNLOAD_ATTEMPTS
MAX_RECONNECTS = 10
PARTIAL_META_MAX_BYTES = 64 * 1024
# At most this much is asked of the server per read (the decompressor asks for 8 MiB): what arrives reaches
# the partial file, and the progress bar, in pieces this size.
READ_PIECE = 1 << 20


@dataclass(frozen=True)
class Partial:
    """Where a download keeps its received bytes between runs, to resume after an interruption.

    `path` holds the first bytes of the object; `path`.json beside it names what they are the start of
    (the object's URL, ETag and size, and the sha256 its checksum file gives), written before the first
    byte. Only the length of `path` is ever trusted: the bytes are read again and the whole stream's
    size and sha256 are checked as for any download.
    """

    path: Path
    sha256: str

    @property
    def meta(self) -> Path:
        return self.path.with_name(self.path.name + PARTIAL_META_SUFFIX)

    def remove(self) -> None:
        self.meta.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)

    def kept(self) -> int:
        """The length of the bytes kept (0 when there are none)."""
        try:
            st = os.lstat(self.path)
        except OSError:
            return 0
        return st.st_size if stat.S_ISREG(st.st_mode) else 0

    def describes(self, url: str, etag: str | None, size: int) -> str | None:
        """None when the kept bytes are of this object (same URL, ETag, size and sha256); else why not."""
        try:
            with open(os.open(self.meta, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb") as f:
                raw = f.read(PARTIAL_META_MAX_BYTES + 1)
            meta = json.loads(raw) if len(raw) <= PARTIAL_META_MAX_BYTES else None
        except (OSError, ValueError):
            meta = None
        if not isinstance(meta, dict):
            return "the record of what they are is unreadable"
        wanted = {"url": url, "etag": etag, "size": size, "sha256": self.sha256}
        changed = [k for k, v in wanted.items() if meta.get(k) != v or (k == "size" and type(meta.get(k)) is not int)]
        if etag is None:
            return "the server gives the object no ETag to tell whether it changed"
        if changed:
            return f"the object changed since ({', '.join(changed)} differ)"
        return None

    def open(self, url: str, etag: str | None, size: int) -> tuple[int, int]:
        """(descriptor to append to, bytes kept): the kept bytes when they are of this object, else a new
        empty partial (saying why the old one is not used)."""
        kept = self.kept()
        why = self.describes(url, etag, size) if kept or self.path.exists() else "none"
        if why is None and kept > size:
            why = f"there are {kept} of them, more than the object's {size}"
        if why is None and kept:
            log.info(
                "resuming the download of {} at byte {} of {} ({:.0f} %), kept by an interrupted run",
                url,
                kept,
                size,
                100 * kept / max(size, 1),
            )
            fd = os.open(self.path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
            os.lseek(fd, kept, os.SEEK_SET)
            return fd, kept
        if why not in (None, "none"):
            log.warning(
                "not resuming the download of {} from the bytes kept by an interrupted run: {}; starting over", url, why
            )
        self.remove()
        with create_new(self.meta) as f:
            f.write(json.dumps({"url": url, "etag": etag, "size": size, "sha256": self.sha256}).encode())
        return os.open(self.path, (NEW_FILE_FLAGS & ~os.O_WRONLY) | os.O_RDWR, 0o644), 0


class ObjectStream(io.RawIOBase):
    """An S3 object as a read-only raw file: the bytes kept by an earlier run first, then the server's.

    Counts what arrives for the progress bar, refuses more bytes than the
    checksum file gave (whatever the server's headers say), appends what it
    receives to a partial file when given one, and reconnects a stream cut
    short from the byte where it stopped (a Range request for the same ETag);
    cuts that keep coming without progress become _CutShortError.
    """

    def __init__(
        self,
        client: Client,
        bucket: str,
        key: str,
        limit: int,
        url: str,
        bar: _Bar,
        *,
        etag: str | None = None,
        kept: int = 0,
        tee: int | None = None,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self.limit = limit
        self._url = url
        self._bar = bar
        self._etag = etag
        self._kept = kept
        self._tee = tee
        self._body: Any = None
        self._cuts_in_a_row = 0
        self.reconnects = 0
        self.size = 0  # bytes handed out so far: the stream's position
        self.fetched = 0  # bytes received from the server in this run

    def readable(self) -> bool:
        return True

    def abort(self) -> None:
        """Shut the connection's read side, so a read blocked in another thread on a stalled server
        returns at once (and fails) instead of after the read timeout."""
        response = getattr(self._body, "_raw_stream", None)  # where botocore keeps urllib3's response
        with contextlib.suppress(Exception):  # already closed or released: nothing is blocked on it
            response.shutdown()  # type: ignore[union-attr]

    def close(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
            self._body = None
        super().close()

    def _connect(self) -> None:
        """GET the object from the current position (for the same ETag)."""
        args: dict[str, Any] = {"Bucket": self._bucket, "Key": self._key}
        if self.size:
            args["Range"] = f"bytes={self.size}-"
        if self._etag is not None:
            args["IfMatch"] = self._etag
        try:
            with remote_errors(f"cannot download {self._url}", self._client):
                response = self._client.get_object(**args)
        except RemoteConflictError:
            raise ChecksumError(
                f"{self._url} was replaced on the server during the download (its ETag is no longer "
                f"{self._etag}); nothing was installed: run again to download the new one"
            ) from None
        body = response["Body"]
        etag = response.get("ETag")
        if self._etag is not None and etag is not None and etag != self._etag:
            body.close()
            raise ChecksumError(
                f"{self._url} was replaced on the server during the download (ETag {etag}, not {self._etag}); "
                "nothing was installed: run again to download the new one"
            )
        if self.size and not str(response.get("ContentRange", "")).startswith(f"bytes {self.size}-"):
            body.close()
            raise RemoteError(f"{self._url}: the S3 server ignored a Range request, so the download cannot resume")
        self._body = body

    def _read_kept(self, buffer: Any) -> int:
        count = os.preadv(self._tee, [memoryview(buffer)[: self._kept - self.size]], self.size)  # type: ignore[arg-type]
        if count <= 0:
            raise ChecksumError(f"the bytes kept from an interrupted download of {self._url} shrank while read")
        self.size += count
        self._bar.update(count)
        return count

    def readinto(self, buffer: Any) -> int:
        from botocore.exceptions import IncompleteReadError, ReadTimeoutError, ResponseStreamingError

        if self.size < self._kept:
            return self._read_kept(buffer)
        while True:
            if self._body is None:
                self._connect()
            try:
                data = self._body.read(min(len(buffer), READ_PIECE))
                break
            except (IncompleteReadError, ResponseStreamingError, ReadTimeoutError, ConnectionError) as exc:
                self._body.close()
                self._body = None
                self._cuts_in_a_row += 1
                self.reconnects += 1
                if self._cuts_in_a_row >= CUTS_IN_A_ROW or self.reconnects > MAX_RECONNECTS:
                    raise _CutShortError(f"{type(exc).__name__} at byte {self.size} of {self.limit}") from None
                log.warning(
                    "download of {} was cut short at byte {} of {} ({}); resuming from there",
                    self._url,
                    self.size,
                    self.limit,
                    type(exc).__name__,
                )
        count = len(data)
        if count:
            self._cuts_in_a_row = 0
        if self.size + count > self.limit:
            raise ChecksumError(
                f"{self._url} sends more than the {self.limit} bytes its checksum file says: "
                "the tarball on the server was changed; nothing was installed"
            )
        if self._tee is not None and count:
            view = memoryview(data)
            while view:
                view = view[os.write(self._tee, view) :]
        self.size += count
        self.fetched += count
        memoryview(buffer)[:count] = data
        self._bar.update(count)
        return count


def _keeps_partial(exc: BaseException) -> bool:
    """Whether the bytes received are worth keeping after `exc`: yes after an interruption or a network
    failure (resumed next time); no once they were found wrong or refused."""
    return not isinstance(exc, Exception) or isinstance(exc, RemoteError | ExtractError | _CutShortError)


def read_object(
    client: Client,
    bucket: str,
    key: str,
    expected_size: int,
    consume: Callable[[ObjectStream], T],
    *,
    progress: bool,
    partial: Partial | None = None,
) -> T:
    """`consume(stream)` of the object, once its size is checked to be `expected_size`.

    A stream cut short is reconnected from where it stopped, as long as it
    keeps making progress. With `partial`, what arrives is also appended to
    it, and bytes kept there by an interrupted run of the same object are read
    first instead of fetched again; it is left behind only when the download
    was interrupted or failed on the network (the caller removes it once the
    result is installed).
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
    etag = response.get("ETag")
    tee, kept = partial.open(url, etag, expected_size) if partial is not None else (None, 0)
    bar = _Bar(key.rsplit("/", 1)[-1], expected_size, progress)
    stream = ObjectStream(client, bucket, key, expected_size, url, bar, etag=etag, kept=kept, tee=tee)
    try:
        try:
            return consume(stream)
        except BaseException:
            stream.abort()  # a reader thread `consume` started may still be blocked on the socket
            raise
    except _CutShortError as exc:
        raise RemoteError(
            f"download of {url} was cut short {CUTS_IN_A_ROW} times in a row ({exc}); {_kept_hint(partial, stream)}"
        ) from None
    except RemoteError as exc:
        if partial is None:
            raise
        raise type(exc)(f"{exc}; {_kept_hint(partial, stream)}") from None
    except BaseException as exc:
        if partial is not None and not _keeps_partial(exc):
            partial.remove()
            if kept and isinstance(exc, ChecksumError):
                raise ChecksumError(
                    f"{exc}; deleted the {kept} bytes kept from an interrupted run: the next run downloads it whole"
                ) from None
        raise
    finally:
        stream.close()
        bar.close()
        if tee is not None:
            os.close(tee)
        log.debug(
            "{}: {} bytes fetched, {} reconnect(s), {} read from the kept bytes",
            url,
            stream.fetched,
            stream.reconnects,
            kept,
        )


def _kept_hint(partial: Partial | None, stream: ObjectStream) -> str:
    if partial is None:
        return "try again later"
    return f"{partial.kept()} of {stream.limit} bytes are kept in {partial.path}: run the same command again to resume"


def download_file(
    client: Client,
    bucket: str,
    key: str,
    dest: Path,
    expected_size: int,
    expected_sha256: str,
    *,
    progress: bool = True,
    partial: Partial | None = None,
) -> None:
    """Download to `dest`, hashing as it is written; check size, then sha256. On failure `dest` is gone.

    With `partial`, the download goes to (and resumes) `partial.path` instead, and `dest` is not used:
    the verified tarball is then `partial.path`, for the caller to extract and remove.
    """
    url = s3_url(bucket, key)

    def write(stream: ObjectStream) -> tuple[int, str]:
        with create_new(dest) as raw:
            writer = HashingWriter(raw)
            while chunk := stream.read(CHUNK_SIZE):
                writer.write(chunk)
            raw.flush()
            os.fsync(raw.fileno())
        return writer.size, writer.hexdigest()

    def drain(stream: ObjectStream) -> tuple[int, str]:
        # Every byte is hashed, the kept ones too; the stream itself appends the fetched ones to the partial.
        writer = HashingWriter(_NullSink())
        while chunk := stream.read(CHUNK_SIZE):
            writer.write(chunk)
        return writer.size, writer.hexdigest()

    try:
        if partial is None:
            size, sha256 = read_object(client, bucket, key, expected_size, write, progress=progress)
        else:
            size, sha256 = read_object(client, bucket, key, expected_size, drain, progress=progress, partial=partial)
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
    except BaseException as exc:
        dest.unlink(missing_ok=True)
        if partial is not None and not _keeps_partial(exc):
            partial.remove()
        raise
