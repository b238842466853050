"""`upload.py --status`: what is built, packed, published and indexed, and where they disagree.

Read-only. Sources, each read once: the data dir (built version directories, tarballs
and their checksum files, `cached_datasets.json`), one listing of the bucket's prefix
plus its checksum files (small objects; tarballs are never read, a tarball without a
checksum file gets one HEAD), and armory-testbed's checksum lines. What cannot be known
(no credentials, bucket unreachable, armory-testbed not installed) is `?` with one
reason line; the local columns still print.

A row disagrees (exit 1) when: a local tarball is not published or differs from the
published one; the builder source changed since the build; the bucket holds a tarball
without its checksum file, or a checksum file that is malformed or names a missing or
other-sized tarball; the index or an armory line names this version with other bytes or
another object; the index names a version the bucket does not hold. Published only,
built only, no provenance or no card are facts, not disagreements.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dsbuild.armory import checksum_lines
from dsbuild.armory.loaders import default_checksums_dir, loader_requests
from dsbuild.artifact.checksums import INDEX_FILE_NAME, ChecksumRecord, parse_json, read_checksum_file, recall_digest
from dsbuild.artifact.provenance import builder_source_sha256
from dsbuild.errors import ChecksumError, DsbuildError, UsageError
from dsbuild.paths import (
    CHECKSUM_NAME_RE,
    NAME_RE,
    TARBALL_NAME_RE,
    TEMP_MARK,
    VERSION_RE,
    checksum_file_name,
    dataset_ref,
    tarball_name,
)
from dsbuild.remote import s3
from dsbuild.remote.bucket_listing import Key, Published, list_published, read_records
from dsbuild.remote.location import RemoteOptions

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BUILDER_DIRS = ("datasets", "adversarial")  # where this project's builder folders live (build.catalog)
UNKNOWN = "?"


@dataclass
class Row:
    """One NAME VERSION; every field is JSON-ready (None: cannot be known here)."""

    name: str
    version: str
    built: bool = False
    source_changed: bool | None = None  # None: no provenance or no builder folder to compare with
    tarball: bool = False
    tarball_sha256: str | None = None  # from its checksum file (or the digest taken when packing)
    published: str = "-"  # same, differs, yes (nothing local to compare), partial, bad, -, ?
    published_size: int | None = None
    published_sha256: str | None = None
    index: str = "-"  # same, stale, lists X.Y.Z, -, ?
    armory: str = "-"  # same, differs, lists X.Y.Z, -, ?
    provenance: bool | None = None
    card: bool | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class Report:
    rows: list[Row]
    unknown: list[str]  # one reason per source that could not be read

    @property
    def agrees(self) -> bool:
        return not self.unknown and not any(r.problems for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        return {"agrees": self.agrees, "unknown": self.unknown, "rows": [asdict(r) for r in self.rows]}


# ---------------------------------------------------------------- local side


def _built_versions(data_dir: Path) -> set[Key]:
    found: set[Key] = set()
    if not data_dir.is_dir():
        return found
    for dataset_dir in data_dir.iterdir():
        if not (dataset_dir.is_dir() and NAME_RE.match(dataset_dir.name)):
            continue
        for child in dataset_dir.iterdir():
            candidates = [child] if VERSION_RE.match(child.name) else []
            if not candidates and child.is_dir() and not child.name.startswith("."):
                candidates = [c for c in child.iterdir() if VERSION_RE.match(c.name)]  # <name>/<config>/<version>
            for version_dir in candidates:
                if (version_dir / "dataset_info.json").is_file():
                    found.add((dataset_dir.name, version_dir.name))
    return found


def _local_files(data_dir: Path) -> tuple[set[Key], set[Key]]:
    """(tarballs, checksum files) at the data-dir root."""
    tarballs: set[Key] = set()
    checksums: set[Key] = set()
    if data_dir.is_dir():
        for path in data_dir.iterdir():
            if path.name.startswith(TEMP_MARK) or not path.is_file():
                continue
            for regex, into in ((TARBALL_NAME_RE, tarballs), (CHECKSUM_NAME_RE, checksums)):
                match = regex.match(path.name)
                if match:
                    into.add((match["name"], match["version"]))
    return tarballs, checksums


def _read_index(data_dir: Path, unknown: list[str]) -> dict[str, Any]:
    path = data_dir / INDEX_FILE_NAME
    if not path.exists():
        return {}
    try:
        index = parse_json(path.read_text(encoding="utf-8"), f"index {path}")
    except (OSError, UnicodeDecodeError, ChecksumError) as exc:
        unknown.append(f"index: cannot read {path}: {exc}")
        return {}
    if not isinstance(index, dict):
        unknown.append(f"index: {path} is not a JSON object")
        return {}
    return {k: v for k, v in index.items() if isinstance(k, str) and NAME_RE.match(k) and isinstance(v, dict)}


def _read_armory_lines(
    directory: Path | None, unknown: list[str]
) -> dict[str, tuple[checksum_lines.ArmoryChecksum, str]]:
    """name -> (its line, the version it installs as, or "?") from armory's `cached_s3_checksums/`."""
    if directory is None:
        unknown.append("armory: armory-testbed is not installed (pass --armory-checksums-dir DIR to compare with DIR)")
        return {}
    if not directory.is_dir():
        raise UsageError(f"--armory-checksums-dir {str(directory)!r} is not a directory")
    lines: dict[str, tuple[checksum_lines.ArmoryChecksum, str]] = {}
    requests = None
    for path in sorted(directory.glob(f"*{checksum_lines.SUFFIX}")):
        name = path.name.removesuffix(checksum_lines.SUFFIX)
        if not NAME_RE.match(name):
            continue
        try:
            line = checksum_lines.read(path, name)
        except DsbuildError as exc:
            unknown.append(f"armory: {exc}")
            continue
        ours = TARBALL_NAME_RE.match(line.tarball)
        if ours and ours["name"] == name:
            version = ours["version"]
        else:
            requests = loader_requests() if requests is None else requests
            version = requests[name].version if name in requests else UNKNOWN
        lines[name] = (line, version)
    return lines


