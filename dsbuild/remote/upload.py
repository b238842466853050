"""The upload workflow behind upload.py.

For each tarball: make sure its checksum file exists and matches it; upload the
tarball (verified, skipped when identical); then upload the checksum file, whose
`url` names the tarball's final `s3://bucket/key` and whose presence marks a
complete publication; then merge it into `cached_datasets.json`.

Light by contract: it never imports the build pipeline, the catalog or the
`tfds build` runner (a built directory is packed through `dsbuild.artifact.tarball.pack_built`).
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dsbuild.armory import checksum_lines
from dsbuild.artifact.built_dataset import from_directory
from dsbuild.artifact.checksums import (
    INDEX_FILE_NAME,
    ChecksumRecord,
    merge_index,
    read_checksum_file,
    write_checksum_file,
    write_json_atomic,
)
from dsbuild.artifact.tarball import pack_built
from dsbuild.defaults import Status
from dsbuild.errors import ChecksumError, DsbuildError, RemoteConflictError, UsageError
from dsbuild.log import log
from dsbuild.paths import (
    TARBALL_NAME_RE,
    TARBALL_SUFFIX,
    TEMP_MARK,
    checksum_file_name,
    dataset_ref,
    looks_like_path,
    tarball_name,
    temp_sibling,
)
from dsbuild.remote import s3, s3_transfer
from dsbuild.remote.location import RemoteOptions
from dsbuild.remote.published_provenance import conflict_with_provenance, describes_same_tarball, published_record

if TYPE_CHECKING:
    from boto3.s3.transfer import TransferConfig


@dataclass(frozen=True)
class UploadResult:
    name: str
    version: str
    tarball: Path
    size: int
    tarball_url: str
    checksum_url: str
    status: Status  # UPLOADED, UP_TO_DATE, DRY_RUN, DRY_RUN_PACK or FAILED
    checksum_status: Status | str = ""  # UPLOADED or UP_TO_DATE; "" in a dry run
    sha256: str = ""  # the tarball's; "" for a directory not packed yet (dry run)
    error: DsbuildError | None = None  # why it FAILED (already logged)
    seconds: float = 0.0


DRY_RUN = Status.DRY_RUN
DRY_RUN_PACK = Status.DRY_RUN_PACK
FAILED = Status.FAILED


def _parse_tarball_name(path: Path) -> tuple[str, str]:
    match = TARBALL_NAME_RE.match(path.name)
    if not match:
        raise UsageError(f"{str(path)!r} is not named like a dataset tarball (<name>-<MAJOR.MINOR.PATCH>.tar.gz)")
    return match["name"], match["version"]


def _is_published(tarball: Path) -> bool:
    name, version = _parse_tarball_name(tarball)
    checksum_file = tarball.with_name(checksum_file_name(name, version))
    if not checksum_file.is_file():
        return False
    try:
        return read_checksum_file(checksum_file).url is not None
    except ChecksumError:
        return False


def _dataset_tarballs(data_dir: Path) -> list[Path]:
    if not data_dir.is_dir():
        return []
    return sorted(
        p
        for p in data_dir.iterdir()
        if p.is_file() and not p.name.startswith(TEMP_MARK) and TARBALL_NAME_RE.match(p.name)
    )


def resolve_upload_targets(data_dir: Path, targets: Sequence[str], unpacked: list[Path] | None = None) -> list[Path]:
    """The tarballs named by `targets` (names, tarball paths, built dataset dirs), packing dirs first.

    No targets: every tarball in `data_dir` whose checksum file has no URL yet.
    With `unpacked` (a dry run), built directories are collected there instead of packed.
    """
    if not targets:
        found = [t for t in _dataset_tarballs(data_dir) if not _is_published(t)]
        return found  # none: upload.py says so
    tarballs: list[Path] = []
    for target in targets:
        path = Path(target).expanduser()
        ref = None if looks_like_path(target) else dataset_ref(target)
        if ref is not None:  # NAME, NAME:VERSION or NAME-VERSION, whatever the current directory holds
            matches = [p for p in _dataset_tarballs(data_dir) if _parse_tarball_name(p)[0] == ref[0]]
            matches = [p for p in matches if ref[1] in (None, _parse_tarball_name(p)[1])]
            if not matches:
                raise UsageError(
                    f"no tarball of {target!r} in {data_dir} ({target}-<version>{TARBALL_SUFFIX}); "
                    "build it first with build.py, or name the tarball's path"
                )
            tarballs.extend(matches)
        elif not looks_like_path(target):
            raise UsageError(
                f"{target!r} is not a dataset name (NAME, NAME:VERSION or NAME-VERSION); "
                f"to name a directory or tarball, write it as a path: {shlex.quote('./' + target)}"
            )
        elif path.is_file():
            _parse_tarball_name(path)
            tarballs.append(path.absolute())
        elif path.is_dir() and unpacked is not None:
            unpacked.append(path.absolute())
        elif path.is_dir():
            tarballs.append(_pack_directory(path))
        else:
            raise UsageError(f"{target!r} is neither a dataset name nor an existing tarball or built dataset directory")
    return list(dict.fromkeys(tarballs))


def _pack_directory(path: Path) -> Path:
    """Verify and pack a built dataset directory exactly as `build.py --pack-only` does."""
    return pack_built(from_directory(path)).tarball


def _subdirs_from_tarball(tarball: Path, name: str, version: str) -> tuple[str, ...]:
    """The subdirectories a tarball restores, read from its member names (no checksum file yet)."""
    import tarfile

    subdirs: dict[str, None] = {}
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in tar:
                parts = member.name.split("/")
                if len(parts) >= 2 and parts[0] == name:
                    if parts[1] == version:
                        subdirs[f"{name}/{version}"] = None
                    elif parts[1] == ".config":
                        subdirs[f"{name}/.config"] = None
                    elif len(parts) >= 3 and parts[2] == version:
                        subdirs[f"{name}/{parts[1]}/{version}"] = None
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise ChecksumError(f"{str(tarball)!r} is not a readable .tar.gz: {exc}") from None
    if not subdirs:
        raise ChecksumError(f"{str(tarball)!r} holds nothing under {name}/{version}/: not a dataset tarball")
    return tuple(subdirs)


def checked_record(tarball: Path, digest: s3_transfer.LocalDigest, create: bool = True) -> ChecksumRecord:
    """The tarball's checksum record: read and verified, or created when it is missing."""
    name, version = _parse_tarball_name(tarball)
    checksum_file = tarball.with_name(checksum_file_name(name, version))
    if checksum_file.exists():
        record = read_checksum_file(checksum_file)
        if (record.name, record.version) != (name, version):
            raise ChecksumError(
                f"checksum file {str(checksum_file)!r} describes {record.name} {record.version}, not {name} {version}"
            )
        if record.size != digest.size or record.sha256 != digest.sha256:
            raise ChecksumError(
                f"{str(tarball)!r} does not match its checksum file {str(checksum_file)!r} "
                f"(file: {digest.size} bytes, sha256 {digest.sha256}; checksum file: {record.size} bytes, "
                f"sha256 {record.sha256}); not publishing it: rebuild or repack it"
            )
        return record
    record = ChecksumRecord(
        name=name,
        version=version,
        size=digest.size,
        sha256=digest.sha256,
        subdirs=_subdirs_from_tarball(tarball, name, version),
    )
    if create:
        write_checksum_file(record, checksum_file.parent)
        log.info("wrote checksum file {}", checksum_file)
    return record


