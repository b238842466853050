"""Preflight: before `tfds build` starts, what a dataset will download and whether it can.

The plan comes from the builder's `checksums.tsv` (TFDS core datasets: the
list TFDS ships, which may name more files than one config downloads). A file
counts as present when the download dir holds TFDS's copy of it or
`--manual-dir` holds it under its file name, with the recorded size and
sha256. For the files still missing, every source host gets one HTTP HEAD
request; all of them share a budget of REACH_SECONDS, so an offline machine
fails in seconds instead of after TFDS's minutes of retries.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import importlib.util
import shlex
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dsbuild.build.catalog import TFDS_CORE, CatalogEntry
from dsbuild.errors import DsbuildError
from dsbuild.sizes import human_size
from dsbuild.untrusted import UntrustedInputError, parse_decimal

REACH_SECONDS = 5.0
CHECKSUMS_FILE = "checksums.tsv"


class SourcesUnreachableError(DsbuildError):
    """Source files are missing and their hosts do not answer (exit 1)."""


@dataclass(frozen=True)
class SourceFile:
    url: str
    size: int
    sha256: str
    filename: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


@dataclass
class Plan:
    """What one dataset's build needs from the network; `files` is None when nobody listed them."""

    name: str
    files: list[SourceFile] | None
    present: dict[str, Path] = field(default_factory=dict)  # url -> the verified local copy
    unreachable: dict[str, str] = field(default_factory=dict)  # host -> why
    wrong: dict[str, str] = field(default_factory=dict)  # url -> why the --manual-dir copy was refused

    @property
    def missing(self) -> list[SourceFile]:
        return [f for f in self.files or [] if f.url not in self.present]

    @property
    def missing_bytes(self) -> int:
        return sum(f.size for f in self.missing)


def parse_checksums(text: str) -> list[SourceFile]:
    """TFDS's checksums format: `url size sha256 [filename]`, tab or space separated; # comments."""
    files = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3 or line.lstrip().startswith("#"):
            continue
        url, size, sha = parts[:3]
        name = parts[3] if len(parts) > 3 else url.rstrip("/").rsplit("/", 1)[-1]
        with contextlib.suppress(UntrustedInputError):  # ASCII digits only, bounded; other lines are not entries
            files.append(SourceFile(url, parse_decimal(size, "size"), sha.lower(), name))
    return files


def _tfds_core_checksums(name: str) -> Path | None:
    spec = importlib.util.find_spec("tensorflow_datasets")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    for candidate in (root / "url_checksums" / f"{name}.txt", root / "datasets" / name / CHECKSUMS_FILE):
        if candidate.is_file():
            return candidate
    found = sorted(root.glob(f"*/{name}/{CHECKSUMS_FILE}"))
    return found[0] if found else None


def listed_files(entry: CatalogEntry) -> list[SourceFile] | None:
    """The source files `entry` lists, or None if it lists none (its downloads are unknown)."""
    if entry.source is not None:
        path: Path | None = entry.source.folder / CHECKSUMS_FILE
    elif entry.category == TFDS_CORE:
        path = _tfds_core_checksums(entry.name)
    else:
        path = None
    if path is None or not path.is_file():
        return None
    files = parse_checksums(path.read_text(encoding="utf-8"))
    # A builder of several versions lists every version's sources; a build fetches only its own.
    others = [v for v in entry.buildable if v != entry.version]
    return [f for f in files if entry.version in f.url or not any(v in f.url for v in others)]


def _tfds_checksum_tag(sha256: str) -> str:
    """The part of TFDS's download file name that its sha256 gives (url-safe base64, no padding)."""
    return base64.urlsafe_b64encode(bytes.fromhex(sha256)).decode()[:-1]


def _matches(path: Path, f: SourceFile) -> bool:
    try:
        if not path.is_file() or path.stat().st_size != f.size:
            return False
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == f.sha256


def find_present(files: Sequence[SourceFile], download_dir: Path, manual_dir: Path | None) -> dict[str, Path]:
    """The files already on disk, verified by size and sha256: url -> path."""
    present: dict[str, Path] = {}
    cached = [p for p in download_dir.iterdir() if p.is_file()] if download_dir.is_dir() else []
    for f in files:
        candidates = [manual_dir / f.filename] if manual_dir is not None else []
        tag = _tfds_checksum_tag(f.sha256) if len(f.sha256) == 64 else None
        candidates += [p for p in cached if tag and tag in p.name and not p.name.endswith(".INFO")]
        for path in candidates:
            if _matches(path, f):
                present[f.url] = path
                break
    return present


def manual_dir_mismatches(
    files: Sequence[SourceFile], manual_dir: Path | None, present: dict[str, Path]
) -> dict[str, str]:
    """Files in --manual-dir under the expected name whose bytes are not the listed ones: url -> why."""
    wrong: dict[str, str] = {}
    for f in files:
        path = manual_dir / f.filename if manual_dir is not None else None
        if path is None or f.url in present or not path.is_file():
            continue
        size = path.stat().st_size
        wrong[f.url] = f"{path} has {size} bytes, not {f.size}" if size != f.size else f"{path} has another sha256"
    return wrong


