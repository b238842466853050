"""What a bucket holds under the datasets prefix, from one listing: tarballs, checksum files, cards.

`upload.py --status` and the catalog page (`upload.py --card`) both start here. Key
names are attacker input: only keys named exactly `<name>-<version>.tar.gz`,
`<name>-<version>.json`, `<name>-<version>.card.html` or `<name>-<version>.card.json`
directly under the prefix count; anything else is ignored. Checksum files are read
(small objects, in parallel, bounded, validated); tarballs never are.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from dsbuild.artifact.checksums import ChecksumRecord, parse_json
from dsbuild.errors import ChecksumError, RemoteError
from dsbuild.paths import CARD_SUFFIX, CHECKSUM_SUFFIX, TARBALL_SUFFIX
from dsbuild.remote import s3, s3_transfer
from dsbuild.remote.location import RemoteOptions

SUMMARY_SUFFIX = ".card.json"  # the card's facts (splits, features) for the catalog page
SUMMARY_MAX_BYTES = 64 * 1024
READ_THREADS = 8
_NAME_VERSION = r"(?P<name>[a-z][a-z0-9_]*)-(?P<version>[0-9]+\.[0-9]+\.[0-9]+)"
# Longest suffix first: `x-1.0.0.card.json` is a summary, not a checksum file.
_KINDS = (
    ("summary", SUMMARY_SUFFIX),
    ("card", CARD_SUFFIX),
    ("tarball", TARBALL_SUFFIX),
    ("checksum", CHECKSUM_SUFFIX),
)
_KEY_RES = {kind: re.compile(rf"^{_NAME_VERSION}{re.escape(suffix)}\Z") for kind, suffix in _KINDS}

Key = tuple[str, str]  # (name, version)


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int
    etag: str


@dataclass
class Published:
    """One NAME VERSION as the listing shows it (each None when that object is absent)."""

    name: str
    version: str
    tarball: ListedObject | None = None
    checksum: ListedObject | None = None
    card: ListedObject | None = None
    summary: ListedObject | None = None
    record: ChecksumRecord | None = None  # the checksum file, once read
    record_error: str = ""  # why it could not be read


def _list(client: s3.Client, bucket: str, prefix: str) -> list[ListedObject]:
    found: list[ListedObject] = []
    with s3.remote_errors(f"cannot list {s3.s3_url(bucket, prefix)}", client):
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found.append(ListedObject(str(item["Key"]), int(item.get("Size", 0)), str(item.get("ETag", ""))))
    return found


def list_published(client: s3.Client, options: RemoteOptions) -> dict[Key, Published]:
    """(name, version) -> what the listing shows; one listing per bucket (two with --checksum-bucket)."""
    buckets = [("tarball", options.tarball_bucket)]
    if options.index_bucket != options.tarball_bucket:
        buckets.append(("checksum", options.index_bucket))
    published: dict[Key, Published] = {}
    for role, bucket in buckets:
        for obj in _list(client, bucket, options.prefix):
            relative = obj.key[len(options.prefix) :]
            for kind, _suffix in _KINDS:
                match = _KEY_RES[kind].match(relative)
                if match is None:
                    continue
                # With a separate checksum bucket, checksum files come from it and everything else from the other.
                if len(buckets) == 2 and (kind == "checksum") != (role == "checksum"):
                    break
                entry = published.setdefault(
                    (match["name"], match["version"]), Published(match["name"], match["version"])
                )
                setattr(entry, kind, obj)
                break
    return published


def read_records(client: s3.Client, options: RemoteOptions, entries: list[Published]) -> None:
    """Read the checksum file of each entry that has one (in parallel); sets `record` or `record_error`."""

    def read(entry: Published) -> None:
        assert entry.checksum is not None
        url = s3.s3_url(options.index_bucket, entry.checksum.key)
        try:
            data = s3_transfer.read_small_object(client, options.index_bucket, entry.checksum.key)
            record = ChecksumRecord.from_json(parse_json(data.decode("utf-8"), url), source=url)
        except (RemoteError, ChecksumError, UnicodeDecodeError) as exc:
            entry.record_error = str(exc)
            return
        if (record.name, record.version) != (entry.name, entry.version):
            entry.record_error = f"{url} describes {record.name} {record.version}"
            return
        entry.record = record

    todo = [e for e in entries if e.checksum is not None]
    if todo:
        with ThreadPoolExecutor(min(READ_THREADS, len(todo))) as pool:
            list(pool.map(read, todo))


def read_summaries(client: s3.Client, options: RemoteOptions, entries: list[Published]) -> dict[Key, object]:
    """The parsed JSON of each entry's card summary (None where absent or unreadable); validated by the caller."""
    out: dict[Key, object] = {}

    def read(entry: Published) -> None:
        assert entry.summary is not None
        try:
            data = s3_transfer.read_small_object(
                client, options.tarball_bucket, entry.summary.key, max_bytes=SUMMARY_MAX_BYTES
            )
            out[(entry.name, entry.version)] = parse_json(data.decode("utf-8"), entry.summary.key)
        except (RemoteError, ChecksumError, UnicodeDecodeError):
            out[(entry.name, entry.version)] = None

    todo = [e for e in entries if e.summary is not None]
    if todo:
        with ThreadPoolExecutor(min(READ_THREADS, len(todo))) as pool:
            list(pool.map(read, todo))
    return out


def snapshot(published: dict[Key, Published]) -> tuple[tuple[str, str], ...]:
    """What the catalog page is a function of: the checksum files, cards and summaries, with their ETags."""
    keys = []
    for entry in published.values():
        for obj in (entry.checksum, entry.card, entry.summary):
            if obj is not None:
                keys.append((obj.key, obj.etag))
    return tuple(sorted(keys))
