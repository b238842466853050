"""S3 transfers: verified uploads and downloads with progress bars.

The integrity model is described in `dsbuild.remote.s3`: the client, URLs and error
translation live there; this module moves bytes and checks them.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import hashlib
import io
import json
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dsbuild.artifact.checksums import CHUNK_SIZE, FileDigest, HashingWriter, recall_digest
from dsbuild.defaults import Status
from dsbuild.errors import ChecksumError, ExtractError, RemoteConflictError, RemoteError
from dsbuild.leftovers import PARTIAL_META_SUFFIX
from dsbuild.log import log
from dsbuild.options import DEFAULT_MIN_RATE, DEFAULT_STALL_WINDOW
from dsbuild.paths import NEW_FILE_FLAGS, create_new
from dsbuild.remote import multipart
from dsbuild.remote.s3 import (
    CHECKSUM_FILE_MAX_BYTES,
    DOWNLOAD_ATTEMPTS,
    SHA256_METADATA_KEY,
    Client,
    RemoteObject,
    abort_upload,
    delete,
    endpoint_label,
    head,
    is_precondition_failure,
    part_size_for,
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
    config = config or transfer_config()
    size = path.stat().st_size
    is_multipart = size >= config.multipart_threshold
    known = recall_digest(path)
    if known is not None and known.size == size:
        log.debug("{} is unchanged since it was packed: its sha256 is not computed again", path)
        return LocalDigest(size=size, sha256=known.sha256, s3_checksum=_s3_checksum(known, is_multipart))
    part = part_size_for(size, config.multipart_chunksize) if is_multipart else None
    with open(path, "rb") as f:
        hashing = HashingWriter(_NullSink(), part_size=part)
        for chunk in iter(lambda: f.read(CHUNK_SIZE), b""):
            hashing.write(chunk)
    digest = hashing.digest()
    return LocalDigest(size=size, sha256=digest.sha256, s3_checksum=_s3_checksum(digest, is_multipart))


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


# ---------------------------------------------------------------- deadlines


class TransferStalledError(RemoteError):
    """A transfer fell below the rate floor (--min-rate) over the stall window (--stall-window) and was stopped."""


@dataclass(frozen=True)
class RateFloor:
    """Stop a transfer whose average rate over the last `window` seconds is below `min_rate` (0: never)."""

    min_rate: int = DEFAULT_MIN_RATE
    window: float = DEFAULT_STALL_WINDOW


_rate_floor = RateFloor()


def set_rate_floor(floor: RateFloor) -> None:
    """The floor every later transfer of this process uses (the entry scripts set it from their options)."""
    global _rate_floor
    _rate_floor = floor


def rate_floor() -> RateFloor:
    return _rate_floor


def set_rate_floor_from(args: Any) -> None:
    """The floor from an entry script's parsed --min-rate and --stall-window."""
    set_rate_floor(RateFloor(args.min_rate, args.stall_window))


