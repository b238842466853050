"""`build.py --check`: rebuild a dataset from its recorded provenance and compare the bytes.

The target is a dataset name (its checksum file in the data dir), a tarball
(the checksum file beside it), a checksum file, or an `s3://` URL of one. Before
any build: no provenance is bad input (exit 2); another installed TensorFlow,
TFDS or protobuf, or another builder source, is a failure that says what to
install or fetch (exit 1). Then the builder is built in a temporary data dir
with the recorded options (sources from the download cache or --manual-dir),
packed, and compared. The user's data dir is only read (its download cache and
its tarball, to say what differs; sources in its download cache are linked into
the temporary download dir, never written).

The record is outside input like any checksum file: its JSON is bounded, its
recorded options go through the checks the command line's go through, recorded
versions are shown quoted (and offered as `pip install` advice only when they
are plain version strings), and every list in a message is capped.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsbuild.artifact.checksums import ChecksumRecord, parse_json, read_checksum_file
from dsbuild.artifact.provenance import REQUIRED_SAME, builder_file_sha256s, builder_source_sha256, installed_tools
from dsbuild.build.builders import check_builder_path, check_config_defined
from dsbuild.build.catalog import CatalogEntry
from dsbuild.defaults import COMPRESSION_LEVELS
from dsbuild.errors import DsbuildError, InvalidNameError, UsageError
from dsbuild.log import log
from dsbuild.paths import CHECKSUM_SUFFIX, LOG_DIR, NAME_RE, TARBALL_SUFFIX, check_config, checksum_file_name
from dsbuild.untrusted import quote

# A version offered as `pip install NAME==V` advice: digits and dots, an optional pre/post/dev/local part.
PLAIN_VERSION_RE = re.compile(
    r"^[0-9]{1,6}(\.[0-9]{1,6}){0,4}((a|b|rc|\.post|\.dev)[0-9]{1,6}){0,3}(\+[a-z0-9.]{1,40})?\Z"
)
MAX_LISTED = 5  # file names shown in one line of a message; the rest are counted
MAX_DIFFERENCES = 20  # lines of "what differs" after a rebuild
FILE_FORMATS = ("tfrecord", "array_record")  # build.py's --file-format choices


class NotReproducedError(DsbuildError):
    """The rebuild, or an input it needs, differs from what was recorded."""


@dataclass(frozen=True)
class CheckResult:
    sha256: str
    reproduced: bool
    differences: tuple[str, ...] = ()


def load_target(target: str, data_dir: Path, catalog: dict[str, CatalogEntry]) -> tuple[ChecksumRecord, str]:
    """(checksum record, where it came from) for a name, tarball, checksum file or s3:// URL."""
    if target.startswith("s3://"):
        from dsbuild.remote import s3, s3_transfer

        bucket, key = s3.parse_s3_url(target)
        client = s3.make_client()  # AWS_ENDPOINT_URL and the usual AWS settings apply, as for download.py
        data = s3_transfer.read_small_object(client, bucket, key)
        source = f"checksum file {target}"
        return ChecksumRecord.from_json(parse_json(data, source), source=source), target
    path = Path(target).expanduser()
    if path.name.endswith(TARBALL_SUFFIX):
        path = path.with_name(path.name[: -len(TARBALL_SUFFIX)] + CHECKSUM_SUFFIX)
        if not path.is_file():
            raise UsageError(f"{target} cannot be checked: it has no checksum file {path.name} beside it")
    elif NAME_RE.match(target):  # a name is a name, whatever file the current directory holds
        if target in catalog:
            path = data_dir / checksum_file_name(target, catalog[target].version)
        else:
            found = sorted(data_dir.glob(f"{target}-*{CHECKSUM_SUFFIX}"))
            path = found[0] if len(found) == 1 else data_dir / f"{target}-VERSION{CHECKSUM_SUFFIX}"
        if not path.is_file():
            raise UsageError(f"{target} cannot be checked: no checksum file {path} (build or download it first)")
    if not path.is_file():
        raise UsageError(f"{target!r} is not a dataset name, tarball, checksum file or s3:// URL")
    return read_checksum_file(path), str(path)