def _local_record(data_dir: Path, key: Key, problems: list[str]) -> ChecksumRecord | None:
    path = data_dir / checksum_file_name(*key)
    if not path.exists():
        return None
    try:
        return read_checksum_file(path)
    except ChecksumError as exc:
        problems.append(f"{exc}: repack it (build.py --pack-only)")
        return None


def _builder_folder(name: str) -> Path | None:
    for parent in BUILDER_DIRS:
        folder = PROJECT_ROOT / parent / name
        if folder.is_dir():
            return folder
    return None


# ---------------------------------------------------------------- comparing


def _vkey(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".")) if VERSION_RE.match(version) else (-1,)


def _fill_local(row: Row, data_dir: Path, built: set[Key], tarballs: set[Key]) -> ChecksumRecord | None:
    key = (row.name, row.version)
    row.built = key in built
    row.tarball = key in tarballs
    record = _local_record(data_dir, key, row.problems)
    if row.tarball:
        if record is not None:
            row.tarball_sha256 = record.sha256
        else:
            digest = recall_digest(data_dir / tarball_name(*key))
            row.tarball_sha256 = digest.sha256 if digest else None
    if record is not None and record.provenance is not None:
        row.provenance = True
        source = (record.provenance.get("builder") or {}).get("source_sha256")
        folder = _builder_folder(row.name) if source else None
        if folder is not None:
            row.source_changed = builder_source_sha256(folder) != source
            if row.source_changed:
                row.problems.append(f"the builder source {folder.name}/ changed since this build: rebuild it")
    elif record is not None:
        row.provenance = False
    return record


