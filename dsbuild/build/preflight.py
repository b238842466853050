"""Preflight: before `tfds build` starts, what a dataset will download and whether it can.

The plan comes from the builder's `checksums.tsv` (TFDS core datasets: the
list TFDS ships, which may name more files than one config downloads). No
file, or one with no entries (only comments, as `tfds new` writes it), leaves
the plan unknown: then the hosts of the URL literals in the builder's source
(`source_urls`) are probed instead, so an invented host fails in seconds. A file
counts as present when the download dir holds TFDS's copy of it or
`--manual-dir` holds it under its file name, with the recorded size and
sha256. For the files still missing, every source host gets one HTTP HEAD
request; all of them share a budget of REACH_SECONDS, so an offline machine
fails in seconds instead of after TFDS's minutes of retries.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import hashlib
import http.client
import importlib.util
import re
import shlex
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dsbuild.build.catalog import TFDS_CORE, CatalogEntry
from dsbuild.errors import DsbuildError
from dsbuild.options import hint
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


# TFDS-core datasets whose configs download different files: config -> the file names it needs (checked
# against TFDS's own builders by tests/test_catalog.py). Other configs share all of their dataset's files.
CONFIG_SOURCES: dict[str, dict[str, frozenset[str]]] = {
    "coco": {
        "2014": frozenset(
            f"{n}.zip"
            for n in (
                *("train2014", "val2014", "test2014", "test2015"),
                *("annotations_trainval2014", "image_info_test2014", "image_info_test2015"),
            )
        ),
        "2017": frozenset(
            f"{n}.zip" for n in ("train2017", "val2017", "test2017", "annotations_trainval2017", "image_info_test2017")
        ),
        "2017_panoptic": frozenset(("train2017.zip", "val2017.zip", "panoptic_annotations_trainval2017.zip")),
    },
    "imagenette": {
        "full-size": frozenset(("imagenette.tgz",)),
        "320px": frozenset(("imagenette-320.tgz",)),
        "160px": frozenset(("imagenette-160.tgz",)),
        "full-size-v2": frozenset(("imagenette2.tgz",)),
        "320px-v2": frozenset(("imagenette2-320.tgz",)),
        "160px-v2": frozenset(("imagenette2-160.tgz",)),
    },
}


@dataclass
class Plan:
    """What one dataset's build needs from the network; `files` is None when nobody listed them."""

    name: str
    files: list[SourceFile] | None
    version: str = ""
    config: str | None = None  # the one config built (--config, or armory's for a TFDS-core dataset)
    present: dict[str, Path] = field(default_factory=dict)  # url -> the verified local copy
    unknown_why: str = ""  # files is None: why the plan is unknown
    source_urls: list[str] = field(default_factory=list)  # files is None: URL literals in the builder's source
    manual: bool = False  # --manual-dir given: a plan-unknown builder may read its sources from it
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


def _checksums_path(entry: CatalogEntry) -> Path | None:
    if entry.source is not None:
        return entry.source.folder / CHECKSUMS_FILE
    if entry.category == TFDS_CORE:
        return _tfds_core_checksums(entry.name)
    return None


def unknown_reason(entry: CatalogEntry) -> str:
    """Why `entry`'s plan is unknown (listed_files gave None)."""
    path = _checksums_path(entry)
    if path is None or not path.is_file():
        return "no checksums.tsv lists its downloads"
    return f"{path} lists no files (only comments, as `tfds new` writes it)"


def listed_files(entry: CatalogEntry, config: str | None = None) -> list[SourceFile] | None:
    """The source files `entry` (only `config`, when given) lists, or None if it lists none (unknown)."""
    path = _checksums_path(entry)
    if path is None or not path.is_file():
        return None
    files = parse_checksums(path.read_text(encoding="utf-8", errors="replace"))
    if not files:
        return None
    # A builder of several versions lists every version's sources; a build fetches only its own.
    others = [v for v in entry.buildable if v != entry.version]
    files = [f for f in files if entry.version in f.url or not any(v in f.url for v in others)]
    needed = CONFIG_SOURCES.get(entry.name, {}).get(config or "") if entry.category == TFDS_CORE else None
    return files if needed is None else [f for f in files if f.url.rsplit("/", 1)[-1] in needed]


_URL_RE = re.compile(r"^(?:https?|ftp)://[^\s/?#]+[^\s]*$")
# Keyword arguments and names whose URLs are for people, not downloads (DatasetInfo's homepage, citations).
_NOT_DOWNLOADS = {"homepage", "citation", "description", "license", "_homepage", "_citation", "_description"}
MAX_SOURCE_URLS = 20


