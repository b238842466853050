"""`upload.py --card`: dataset cards beside their tarballs, and the bucket's catalog page `datasets/index.html`.

For each local dataset that is published (the same bytes as the bucket's checksum file
announces), its card `<name>-<version>.card.html` (written first if missing) and the card's
summary `<name>-<version>.card.json` are uploaded beside the tarball. Then the page is
rendered from one listing of the bucket (every published checksum file, not only the local
ones), written, and the listing taken again: if another maintainer published or carded a
dataset meanwhile, the page is rendered and written again (bounded). The page is a pure
function of the listing, so concurrent writers converge on the same bytes.

Rendering lives in `dsbuild.card` (which remote may not import): the entry script passes it in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from dsbuild.artifact.built_dataset import BuiltDataset, find_built
from dsbuild.artifact.checksums import read_checksum_file
from dsbuild.errors import ChecksumError, DsbuildError, RemoteError, UsageError
from dsbuild.log import log
from dsbuild.paths import CARD_SUFFIX, TARBALL_NAME_RE, card_name, checksum_file_name, dataset_ref
from dsbuild.remote import s3
from dsbuild.remote.bucket_listing import (
    SUMMARY_SUFFIX,
    Key,
    Published,
    list_published,
    read_records,
    read_summaries,
    snapshot,
)
from dsbuild.remote.location import RemoteOptions

INDEX_PAGE = "index.html"
HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json"
MAX_ROUNDS = 5  # render, write, re-list; the listing settles unless someone publishes nonstop


class CardTools(Protocol):
    """What the card stage lends: writing a card, summarising a build, rendering the page."""

    def write_card(self, built: BuiltDataset) -> Path: ...
    def summary_bytes(self, built: BuiltDataset) -> bytes: ...
    def render_catalog(self, location: str, prefix: str, items: Sequence[tuple[Any, Any, bool]]) -> str: ...


@dataclass(frozen=True)
class CardTarget:
    name: str
    version: str
    built: BuiltDataset | None
    card: Path


def put_bytes(client: s3.Client, bucket: str, key: str, data: bytes, content_type: str, public: bool) -> bool:
    """Write `data` unless the object already holds exactly it; True if written."""
    sha256 = hashlib.sha256(data).hexdigest()
    current = s3.head(client, bucket, key)
    if current is not None and current.size == len(data) and current.sha256 == sha256:
        return False
    extra: dict[str, Any] = {"ACL": "public-read"} if public else {}
    with s3.remote_errors(f"cannot write {s3.s3_url(bucket, key)}", client):
        client.put_object(
            Bucket=bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            ChecksumAlgorithm="SHA256",
            Metadata={s3.SHA256_METADATA_KEY: sha256},
            **extra,
        )
    return True


def _local_keys(data_dir: Path) -> set[Key]:
    keys: set[Key] = set()
    if data_dir.is_dir():
        for path in data_dir.iterdir():
            match = TARBALL_NAME_RE.match(path.name)
            if match and path.is_file():
                keys.add((match["name"], match["version"]))
            elif path.name.endswith(CARD_SUFFIX) and path.is_file():
                ref = dataset_ref(path.name.removesuffix(CARD_SUFFIX))
                if ref and ref[1]:
                    keys.add((ref[0], ref[1]))
    return keys


def _targets(data_dir: Path, names: Sequence[str], published: dict[Key, Published]) -> list[CardTarget]:
    local = _local_keys(data_dir)
    if names:
        keys: list[Key] = []
        for text in names:
            ref = dataset_ref(text)
            if ref is None:
                raise UsageError(f"{text!r} is not a dataset name (NAME, NAME:VERSION or NAME-VERSION)")
            found = sorted(k for k in local | set(published) if k[0] == ref[0] and ref[1] in (None, k[1]))
            if not found:
                raise UsageError(f"{text}: no tarball or card of it in {data_dir}, nothing of it in the bucket")
            keys += found
    else:
        keys = sorted(k for k in local if k in published)
    targets = []
    for name, version in dict.fromkeys(keys):
        try:
            built = find_built(data_dir, name, version)
        except DsbuildError:
            built = None
        targets.append(CardTarget(name, version, built, data_dir / card_name(name, version)))
    return targets


def _publish_card(
    client: s3.Client, options: RemoteOptions, target: CardTarget, entry: Published | None, tools: CardTools
) -> None:
    label = f"{target.name} {target.version}"
    if entry is None or entry.record is None:
        raise UsageError(
            f"{label}: not published in {s3.s3_url(options.tarball_bucket, options.prefix)}: upload it first"
        )
    local = target.card.parent / checksum_file_name(target.name, target.version)
    try:
        if read_checksum_file(local).sha256 != entry.record.sha256:
            raise UsageError(
                f"{label}: the local build differs from the published one: its card would describe other data"
            )
    except ChecksumError:
        pass  # no local checksum file (e.g. downloaded): the built dataset is what download.py verified
    if not target.card.is_file():
        if target.built is None:
            raise UsageError(f"{label}: no card and no built dataset in {target.card.parent} to write one from")
        try:
            tools.write_card(target.built)
        except Exception as exc:  # whatever TFDS raised reading the build: this dataset's failure, not a bug
            raise DsbuildError(f"{label}: cannot write its card: {type(exc).__name__}: {exc}") from None
    base = f"{options.prefix}{target.name}-{target.version}"
    wrote = put_bytes(
        client, options.tarball_bucket, base + CARD_SUFFIX, target.card.read_bytes(), HTML_TYPE, options.public
    )
    if target.built is not None:
        try:
            summary = tools.summary_bytes(target.built)
        except (OSError, ValueError, TypeError, AttributeError) as exc:  # a hand-edited dataset_info.json
            log.warning("{}: no summary for the catalog (examples, features): {}", label, exc)
        else:
            put_bytes(client, options.tarball_bucket, base + SUMMARY_SUFFIX, summary, JSON_TYPE, options.public)
    print(
        f"{label}: card {s3.s3_url(options.tarball_bucket, base + CARD_SUFFIX)} ({'uploaded' if wrote else 'up to date'})"
    )


def render_page(client: s3.Client, options: RemoteOptions, published: dict[Key, Published], tools: CardTools) -> str:
    """The page for this listing: every dataset whose checksum file is valid and whose tarball is there."""
    entries = list(published.values())
    read_records(client, options, entries)
    summaries = read_summaries(client, options, entries)
    items = []
    for entry in entries:
        if entry.record is None or entry.tarball is None:
            if entry.checksum is not None:
                log.warning(
                    "{} {}: left off the catalog: {}",
                    entry.name,
                    entry.version,
                    entry.record_error or "its tarball is missing",
                )
            continue
        items.append((entry.record, summaries.get((entry.name, entry.version)), entry.card is not None))
    location = s3.s3_url(options.tarball_bucket, options.prefix)
    return tools.render_catalog(location, options.prefix, items)


def write_index(client: s3.Client, options: RemoteOptions, tools: CardTools) -> tuple[str, int]:
    """Render and write the page until the listing it was rendered from still holds; (its URL, datasets on it)."""
    key = options.prefix + INDEX_PAGE
    published = list_published(client, options)
    for _round in range(MAX_ROUNDS):
        page = render_page(client, options, published, tools)
        put_bytes(client, options.tarball_bucket, key, page.encode("utf-8"), HTML_TYPE, options.public)
        again = list_published(client, options)
        if snapshot(again) == snapshot(published):
            return s3.s3_url(options.tarball_bucket, key), page.count("<section ")
        log.info("the bucket changed while the catalog was written: rendering it again")
        published = again
    raise RemoteError(
        f"{s3.s3_url(options.tarball_bucket, key)}: the bucket kept changing over {MAX_ROUNDS} rounds; run again"
    )


def publish_catalog(data_dir: Path, names: Sequence[str], options: RemoteOptions, tools: CardTools) -> int:
    """upload.py --card: the cards of `names` (default: every local dataset that is published), then the page."""
    client = s3.make_client(options.endpoint_url)
    s3.check_bucket(client, options.tarball_bucket)
    published = list_published(client, options)
    targets = _targets(data_dir, names, published)
    read_records(client, options, [published[(t.name, t.version)] for t in targets if (t.name, t.version) in published])
    failed = 0
    for target in targets:
        try:
            _publish_card(client, options, target, published.get((target.name, target.version)), tools)
        except DsbuildError as exc:
            log.error("error: {}", exc)
            failed += 1
    url, count = write_index(client, options, tools)
    print(f"catalog: {url} ({count} dataset(s))")
    return 1 if failed else 0
