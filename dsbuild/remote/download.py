"""The download workflow behind download.py.

For each dataset: fetch the checksum file and check it describes what was asked
for; check free space; then either stream the tarball (when the checksum file
lists its files: hashed, decompressed and extracted as it arrives, every member
held to the list, size and sha256) or fetch it to a temporary file and check its size and sha256
first. Either way the extraction is guarded and staged beside the target within
the recorded (or default) limits, and only a result whose size and sha256 match
and that loads is renamed into place, and then recorded by its checksum file
(an install whose record was lost to a kill is recognised by its files and
recorded by the next run). A tarball from `--resume-above` on keeps its received
bytes in a partial file, which the next run reads back (checked, never trusted)
and completes with a Range request. Leftovers of interrupted runs for that
dataset are removed first, under its lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from dsbuild.artifact.checksums import ChecksumRecord, parse_json, read_checksum_file, write_checksum_file
from dsbuild.artifact.extract import (
    FileList,
    check_free_space,
    extract_stream,
    extract_tarball,
    extraction_limits,
)
from dsbuild.artifact.installed import ChangedLocallyError, describe, differences
from dsbuild.artifact.records import verify_built
from dsbuild.artifact.tar_guard import Limits
from dsbuild.defaults import DEFAULT_MAX_EXPANSION, DEFAULT_MAX_MEMBERS, Status
from dsbuild.errors import (
    ChecksumError,
    DsbuildError,
    ExtractError,
    NoSuchBucketError,
    RemoteNotFoundError,
    UnsafeArchiveError,
    UsageError,
)
from dsbuild.leftovers import partial_download_path, remove_leftovers
from dsbuild.lock import dataset_lock
from dsbuild.log import log
from dsbuild.options import hint
from dsbuild.paths import CHECKSUM_NAME_RE, CHECKSUM_SUFFIX, NAME_RE, NAME_VERSION_RE, dataset_ref, temp_sibling
from dsbuild.remote import s3, s3_transfer
from dsbuild.remote.location import RemoteOptions


@dataclass(frozen=True)
class DownloadResult:
    name: str
    version: str
    subdirs: tuple[str, ...]
    size: int
    status: Status  # DOWNLOADED, ALREADY_PRESENT, REPAIRED or FAILED
    source: str
    error: DsbuildError | None = None  # why it FAILED (already logged)
    seconds: float = 0.0


DOWNLOADED = Status.DOWNLOADED
ALREADY_PRESENT = Status.ALREADY_PRESENT
FAILED = Status.FAILED
REPAIRED = Status.REPAIRED


def _parse_record(data: bytes, source: str) -> ChecksumRecord:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ChecksumError(f"malformed checksum file {source}: not UTF-8 ({exc.reason})") from None
    return ChecksumRecord.from_json(parse_json(text, f"checksum file {source}"), source=f"checksum file {source}")


def _require_match(record: ChecksumRecord, source: str, name: str, version: str | None = None) -> ChecksumRecord:
    """The record, if it is the dataset (and version) that was asked for; else ChecksumError before any download."""
    wanted = name if version is None else f"{name} {version}"
    if record.name != name or (version is not None and record.version != version):
        raise ChecksumError(
            f"checksum file {source} describes {record.name} {record.version}, not {wanted}: refusing it"
        )
    return record


def _match_file_name(record: ChecksumRecord, source: str, file_name: str) -> ChecksumRecord:
    """A checksum file named by URL or path must be `<name>-<version>.json` of the dataset it describes."""
    match = CHECKSUM_NAME_RE.match(file_name)
    if not match:
        raise ChecksumError(f"{source} is not named <name>-<version>.json; refusing it")
    return _require_match(record, source, match["name"], match["version"])


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def published_versions(client: s3.Client, options: RemoteOptions, name: str) -> dict[str, str]:
    """Version -> checksum file key of every published version of `name`."""
    versions = {}
    for key in s3.list_keys(client, options.index_bucket, f"{options.prefix}{name}-"):
        match = CHECKSUM_NAME_RE.match(key[len(options.prefix) :])
        if match and match["name"] == name:
            versions[match["version"]] = key
    return versions


def sorted_versions(versions: Iterable[str]) -> list[str]:
    return sorted(versions, key=_version_key)


def find_checksum_key(client: s3.Client, options: RemoteOptions, name: str) -> str:
    """The checksum file key of the highest published version of `name`."""
    bucket = options.index_bucket
    listing_prefix = f"{options.prefix}{name}-"
    versions = published_versions(client, options, name)
    if not versions:
        raise RemoteNotFoundError(
            f"{name!r} was never published: no checksum file {s3.s3_url(bucket, listing_prefix)}<version>.json; "
            "check the name, -b/--checksum-bucket and --prefix"
        )
    return versions[max(versions, key=_version_key)]


def resolve_download_target(client: s3.Client, options: RemoteOptions, target: str) -> tuple[ChecksumRecord, str]:
    """(record, where it came from) for a name, name-version, checksum file path or s3:// URL."""
    if target.startswith("s3://"):
        bucket, key = s3.parse_s3_url(target)
        record = _parse_record(s3_transfer.read_small_object(client, bucket, key), target)
        return _match_file_name(record, target, key.rsplit("/", 1)[-1]), target
    ref = dataset_ref(target)
    if ref is not None and ref[1] is not None:
        target = f"{ref[0]}-{ref[1]}"  # NAME:VERSION, TFDS's spelling, is NAME-VERSION here
    if NAME_RE.match(target):
        key = find_checksum_key(client, options, target)
        url = s3.s3_url(options.index_bucket, key)
        record = _parse_record(s3_transfer.read_small_object(client, options.index_bucket, key), url)
        return _match_file_name(_require_match(record, url, target), url, key.rsplit("/", 1)[-1]), url
    match = NAME_VERSION_RE.match(target)
    if match:
        key = options.checksum_key(match["name"], match["version"])
        url = s3.s3_url(options.index_bucket, key)
        try:
            data = s3_transfer.read_small_object(client, options.index_bucket, key)
        except NoSuchBucketError:
            raise  # "the bucket does not exist" says more than "never published"
        except RemoteNotFoundError:
            raise RemoteNotFoundError(f"{target!r} was never published: {url} does not exist") from None
        return _require_match(_parse_record(data, url), url, match["name"], match["version"]), url
    path = Path(target).expanduser()
    if path.is_file() and path.name.endswith(CHECKSUM_SUFFIX):
        return _match_file_name(read_checksum_file(path), str(path), path.name), str(path)
    raise UsageError(
        f"{target!r} is not a dataset name (e.g. mnist or mnist-3.0.1), a checksum file path or an s3:// URL"
    )


