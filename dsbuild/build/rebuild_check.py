"""`build.py --check`: rebuild a dataset from its recorded provenance and compare the bytes.

The target is a dataset name (its checksum file in the data dir), a tarball
(the checksum file beside it), a checksum file, or an `s3://` URL of one. Before
any build: no provenance is bad input (exit 2); another installed TensorFlow,
TFDS or protobuf, or another builder source, is a failure that says what to
install or fetch (exit 1). Then the builder is built in a temporary data dir
with the recorded options (sources from the download cache or --manual-dir),
packed, and compared. The user's data dir is only read (its download cache and
its tarball, to say what differs).
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsbuild.artifact.checksums import ChecksumRecord, read_checksum_file
from dsbuild.artifact.provenance import REQUIRED_SAME, builder_files, builder_source_sha256, installed_tools
from dsbuild.build.builders import check_builder_path
from dsbuild.build.catalog import CatalogEntry
from dsbuild.errors import ChecksumError, DsbuildError, UsageError
from dsbuild.log import log
from dsbuild.paths import CHECKSUM_SUFFIX, NAME_RE, TARBALL_SUFFIX, checksum_file_name


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
        import json

        from dsbuild.remote import s3, s3_transfer

        bucket, key = s3.parse_s3_url(target)
        client = s3.make_client()  # AWS_ENDPOINT_URL and the usual AWS settings apply, as for download.py
        data = s3_transfer.read_small_object(client, bucket, key)
        try:
            parsed = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ChecksumError(f"malformed checksum file {target}: not JSON ({exc})") from None
        return ChecksumRecord.from_json(parsed, source=f"checksum file {target}"), target
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


def check_inputs(provenance: dict[str, Any], folder: Path | None) -> None:
    """Raise NotReproducedError, before any build, when an installed tool or the builder source differs."""
    installed = installed_tools()
    problems = [
        f"{tool} {provenance['tools'].get(tool)} was used, {installed[tool]} is installed: "
        f"pip install {tool.replace('_', '-')}=={provenance['tools'].get(tool)}"
        for tool in REQUIRED_SAME
        if provenance["tools"].get(tool) != installed[tool]
    ]
    recorded = provenance["builder"]
    if recorded["source_sha256"] is not None:
        if folder is None:
            raise UsageError(f"{recorded['name']} is not a supported dataset: give its builder folder with -lcs PATH")
        now = builder_source_sha256(folder)
        if now != recorded["source_sha256"]:
            added = sorted(set(builder_files(folder)) - set(recorded["files"]))
            missing = sorted(set(recorded["files"]) - set(builder_files(folder)))
            detail = "; ".join(
                part
                for part in (
                    f"new files: {', '.join(added)}" if added else "",
                    f"missing files: {', '.join(missing)}" if missing else "",
                )
                if part
            )
            problems.append(
                f"builder source of {recorded['name']} differs: recorded sha256 {recorded['source_sha256']}, "
                f"{folder.name}/ has {now}{' (' + detail + ')' if detail else ' (a file changed)'}: "
                "fetch the builder version it was built with"
            )
    if problems:
        raise NotReproducedError("cannot reproduce, inputs differ:\n  " + "\n  ".join(problems))


def rebuild(
    record: ChecksumRecord,
    entry: CatalogEntry,
    data_dir: Path,
    manual_dir: Path | None,
    download_dir: Path | None,
) -> CheckResult:
    """Build `entry` in a temporary data dir with the recorded options, pack it, compare with `record`."""
    from dsbuild.build import pipeline
    from dsbuild.build.tfds_build import TfdsOptions

    provenance = record.provenance
    assert provenance is not None
    recorded = provenance["options"]
    with tempfile.TemporaryDirectory(prefix="dsbuild-check-") as tmp:
        options = pipeline.BuildOptions(
            data_dir=Path(tmp) / "data",
            compresslevel=recorded["compression_level"],
            tfds=TfdsOptions(
                manual_dir=manual_dir,
                download_dir=download_dir or _download_cache(data_dir),
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
            return CheckResult(sha256, True)
        return CheckResult(sha256, False, tuple(_differences(record, data_dir, options.data_dir, Path(tmp))))


def _download_cache(data_dir: Path) -> Path | None:
    """The data dir's download cache if there is one; never created there."""
    cache = data_dir / "downloads"
    return cache if cache.is_dir() else None


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
            elif (original / rel).read_bytes() != (rebuilt / rel).read_bytes():
                yield f"{rel}: differs"
                if first_example is None and ".tfrecord-" in rel:
                    first_example = _first_differing_record(original / rel, rebuilt / rel, rel)
    if first_example:
        yield first_example


def _records(path: Path) -> Iterator[bytes]:
    """The records of a TFRecord file (length, length crc, data, data crc), no TensorFlow needed."""
    with open(path, "rb") as f:
        while header := f.read(12):
            (length,) = struct.unpack("<Q", header[:8])
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
    check_inputs(provenance, entry.source.folder if entry and entry.source else None)
    assert entry is not None  # check_inputs refuses a folder-less custom builder
    log.info("rebuilding {} {} in a temporary data dir to compare with {}", record.name, record.version, source)
    return rebuild(record, entry, data_dir, manual_dir, download_dir)