def _fill_published(row: Row, entry: Published | None, client: s3.Client, options: RemoteOptions) -> None:
    if entry is None or (entry.tarball is None and entry.checksum is None):
        row.published = "-"
        row.card = entry is not None and entry.card is not None
        if row.tarball:
            row.problems.append(f"not published: python upload.py {row.name}:{row.version}")
        return
    row.card = entry.card is not None
    if entry.checksum is None:
        # Interrupted or foreign: the tarball's own metadata is all there is (one HEAD).
        row.published = "partial"
        head = s3.head(client, options.tarball_bucket, options.tarball_key(row.name, row.version))
        row.published_size = head.size if head else entry.tarball.size if entry.tarball else None
        row.published_sha256 = head.sha256 if head else None
        row.problems.append("the bucket holds the tarball without its checksum file: upload it again")
        return
    if entry.record is None:
        row.published = "bad"
        row.problems.append(f"published checksum file unusable: {entry.record_error}")
        return
    record = entry.record
    row.published_size, row.published_sha256 = record.size, record.sha256
    if row.provenance is None:
        row.provenance = record.provenance is not None
    if entry.tarball is None or entry.tarball.size != record.size:
        row.published = "partial"
        what = "is missing" if entry.tarball is None else f"is {entry.tarball.size} bytes, not {record.size}"
        row.problems.append(f"the published tarball {what}: its checksum file announces what is not there")
        return
    if row.tarball_sha256 is None:
        row.published = "yes"
    elif row.tarball_sha256 == record.sha256:
        row.published = "same"
    else:
        row.published = "differs"
        row.problems.append("the local tarball differs from the published one (a newer build?); upload it with --force")


def _fill_index(row: Row, entry: Any, reference: ChecksumRecord | None, bucket_known: bool, published: bool) -> None:
    if entry is None:
        return
    version = entry.get("version")
    if version != row.version:
        row.index = f"lists {version}" if isinstance(version, str) and VERSION_RE.match(version) else "bad"
        return
    if reference is None or reference.url is None:
        row.index = UNKNOWN if not bucket_known else "stale"
        if bucket_known and not published:
            row.problems.append("cached_datasets.json lists this version, the bucket does not hold it")
        return
    if entry == reference.index_entry():
        row.index = "same"
    else:
        row.index = "stale"
        row.problems.append("cached_datasets.json's entry differs from the published checksum file")


def _fill_armory(
    row: Row, line: tuple[checksum_lines.ArmoryChecksum, str] | None, reference: ChecksumRecord | None
) -> None:
    if line is None:
        return
    checksum, version = line
    if version != row.version:
        row.armory = f"lists {version}"
        return
    if reference is None or reference.url is None:
        row.armory = UNKNOWN
        return
    same = (s3.s3_url(checksum.bucket, checksum.key), checksum.size, checksum.sha256) == (
        reference.url,
        reference.size,
        reference.sha256,
    )
    row.armory = "same" if same else "differs"
    if not same:
        row.problems.append(
            f"armory's line names {checksum.bucket}/{checksum.key} ({checksum.size} bytes, "
            f"sha256 {checksum.sha256[:12]}...), not the published tarball"
        )


# ---------------------------------------------------------------- the report


