"""Fetch what ARMORY configs need: download.py --scenario / --download-config.

`dsbuild.armory.scenarios` reads the configs and resolves each loader to a dataset (no network).
Here each dataset is looked up, first in the data dir (installed: `<name>[/<config>]/<version>/`
with its `dataset_info.json`), then in the bucket (published: its checksum file
`<prefix><name>-<version>.json` exists and describes it); what is published and not installed
is fetched by the download workflow (`dsbuild.remote.download.download`), once per tarball
however many configs ask for it. Every dataset that cannot be had is reported by name with what
to do about it, and the others are still fetched.

A bucket that cannot be asked (no network, no such bucket, access denied) is asked once: every
dataset then reads "published: unknown (why)", and a dry run still prints its whole plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from dsbuild.armory.scenarios import QUOTE_CHARS, ConfigNeeds, DatasetRef, Resolution
from dsbuild.artifact.checksums import ChecksumRecord
from dsbuild.defaults import Status
from dsbuild.errors import ChecksumError, DsbuildError, NoSuchBucketError, RemoteError, RemoteNotFoundError
from dsbuild.log import log
from dsbuild.paths import VERSION_RE
from dsbuild.remote import s3
from dsbuild.remote.download import (
    DownloadResult,
    ExtractOptions,
    download,
    published_versions,
    resolve_download_target,
    sorted_versions,
)
from dsbuild.remote.location import RemoteOptions
from dsbuild.sizes import human_size

INFO_FILE = "dataset_info.json"
_REQUEST_PREFIX = re.compile(r"^cannot (?:read|list) s3://\S+: ")
INSTALLED_SOURCE = "installed in the data dir"  # DownloadResult.source of a dataset that needed no download

# What to tell the user about a dataset that is neither installed nor published (build it, or where
# it is published); given by the entry script, which may read the build catalog (remote may not).
Advice = Callable[[DatasetRef, Resolution], str]


def no_advice(ref: DatasetRef, resolution: Resolution) -> str:
    return ""


class State(StrEnum):
    INSTALLED = "installed"
    PUBLISHED = "published"
    MISSING = "neither installed nor published"
    UNUSABLE = "published, but not usable"
    UNKNOWN = "published: unknown"


@dataclass(frozen=True)
class Availability:
    ref: DatasetRef
    state: State
    detail: str  # INSTALLED: the directory; PUBLISHED: the checksum file's URL; otherwise why
    record: ChecksumRecord | None = None  # PUBLISHED: what download.py will fetch
    other_versions: tuple[str, ...] = ()  # MISSING: the versions that are published instead


def installed_dir(data_dir: Path, ref: DatasetRef) -> Path | None:
    """`<data_dir>/<name>[/<config>]/<version>` when it holds a dataset_info.json (a dataset named
    without a version: its highest installed version)."""
    if ref.subdir is not None:
        path = data_dir / ref.subdir
        return path if (path / INFO_FILE).is_file() else None
    base = data_dir / ref.name
    try:
        versions = [p.name for p in base.iterdir() if VERSION_RE.match(p.name) and (p / INFO_FILE).is_file()]
    except OSError:
        return None
    return base / sorted_versions(versions)[-1] if versions else None


@dataclass
class Lookup:
    """Answers "installed? published?" for datasets, asking the bucket at most once per tarball."""

    data_dir: Path
    options: RemoteOptions
    unreachable: str | None = None  # set after the first failure that is not about one object
    _client: s3.Client | None = None
    _published: dict[str, Availability] = field(default_factory=dict)

    def client(self) -> s3.Client:
        if self._client is None:
            self._client = s3.make_client(self.options.endpoint_url, anonymous=self.options.public)
        return self._client

    def availability(self, ref: DatasetRef, installed_counts: bool = True) -> Availability:
        if installed_counts:
            found = installed_dir(self.data_dir, ref)
            if found is not None:
                return Availability(ref, State.INSTALLED, str(found))
        if ref.target not in self._published:
            self._published[ref.target] = self._ask_bucket(ref)
        published = self._published[ref.target]
        if published.state == State.PUBLISHED and published.record is not None and ref.config is not None:
            wanted = f"{ref.name}/{ref.config}/{published.record.version}"
            if wanted not in published.record.subdirs:
                held = ", ".join(published.record.subdirs)[:QUOTE_CHARS]
                return Availability(
                    ref,
                    State.UNUSABLE,
                    f"the published tarball ({published.detail}) holds {held}, not config {ref.config}",
                )
        return Availability(ref, published.state, published.detail, published.record, published.other_versions)

    def _ask_bucket(self, ref: DatasetRef) -> Availability:
        if self.unreachable is not None:
            return Availability(ref, State.UNKNOWN, self.unreachable)
        wanted = s3.s3_url(self.options.index_bucket, self.options.checksum_key(ref.name, ref.version or "<version>"))
        try:
            record, url = resolve_download_target(self.client(), self.options, ref.target)
        except NoSuchBucketError as exc:
            return self._give_up(ref, exc)
        except RemoteNotFoundError:
            return Availability(ref, State.MISSING, f"{wanted} does not exist", other_versions=self._others(ref))
        except RemoteError as exc:
            return self._give_up(ref, exc)
        except ChecksumError as exc:
            return Availability(ref, State.UNUSABLE, str(exc))
        return Availability(ref, State.PUBLISHED, url, record)

    def _give_up(self, ref: DatasetRef, exc: DsbuildError) -> Availability:
        # The reason holds for every dataset: drop the "cannot read s3://<this one's key>: " it starts with.
        self.unreachable = _REQUEST_PREFIX.sub("", str(exc))
        log.debug("not asking the bucket again in this run: {}", exc)
        return Availability(ref, State.UNKNOWN, self.unreachable)

    def _others(self, ref: DatasetRef) -> tuple[str, ...]:
        if ref.version is None:
            return ()
        try:
            return tuple(sorted_versions(published_versions(self.client(), self.options, ref.name)))
        except RemoteError as exc:  # only a hint: say nothing about other versions
            log.debug("cannot list the published versions of {}: {}", ref.name, exc)
            return ()


@dataclass(frozen=True)
class Plan:
    """Every config's datasets, each unique dataset's availability, in the order the configs give them."""

    needs: tuple[ConfigNeeds, ...]
    availability: dict[DatasetRef, Availability]
    first: dict[DatasetRef, Resolution]  # the first config line asking for each dataset (for advice)

    @property
    def unresolved(self) -> list[Resolution]:
        return [r for n in self.needs for r in n.resolutions if r.dataset is None]

    def to_download(self) -> dict[str, Availability]:
        """Tarball target (NAME-VERSION) -> what is fetched: each published tarball once."""
        found: dict[str, Availability] = {}
        for item in self.availability.values():
            if item.state == State.PUBLISHED and item.record is not None:
                found.setdefault(f"{item.record.name}-{item.record.version}", item)
        return found


def make_plan(data_dir: Path, needs: Sequence[ConfigNeeds], options: RemoteOptions, overwrite: bool = False) -> Plan:
    """Look every resolved dataset up: installed (unless `overwrite`), else published, else neither."""
    lookup = Lookup(data_dir, options)
    availability: dict[DatasetRef, Availability] = {}
    first: dict[DatasetRef, Resolution] = {}
    for config in needs:
        for resolution in config.resolutions:
            ref = resolution.dataset
            if ref is not None and ref not in availability:
                first[ref] = resolution
                availability[ref] = lookup.availability(ref, installed_counts=not overwrite)
    return Plan(tuple(needs), availability, first)


def missing_message(item: Availability, resolution: Resolution, advice: Advice, data_dir: Path) -> str:
    """What a dataset that cannot be had lacks, and what to do: one line, naming it."""
    return f"{item.ref.label} (for {resolution.origin}): {_missing(item, resolution, advice, data_dir)}"


def _missing(item: Availability, resolution: Resolution, advice: Advice, data_dir: Path) -> str:
    if item.state == State.UNKNOWN:
        return f"not installed in {data_dir}, and the bucket cannot be asked: {item.detail}"
    if item.state == State.UNUSABLE:
        return f"not installed in {data_dir}; published, but not usable: {item.detail}"
    text = f"neither installed in {data_dir} nor published ({item.detail}"
    if item.other_versions:
        text += (
            f"; published versions: {', '.join(item.other_versions)}, not the {item.ref.version} the loader asks for"
        )
    text += ")"
    tips = [t for t in (resolution.hint if resolution.custom else "", advice(item.ref, resolution)) if t]
    return f"{text}: {'; '.join(tips)}" if tips else text


def describe(plan: Plan, data_dir: Path, advice: Advice = no_advice) -> list[str]:
    """--dry-run: per config each dataset and where it stands, then the total to download."""
    lines: list[str] = []
    for config in plan.needs:
        lines.append(f"{config.source}:")
        if not config.resolutions:
            lines.append("  no datasets")
        for resolution in config.resolutions:
            ref = resolution.dataset
            if ref is None:
                lines.append(f"  {resolution.block}: {resolution.loader_label}: unresolved: {resolution.reason}")
                continue
            lines.append(f"  {resolution.block}: {ref.label}  ({resolution.origin})")
            lines.append(f"    {_status_line(plan.availability[ref], resolution, advice, data_dir)}")
    lines.append(_total_line(plan))
    return lines


def _status_line(item: Availability, resolution: Resolution, advice: Advice, data_dir: Path) -> str:
    if item.state == State.INSTALLED:
        return f"installed: {item.detail}"
    if item.state == State.PUBLISHED and item.record is not None:
        version = "" if item.ref.version else f" version {item.record.version},"
        return f"not installed; published:{version} {human_size(item.record.size)} to download ({item.detail})"
    if item.state == State.UNKNOWN:
        return f"not installed; published: unknown ({item.detail})"
    return _missing(item, resolution, advice, data_dir)


def _total_line(plan: Plan) -> str:
    fetch = plan.to_download()
    total = sum(item.record.size for item in fetch.values() if item.record is not None)
    counts = [
        (sum(1 for a in plan.availability.values() if a.state == state), str(state))
        for state in (State.INSTALLED, State.UNKNOWN, State.MISSING, State.UNUSABLE)
    ]
    counts.append((len(plan.unresolved), "unresolved"))
    others = "".join(f", {n} {word}" for n, word in counts if n)
    return f"total to download: {len(fetch)} dataset(s), {human_size(total)}{others}; dry run: nothing was written"


def dry_run_failed(plan: Plan) -> bool:
    """A real run would surely fail: something unresolved, missing or unusable (unknown is not known)."""
    return bool(plan.unresolved) or any(a.state in (State.MISSING, State.UNUSABLE) for a in plan.availability.values())


def fetch(
    plan: Plan,
    data_dir: Path,
    options: RemoteOptions,
    *,
    advice: Advice = no_advice,
    overwrite: bool = False,
    extract_options: ExtractOptions | None = None,
) -> list[DownloadResult]:
    """Download what is published and not installed; one result per unique dataset and per
    unresolved loader, in config order. Failures are logged once, here or by the download."""
    targets = plan.to_download()
    downloaded: dict[str, DownloadResult] = {}
    if targets:
        results = download(data_dir, list(targets), options, overwrite=overwrite, extract_options=extract_options)
        downloaded = dict(zip(targets, results, strict=True))
    rows: list[DownloadResult] = []
    done: set[DatasetRef] = set()
    for resolution in (r for config in plan.needs for r in config.resolutions):
        ref = resolution.dataset
        if ref is None:
            error = DsbuildError(f"{resolution.source}: {resolution.loader_label}: unresolved: {resolution.reason}")
            log.error("error: {}", error)
            rows.append(DownloadResult(resolution.loader, "", (), 0, Status.FAILED, resolution.source, error))
        elif ref not in done:
            done.add(ref)
            rows.append(_row(plan.availability[ref], downloaded, plan.first[ref], advice, data_dir))
    return _once(rows)


def _row(
    item: Availability, downloaded: dict[str, DownloadResult], first: Resolution, advice: Advice, data_dir: Path
) -> DownloadResult:
    ref = item.ref
    if item.state == State.INSTALLED:
        path = Path(item.detail)
        subdir = path.relative_to(data_dir).as_posix()
        return DownloadResult(ref.name, path.name, (subdir,), 0, Status.ALREADY_PRESENT, INSTALLED_SOURCE)
    if item.state == State.PUBLISHED and item.record is not None:
        return downloaded[f"{item.record.name}-{item.record.version}"]
    error = DsbuildError(missing_message(item, first, advice, data_dir))
    log.error("error: {}", error)
    return DownloadResult(ref.name, ref.version or "", (), 0, Status.FAILED, ref.target, error)


def _once(rows: list[DownloadResult]) -> list[DownloadResult]:
    """Two configs' datasets of one tarball (two configs of so2sat 2.1.0) are one download: one row."""
    seen: set[int] = set()
    unique = []
    for row in rows:
        if id(row) not in seen:
            seen.add(id(row))
            unique.append(row)
    return unique
