"""S3 access: the boto3 client, verified uploads and downloads with progress bars.

Integrity model: every object we upload carries its full-object sha256 as the
metadata field `sha256`, and is sent with S3's SHA256 checksums, which the
server checks on arrival (per part for multipart uploads). After an upload the
object's size and the server's checksum (the plain sha256, or for multipart the
"composite" sha256 of the part sha256s, `...-N`) are compared with values
computed locally in the same pass that hashed the file; any difference deletes
the object. Downloads are hashed while they are written and checked against the
checksum file before anyone uses them.

Secrets never reach a message: errors are rebuilt from botocore's error code and
our own description of the request, never from its repr.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsbuild.checksums import CHUNK_SIZE, FileDigest, HashingWriter, recall_digest
from dsbuild.errors import ChecksumError, RemoteAccessError, RemoteConflictError, RemoteError, RemoteNotFoundError
from dsbuild.log import log

if TYPE_CHECKING:
    from boto3.s3.transfer import TransferConfig

# The multipart settings in one place, chosen by measurement (benchmarks/run.py,
# boto3 upload_file of 1 GiB to the test server on 2 cores): 8-64 MiB parts and
# 2-8 threads all landed within 142-162 MiB/s; 32 MiB x 8 was the fastest. 32 MiB
# parts keep an 87 GB tarball (coco) under 3,000 parts (S3 allows 10,000) and a
# retried part small.
MULTIPART_THRESHOLD = 32 * 1024 * 1024
PART_SIZE = 32 * 1024 * 1024
MAX_CONCURRENCY = 8
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
MAX_ATTEMPTS = 3  # boto3 "standard" retry mode: 3 attempts, capped exponential backoff

SHA256_METADATA_KEY = "sha256"
CHECKSUM_FILE_MAX_BYTES = 1 << 20
DOWNLOAD_ATTEMPTS = 2  # a stream cut short is fetched once more, then it is an error

ID_ENV = "ARMORY_PRIVATE_S3_ID"
KEY_ENV = "ARMORY_PRIVATE_S3_KEY"
ENDPOINT_ENV = "AWS_ENDPOINT_URL"

S3_URL_RE = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(?P<key>[^\x00-\x1f]+)$")

ACCESS_CODES = {
    "InvalidAccessKeyId": "the access key id is not known to the server",
    "SignatureDoesNotMatch": "the secret key is wrong",
    "ExpiredToken": "the session token has expired",
    "InvalidToken": "the session token is invalid",
    "AccessDenied": "access denied",
    "AllAccessDisabled": "access denied",
    "403": "access denied (wrong key, or no permission)",
    "Forbidden": "access denied (wrong key, or no permission)",
}
CREDENTIALS_HINT = (
    f"check {ID_ENV} / {KEY_ENV} (or boto3's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws/credentials)"
)

Client = Any  # botocore's generated S3 client class has no importable name


def transfer_config() -> TransferConfig:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(
        multipart_threshold=MULTIPART_THRESHOLD,
        multipart_chunksize=PART_SIZE,
        max_concurrency=MAX_CONCURRENCY,
        use_threads=True,
    )


def endpoint_label(client: Client) -> str:
    return str(client.meta.endpoint_url)


def make_client(endpoint_url: str | None = None, anonymous: bool = False) -> Client:
    """An S3 client: armory's credentials if set, else boto3's chain; unsigned when anonymous."""
    import boto3
    import botocore
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        max_pool_connections=MAX_CONCURRENCY + 2,
        signature_version=botocore.UNSIGNED if anonymous else None,
    )
    kwargs: dict[str, Any] = {"config": config}
    # boto3 reads AWS_ENDPOINT_URL by itself; an explicit --endpoint-url wins.
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    session = boto3.session.Session()
    if not session.region_name:
        kwargs["region_name"] = "us-east-1"
    key_id, secret = os.environ.get(ID_ENV), os.environ.get(KEY_ENV)
    if not anonymous and key_id and secret:
        kwargs["aws_access_key_id"] = key_id
        kwargs["aws_secret_access_key"] = secret
        source = f"{ID_ENV}/{KEY_ENV}"
    elif anonymous:
        source = "none (anonymous, unsigned requests)"
    else:
        if key_id or secret:
            log.warning("only one of {} and {} is set: ignoring both, using boto3's chain", ID_ENV, KEY_ENV)
        source = "boto3's default chain"
    client = session.client("s3", **kwargs)
    log.debug("S3 endpoint {}, credentials from {}", endpoint_label(client), source)
    return client


def s3_url(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def parse_s3_url(url: str) -> tuple[str, str]:
    match = S3_URL_RE.match(url)
    if not match:
        raise RemoteError(f"{url!r} is not an S3 URL of the form s3://BUCKET/KEY")
    return match["bucket"], match["key"]


# ---------------------------------------------------------------- errors


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    if not code:
        code = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    return code


def translate(exc: BaseException, what: str, client: Client) -> RemoteError:
    """A one-line dsbuild error for a boto3/botocore failure while doing `what`."""
    from botocore import exceptions as bx

    where = endpoint_label(client)
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return RemoteAccessError(
            f"{what}: no S3 credentials found; set {ID_ENV} and {KEY_ENV} "
            "(or configure boto3: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws/credentials)"
            + ("" if "download" not in what else ", or pass --public for anonymous download")
        )
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectionClosedError | bx.ConnectTimeoutError):
        return RemoteError(f"{what}: cannot reach the S3 server at {where}; check --endpoint-url and the network")
    if isinstance(exc, bx.ReadTimeoutError):
        return RemoteError(f"{what}: the S3 server at {where} stopped answering (timed out); try again later")
    code = _error_code(exc)
    if code in ACCESS_CODES:
        return RemoteAccessError(f"{what}: {ACCESS_CODES[code]} at {where}; {CREDENTIALS_HINT}")
    if code in ("NoSuchBucket",):
        return RemoteNotFoundError(f"{what}: the bucket does not exist at {where}; check -b/--bucket")
    if code in ("NoSuchKey", "404", "NotFound"):
        return RemoteNotFoundError(f"{what}: not found at {where}")
    if code in ("PreconditionFailed", "412"):
        return RemoteConflictError(f"{what}: the object was changed by someone else meanwhile; run again")
    if code:
        return RemoteError(f"{what}: the S3 server at {where} answered {code}")
    if isinstance(exc, bx.BotoCoreError):
        # BotoCoreError messages describe the request, never the credentials.
        return RemoteError(f"{what}: {type(exc).__name__}: {exc}")
    return RemoteError(f"{what}: {type(exc).__name__}")


@contextmanager
def remote_errors(what: str, client: Client) -> Iterator[None]:
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (ClientError, BotoCoreError, Boto3Error) as exc:
        cause = exc.__cause__ or exc.__context__
        # s3transfer wraps the original ClientError; reach for it to keep the code.
        if isinstance(exc, Boto3Error) and isinstance(cause, ClientError | BotoCoreError):
            exc = cause
        raise translate(exc, what, client) from None


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


@dataclass(frozen=True)
class RemoteObject:
    size: int
    sha256: str | None  # from our metadata; None when uploaded by another tool
    s3_checksum: str | None


def head(client: Client, bucket: str, key: str) -> RemoteObject | None:
    """The object's size and checksums, or None when it does not exist."""
    from botocore.exceptions import ClientError

    try:
        with remote_errors(f"cannot read {s3_url(bucket, key)}", client):
            try:
                response = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
            except ClientError as exc:
                if _error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise
    except RemoteNotFoundError:
        return None
    metadata = {k.lower(): v for k, v in (response.get("Metadata") or {}).items()}
    return RemoteObject(
        size=int(response["ContentLength"]),
        sha256=metadata.get(SHA256_METADATA_KEY),
        s3_checksum=response.get("ChecksumSHA256"),
    )