def status(
    data_dir: Path,
    names: Sequence[str],
    options: RemoteOptions,
    armory_dir: Path | None = None,
    client: s3.Client | None = None,
) -> Report:
    """The status of every dataset known anywhere (or only `names`: NAME or NAME:VERSION)."""
    wanted: list[tuple[str, str | None]] = []
    for text in names:
        ref = dataset_ref(text)
        if ref is None:
            raise UsageError(f"{text!r} is not a dataset name (NAME, NAME:VERSION or NAME-VERSION)")
        wanted.append(ref)
    unknown: list[str] = []
    built = _built_versions(data_dir)
    tarballs, checksums = _local_files(data_dir)
    index = _read_index(data_dir, unknown)
    lines = _read_armory_lines(armory_dir or default_checksums_dir(), unknown)

    published: dict[Key, Published] = {}
    bucket_known = False
    where = s3.s3_url(options.tarball_bucket, options.prefix)
    try:
        client = client or s3.make_client(options.endpoint_url)
        published = list_published(client, options)
        bucket_known = True
    except DsbuildError as exc:
        unknown.append(f"published, card: {exc}")

    def selected(key: Key) -> bool:
        return not wanted or any(key[0] == n and v in (None, key[1]) for n, v in wanted)

    keys: set[Key] = built | tarballs | checksums | set(published)
    keys |= {(n, e["version"]) for n, e in index.items() if isinstance(e.get("version"), str)}
    keys |= {
        (n, v)
        for n, (line, v) in lines.items()
        if v != UNKNOWN and (line.bucket == options.tarball_bucket or any(k[0] == n for k in keys))
    }
    keys = {k for k in keys if NAME_RE.match(k[0]) and VERSION_RE.match(k[1]) and selected(k)}
    for name, version in wanted if bucket_known else ():  # else it may be in the bucket: its row is unknown
        if not any(k[0] == name and version in (None, k[1]) for k in keys):
            label = f"{name}:{version}" if version else name
            raise UsageError(
                f"{label}: not in {data_dir}, in {where}*, in {INDEX_FILE_NAME} nor in armory's checksum lines"
            )
    if bucket_known:
        assert client is not None
        read_records(client, options, [published[k] for k in keys if k in published])

    rows: list[Row] = []
    for key in sorted(keys, key=lambda k: (k[0], _vkey(k[1]))):
        row = Row(*key)
        local = _fill_local(row, data_dir, built, tarballs)
        entry = published.get(key)
        if bucket_known:
            _fill_published(row, entry, client, options)
        else:
            row.published = UNKNOWN
        remote = entry.record if entry is not None else None
        reference = remote if bucket_known else (local if local is not None and local.url else None)
        is_published = entry is not None and entry.record is not None
        _fill_index(row, index.get(row.name), reference, bucket_known, is_published)
        _fill_armory(row, lines.get(row.name), reference)
        rows.append(row)
    return Report(rows, unknown)


# ---------------------------------------------------------------- printing

COLUMNS = ("NAME", "VERSION", "BUILT", "TARBALL", "PUBLISHED", "SIZE", "PUBLISHED SHA256", "INDEX", "ARMORY")
COLUMNS += ("PROVENANCE", "CARD")


def _yes(value: bool | None) -> str:
    return UNKNOWN if value is None else "yes" if value else "no"


def table(report: Report) -> str:
    """The report as aligned text: one row per NAME VERSION, then one line per problem and per unknown source."""
    cells = [COLUMNS]
    for r in report.rows:
        built = ("src changed" if r.source_changed else "yes") if r.built else "no"
        cells.append(
            (
                r.name,
                r.version,
                built,
                (r.tarball_sha256 or "unhashed")[:12] if r.tarball else "-",
                r.published,
                str(r.published_size) if r.published_size is not None else "-",
                (r.published_sha256 or "?")[:12] if r.published_sha256 or r.published_size is not None else "-",
                r.index,
                r.armory,
                _yes(r.provenance) if r.provenance is not None else "-",
                _yes(r.card),
            )
        )
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    for r in report.rows:
        lines += [f"{r.name} {r.version}: {p}" for p in r.problems]
    lines += [f"? {reason}" for reason in report.unknown]
    disagreeing = sum(1 for r in report.rows if r.problems)
    if report.agrees:
        lines.append(f"{len(report.rows)} dataset(s): everything agrees")
    else:
        lines.append(
            f"{len(report.rows)} dataset(s), {disagreeing} disagreeing, {len(report.unknown)} source(s) unknown"
        )
    return "\n".join(lines)


def as_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=True)