def require_provenance(record: ChecksumRecord, source: str) -> dict[str, Any]:
    if record.provenance is None:
        raise UsageError(
            f"{record.name} {record.version} cannot be checked: {source} has no provenance (it was packed by an "
            "older dsbuild, or with --pack-only from a plain `tfds build`, so what it was built from is unknown)"
        )
    return record.provenance


def listed(items: list[str], limit: int = MAX_LISTED) -> str:
    """A few quoted names and how many more: a message stays short whatever a record holds."""
    shown = ", ".join(quote(item, 80) for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _tool_problem(tool: str, recorded: Any, installed: str) -> str:
    line = f"{tool} {quote(recorded)} was used, {installed} is installed"
    if isinstance(recorded, str) and PLAIN_VERSION_RE.match(recorded):
        return f"{line}: pip install {tool.replace('_', '-')}=={recorded}"
    return f"{line}: not a plain version string, so no install command is offered"


def check_options(provenance: dict[str, Any], entry: CatalogEntry | None, source: str) -> None:
    """The recorded build options, checked as build.py checks the same command-line options (UsageError)."""
    options = provenance["options"]

    def bad(option: str, value: Any, why: str) -> UsageError:
        return UsageError(f"{source} records {option} {quote(value)}, which build.py would refuse: {why}")

    config = options["config"]
    if config is not None:
        try:
            check_config(config)
        except InvalidNameError:
            raise bad("--config", config, "not a builder config name") from None
        if entry is not None and entry.source is not None:
            try:
                check_config_defined(entry.source, config)
            except UsageError as exc:
                raise bad("--config", config, str(exc)) from None
    if options["file_format"] not in FILE_FORMATS:
        raise bad("--file-format", options["file_format"], f"use one of {', '.join(FILE_FORMATS)}")
    if options["compression_level"] not in COMPRESSION_LEVELS:
        raise bad("--compression-level", options["compression_level"], "use 0..3")
    limit = options["max_examples_per_split"]
    if limit is not None and limit < 1:
        raise bad("--max-examples-per-split", limit, "it must be at least 1")


def check_inputs(provenance: dict[str, Any], folder: Path | None) -> None:
    """Raise NotReproducedError, before any build, when an installed tool or the builder source differs."""
    installed = installed_tools()
    problems = [
        _tool_problem(tool, provenance["tools"].get(tool), installed[tool])
        for tool in REQUIRED_SAME
        if provenance["tools"].get(tool) != installed[tool]
    ]
    recorded = provenance["builder"]
    if recorded["source_sha256"] is not None:
        if folder is None:
            raise UsageError(f"{recorded['name']} is not a supported dataset: give its builder folder with -lcs PATH")
        digests = builder_file_sha256s(folder)
        now = builder_source_sha256(folder, digests)
        if now != recorded["source_sha256"]:
            problems.append(
                f"builder source of {recorded['name']} differs: recorded sha256 {recorded['source_sha256']}, "
                f"{folder.name}/ has {now} ({_source_changes(recorded, digests)}): "
                "fetch the builder version it was built with"
            )
    if problems:
        raise NotReproducedError("cannot reproduce, inputs differ:\n  " + "\n  ".join(problems))


def _source_changes(recorded: dict[str, Any], digests: dict[str, str]) -> str:
    """Which builder files were added, removed or changed since the record, each list capped."""
    added = sorted(set(digests) - set(recorded["files"]))
    missing = sorted(set(recorded["files"]) - set(digests))
    parts = [f"new files: {listed(added)}" if added else "", f"missing files: {listed(missing)}" if missing else ""]
    recorded_digests = recorded.get("file_sha256")
    if recorded_digests is not None:
        changed = sorted(f for f, sha in digests.items() if f in recorded_digests and recorded_digests[f] != sha)
        parts.append(f"changed files: {listed(changed)}" if changed else "")
    elif not added and not missing:
        parts.append("a file changed; the record predates per-file digests, so which one is unknown")
    return "; ".join(part for part in parts if part)


def rebuild(
    record: ChecksumRecord,
    entry: CatalogEntry,
    data_dir: Path,
    manual_dir: Path | None,
    download_dir: Path | None,
) -> CheckResult:
    """Build `entry` in a temporary data dir with the recorded options, pack it, compare with `record`.

    Everything is written under one temporary directory, removed afterwards; on failure only its build
    log is kept there, so the path the error prints stays true.
    """
    from dsbuild.build import pipeline
    from dsbuild.build.tfds_build import TfdsOptions

    provenance = record.provenance
    assert provenance is not None
    recorded = provenance["options"]
    tmp = Path(tempfile.mkdtemp(prefix="dsbuild-check-"))
    try:
        cache = download_dir or data_dir / "downloads"
        downloads = _link_cache(cache, tmp / "downloads")
        if manual_dir is None and (cache / "manual").is_dir():
            manual_dir = cache / "manual"  # TFDS only reads a manual dir
        options = pipeline.BuildOptions(
            data_dir=tmp / "data",
            compresslevel=recorded["compression_level"],
            tfds=TfdsOptions(
                manual_dir=manual_dir,
                download_dir=downloads,
                config=recorded["config"],
                max_examples_per_split=recorded["max_examples_per_split"],
                file_format=None if recorded["file_format"] == "tfrecord" else recorded["file_format"],
                force_checksums_validation=bool(provenance["sources"]),
            ),
            command=tuple(provenance["command"]),
        )
        options.data_dir.mkdir()
        outcome = pipeline.build_one(entry, options)
        assert outcome.packed is not None
        sha256 = outcome.packed.record.sha256
        if sha256 == record.sha256:
            result = CheckResult(sha256, True)
        elif record.files and outcome.packed.record.files == record.files:
            # Every member is the same: what differs is the gzip layer (another compressor version or level).
            same = f"every file is byte-identical ({len(record.files)} files); only the tarball's gzip bytes differ"
            result = CheckResult(sha256, False, (same,))
        else:
            result = CheckResult(sha256, False, tuple(_capped(_differences(record, data_dir, options.data_dir, tmp))))
    except BaseException:
        _keep_only_logs(tmp)
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    return result


def _link_cache(cache: Path, into: Path) -> Path:
    """A download dir of our own holding the cache's downloaded files (symlinked: read, never written).

    TFDS extracts into its download dir and rewrites `.INFO` files, so only the downloaded files themselves
    are linked; `.INFO` files are copied and `extracted/` is left for TFDS to fill in `into`.
    """
    into.mkdir()
    try:
        entries = list(os.scandir(cache))
    except OSError:
        return into
    for item in entries:
        if not item.is_file(follow_symlinks=False) or ".tmp." in item.name:
            continue
        if item.name.endswith(".INFO"):
            shutil.copyfile(item.path, into / item.name)
        else:
            os.symlink(item.path, into / item.name)
    return into


def _keep_only_logs(tmp: Path) -> None:
    """Remove a failed check's temporary files except its build logs (the error names them)."""
    logs = tmp / "data" / LOG_DIR
    for level, keep in ((tmp, "data"), (tmp / "data", LOG_DIR)):
        for child in list(level.iterdir()) if level.is_dir() else []:
            if child.name == keep:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)  # removes links inside, never their targets
            else:
                child.unlink(missing_ok=True)
    if logs.is_dir() and any(logs.iterdir()):
        log.info("the failed check's build log is kept in {}", logs)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def _capped(lines: Iterator[str]) -> Iterator[str]:
    for count, line in enumerate(lines):
        if count == MAX_DIFFERENCES:
            rest = sum(1 for _ in lines)
            yield f"... and {rest + 1} more"
            return
        yield line


