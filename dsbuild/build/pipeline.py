"""The build pipeline: resolve → check → `tfds build` → verify → pack.

`--pack-only` targets live in `dsbuild.build.pack_only`, `--list` in `dsbuild.build.listing`, the
dataset lock in `dsbuild.lock`.

Everything the user asked for is resolved and checked before any work starts,
so bad input fails fast (exit 2) and never after an hour of building.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from dsbuild.artifact.built_dataset import BuiltDataset, check_structure, find_built
from dsbuild.artifact.checksums import ChecksumRecord, read_checksum_file
from dsbuild.artifact.records import verify_built
from dsbuild.artifact.tarball import PackResult, pack
from dsbuild.build.beam import worker_env
from dsbuild.build.builders import check_builder_path
from dsbuild.build.catalog import CatalogEntry, lookup
from dsbuild.build.reuse import Verdict, judge
from dsbuild.build.tfds_build import (
    TfdsOptions,
    VerifyRequest,
    remove_incomplete_dirs,
    run_tfds_build,
    stop_all_builds,
    tfds_command,
    versioned_target,
)
from dsbuild.defaults import DEFAULT_COMPRESSION_LEVEL
from dsbuild.errors import (
    BuildCancelledError,
    ChecksumError,
    DsbuildError,
    UsageError,
    VerificationError,
)
from dsbuild.leftovers import remove_leftovers, remove_stale_temp_files
from dsbuild.lock import dataset_lock
from dsbuild.log import log
from dsbuild.paths import checksum_file_name, log_dir, tarball_name

LOCAL = "local"


@dataclass(frozen=True)
class BuildOptions:
    data_dir: Path
    clean: bool = False
    pack: bool = True
    verify_all: bool = False
    compresslevel: int = DEFAULT_COMPRESSION_LEVEL
    tfds: TfdsOptions = field(default_factory=TfdsOptions)
    command: tuple[str, ...] = ()  # the user's command line, for the provenance
    timeout: float | None = None  # seconds for each `tfds build` child


@dataclass(frozen=True)
class BuildOutcome:
    name: str
    version: str
    reused_build: bool
    packed: PackResult | None
    tarball_up_to_date: bool
    seconds: float
    tarball: Path | None = None
    checksum_file: Path | None = None


def resolve(catalog: dict[str, CatalogEntry], names: Sequence[str], local_paths: Sequence[str]) -> list[CatalogEntry]:
    """Catalog entries for -ds names (`all` for every one; NAME:VERSION for another buildable version)
    and checked -lcs paths, in order, deduplicated."""
    entries: list[CatalogEntry] = []
    for name in names:
        if name == "all":
            entries.extend(catalog.values())
        else:
            entries.append(lookup(catalog, name))
    for raw in local_paths:
        source = check_builder_path(Path(raw))
        entries.append(CatalogEntry(source.name, LOCAL, source.version, None, source, versions=source.versions))
    unique: dict[tuple[str, str], CatalogEntry] = {}
    for entry in entries:
        previous = next((e for (n, _), e in unique.items() if n == entry.name), None)
        if previous is not None and previous.tfds_target != entry.tfds_target:
            raise UsageError(
                f"two different builders are named {entry.name!r}: {previous.tfds_target} and {entry.tfds_target}; "
                "build them into different output directories"
            )
        unique[(entry.name, entry.version)] = entry
    return list(unique.values())


def clean(data_dir: Path, name: str, version: str) -> None:
    """Remove the old build of `name` at `version` (every config), its tarball and checksum file."""
    built = find_built(data_dir, name, version)
    if built is not None:
        log.info("--clean: removing {}", ", ".join(str(p) for p in built.version_dirs))
        built.remove()
    remove_incomplete_dirs(data_dir / name)
    for leftover in (data_dir / tarball_name(name, version), data_dir / checksum_file_name(name, version)):
        if leftover.exists():
            log.info("--clean: removing {}", leftover)
            leftover.unlink()


def up_to_date_record(data_dir: Path, built: BuiltDataset) -> ChecksumRecord | None:
    """The checksum record if the tarball and checksum file exist and agree in name, size and subdirs."""
    tarball = data_dir / tarball_name(built.name, built.version)
    checksum_path = data_dir / checksum_file_name(built.name, built.version)
    if not (tarball.is_file() and checksum_path.is_file()):
        return None
    try:
        record = read_checksum_file(checksum_path)
    except ChecksumError as exc:
        log.warning("{}; packing again", exc)
        return None
    if record.size != tarball.stat().st_size or list(record.subdirs) != built.subdirs:
        return None
    return record


def _check_cancel(cancel: threading.Event | None, name: str) -> None:
    if cancel is not None and cancel.is_set():
        raise BuildCancelledError(f"{name}: cancelled")


def _run_build(entry: CatalogEntry, options: BuildOptions) -> BuiltDataset:
    """Build `entry` fresh in a `tfds build` child (which also verifies it loads); the built dataset."""
    data_dir = options.data_dir
    tfds_options = options.tfds
    if entry.category != LOCAL and not tfds_options.register_checksums:
        # Supported armory datasets must match their recorded source checksums.
        tfds_options = replace(tfds_options, force_checksums_validation=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    log_path = log_dir(data_dir) / f"build-{entry.name}-{stamp}-{os.getpid()}.log"
    sys_path = None
    imports = None
    if entry.needs_version_argument:
        assert entry.source is not None
        target, imports, sys_path = versioned_target(entry.source.module, entry.name, entry.version)
        cmd = tfds_command(target, data_dir, tfds_options, imports=imports)
    else:
        cmd = tfds_command(entry.tfds_target, data_dir, tfds_options)
    verify = VerifyRequest(data_dir, entry.name, entry.version, options.verify_all, generate_as_module=imports)
    beam_flags = tfds_options.beam_flags
    env = worker_env(entry.tfds_target) if beam_flags else None
    seconds = run_tfds_build(
        cmd,
        log_path,
        data_dir / entry.name,
        verify=verify,
        sys_path=sys_path,
        beam_flags=beam_flags,
        env=env,
        timeout=options.timeout,
    )
    log.info("tfds build of {} finished and loaded in {:.1f} s", entry.name, seconds)
    built = find_built(data_dir, entry.name, entry.version)
    if built is None:  # the child checked it; something removed it since
        raise VerificationError(f"{entry.name} {entry.version} vanished from {data_dir} after its build")
    check_structure(built)
    return built


def build_one(entry: CatalogEntry, options: BuildOptions, cancel: threading.Event | None = None) -> BuildOutcome:
    """Build (or reuse), verify and pack one dataset under its lock; `cancel` stops it between steps."""
    start = time.monotonic()
    data_dir = options.data_dir
    _check_cancel(cancel, entry.name)
    if options.tfds.config is None and entry.default_config is not None:
        options = replace(options, tfds=replace(options.tfds, config=entry.default_config))
        log.info(
            "{}: building config {}, the one armory reads (--config NAME for another)", entry.name, entry.default_config
        )
    log.info("building {} {} ({})", entry.name, entry.version, entry.category)
    with dataset_lock(data_dir, entry.name):
        remove_stale_temp_files(data_dir / tarball_name(entry.name, entry.version))
        remove_leftovers(data_dir, entry.name)
        if options.clean:
            clean(data_dir, entry.name, entry.version)
        built = find_built(data_dir, entry.name, entry.version)
        reused = built is not None and (options.tfds.config is None or options.tfds.config in built.configs)
        repack = False
        verdict = Verdict(False)
        if reused:
            assert built is not None
            verdict = reuse_verdict(entry, options)
            where = ", ".join(map(str, built.version_dirs))
            if verdict.stale:
                log.warning(
                    "{} {}: not reusing the existing build {}: {}; building it again",
                    entry.name,
                    entry.version,
                    where,
                    "; ".join(verdict.stale),
                )
                built.remove()
                reused = False
            elif verdict.known:
                repack = verdict.repack
                log.info("reusing the existing build {}: same builder source and options (--clean builds fresh)", where)
            else:
                log.info(
                    "reusing the existing build {} without comparing it with the builder: {} (--clean builds fresh)",
                    where,
                    verdict.why,
                )
        if not reused:
            built = _run_build(entry, options)
        _check_cancel(cancel, entry.name)
        if reused:
            # The child verified a fresh build; a reused one is checked here.
            check_structure(built)
            verify_built(data_dir, built.subdirs, all_examples=options.verify_all)
        log.info("verified {} {}", built.name, built.version)
        _check_cancel(cancel, entry.name)
        if not options.pack:
            return BuildOutcome(entry.name, built.version, reused, None, False, time.monotonic() - start)
        record = up_to_date_record(data_dir, built) if reused and not repack else None
        if record is not None:
            log.debug("tarball {} is up to date", data_dir / record.tarball)
            return BuildOutcome(
                entry.name,
                built.version,
                reused,
                None,
                True,
                time.monotonic() - start,
                tarball=data_dir / record.tarball,
                checksum_file=data_dir / record.file_name,
            )
        # A build made in this run has a known provenance; a reused one repacked at another compression level
        # keeps its recorded one. Any other reused build may not match these options.
        provenance = None if reused else _provenance(entry, options)
        if repack and verdict.provenance is not None:
            recorded = verdict.provenance
            provenance = {**recorded, "options": {**recorded["options"], "compression_level": options.compresslevel}}
        packed = pack(
            data_dir,
            built.name,
            built.version,
            built.subdirs,
            compresslevel=options.compresslevel,
            cancel=cancel,
            provenance=provenance,
        )
        return BuildOutcome(
            entry.name,
            built.version,
            reused,
            packed,
            False,
            time.monotonic() - start,
            tarball=packed.tarball,
            checksum_file=packed.checksum_file,
        )


def reuse_verdict(entry: CatalogEntry, options: BuildOptions) -> Verdict:
    """Whether `entry`'s existing build in the data dir matches the builder and these options."""
    tfds = options.tfds
    return judge(
        entry,
        options.data_dir,
        config=tfds.config,
        file_format=tfds.file_format,
        max_examples_per_split=tfds.max_examples_per_split,
        compression_level=options.compresslevel,
    )