class RateWatchdog:
    """Watches bytes moved (`add`) from a timer thread; below the floor it trips: it runs the
    `on_stall` callbacks (which break off blocked sockets or sends) and `check()` raises.

    One implementation for both directions: uploads count bytes read into requests, downloads
    bytes read from the response stream."""

    def __init__(self, what: str, floor: RateFloor | None = None) -> None:
        self._what = what
        self._floor = floor or _rate_floor
        self._lock = threading.Lock()
        self._total = 0
        self._callbacks: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.tripped = False

    def add(self, amount: int) -> None:
        with self._lock:
            self._total += amount

    def on_stall(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def error(self) -> TransferStalledError:
        from dsbuild.sizes import human_size

        floor = self._floor
        return TransferStalledError(
            f"{self._what}: slower than {human_size(floor.min_rate)}/s on average over the last {floor.window:g} s, "
            "so it was stopped (change the floor with --min-rate and --stall-window); try again later"
        )

    def check(self) -> None:
        if self.tripped:
            raise self.error()

    def __enter__(self) -> RateWatchdog:
        if self._floor.min_rate > 0 and self._floor.window > 0:
            self._thread = threading.Thread(target=self._run, name="rate-watchdog", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        window, floor = self._floor.window, self._floor.min_rate
        tick = min(1.0, window / 4)
        samples: collections.deque[tuple[float, int]] = collections.deque([(time.monotonic(), 0)])
        while not self._stop.wait(tick):
            now = time.monotonic()
            with self._lock:
                total = self._total
            samples.append((now, total))
            while len(samples) > 2 and samples[1][0] <= now - window:
                samples.popleft()  # keep the newest sample at least `window` old
            start, moved = samples[0]
            if now - start >= window and (total - moved) / (now - start) < floor:
                self.tripped = True
                log.debug("{}: below the rate floor, stopping", self._what)
                for callback in self._callbacks:
                    with contextlib.suppress(Exception):
                        callback()
                return


# ---------------------------------------------------------------- upload


# The statuses upload_file returns (kept as names here for callers and tests).
UP_TO_DATE = Status.UP_TO_DATE
UPLOADED = Status.UPLOADED


class _LostRaceError(Exception):
    """A conditional write was refused: another writer created (or replaced) the object first."""


def _same_bytes(remote: RemoteObject | None, digest: LocalDigest) -> bool:
    return remote is not None and remote.size == digest.size and remote.sha256 == digest.sha256


def _conflict(
    url: str, path: Path, remote: RemoteObject | None, digest: LocalDigest, raced: bool
) -> RemoteConflictError:
    remote_hash = (remote.sha256 if remote else None) or "unknown"
    remote_size = remote.size if remote else "?"
    when = "was just written by another upload" if raced else "already exists"
    return RemoteConflictError(
        f"conflict: {url} {when} and differs from {path.name} "
        f"(remote {remote_size} bytes, sha256 {remote_hash}; local {digest.size} bytes, "
        f"sha256 {digest.sha256}); pass --force to replace it"
    )


def _keep_for_resume(exc: BaseException) -> bool:
    """A network failure or a stall: keep the unfinished upload for the next run. Anything else
    (Ctrl-C, SIGTERM, a refusal, a changed file) aborts it."""
    from botocore import exceptions as bx

    network = (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.ReadTimeoutError, bx.ConnectTimeoutError)
    return isinstance(exc, (TransferStalledError, multipart.CancelledError, ConnectionError, *network))


# Over 60 lines on purpose: head, conditional transfer, verify and the clean-up of every failure path
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

    The object is created only if absent (`If-None-Match: *`), or with `force` replaced only if it is
    still the object seen (`If-Match`): a concurrent writer's object is never overwritten. Losing
    that race to the same bytes is UP_TO_DATE, to other bytes a RemoteConflictError naming them.
    Multipart uploads are recorded locally and continued by the next run after a network failure
    or a kill; only this process's own upload is ever aborted.
    """
    from botocore.exceptions import ClientError

    url = s3_url(bucket, key)
    remote = head(client, bucket, key)
    if remote is not None:
        if _same_bytes(remote, digest):
            log.debug("{} is up to date", url)  # upload.py prints it once
            return UP_TO_DATE
        if not force:
            raise _conflict(url, path, remote, digest, raced=False)
        log.warning("replacing {} (--force)", url)
    condition = {"IfMatch": remote.etag} if remote is not None and remote.etag else {}
    if remote is None:
        condition = {"IfNoneMatch": "*"}
    extra: dict[str, Any] = {"Metadata": {SHA256_METADATA_KEY: digest.sha256}}
    if path.suffix == ".json":
        extra["ContentType"] = "application/json"
    if public:
        extra["ACL"] = "public-read"
    config = config or transfer_config()
    bar = _Bar(path.name, digest.size, progress)
    watchdog = RateWatchdog(f"upload of {path.name} to {url}")
    stop = threading.Event()
    watchdog.on_stall(stop.set)

    def on_read(amount: int) -> None:
        watchdog.add(amount)
        bar.update(amount)

    log.debug("uploading {} ({} bytes) to {}", path, digest.size, url)
    try:
        with remote_errors(f"upload of {path.name} to {url} failed", client), open(path, "rb") as f, watchdog:
            try:
                if os.fstat(f.fileno()).st_size != digest.size:
                    raise ChecksumError(f"{path} changed since it was hashed; run again")
                send = _put_single if digest.size < config.multipart_threshold else _put_multipart
                etag, checksum = send(
                    client, path, f.fileno(), bucket, key, digest, extra, condition, config, on_read, stop, watchdog
                )
            except ClientError as exc:
                if is_precondition_failure(exc):
                    raise _LostRaceError() from None
                raise
            except Exception:
                watchdog.check()  # a stall surfaces in many forms (a cancelled body, a broken socket)
                raise
    except _LostRaceError:
        now = head(client, bucket, key)
        if _same_bytes(now, digest):
            log.info("{}: another upload of the same bytes finished first; up to date", url)
            return UP_TO_DATE
        raise _conflict(url, path, now, digest, raced=True) from None
    finally:
        bar.close()
    return verify_uploaded(client, bucket, key, digest, etag=etag, sent_checksum=checksum, path=path)


def _put_single(
    client: Client,
    path: Path,
    fd: int,
    bucket: str,
    key: str,
    digest: LocalDigest,
    extra: dict[str, Any],
    condition: dict[str, str],
    config: TransferConfig,
    on_read: Callable[[int], None],
    stop: threading.Event,
    watchdog: RateWatchdog,
) -> tuple[str, str]:
    """One PUT; the bytes are hashed as they are read, so a file changed since `digest` is refused."""
    sha, _ = multipart.hash_range(fd, 0, digest.size)
    if sha.hex() != digest.sha256:
        raise ChecksumError(f"{path} changed since it was hashed (sha256 {sha.hex()}, expected {digest.sha256})")
    checksum = base64.b64encode(sha).decode()
    body = multipart.FileSlice(fd, 0, digest.size, on_read, stop)
    response = client.put_object(
        Bucket=bucket, Key=key, Body=body, ContentLength=digest.size, ChecksumSHA256=checksum, **extra, **condition
    )
    return response["ETag"], checksum


def _put_multipart(
    client: Client,
    path: Path,
    fd: int,
    bucket: str,
    key: str,
    digest: LocalDigest,
    extra: dict[str, Any],
    condition: dict[str, str],
    config: TransferConfig,
    on_read: Callable[[int], None],
    stop: threading.Event,
    watchdog: RateWatchdog,
) -> tuple[str, str]:
    """A multipart upload, continuing this tool's recorded one when it is for these bytes."""
    part_size = part_size_for(digest.size, config.multipart_chunksize)
    ranges = multipart.part_ranges(digest.size, part_size)
    record = multipart.StateRecord(path)
    url = s3_url(bucket, key)
    with record.held() as recording:
        upload_id, kept = _resumable_upload(client, record, recording, fd, bucket, key, digest, part_size, ranges)
        if upload_id is None:
            upload_id = client.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256", **extra)[
                "UploadId"
            ]
        try:  # from here on, every way out either completes, keeps (to resume) or aborts this upload
            if recording and not kept:
                state = (endpoint_label(client), bucket, key, upload_id, digest.sha256, digest.size, part_size)
                record.save(multipart.UploadState(*state))
            on_read(sum(length for number, _, length in ranges if number in kept))
            todo = [r for r in ranges if r[0] not in kept]
            sent = multipart.send_parts(
                client, bucket, key, upload_id, fd, todo, config.max_concurrency, on_read, stop, watchdog.check
            )
            parts = sorted([*kept.values(), *sent], key=lambda p: p.number)
            response = client.complete_multipart_upload(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": p.number, "ETag": p.etag, "ChecksumSHA256": p.sha256_b64} for p in parts]
                },
                **condition,
            )
        except BaseException as exc:
            stop.set()
            if recording and (watchdog.tripped or _keep_for_resume(exc)):
                log.warning("kept the unfinished upload of {}: run the same command again to continue it", url)
            else:
                abort_upload(client, bucket, key, upload_id)
                if recording:
                    record.remove()
            raise
        if recording:
            record.remove()
    return response["ETag"], multipart.composite_checksum(parts)


