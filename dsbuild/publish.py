"""Publication: the upload and download workflows behind upload.py and download.py.

Upload, for each tarball: make sure its checksum file exists and matches it;
upload the tarball (verified, skipped when identical); then upload the checksum
file, whose `url` names the tarball's final `s3://bucket/key` and whose presence
marks a complete publication; then merge it into `cached_datasets.json`.

Download, for each dataset: fetch the checksum file, then the tarball to a
temporary file; check size, then sha256; extract safely beside the target, check
the result loads, and rename it into place.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dsbuild import s3
from dsbuild.archive import extract_tarball
from dsbuild.built_dataset import check_loads, from_directory
from dsbuild.checksums import (
    INDEX_FILE_NAME,
    ChecksumRecord,
    merge_index,
    read_checksum_file,
    write_checksum_file,
    write_json_atomic,
)
from dsbuild.errors import ChecksumError, DsbuildError, RemoteNotFoundError, UsageError
from dsbuild.log import log
from dsbuild.paths import (
    CHECKSUM_NAME_RE,
    CHECKSUM_SUFFIX,
    NAME_RE,
    NAME_VERSION_RE,
    TARBALL_NAME_RE,
    TARBALL_SUFFIX,
    TEMP_MARK,
    checksum_file_name,
    tarball_name,
    temp_sibling,
)
from dsbuild.pipeline import dataset_lock, pack_built

PRIVATE_BUCKET = "armory-private-data"
PUBLIC_BUCKET = "armory-public-data"
DEFAULT_PREFIX = "datasets/"


@dataclass(frozen=True)
class RemoteOptions:
    bucket: str | None = None  # None: armory's private (or, with public, public) bucket
    checksum_bucket: str | None = None  # None: the same bucket
    prefix: str = DEFAULT_PREFIX
    endpoint_url: str | None = None
    public: bool = False
    progress: bool = True

    @property
    def tarball_bucket(self) -> str:
        return self.bucket or (PUBLIC_BUCKET if self.public else PRIVATE_BUCKET)

    @property
    def index_bucket(self) -> str:
        return self.checksum_bucket or self.tarball_bucket

    def tarball_key(self, name: str, version: str) -> str:
        return f"{self.prefix}{tarball_name(name, version)}"

    def checksum_key(self, name: str, version: str) -> str:
        return f"{self.prefix}{checksum_file_name(name, version)}"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # unreachable; keeps type checkers content


# ================================================================ upload


@dataclass(frozen=True)
class UploadResult:
    name: str
    version: str
    tarball: Path
    size: int
    tarball_url: str
    checksum_url: str
    status: str  # s3.UPLOADED, s3.UP_TO_DATE, or DRY_RUN
    checksum_status: str = ""


DRY_RUN = "dry run"
DRY_RUN_PACK = "dry run, pack first"


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
        if not found:
            log.info("no unpublished tarballs in {}", data_dir)
        return found
    tarballs: list[Path] = []
    for target in targets:
        path = Path(target).expanduser()
        if NAME_RE.match(target) and not path.exists():
            matches = [p for p in _dataset_tarballs(data_dir) if _parse_tarball_name(p)[0] == target]
            if not matches:
                raise UsageError(
                    f"no tarball of {target!r} in {data_dir} ({target}-<version>{TARBALL_SUFFIX}); "
                    "build it first with build.py, or name the tarball's path"
                )
            tarballs.extend(matches)
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


def checked_record(tarball: Path, digest: s3.LocalDigest, create: bool = True) -> ChecksumRecord:
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
    bucket, checksum_bucket = options.tarball_bucket, options.index_bucket
    results: list[UploadResult] = [_dry_run_pack(path, options) for path in unpacked]
    if not tarballs:
        return results
    config = s3.transfer_config()
    prepared = []
    for tarball in tarballs:
        log.debug("hashing {}", tarball)
        digest = s3.digest_for_upload(tarball, config)
        prepared.append((tarball, digest, checked_record(tarball, digest, create=not dry_run)))
    if dry_run:
        for tarball, digest, record in prepared:
            results.append(
                UploadResult(
                    record.name,
                    record.version,
                    tarball,
                    digest.size,
                    s3.s3_url(bucket, options.tarball_key(record.name, record.version)),
                    s3.s3_url(checksum_bucket, options.checksum_key(record.name, record.version)),
                    DRY_RUN,
                )
            )
        return results
    client = s3.make_client(options.endpoint_url)
    s3.check_bucket(client, bucket)
    if checksum_bucket != bucket:
        s3.check_bucket(client, checksum_bucket, "--checksum-bucket")
    published = []
    for tarball, digest, record in prepared:
        key = options.tarball_key(record.name, record.version)
        status = s3.upload_file(
            client, tarball, bucket, key, digest, force=force, public=options.public, progress=options.progress
        )
        final = record.with_url(s3.s3_url(bucket, key))
        checksum_status, checksum_url = _publish_checksum_file(client, tarball, final, checksum_bucket, options, force)
        published.append(final)
        results.append(
            UploadResult(
                record.name,
                record.version,
                tarball,
                digest.size,
                final.url or "",
                checksum_url,
                status,
                checksum_status,
            )
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    index = merge_index(data_dir / INDEX_FILE_NAME, published)
    log.debug("{} now lists {} dataset(s)", data_dir / INDEX_FILE_NAME, len(index))
    return results


def _dry_run_pack(path: Path, options: RemoteOptions) -> UploadResult:
    """What a dry run reports for a built directory: it would be packed, then uploaded."""
    from dsbuild.built_dataset import from_directory

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
    """Upload the checksum file (with its URL) last; the local copy gets the URL only once it is published."""
    final_path = tarball.with_name(record.file_name)
    key = options.checksum_key(record.name, record.version)
    staged = temp_sibling(final_path)
    try:
        write_json_atomic(staged, record.to_json())
        digest = s3.digest_for_upload(staged)
        status = s3.upload_file(client, staged, bucket, key, digest, force=force, public=options.public, progress=False)
        staged.replace(final_path)
    finally:
        staged.unlink(missing_ok=True)
    return status, s3.s3_url(bucket, key)


# ================================================================ download


@dataclass(frozen=True)
class DownloadResult:
    name: str
    version: str
    subdirs: tuple[str, ...]
    size: int
    status: str  # DOWNLOADED or ALREADY_PRESENT
    source: str


DOWNLOADED = "downloaded"
ALREADY_PRESENT = "already present"
MAX_CHECKSUM_FILE = s3.CHECKSUM_FILE_MAX_BYTES


def _parse_record(data: bytes, source: str) -> ChecksumRecord:
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChecksumError(f"malformed checksum file {source}: not JSON ({exc})") from None
    return ChecksumRecord.from_json(parsed, source=f"checksum file {source}")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def find_checksum_key(client: s3.Client, options: RemoteOptions, name: str) -> str:
    """The checksum file key of the highest published version of `name`."""
    bucket = options.index_bucket
    listing_prefix = f"{options.prefix}{name}-"
    versions = {}
    for key in s3.list_keys(client, bucket, listing_prefix):
        match = CHECKSUM_NAME_RE.match(key[len(options.prefix) :])
        if match and match["name"] == name:
            versions[match["version"]] = key
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
        return _parse_record(s3.read_small_object(client, bucket, key), target), target
    if NAME_RE.match(target):
        key = find_checksum_key(client, options, target)
        url = s3.s3_url(options.index_bucket, key)
        return _parse_record(s3.read_small_object(client, options.index_bucket, key), url), url
    match = NAME_VERSION_RE.match(target)
    if match:
        key = options.checksum_key(match["name"], match["version"])
        url = s3.s3_url(options.index_bucket, key)
        try:
            data = s3.read_small_object(client, options.index_bucket, key)
        except RemoteNotFoundError:
            raise RemoteNotFoundError(f"{target!r} was never published: {url} does not exist") from None
        return _parse_record(data, url), url
    path = Path(target).expanduser()
    if path.is_file() and path.name.endswith(CHECKSUM_SUFFIX):
        return read_checksum_file(path), str(path)
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


def download(
    data_dir: Path, targets: Sequence[str], options: RemoteOptions, *, overwrite: bool = False
) -> list[DownloadResult]:
    if not targets:
        raise UsageError("name at least one dataset to download")
    client = s3.make_client(options.endpoint_url, anonymous=options.public)
    resolved = [resolve_download_target(client, options, t) for t in targets]
    data_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for record, source in resolved:
        with dataset_lock(data_dir, record.name):
            results.append(_download_one(client, data_dir, record, source, options, overwrite))
    return results


def _download_one(
    client: s3.Client,
    data_dir: Path,
    record: ChecksumRecord,
    source: str,
    options: RemoteOptions,
    overwrite: bool,
) -> DownloadResult:
    present = [sub for sub in record.subdirs if (data_dir / sub).exists()]
    if present:
        installed = _installed_record(data_dir, record)
        if installed is not None and installed.sha256 == record.sha256 and len(present) == len(record.subdirs):
            log.info("{} {} is already present in {} and matches {}", record.name, record.version, data_dir, source)
            return DownloadResult(record.name, record.version, record.subdirs, record.size, ALREADY_PRESENT, source)
        if not overwrite:
            raise DsbuildError(
                f"{data_dir / present[0]} already exists and is not the published {record.name} {record.version} "
                f"({source}); kept it: pass --overwrite to replace it"
            )
    bucket, key = _tarball_location(record, options)
    staged = temp_sibling(data_dir / record.tarball)
    try:
        s3.download_file(client, bucket, key, staged, record.size, record.sha256, progress=options.progress)
        extract_tarball(staged, data_dir, record.subdirs, overwrite=overwrite, check=check_loads)
    finally:
        staged.unlink(missing_ok=True)
    write_checksum_file(record, data_dir)
    return DownloadResult(record.name, record.version, record.subdirs, record.size, DOWNLOADED, source)