def upload(
    data_dir: Path, targets: Sequence[str], options: RemoteOptions, *, dry_run: bool = False, force: bool = False
) -> list[UploadResult]:
    """Publish the tarballs named by `targets`; see the module docstring for the order of events."""
    unpacked: list[Path] = []
    tarballs = resolve_upload_targets(data_dir, targets, unpacked if dry_run else None)
    results: list[UploadResult] = [_dry_run_pack(path, options) for path in unpacked]
    if not tarballs:
        return results
    config = s3_transfer.transfer_config()
    client = None
    if not dry_run:
        client = s3.make_client(options.endpoint_url)
        s3.check_bucket(client, options.tarball_bucket)
        if options.index_bucket != options.tarball_bucket:
            s3.check_bucket(client, options.index_bucket, "--checksum-bucket")
    published: list[ChecksumRecord] = []
    for tarball in tarballs:
        # One tarball's failure (a conflict, a tarball unlike its checksum file) is logged once and
        # recorded; the others are still published.
        started = time.monotonic()
        try:
            result, final = _upload_one(client, tarball, config, options, dry_run=dry_run, force=force)
        except DsbuildError as exc:
            log.error("error: {}", exc)
            name, version = _parse_tarball_name(tarball)
            result, final = UploadResult(name, version, tarball, 0, "", "", FAILED, error=exc), None
        results.append(replace(result, seconds=time.monotonic() - started))
        if final is not None:
            published.append(final)
    if not published:
        return results
    data_dir.mkdir(parents=True, exist_ok=True)
    index = merge_index(data_dir / INDEX_FILE_NAME, published)
    log.debug("{} now lists {} dataset(s)", data_dir / INDEX_FILE_NAME, len(index))
    return results