def _resumable_upload(
    client: Client,
    record: multipart.StateRecord,
    recording: bool,
    fd: int,
    bucket: str,
    key: str,
    digest: LocalDigest,
    part_size: int,
    ranges: list[tuple[int, int, int]],
) -> tuple[str | None, dict[int, multipart.Part]]:
    """The recorded UploadId to continue and its parts that match the local bytes, or (None, {})."""
    state = record.load() if recording else None
    if state is None:
        return None, {}
    where = (endpoint_label(client), bucket, key, digest.sha256, digest.size, part_size)
    if (state.endpoint, state.bucket, state.key, state.sha256, state.size, state.part_size) != where:
        if state.endpoint == endpoint_label(client):
            abort_upload(client, state.bucket, state.key, state.upload_id)  # ours, for other bytes or another key
        record.remove()
        return None, {}
    listed = multipart.listed_parts(client, bucket, key, state.upload_id)
    if listed is None:
        log.info("the unfinished upload of {} recorded here is gone: starting over", s3_url(bucket, key))
        record.remove()
        return None, {}
    kept = multipart.reusable_parts(fd, ranges, listed)
    log.info(
        "continuing the unfinished upload of {}: {} of {} parts already sent",
        s3_url(bucket, key),
        len(kept),
        len(ranges),
    )
    return state.upload_id, kept