def _tarball_location(record: ChecksumRecord, options: RemoteOptions) -> tuple[str, str]:
    if record.url:
        bucket, key = s3.parse_s3_url(record.url)
        if not key.endswith("/" + record.tarball) and key != record.tarball:
            raise ChecksumError(f"checksum file of {record.name} points at {record.url}, not at {record.tarball}")
        return bucket, key
    return options.tarball_bucket, options.tarball_key(record.name, record.version)


def _installed_record(data_dir: Path, record: ChecksumRecord) -> ChecksumRecord | None:
    local = data_dir / record.file_name
    if not local.is_file():
        return None
    try:
        return read_checksum_file(local)
    except ChecksumError:
        return None


# Tarballs from this size on keep their received bytes in a partial file, so an interrupted download resumes.
RESUME_ABOVE = 1 << 30


@dataclass(frozen=True)
class ExtractOptions:
    """Limits for tarballs whose checksum file records none (download.py --max-expansion / --max-members),
    and the size from which a download is resumable (--resume-above)."""

    max_expansion: float = DEFAULT_MAX_EXPANSION
    max_members: int = DEFAULT_MAX_MEMBERS
    resume_above: int = RESUME_ABOVE


def download(
    data_dir: Path,
    targets: Sequence[str],
    options: RemoteOptions,
    *,
    overwrite: bool = False,
    armory_checksums: Path | None = None,
    extract_options: ExtractOptions | None = None,
) -> list[DownloadResult]:
    """Fetch, verify and install each target. With `armory_checksums` (a `cached_s3_checksums/`
    directory or one `<name>.txt`), names are looked up in armory-testbed's checksum lines instead."""
    if not targets:
        raise UsageError("name at least one dataset to download")
    extract_options = extract_options or ExtractOptions()
    client = s3.make_client(options.endpoint_url, anonymous=options.public)
    results = []
    for target in targets:
        # One dataset's failure is logged once and recorded; the others are still downloaded.
        started = time.monotonic()
        try:
            location: tuple[str, str] | None = None
            if armory_checksums is not None:
                record, source, location = _resolve_armory(armory_checksums, target, data_dir)
            else:
                record, source = resolve_download_target(client, options, target)
            try:
                data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DsbuildError(f"cannot create the data dir {str(data_dir)!r}: {exc.strerror or exc}") from None
            with dataset_lock(data_dir, record.name):
                remove_leftovers(data_dir, record.name)
                result = _download_one(client, data_dir, record, source, options, overwrite, extract_options, location)
        except DsbuildError as exc:
            log.error("error: {}", exc)
            result = DownloadResult(target, "", (), 0, FAILED, target, error=exc)
        results.append(replace(result, seconds=time.monotonic() - started))
    return results