def _original_dir(record: ChecksumRecord, data_dir: Path, scratch: Path) -> Path | None:
    """A data dir holding the original build: the local tarball extracted, or the build in data_dir."""
    from dsbuild.artifact.extract import extract_tarball

    tarball = data_dir / record.tarball
    if tarball.is_file():
        try:
            extract_tarball(tarball, scratch / "original", record.subdirs, expected=record)
            return scratch / "original"
        except DsbuildError as exc:
            log.warning("cannot use {}: {}", tarball, exc)
    if all((data_dir / sub).is_dir() for sub in record.subdirs):
        return data_dir
    return None


def _differences(record: ChecksumRecord, data_dir: Path, rebuilt: Path, scratch: Path) -> Iterator[str]:
    original = _original_dir(record, data_dir, scratch)
    if original is None:
        yield f"(no local copy of {record.tarball} or its build in {data_dir} to compare files with)"
        return
    first_example = None
    for sub in record.subdirs:
        old = {p.relative_to(original).as_posix() for p in (original / sub).rglob("*") if p.is_file()}
        new = {p.relative_to(rebuilt).as_posix() for p in (rebuilt / sub).rglob("*") if p.is_file()}
        for rel in sorted(old | new):
            if rel not in new or rel not in old:
                yield f"{rel}: only in the {'original' if rel in old else 'rebuild'}"
            elif not filecmp.cmp(original / rel, rebuilt / rel, shallow=False):
                yield f"{rel}: differs"
                if first_example is None and ".tfrecord-" in rel:
                    first_example = _first_differing_record(original / rel, rebuilt / rel, rel)
    if first_example:
        yield first_example