def _provenance(entry: CatalogEntry, options: BuildOptions) -> dict[str, Any]:
    from dsbuild.artifact.provenance import BuildInputs, collect

    tfds = options.tfds
    return collect(
        BuildInputs(
            name=entry.name,
            version=entry.version,
            folder=entry.source.folder if entry.source else None,
            config=tfds.config,
            file_format=tfds.file_format,
            compression_level=options.compresslevel,
            max_examples_per_split=tfds.max_examples_per_split,
            command=options.command,
        )
    )


@dataclass(frozen=True)
class BuildReport:
    """One dataset's result in a run of several: an outcome, or the error that stopped it."""

    entry: CatalogEntry
    seconds: float
    outcome: BuildOutcome | None = None
    error: DsbuildError | None = None


def _timed_build(entry: CatalogEntry, options: BuildOptions, cancel: threading.Event) -> BuildReport:
    start = time.monotonic()
    try:
        outcome = build_one(entry, options, cancel)
    except DsbuildError as exc:
        log.error("error: {}: {}", entry.name, exc)
        return BuildReport(entry, time.monotonic() - start, error=exc)
    return BuildReport(entry, time.monotonic() - start, outcome=outcome)


def build_many(entries: Sequence[CatalogEntry], options: BuildOptions, jobs: int = 1) -> list[BuildReport]:
    """Build every entry, `jobs` at a time, each in its own `tfds build` child.

    One failure does not stop the others. Ctrl-C or SIGTERM stops every child
    and pending build, waits for the workers to clean up, and is re-raised.
    """
    cancel = threading.Event()
    if jobs <= 1:
        return [_timed_build(entry, options, cancel) for entry in entries]
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="build") as pool:
        futures = [pool.submit(_timed_build, entry, options, cancel) for entry in entries]
        try:
            return [future.result() for future in futures]
        except BaseException:
            cancel.set()
            stop_all_builds()
            wait(futures)
            raise