def _comparable(remote: str | None, local: str | None) -> bool:
    """Both known and of the same shape (single, or the same number of parts)."""
    if remote is None or local is None:
        return False
    return remote.rpartition("-")[2 if "-" in remote else 1] == local.rpartition("-")[2 if "-" in local else 1]


def verify_uploaded(
    client: Client,
    bucket: str,
    key: str,
    digest: LocalDigest,
    *,
    etag: str | None = None,
    sent_checksum: str | None = None,
    path: Path | None = None,
) -> str:
    """Compare the stored object with what was sent; delete it (only if it is still our write) on any
    difference. Another writer's object found there instead (a server that ignores conditional
    writes) is left alone: UP_TO_DATE when it holds the same bytes, else a conflict."""
    url = s3_url(bucket, key)
    remote = head(client, bucket, key)
    if remote is not None and etag and remote.etag and remote.etag != etag:
        if _same_bytes(remote, digest):
            log.info("{}: another upload of the same bytes replaced this one; up to date", url)
            return UP_TO_DATE
        raise _conflict(url, path or Path(key), remote, digest, raced=True)
    problem = None
    if remote is None:
        problem = "it is missing after the upload"
    elif remote.size != digest.size:
        problem = f"it is {remote.size} bytes, the local file {digest.size}"
    elif remote.s3_checksum is not None and sent_checksum is not None and remote.s3_checksum != sent_checksum:
        problem = f"its SHA256 checksum is {remote.s3_checksum}, expected {sent_checksum}"
    elif _comparable(remote.s3_checksum, digest.s3_checksum) and remote.s3_checksum != digest.s3_checksum:
        problem = f"its SHA256 checksum is {remote.s3_checksum}, expected {digest.s3_checksum}"
    elif remote.sha256 != digest.sha256:
        problem = f"its sha256 metadata is {remote.sha256}, expected {digest.sha256}"
    if problem is None:
        log.debug("verified {}: {} bytes, checksum {}", url, digest.size, remote and remote.s3_checksum)
        return UPLOADED
    if remote is not None:
        delete(client, bucket, key, etag=etag or remote.etag)
    raise ChecksumError(f"upload verification of {url} failed: {problem}; deleted it, upload again")


def put_if_absent(client: Client, bucket: str, key: str, data: bytes, *, public: bool = False) -> str | None:
    """Create a small object only if no object is there: its ETag, or None when one already is."""
    from botocore.exceptions import ClientError

    extra: dict[str, Any] = {"ContentType": "application/json"}
    if public:
        extra["ACL"] = "public-read"
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    metadata = {SHA256_METADATA_KEY: hashlib.sha256(data).hexdigest()}
    with remote_errors(f"upload of {key.rsplit('/', 1)[-1]} to {s3_url(bucket, key)} failed", client):
        try:
            response = client.put_object(
                Bucket=bucket, Key=key, Body=data, ChecksumSHA256=checksum, Metadata=metadata, IfNoneMatch="*", **extra
            )
        except ClientError as exc:
            if is_precondition_failure(exc):
                return None
            raise
    return str(response["ETag"])


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
        watchdog: RateWatchdog | None = None,
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
        self._watchdog = watchdog
        self._aborted = False
        if watchdog is not None:
            watchdog.on_stall(self.abort)  # a read blocked on a dripping server returns at once

    def readable(self) -> bool:
        return True

    def abort(self) -> None:
        """Shut the connection's read side, so a read blocked in another thread on a stalled server
        returns at once (and fails) instead of after the read timeout."""
        self._aborted = True  # a read that fails from here on is not reconnected
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
                if self._watchdog is not None:
                    self._watchdog.check()  # below the rate floor: stopped, not reconnected
                if self._aborted:
                    raise _CutShortError(f"stopped at byte {self.size} of {self.limit}") from None
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
        if self._watchdog is not None:
            self._watchdog.add(count)
            self._watchdog.check()
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
    watchdog = RateWatchdog(f"download of {url}")
    stream = ObjectStream(
        client, bucket, key, expected_size, url, bar, etag=etag, kept=kept, tee=tee, watchdog=watchdog
    )
    try:
        with watchdog:
            try:
                return consume(stream)
            except BaseException:
                stream.abort()  # a reader thread `consume` started may still be blocked on the socket
                watchdog.check()  # whatever `consume` made of the broken stream, say why it broke
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
        if partial is not None and not isinstance(exc, Exception):
            log.warning("{}", _kept_hint(partial, stream))  # Ctrl-C or SIGTERM: say what is kept, and why
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