def _head(url: str, timeout: float, results: dict[str, str | None]) -> None:
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        conn = cls(parts.netloc, timeout=timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("HEAD", target)
        # Any HTTP status (405, 403, 404: many servers refuse HEAD) means the host is there; only DNS,
        # refused or silent connections and TLS failures (ssl.SSLError is an OSError) count as down.
        conn.getresponse()
        conn.close()
        results[url] = None
    except (OSError, http.client.HTTPException) as exc:
        results[url] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def check_hosts(urls: dict[str, str], budget: float = REACH_SECONDS) -> dict[str, str]:
    """Hosts (host -> a url on it) that did not answer within `budget` seconds in all: host -> why."""
    results: dict[str, str | None] = {}
    threads = [
        threading.Thread(target=_head, args=(url, budget, results), daemon=True, name=f"reach-{host}")
        for host, url in urls.items()
    ]
    deadline = time.monotonic() + budget
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    # Threads still waiting (a name lookup, a host that never answers) are left to die with the process.
    return {
        host: results.get(url) or f"no answer within {budget:g} s"
        for host, url in urls.items()
        if results.get(url, "") is not None
    }


def plan(entry: CatalogEntry, download_dir: Path, manual_dir: Path | None) -> Plan:
    files = listed_files(entry)
    result = Plan(entry.name, files)
    if files:
        result.present = find_present(files, download_dir, manual_dir)
        result.wrong = manual_dir_mismatches(files, manual_dir, result.present)
    return result


def check_reachable(plans: Sequence[Plan], budget: float = REACH_SECONDS) -> None:
    """Fill each plan's `unreachable` with the hosts of its missing files that do not answer."""
    urls: dict[str, str] = {}
    for p in plans:
        for f in p.missing:
            urls.setdefault(f.host, f.url)
    down = check_hosts(urls, budget) if urls else {}
    for p in plans:
        p.unreachable = {f.host: down[f.host] for f in p.missing if f.host in down}


def free_bytes(path: Path) -> int:
    """Free space where `path` is or would be created."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def describe(p: Plan, download_dir: Path) -> list[str]:
    """The plan as lines for the console."""
    if p.files is None:
        return [f"{p.name}: downloads not listed (no checksums file); the plan is unknown"]
    if not p.files:
        return [f"{p.name}: downloads nothing"]
    total = sum(f.size for f in p.files)
    lines = [
        f"{p.name}: {len(p.files)} source file(s) listed, {human_size(total)}; "
        f"{len(p.present)} already present, {len(p.missing)} to download ({human_size(p.missing_bytes)}); "
        f"free in {download_dir}: {human_size(free_bytes(download_dir))}"
    ]
    for f in p.files:
        where = f"present: {p.present[f.url]}" if f.url in p.present else "to download"
        lines.append(f"  {f.url} ({human_size(f.size)}) {where}")
    for host, why in p.unreachable.items():
        lines.append(f"  host {host} does not answer: {why}")
    lines += [f"  refused: {why}" for why in p.wrong.values()]
    return lines


def offline_hint(p: Plan, argv_hint: str) -> str:
    """What the user can do: the missing files with size and sha256, and the --manual-dir command."""
    rows = "\n".join(f"    {f.filename}  {f.size} bytes  sha256 {f.sha256}  from {f.url}" for f in p.missing)
    rows += "".join(f"\n  refused from --manual-dir: {why}" for why in p.wrong.values())
    hosts = f"their host(s) {', '.join(sorted(p.unreachable))} do not answer" if p.unreachable else "listed here"
    return (
        f"{p.name}: {len(p.missing)} source file(s) are missing, {hosts}:\n{rows}\n"
        f"  put them in a directory and build offline with:\n    {argv_hint} --manual-dir {shlex.quote('DIR')}"
    )


def rebuild_command(entry: CatalogEntry) -> str:
    """The build.py command that builds `entry` alone."""
    if entry.source is not None and entry.category == "local":
        return f"python build.py -lcs {shlex.quote(str(entry.source.folder))}"
    if entry.version != entry.default:
        return f"python build.py -ds {entry.name}:{entry.version}"
    return f"python build.py -ds {entry.name}"


def prepare(
    entries: Sequence[CatalogEntry],
    data_dir: Path,
    download_dir: Path | None,
    manual_dir: Path | None,
    *,
    clean: bool = False,
    budget: float = REACH_SECONDS,
) -> list[Plan]:
    """Plans for the entries that will run `tfds build` (an existing build is reused, so not those).

    Reads only; the reachability check of every missing file's host runs at once for all entries.
    """
    from dsbuild.artifact.built_dataset import find_built

    download_dir = download_dir if download_dir is not None else data_dir / "downloads"
    plans = []
    for entry in entries:
        if not clean and data_dir.is_dir() and find_built(data_dir, entry.name, entry.version) is not None:
            continue
        plans.append(plan(entry, download_dir, manual_dir))
    check_reachable(plans, budget)
    return plans


def check_sources(plans: Sequence[Plan], entries: Sequence[CatalogEntry]) -> None:
    """Raise SourcesUnreachableError naming, per dataset, the missing files and the offline command."""
    by_name = {e.name: e for e in entries}
    # TFDS would take a wrong --manual-dir copy and fail on its checksum after minutes: refuse it now.
    blocked = [p for p in plans if p.missing and (p.unreachable or p.wrong)]
    if blocked:
        hints = "\n".join(offline_hint(p, rebuild_command(by_name[p.name])) for p in blocked)
        raise SourcesUnreachableError(
            f"{len(blocked)} dataset(s) cannot get their sources; nothing was built:\n{hints}"
        )
