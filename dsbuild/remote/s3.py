"""S3 access: the boto3 client, its credentials, URLs, errors and object metadata.

Transfers (verified uploads and downloads) live in `dsbuild.remote.s3_transfer`.

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

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dsbuild.errors import (
    NoSuchBucketError,
    RemoteAccessError,
    RemoteConflictError,
    RemoteError,
    RemoteNotFoundError,
    UsageError,
)
from dsbuild.log import add_secret, log, redact_secrets
from dsbuild.options import given

if TYPE_CHECKING:
    from boto3.s3.transfer import TransferConfig

# The multipart settings in one place, chosen by measurement (benchmarks/run.py,
# boto3 upload_file of 1 GiB to the test server on 2 cores): 8-64 MiB parts and
# 2-8 threads all landed within 142-162 MiB/s; 32 MiB x 8 was the fastest. 32 MiB
# parts keep an 87 GB tarball (coco) under 3,000 parts (S3 allows 10,000) and a
# retried part small; larger tarballs get larger parts (`part_size_for`).
MULTIPART_THRESHOLD = 32 * 1024 * 1024
PART_SIZE = 32 * 1024 * 1024
MAX_CONCURRENCY = 8
# S3's limits: https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_SIZE = 5 * 1024**3
MAX_PARTS = 10_000
MAX_OBJECT_SIZE = 5 * 1024**4
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
MAX_ATTEMPTS = 3  # boto3 "standard" retry mode: 3 attempts, capped exponential backoff

SHA256_METADATA_KEY = "sha256"
CHECKSUM_FILE_MAX_BYTES = 8 << 20  # its `files` list takes about 150 bytes per file of the dataset
DOWNLOAD_ATTEMPTS = 2  # a stream cut short is fetched once more, then it is an error

ID_ENV = "ARMORY_PRIVATE_S3_ID"
KEY_ENV = "ARMORY_PRIVATE_S3_KEY"
ENDPOINT_ENV = "AWS_ENDPOINT_URL"

S3_URL_RE = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(?P<key>[^\x00-\x1f]+)\Z")

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


def part_size_for(size: int, preferred: int | None = None) -> int:
    """The part size for a multipart upload of `size` bytes: `preferred` (PART_SIZE), raised to a
    whole MiB so the object takes at most MAX_PARTS parts, never under S3's 5 MiB minimum."""
    if size > MAX_OBJECT_SIZE:
        raise UsageError(f"a {size}-byte object is larger than S3's limit of {MAX_OBJECT_SIZE} bytes (5 TiB)")
    mib = 1024 * 1024
    needed = -(-size // MAX_PARTS)  # ceil: the smallest part that fits in MAX_PARTS parts
    part = max(preferred or PART_SIZE, MIN_PART_SIZE, -(-needed // mib) * mib)
    return min(part, MAX_PART_SIZE)


def endpoint_label(client: Client) -> str:
    return str(client.meta.endpoint_url)


_data_loader: Any = None


def _new_session() -> Any:
    """A fresh boto3 session (credentials and settings read now) sharing one botocore data loader:
    parsing S3's service model takes ~0.3-0.7 s, once per process instead of once per client."""
    import boto3
    import botocore.session

    global _data_loader
    core = botocore.session.get_session()
    if _data_loader is None:
        _data_loader = core.get_component("data_loader")
    else:
        core.register_component("data_loader", _data_loader)
    return boto3.session.Session(botocore_session=core)


def make_client(endpoint_url: str | None = None, anonymous: bool = False) -> Client:
    """An S3 client: armory's credentials if set, else boto3's chain; unsigned when anonymous."""
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
    session = _new_session()
    if not session.region_name:
        kwargs["region_name"] = "us-east-1"
    key_id, secret = os.environ.get(ID_ENV), os.environ.get(KEY_ENV)
    for variable in (ID_ENV, KEY_ENV, *SECRET_ENVS):
        add_secret(os.environ.get(variable))
    for variable, value in ((ID_ENV, key_id), (KEY_ENV, secret)):
        # Such a value would end up quoted in an "invalid header" error, signature and all.
        if value and not _PRINTABLE_TOKEN.match(value):
            raise UsageError(
                f"{variable} holds a space, a control or a non-ASCII character; set it to the key as issued"
            )
    if not anonymous and not (key_id and secret):
        for variable in SECRET_ENVS:
            value = os.environ.get(variable)
            if value and not _PRINTABLE_TOKEN.match(value):
                raise UsageError(
                    f"{variable} holds a space, a control or a non-ASCII character (e.g. a trailing carriage "
                    "return); set it to the value as issued"
                )
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
    from botocore.exceptions import BotoCoreError

    try:
        client = session.client("s3", **kwargs)
    except (ValueError, BotoCoreError) as exc:
        raise UsageError(
            f"cannot set up the S3 client: {redact(str(exc))[:200]}; check --endpoint-url (http(s)://HOST[:PORT]) "
            "and the region (AWS_DEFAULT_REGION)"
        ) from None
    _remember_client_secrets(session, anonymous)
    _sign_checksum_not_payload(client)
    log.debug("S3 endpoint {}, credentials from {}", endpoint_label(client), source)
    return client


def _sign_checksum_not_payload(client: Client) -> None:
    """Bodies we send with an x-amz-checksum-sha256 header are signed as UNSIGNED-PAYLOAD.

    Over plain http botocore otherwise reads every body once more to sign its sha256: a second
    SHA256 pass over every byte. The signed checksum header already binds the body (the server
    refuses a body that does not match it), which is what botocore does by itself over https.
    """
    from botocore.config import Config

    unsigned = client.meta.config.merge(Config(s3={"payload_signing_enabled": False}))

    def before_sign(request: Any, **kwargs: Any) -> None:
        if "x-amz-checksum-sha256" in request.headers:
            request.context["client_config"] = unsigned

    for operation in ("PutObject", "UploadPart"):
        client.meta.events.register(f"before-sign.s3.{operation}", before_sign)


# boto3's own variables that hold secrets (the key id too: it names the account).
SECRET_ENVS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def _remember_client_secrets(session: Any, anonymous: bool) -> None:
    """Register the credentials boto3's chain found (config files, SSO, ...) for redaction."""
    if anonymous:
        return
    try:
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except Exception:  # any failure here surfaces again, translated, on the first request
        return
    if frozen is not None:
        for value in (frozen.access_key, frozen.secret_key, frozen.token):
            add_secret(value)


_PRINTABLE_TOKEN = re.compile(r"^[!-~]+$")
_SECRET_PARTS = re.compile(
    r"(AWS4-HMAC-SHA256\s|Credential=|Signature=|X-Amz-Signature=|X-Amz-Credential="
    # a header as text ("Name: value"), as a query ("Name=value") or in a dict's repr ("'Name': b'value'")
    r"|(?:X-Amz-Security-Token|Authorization)['\"]?\s*[=:]\s*b?['\"]?)[^'\",}\r\n]*",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with every known credential value, and anything from an Authorization or
    X-Amz-Security-Token header or a presigned URL on, cut out."""
    return _SECRET_PARTS.sub(r"\1<redacted>", redact_secrets(text))


def is_anonymous(client: Client) -> bool:
    """True for a client made with anonymous=True (unsigned requests)."""
    import botocore

    return getattr(getattr(client, "meta", None), "config", None) is not None and (
        client.meta.config.signature_version is botocore.UNSIGNED
    )


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
    if code in ACCESS_CODES and is_anonymous(client):
        # No credentials were sent: the bucket refuses anonymous reads, whatever the keys are.
        if given("--armory-checksums"):  # anonymous by design, not by request: --public was never given
            return RemoteAccessError(
                f"{what}: access denied at {where} to anonymous requests; the bucket is not public, and "
                "--armory-checksums always reads anonymously, as armory does (its datasets are public): check the "
                "bucket in the checksum line and --endpoint-url, or publish the dataset with upload.py --public"
            )
        return RemoteAccessError(
            f"{what}: access denied at {where} to anonymous requests (--public); the bucket is not public: "
            "drop --public to send your credentials"
        )
    if code in ACCESS_CODES:
        return RemoteAccessError(f"{what}: {ACCESS_CODES[code]} at {where}; {CREDENTIALS_HINT}")
    if code in ("NoSuchBucket",):
        return NoSuchBucketError(f"{what}: the bucket does not exist at {where}; check -b/--bucket")
    if code in ("NoSuchKey", "404", "NotFound"):
        return RemoteNotFoundError(f"{what}: not found at {where}")
    if code in ("PreconditionFailed", "412"):
        return RemoteConflictError(f"{what}: the object was changed by someone else meanwhile; run again")
    if code:
        return RemoteError(f"{what}: the S3 server at {where} answered {code}")
    if isinstance(exc, bx.BotoCoreError):
        # Some (HTTPClientError) quote request headers: the signature is cut out.
        return RemoteError(f"{what}: {type(exc).__name__}: {redact(str(exc))}")
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


@dataclass(frozen=True)
class RemoteObject:
    size: int
    sha256: str | None  # from our metadata; None when uploaded by another tool
    s3_checksum: str | None
    etag: str | None = field(default=None, compare=False)  # which write this is: compared before we delete


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
        etag=response.get("ETag"),
    )


def check_bucket(client: Client, bucket: str, option: str = "-b/--bucket") -> None:
    """Fail clearly when the bucket is missing or unreachable; never create it."""
    from botocore.exceptions import ClientError

    with remote_errors(f"cannot use bucket {bucket!r}", client):
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if _error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
                raise NoSuchBucketError(
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


def abort_upload(client: Client, bucket: str, key: str, upload_id: str) -> bool:
    """Abort one multipart upload this process started (never another's); best effort, True if done."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except (ClientError, BotoCoreError) as exc:
        if _error_code(exc) in ("NoSuchUpload", "404"):
            return True
        log.warning(
            "could not abort this run's multipart upload of {} ({}); a bucket lifecycle rule "
            "AbortIncompleteMultipartUpload removes it",
            s3_url(bucket, key),
            _error_code(exc) or type(exc).__name__,
        )
        return False
    log.debug("aborted multipart upload {} of {}", upload_id, s3_url(bucket, key))
    return True


def is_precondition_failure(exc: BaseException) -> bool:
    return _error_code(exc) in ("PreconditionFailed", "412")


def error_code(exc: BaseException) -> str:
    return _error_code(exc)


def delete(client: Client, bucket: str, key: str, etag: str | None = None) -> None:
    """Delete the object; with `etag`, only if it is still that write (ours), else leave it."""
    extra = {"IfMatch": etag} if etag else {}
    from botocore.exceptions import ClientError

    with remote_errors(f"cannot delete {s3_url(bucket, key)}", client):
        try:
            client.delete_object(Bucket=bucket, Key=key, **extra)
        except ClientError as exc:
            if etag and is_precondition_failure(exc):
                log.warning("{} was replaced by another writer meanwhile: left as it is", s3_url(bucket, key))
                return
            raise