def _records(path: Path) -> Iterator[bytes]:
    """The records of a TFRecord file (length, length crc, data, data crc), no TensorFlow, CRCs not checked
    (a damaged record is a difference to show); a length past the end of the file ends the walk."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        while len(header := f.read(12)) == 12:
            (length,) = struct.unpack("<Q", header[:8])
            if f.tell() + length + 4 > size:
                return
            yield f.read(length)
            f.read(4)


def _first_differing_record(old: Path, new: Path, rel: str) -> str:
    for index, (a, b) in enumerate(zip(_records(old), _records(new), strict=False)):
        if a != b:
            return f"first differing example: {rel} record {index} ({len(a)} bytes original, {len(b)} rebuilt)"
    return f"first differing example: {rel}: the record counts differ"


def check(
    target: str,
    data_dir: Path,
    catalog: dict[str, CatalogEntry],
    local_folder: Path | None = None,
    manual_dir: Path | None = None,
    download_dir: Path | None = None,
) -> CheckResult:
    """Check `target`; raise UsageError (no provenance) or NotReproducedError (inputs differ) before building."""
    record, source = load_target(target, data_dir, catalog)
    provenance = require_provenance(record, source)
    if local_folder is not None:
        builder = check_builder_path(local_folder)
        entry = CatalogEntry(builder.name, "local", builder.version, builder.version, builder)
    elif record.name in catalog:
        entry = catalog[record.name]
    else:
        entry = None
    if entry is not None and (entry.name, entry.version) != (record.name, record.version):
        raise NotReproducedError(
            f"the builder here is {entry.name} {entry.version}; {source} was built by {record.name} {record.version}"
        )
    check_options(provenance, entry, source)
    check_inputs(provenance, entry.source.folder if entry and entry.source else None)
    assert entry is not None  # check_inputs refuses a folder-less custom builder
    log.info("rebuilding {} {} in a temporary data dir to compare with {}", record.name, record.version, source)
    return rebuild(record, entry, data_dir, manual_dir, download_dir)