def source_urls(module: Path) -> list[str]:
    """URL literals in a builder module that may be downloads, in order, without importing it.

    Docstrings and the values of `homepage=`, `citation=` and `_HOMEPAGE`-style names are left out.
    """
    try:
        tree = ast.parse(module.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.keyword) and (node.arg or "").lower() in _NOT_DOWNLOADS:
            skip.update(id(n) for n in ast.walk(node.value))
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id.lower() in _NOT_DOWNLOADS for t in node.targets
        ):
            skip.update(id(n) for n in ast.walk(node.value))
    urls: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            value = node.value.strip()
            if _URL_RE.match(value) and value not in urls:
                urls.append(value)
    return urls[:MAX_SOURCE_URLS]


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


def plan(entry: CatalogEntry, download_dir: Path, manual_dir: Path | None, config: str | None = None) -> Plan:
    config = config or entry.default_config
    files = listed_files(entry, config)
    result = Plan(entry.name, files, entry.version, config, manual=manual_dir is not None)
    if files:
        result.present = find_present(files, download_dir, manual_dir)
        result.wrong = manual_dir_mismatches(files, manual_dir, result.present)
    elif files is None:
        result.unknown_why = unknown_reason(entry)
        result.source_urls = source_urls(entry.source.module) if entry.source is not None else []
    return result


def _probe_urls(p: Plan) -> list[str]:
    """The URLs whose hosts a plan needs: its missing files', or, plan unknown, its source's URL literals."""
    return [f.url for f in p.missing] if p.files is not None else p.source_urls


def check_reachable(plans: Sequence[Plan], budget: float = REACH_SECONDS) -> None:
    """Fill each plan's `unreachable` with the hosts of its missing files (plan unknown: of the URLs
    in its builder's source) that do not answer."""
    urls: dict[str, str] = {}
    for p in plans:
        for url in _probe_urls(p):
            urls.setdefault(urlsplit(url).netloc, url)
    down = check_hosts(urls, budget) if urls else {}
    for p in plans:
        hosts = [urlsplit(url).netloc for url in _probe_urls(p)]
        p.unreachable = {host: down[host] for host in hosts if host in down}


def header(p: Plan) -> str:
    """`NAME VERSION` and the config built, as each plan starts."""
    return f"{p.name} {p.version}" + (f" (config {p.config})" if p.config else "")


def describe(p: Plan) -> list[str]:
    """The plan as lines for the console."""
    if p.files is None:
        lines = [f"{header(p)}: the plan is unknown: {p.unknown_why}"]
        if p.source_urls:
            lines.append(f"  URLs in its source: {', '.join(p.source_urls)}")
        lines += [f"  host {host} does not answer: {why}" for host, why in p.unreachable.items()]
        return lines
    if not p.files:
        return [f"{header(p)}: downloads nothing"]
    total = sum(f.size for f in p.files)
    lines = [
        f"{header(p)}: {len(p.files)} source file(s) listed, {human_size(total)}; "
        f"{len(p.present)} already present, {len(p.missing)} to download ({human_size(p.missing_bytes)})"
    ]  # free space: once, per file system, in the totals (describe_totals)
    for f in p.files:
        where = f"present: {p.present[f.url]}" if f.url in p.present else "to download"
        lines.append(f"  {f.url} ({human_size(f.size)}) {where}")
    for host, why in p.unreachable.items():
        lines.append(f"  host {host} does not answer: {why}")
    lines += [f"  refused: {why}" for why in p.wrong.values()]
    return lines


@dataclass(frozen=True)
class Need:
    """Bytes needed on one file system against its free space."""

    where: list[Path]
    needed: int
    free: int

    @property
    def fits(self) -> bool:
        return self.needed <= self.free


def _device(path: Path) -> tuple[int, Path]:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe.stat().st_dev, probe


def disk_needs(plans: Sequence[Plan], data_dir: Path, download_dir: Path) -> tuple[int, int, list[Need]]:
    """(bytes to download, bytes the builds need, per file system needs).

    Downloads land in the download dir; each build and its tarball in the data dir, estimated at twice
    its listed sources (the generated records are about the size of the sources, the tarball again).
    Plans that are unknown count nothing.
    """
    download = sum(p.missing_bytes for p in plans if p.files)
    build = 2 * sum(sum(f.size for f in p.files) for p in plans if p.files)
    needs: dict[int, Need] = {}
    for path, size in ((download_dir, download), (data_dir, build)):
        dev, probe = _device(path)
        old = needs.get(dev)
        where = [*old.where, path] if old else [path]
        needs[dev] = Need(where, (old.needed if old else 0) + size, shutil.disk_usage(probe).free)
    return download, build, list(needs.values())