def _resolve_armory(checksums: Path, target: str, data_dir: Path) -> tuple[ChecksumRecord, str, tuple[str, str]]:
    from dsbuild.armory import checksum_lines as armory_checksums

    ref = dataset_ref(target)
    if ref is None or ref[1] is not None:
        raise UsageError(f"{target!r}: with --armory-checksums, name a dataset (armory keeps one version per name)")
    checksum = armory_checksums.find(checksums, ref[0])
    record = armory_checksums.record_for(checksum, str(data_dir))
    return record, f"armory checksum file for {ref[0]} ({checksums})", (checksum.bucket, checksum.key)


def _download_one(
    client: s3.Client,
    data_dir: Path,
    record: ChecksumRecord,
    source: str,
    options: RemoteOptions,
    overwrite: bool,
    extract_options: ExtractOptions,
    location: tuple[str, str] | None = None,
) -> DownloadResult:
    present = [sub for sub in record.subdirs if (data_dir / sub).exists()]
    if present:
        installed = _installed_record(data_dir, record)
        same = installed is not None and installed.sha256 == record.sha256 and len(present) == len(record.subdirs)
        # The data is checked, not only the checksum file: a file changed since it was installed shows here.
        diffs = differences(data_dir, installed) if same and installed and installed.files else []
        if same and not diffs:
            log.debug("{} {}: the checksum file in {} matches {}", record.name, record.version, data_dir, source)
            _drop_stale_partial(data_dir, record)
            return DownloadResult(record.name, record.version, record.subdirs, record.size, ALREADY_PRESENT, source)
        if not same and record.files:
            # A run killed between installing and recording leaves the published files without their
            # checksum file (or beside the one they replaced): recognised by their content, then recorded.
            unrecorded = differences(data_dir, record)
            if not unrecorded:
                _drop_stale_partial(data_dir, record)
                path = write_checksum_file(record, data_dir)
                log.info(
                    "{} {}: the installed files match {}, but {} was {}: rewrote it",
                    record.name,
                    record.version,
                    source,
                    path,
                    "missing or unreadable" if installed is None else "of another tarball",
                )
                return DownloadResult(record.name, record.version, record.subdirs, record.size, ALREADY_PRESENT, source)
            if installed is None and all(d.what == "missing" for d in unrecorded):
                # Only some subdirectories of an unrecorded install are there, each file the published one:
                # an install interrupted between its renames. Completing it replaces nothing but those files.
                overwrite = True
        again = _again(record, source, location is not None)
        if diffs and not overwrite:
            raise ChangedLocallyError(
                f"{describe(record, data_dir, diffs)}\nkept it: pass --overwrite to repair it (download it again): "
                f"{hint('download.py', '--overwrite', again)}"
            )
        if diffs:
            log.warning("{}", describe(record, data_dir, diffs))
        if not overwrite:
            raise DsbuildError(
                f"{data_dir / present[0]} already exists and is not the published {record.name} {record.version} "
                f"({source}); kept it: pass --overwrite to replace it: {hint('download.py', '--overwrite', again)}"
            )
    bucket, key = location or _tarball_location(record, options)
    limits = extraction_limits(record, record.size, extract_options.max_expansion, extract_options.max_members)
    try:
        partial = None
        if record.size >= extract_options.resume_above:
            partial = s3_transfer.Partial(partial_download_path(data_dir, record.tarball), record.sha256)
        files = _fetch_and_install(client, bucket, key, data_dir, record, overwrite, limits, options.progress, partial)
    except UnsafeArchiveError as exc:
        if location is None:
            raise
        raise UnsafeArchiveError(
            f"{exc}. An armory tarball must hold {record.subdirs[0]}/ under its one top directory "
            f"{record.name}/, where armory-testbed's loaders look; other layouts are refused"
        ) from None
    if not record.files:
        # Armory's lines (and older checksum files) give no file list: the installed copy's checksum file
        # records what the verified tarball held, so that --verify can compare every file later.
        record = replace(record, files=files)
    write_checksum_file(record, data_dir)
    status = REPAIRED if present and overwrite and diffs else DOWNLOADED
    return DownloadResult(record.name, record.version, record.subdirs, record.size, status, source)