def _upload_one(
    client: s3.Client | None,
    tarball: Path,
    config: TransferConfig,
    options: RemoteOptions,
    *,
    dry_run: bool,
    force: bool,
) -> tuple[UploadResult, ChecksumRecord | None]:
    """Check one tarball against its checksum file, then (not in a dry run) publish both."""
    bucket, checksum_bucket = options.tarball_bucket, options.index_bucket
    log.debug("hashing {}", tarball)
    digest = s3_transfer.digest_for_upload(tarball, config)
    record = checked_record(tarball, digest, create=not dry_run)
    key = options.tarball_key(record.name, record.version)
    if dry_run or client is None:
        checksum_url = s3.s3_url(checksum_bucket, options.checksum_key(record.name, record.version))
        return (
            UploadResult(
                record.name,
                record.version,
                tarball,
                digest.size,
                s3.s3_url(bucket, key),
                checksum_url,
                DRY_RUN,
                sha256=digest.sha256,
            ),
            None,
        )
    try:
        status = s3_transfer.upload_file(
            client, tarball, bucket, key, digest, force=force, public=options.public, progress=options.progress
        )
    except RemoteConflictError as exc:
        remote = published_record(client, checksum_bucket, options.checksum_key(record.name, record.version))
        raise conflict_with_provenance(exc, record, remote) from None
    final = record.with_url(s3.s3_url(bucket, key))
    checksum_status, checksum_url = _publish_checksum_file(client, tarball, final, checksum_bucket, options, force)
    result = UploadResult(
        record.name,
        record.version,
        tarball,
        digest.size,
        final.url or "",
        checksum_url,
        status,
        checksum_status,
        sha256=digest.sha256,
    )
    return result, final


def _dry_run_pack(path: Path, options: RemoteOptions) -> UploadResult:
    """What a dry run reports for a built directory: it would be packed, then uploaded."""
    built = from_directory(path)
    return UploadResult(
        built.name,
        built.version,
        built.data_dir / tarball_name(built.name, built.version),
        0,
        s3.s3_url(options.tarball_bucket, options.tarball_key(built.name, built.version)),
        s3.s3_url(options.index_bucket, options.checksum_key(built.name, built.version)),
        DRY_RUN_PACK,
    )


def _publish_checksum_file(
    client: s3.Client,
    tarball: Path,
    record: ChecksumRecord,
    bucket: str,
    options: RemoteOptions,
    force: bool,
) -> tuple[str, str]:
    """Commit the publication: create the checksum file (with its URL) only if none is there, then read
    it back. Another run's checksum file for the same bytes is "up to date"; for other bytes a conflict
    naming their sha256. The local copy gets the URL only once it is published."""
    final_path = tarball.with_name(record.file_name)
    key = options.checksum_key(record.name, record.version)
    url = s3.s3_url(bucket, key)
    existing = published_record(client, bucket, key)
    # A byte-identical rebuild: the published checksum file already announces these bytes.
    if describes_same_tarball(record, existing):
        log.debug("{} is up to date", url)  # upload.py prints it once
        write_json_atomic(final_path, record.to_json())
        return Status.UP_TO_DATE, url
    data = (json.dumps(record.to_json(), indent=2, sort_keys=True) + "\n").encode("utf-8")
    created = existing is None and s3_transfer.put_if_absent(client, bucket, key, data, public=options.public)
    status: str = Status.UPLOADED if created else Status.UP_TO_DATE  # unless other bytes: checked below
    if not created and force and not describes_same_tarball(record, published_record(client, bucket, key)):
        log.warning("replacing {} (--force)", url)
        staged = temp_sibling(final_path)
        try:
            staged.write_bytes(data)
            digest = s3_transfer.digest_for_upload(staged)
            s3_transfer.upload_file(
                client, staged, bucket, key, digest, force=True, public=options.public, progress=False
            )
        finally:
            staged.unlink(missing_ok=True)
        status = Status.UPLOADED
    # Read back what the bucket now announces: the commit point is whichever checksum file is there.
    published = published_record(client, bucket, key)
    if not describes_same_tarball(record, published):
        other = f"sha256 {published.sha256}" if published is not None else "a checksum file that cannot be read"
        raise RemoteConflictError(
            f"conflict: {url} announces another tarball ({other}; local sha256 {record.sha256}); "
            "nothing of it was changed; pass --force to replace it"
        )
    if status == Status.UP_TO_DATE:
        log.info("{}: another upload published the same tarball first; up to date", url)
    write_json_atomic(final_path, record.to_json())
    return status, url


def write_armory_lines(
    directory: Path, results: Iterable[UploadResult], dry_run: bool = False
) -> list[tuple[Path, str]]:
    """armory-testbed's line for each published tarball, written to `<directory>/<name>.txt`.

    One file per dataset name, as armory keeps them: publishing two versions of
    one name in a run leaves the last one's line. A dry run writes nothing.
    """
    written: list[tuple[Path, str]] = []
    for result in results:
        if not result.sha256 or not result.tarball_url:
            continue  # a directory that a dry run would pack first: no digest yet
        bucket, key = s3.parse_s3_url(result.tarball_url)
        checksum = checksum_lines.ArmoryChecksum(result.name, bucket, key, result.size, result.sha256)
        path = (
            directory / f"{result.name}{checksum_lines.SUFFIX}"
            if dry_run
            else checksum_lines.write(directory, checksum)
        )
        written.append((path, checksum.line()))
    return written
