"""armory-testbed's published-checksum lines, both directions.

armory-testbed ships `armory/data/cached_s3_checksums/<name>.txt`, each holding
one line `BUCKET KEY SIZE SHA256` (whitespace-separated); its
`armory.data.utils.download_verify_dataset_cache` fetches
`https://BUCKET.s3.us-east-2.amazonaws.com/KEY`, checks size and sha256, extracts
the tarball (one top directory) and merges that directory into its dataset dir.
`upload.py --armory-checksums-dir DIR` writes such lines for what it publishes;
`download.py --armory-checksums` reads them. Every field is checked before it is
used as a key, a size or a path.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from dsbuild.defaults import ABSURD_BYTES
from dsbuild.errors import ChecksumError, UsageError, WriteError
from dsbuild.paths import NAME_RE, TARBALL_NAME_RE, check_name, create_new, temp_sibling
from dsbuild.untrusted import UntrustedInputError, parse_decimal, quote, read_regular

if TYPE_CHECKING:
    from dsbuild.artifact.checksums import ChecksumRecord

SUFFIX = ".txt"
# S3 bucket naming rules (lower-case letters, digits, '.', '-'), plus armory's "local" marker.
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_LINE_BYTES = 4096


@dataclass(frozen=True)
class ArmoryChecksum:
    """One published tarball as armory-testbed records it."""

    name: str  # from the file name `<name>.txt`
    bucket: str
    key: str
    size: int
    sha256: str

    @property
    def tarball(self) -> str:
        return PurePosixPath(self.key).name

    def line(self) -> str:
        return f"{self.bucket} {self.key} {self.size} {self.sha256}\n"


def _valid_key(key: str) -> bool:
    parts = key.split("/")
    return (
        not key.startswith("/")
        and all(p not in ("", ".", "..") for p in parts)
        and "\\" not in key
        and key.endswith(".tar.gz")
        and all(c.isprintable() and not c.isspace() for c in key)
    )


def parse_line(text: str, name: str, source: str) -> ArmoryChecksum:
    """The first line of an armory-testbed checksum file, validated (armory reads only that line)."""
    fields = text.strip().split("\n", 1)[0].split()
    if len(fields) != 4:
        raise ChecksumError(f"malformed armory checksum file {source}: expected 'BUCKET KEY SIZE SHA256'")
    bucket, key, size, sha256 = fields
    if not _BUCKET_RE.match(bucket):
        raise ChecksumError(f"malformed armory checksum file {source}: invalid bucket {quote(bucket)}")
    if not _valid_key(key):
        raise ChecksumError(
            f"malformed armory checksum file {source}: invalid key {quote(key)} (a relative .tar.gz key)"
        )
    try:
        # ASCII digits only: str.isdigit() would take '3³' or full-width digits, and int() a 5000-digit size.
        parsed_size = parse_decimal(size, "size", ABSURD_BYTES)
    except UntrustedInputError as exc:
        raise ChecksumError(f"malformed armory checksum file {source}: {exc}") from None
    if not _SHA256_RE.match(sha256.lower()):
        raise ChecksumError(f"malformed armory checksum file {source}: invalid sha256 {quote(sha256)}")
    return ArmoryChecksum(name, bucket, key, parsed_size, sha256.lower())


def read(path: Path, name: str | None = None) -> ArmoryChecksum:
    name = name or path.name.removesuffix(SUFFIX)
    try:
        data = read_regular(path, MAX_LINE_BYTES)
    except OSError as exc:
        raise UsageError(f"cannot read armory checksum file {str(path)!r}: {exc.strerror or exc}") from None
    except UntrustedInputError as exc:
        raise ChecksumError(f"armory checksum file: {exc} (it should hold one line)") from None
    return parse_line(data.decode("utf-8", errors="replace"), name, str(path))


def find(dir_or_file: Path, name: str) -> ArmoryChecksum:
    """`name`'s line from a directory of `<name>.txt` files (armory's `cached_s3_checksums/`) or one such file."""
    check_name(name)
    if dir_or_file.is_dir():
        path = dir_or_file / f"{name}{SUFFIX}"
        if not path.is_file():
            known = sorted(p.stem for p in dir_or_file.glob(f"*{SUFFIX}") if NAME_RE.match(p.stem))
            raise UsageError(
                f"no armory checksum file for {name!r} in {dir_or_file} ({len(known)} datasets there"
                + (f", e.g. {', '.join(known[:5])}" if known else "")
                + ")"
            )
        return read(path, name)
    if dir_or_file.is_file():
        if dir_or_file.name != f"{name}{SUFFIX}":
            raise UsageError(f"armory checksum file {dir_or_file} is not {name}{SUFFIX}: it would not be {name}'s")
        return read(dir_or_file, name)
    raise UsageError(f"--armory-checksums {str(dir_or_file)!r} is neither a directory nor a file")


def write(directory: Path, checksum: ArmoryChecksum) -> Path:
    """Write `<name>.txt` atomically into `directory` (created if needed); return its path."""
    path = directory / f"{checksum.name}{SUFFIX}"
    temp = temp_sibling(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with create_new(temp) as f:
            f.write(checksum.line().encode())
        os.replace(temp, path)
    except OSError as exc:
        raise WriteError(f"cannot write {str(path)!r}: {exc.strerror or exc}; check the directory") from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
    return path


def record_for(checksum: ArmoryChecksum, data_dir_hint: str = "the data dir") -> ChecksumRecord:
    """Our checksum record for an armory-published tarball: where it installs, and its size and sha256.

    The tarball holds one top directory, which armory-testbed merges into its
    dataset dir, so its loader finds `<name>/[<config>/]<version>`. That subdir
    is known when the key is our own `<name>-<version>.tar.gz`, or from the
    version (and config) armory-testbed's loader requests for `name`; otherwise
    the layout cannot be known and the dataset is refused.
    """
    from dsbuild.armory.loaders import loader_requests
    from dsbuild.artifact.checksums import ChecksumRecord

    if checksum.bucket == "local":
        raise UsageError(
            f"armory's checksum file for {checksum.name} names bucket 'local': the tarball {checksum.key} "
            "was never published, armory expects it in its cache directory"
        )
    ours = TARBALL_NAME_RE.match(checksum.tarball)
    if ours and ours["name"] == checksum.name:
        version, subdir = ours["version"], f"{checksum.name}/{ours['version']}"
    else:
        request = loader_requests().get(checksum.name)
        if request is None:
            raise UsageError(
                f"cannot place {checksum.tarball} ({checksum.name}): it is not named {checksum.name}-<version>.tar.gz "
                f"and armory-testbed has no loader for {checksum.name}, so the version directory its loaders would "
                f"look for in {data_dir_hint} is unknown; refused"
            )
        version = request.version
        subdir = "/".join(p for p in (checksum.name, request.config, version) if p)
    return ChecksumRecord(
        checksum.name,
        version,
        checksum.size,
        checksum.sha256,
        (subdir,),
        url=f"s3://{checksum.bucket}/{checksum.key}",
    )