def describe_totals(plans: Sequence[Plan], data_dir: Path, download_dir: Path) -> tuple[list[str], bool]:
    """The totals line(s) that end a --dry-run, and whether everything fits."""
    download, build, needs = disk_needs(plans, data_dir, download_dir)
    unknown = [p.name for p in plans if p.files is None]
    lines = [
        f"total: {len(plans)} build(s), {human_size(download)} to download, about {human_size(build)} for the "
        f"builds and tarballs (estimated: twice the sources)"
        + (f"; not counted, plan unknown: {', '.join(unknown)}" if unknown else "")
    ]
    for need in needs:
        places = " and ".join(str(p) for p in need.where)
        verdict = "fits" if need.fits else f"DOES NOT FIT: {human_size(need.needed - need.free)} short"
        lines.append(f"  {places}: needs {human_size(need.needed)}, {human_size(need.free)} free: {verdict}")
    return lines, all(need.fits for need in needs)


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
    """The build.py command that builds `entry` alone, with this run's -o, --config and --download-dir."""
    if entry.source is not None and entry.category == "local":
        return hint("build.py", "-lcs", str(entry.source.folder))
    if entry.version != entry.default:
        return hint("build.py", "-ds", f"{entry.name}:{entry.version}")
    return hint("build.py", "-ds", entry.name)


def prepare(
    entries: Sequence[CatalogEntry],
    data_dir: Path,
    download_dir: Path | None,
    manual_dir: Path | None,
    *,
    clean: bool = False,
    budget: float = REACH_SECONDS,
    is_stale: Callable[[CatalogEntry], bool] | None = None,
    config: str | None = None,
) -> list[Plan]:
    """Plans for the entries that will run `tfds build` (an existing build is reused, so not those,
    unless `is_stale` says it no longer matches the builder or options: dsbuild.build.reuse).

    Reads only; the reachability check of every missing file's host runs at once for all entries.
    """
    from dsbuild.artifact.built_dataset import find_built

    download_dir = download_dir if download_dir is not None else data_dir / "downloads"
    plans = []
    for entry in entries:
        built = None if clean or not data_dir.is_dir() else find_built(data_dir, entry.name, entry.version)
        if built is not None and not (is_stale is not None and is_stale(entry)):
            continue
        plans.append(plan(entry, download_dir, manual_dir, config))
    check_reachable(plans, budget)
    return plans


def check_sources(plans: Sequence[Plan], entries: Sequence[CatalogEntry]) -> None:
    """Raise SourcesUnreachableError naming, per dataset, the missing files and the offline command."""
    by_name = {e.name: e for e in entries}
    # TFDS would take a wrong --manual-dir copy and fail on its checksum after minutes: refuse it now.
    blocked = [p for p in plans if p.missing and (p.unreachable or p.wrong)]
    # Plan unknown: hosts named in the builder's source that do not answer would cost minutes of TFDS
    # retries. With --manual-dir the builder may not need them, so that is left to TFDS.
    unknown = [p for p in plans if p.files is None and p.unreachable and not p.manual]
    if blocked or unknown:
        hints = [offline_hint(p, rebuild_command(by_name[p.name])) for p in blocked]
        hints += [unknown_hint(p, by_name[p.name]) for p in unknown]
        raise SourcesUnreachableError(
            f"{len(blocked) + len(unknown)} dataset(s) cannot get their sources; nothing was built:\n"
            + "\n".join(hints)
        )


def unknown_hint(p: Plan, entry: CatalogEntry) -> str:
    """A plan-unknown builder whose source URLs do not answer: which, and what to do."""
    where = str(entry.source.module) if entry.source is not None else entry.name
    rows = "\n".join(f"    {host}: {why}" for host, why in p.unreachable.items())
    return (
        f"{p.name}: its downloads are not listed ({p.unknown_why}) and host(s) of the URLs in {where} "
        f"do not answer:\n{rows}\n"
        f"  fix the URLs (or list the sources in checksums.tsv: `{rebuild_command(entry)} --register-checksums` "
        f"once online), or give the files with --manual-dir DIR if the builder reads them from there"
    )