def _again(record: ChecksumRecord, source: str, armory: bool) -> str:
    """The target a printed repair command names: the checksum file this run read, by URL or path, so it
    fetches the same thing (armory's lines know one version per name)."""
    if armory:
        return record.name
    if source.startswith("s3://"):
        return source
    if source.endswith(CHECKSUM_SUFFIX) and Path(source).is_file():
        return str(Path(source).absolute())
    return f"{record.name}-{record.version}"


def _drop_stale_partial(data_dir: Path, record: ChecksumRecord) -> None:
    """The bytes an interrupted download kept are of no use once the dataset is installed."""
    partial = s3_transfer.Partial(partial_download_path(data_dir, record.tarball), record.sha256)
    if partial.kept() or partial.meta.exists():
        partial.remove()
        log.debug("removed {}: {} {} is installed", partial.path, record.name, record.version)


def _fetch_and_install(
    client: s3.Client,
    bucket: str,
    key: str,
    data_dir: Path,
    record: ChecksumRecord,
    overwrite: bool,
    limits: Limits,
    progress: bool,
    partial: s3_transfer.Partial | None = None,
) -> FileList:
    """Download the tarball and install what it holds, once its size and sha256 match and it loads; returns
    the files installed (path, size, sha256), each hashed as it was written.

    With `partial`, the received bytes are also kept there until the dataset is installed, so that a run
    interrupted meanwhile is resumed by the next one from where its bytes stopped.
    """
    # The partial file grows to the tarball's size beside what is extracted.
    to_keep = record.size - partial.kept() if partial is not None else 0
    if record.files:
        # One pass: the response is hashed, decompressed and untarred as it arrives. Each member must be
        # one of the listed files with its listed size and sha256, so nothing unpublished is written even
        # before the tarball's sha256 is known. The tarball itself is stored only as a partial file.
        unpacked = record.uncompressed_bytes or sum(size for _, size, _ in record.files)
        check_free_space(data_dir, unpacked + to_keep, f"downloading {record.tarball}")
        url = s3.s3_url(bucket, key)

        def extract(stream: s3_transfer.ObjectStream) -> FileList:
            return extract_stream(
                stream,
                url,
                data_dir,
                record.subdirs,
                limits=limits,
                overwrite=overwrite,
                check=verify_built,
                expected=record,
            )

        files = s3_transfer.read_object(client, bucket, key, record.size, extract, progress=progress, partial=partial)
        if partial is not None:
            partial.remove()
        return files
    # Without a file list (armory's checksum files, older dsbuild's): two steps, the tarball to a file and
    # its sha256 checked before a byte of it is extracted. Both are on the data dir's file system.
    needed = (to_keep if partial is not None else record.size) + (record.uncompressed_bytes or 0)
    check_free_space(data_dir, needed, f"downloading {record.tarball}")
    staged = temp_sibling(data_dir / record.tarball)
    try:
        s3_transfer.download_file(
            client, bucket, key, staged, record.size, record.sha256, progress=progress, partial=partial
        )
        tarball = partial.path if partial is not None else staged
        try:
            files = extract_tarball(
                tarball, data_dir, record.subdirs, overwrite=overwrite, check=verify_built, limits=limits
            )
        except Exception as exc:
            if partial is not None and not isinstance(exc, ExtractError):
                partial.remove()  # verified bytes that were refused: no use resuming them
            raise
        if partial is not None:
            partial.remove()
        return files
    finally:
        staged.unlink(missing_ok=True)