def check_bucket(client: Client, bucket: str, option: str = "-b/--bucket") -> None:
    """Fail clearly when the bucket is missing or unreachable; never create it."""
    from botocore.exceptions import ClientError

    with remote_errors(f"cannot use bucket {bucket!r}", client):
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if _error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
                raise RemoteNotFoundError(
                    f"bucket {bucket!r} does not exist at {endpoint_label(client)}; create it first or "
                    f"choose another with {option} (buckets are never created automatically)"
                ) from None
            raise


def list_keys(client: Client, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    with remote_errors(f"cannot list {s3_url(bucket, prefix)}*", client):
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def abort_incomplete_uploads(client: Client, bucket: str, key: str) -> int:
    """Abort every unfinished multipart upload of exactly `key`; best effort, returns how many."""
    from botocore.exceptions import BotoCoreError, ClientError

    aborted = 0
    try:
        response = client.list_multipart_uploads(Bucket=bucket, Prefix=key)
        for upload in response.get("Uploads", []):
            if upload.get("Key") == key:
                client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
                aborted += 1
    except (ClientError, BotoCoreError) as exc:
        log.warning(
            "could not clean up unfinished multipart uploads of {} ({}); "
            "a bucket lifecycle rule AbortIncompleteMultipartUpload removes them",
            s3_url(bucket, key),
            _error_code(exc) or type(exc).__name__,
        )
    if aborted:
        log.info("aborted {} unfinished multipart upload(s) of {}", aborted, s3_url(bucket, key))
    return aborted


def delete(client: Client, bucket: str, key: str) -> None:
    with remote_errors(f"cannot delete {s3_url(bucket, key)}", client):
        client.delete_object(Bucket=bucket, Key=key)


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


UP_TO_DATE = "up to date"
UPLOADED = "uploaded"


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
    from botocore.exceptions import IncompleteReadError, ReadTimeoutError, ResponseStreamingError

    url = s3_url(bucket, key)
    with remote_errors(f"cannot download {url}", client):
        response = client.head_object(Bucket=bucket, Key=key)
    remote_size = int(response["ContentLength"])
    if remote_size != expected_size:
        raise ChecksumError(
            f"{url} is {remote_size} bytes but its checksum file says {expected_size}: "
            "the tarball on the server was truncated or changed; nothing was downloaded"
        )
    try:
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            bar = _Bar(dest.name if not dest.name.startswith(".") else key.rsplit("/", 1)[-1], expected_size, progress)
            try:
                size, sha256 = _stream_to(client, bucket, key, dest, bar)
                break
            except (IncompleteReadError, ResponseStreamingError, ReadTimeoutError, ConnectionError) as exc:
                if attempt == DOWNLOAD_ATTEMPTS:
                    raise RemoteError(
                        f"download of {url} was cut short twice ({type(exc).__name__}); try again later"
                    ) from None
                log.warning("download of {} was cut short ({}); retrying once", url, type(exc).__name__)
            finally:
                bar.close()
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


def _stream_to(client: Client, bucket: str, key: str, dest: Path, bar: _Bar) -> tuple[int, str]:
    with remote_errors(f"cannot download {s3_url(bucket, key)}", client):
        response = client.get_object(Bucket=bucket, Key=key)
    body = response["Body"]
    try:
        with open(dest, "wb") as raw:
            writer = HashingWriter(raw)
            for chunk in body.iter_chunks(CHUNK_SIZE):
                writer.write(chunk)
                bar.update(len(chunk))
            raw.flush()
            os.fsync(raw.fileno())
    finally:
        body.close()
    return writer.size, writer.hexdigest()
