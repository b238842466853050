"""An installed dataset compared file by file with what its tarball held.

The checksum file beside the data (written by packing or by download.py) lists
every file of the tarball with its size and sha256. Comparing re-reads every
installed file: a changed byte, a missing or an added file is reported by
path. Checking the data, not only the checksum file, is what lets
`download.py NAME` notice a dataset changed after it was installed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from dsbuild.artifact.checksums import CHUNK_SIZE, ChecksumRecord, read_checksum_file
from dsbuild.errors import ChecksumError, DsbuildError, NotBuiltError
from dsbuild.options import given, hint
from dsbuild.paths import (
    CHECKSUM_NAME_RE,
    CONFIG_METADATA_DIR,
    NAME_RE,
    NAME_VERSION_RE,
    VERSION_RE,
    checksum_file_name,
    tarball_name,
)


class ChangedLocallyError(DsbuildError):
    """The installed files differ from what the tarball held (exit 1)."""


class UnrecordedError(DsbuildError):
    """A dataset is installed but has no checksum file to compare it with (exit 1)."""


@dataclass(frozen=True)
class Difference:
    path: str  # relative to the data dir
    what: str  # "missing", "added" or "changed: ..."

    def __str__(self) -> str:
        return f"{self.what}: {self.path}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def differences(data_dir: Path, record: ChecksumRecord) -> list[Difference]:
    """Every way the files under the record's subdirs differ from the record's file list."""
    if not record.files:
        raise ChecksumError(
            f"the checksum file of {record.name} {record.version} lists no files (it was installed by an older "
            f"dsbuild, before installs recorded their files): nothing to compare with; download it again with: "
            f"{repair_command(record)}"
        )
    expected = {path: (size, sha) for path, size, sha in record.files}
    found: dict[str, Path] = {}
    for sub in record.subdirs:
        root = data_dir / sub
        if root.is_dir():
            found.update({p.relative_to(data_dir).as_posix(): p for p in root.rglob("*") if not p.is_dir()})
    diffs = [Difference(path, "missing") for path in sorted(expected.keys() - found.keys())]
    diffs += [Difference(path, "added") for path in sorted(found.keys() - expected.keys())]
    for path in sorted(expected.keys() & found.keys()):
        size, sha = expected[path]
        local = found[path]
        actual = local.stat().st_size if local.is_file() else -1
        if actual != size:
            diffs.append(Difference(path, f"changed: {actual} bytes, the tarball held {size}"))
        elif _sha256(local) != sha:
            diffs.append(Difference(path, "changed: same size, another sha256"))
    return sorted(diffs, key=lambda d: d.path)


def repair_command(record: ChecksumRecord) -> str:
    """download.py --overwrite of exactly what was installed: this run's -o and bucket options, and, when no
    bucket was given, the checksum file beside the published tarball it recorded (the default bucket may not
    be where it came from). A tarball not named as ours came from armory's checksum lines: no checksum file
    of ours is beside it, so the command reads those lines again."""
    target = f"{record.name}-{record.version}"
    ours = tarball_name(record.name, record.version)
    if record.url and record.url.startswith("s3://") and not record.url.endswith("/" + ours):
        # Before this run's options: a value-less --armory-checksums then meets an option, not the name.
        words = [record.name] if given("--armory-checksums") else [record.name, "--armory-checksums"]
        return _endpoint_note(hint("download.py", "--overwrite", *words), record.url)
    if record.url and record.url.endswith("/" + ours) and not (given("-b") or given("--checksum-bucket")):
        target = record.url.removesuffix(ours) + checksum_file_name(record.name, record.version)
    return _endpoint_note(hint("download.py", "--overwrite", target), target)


def _endpoint_note(command: str, source: str) -> str:
    if source.startswith("s3://") and not given("--endpoint-url") and not os.environ.get("AWS_ENDPOINT_URL"):
        # The checksum file records the bucket, not the server: say so rather than imply AWS S3.
        command += "\n  (if it came from an S3 server other than AWS, add its --endpoint-url to that command)"
    return command


def describe(record: ChecksumRecord, data_dir: Path, diffs: list[Difference], limit: int = 20) -> str:
    lines = [f"{record.name} {record.version} in {data_dir} differs from its tarball in {len(diffs)} file(s):"]
    lines += [f"  {d}" for d in diffs[:limit]]
    if len(diffs) > limit:
        lines.append(f"  ... and {len(diffs) - limit} more")
    return "\n".join(lines)


def find_installed_record(data_dir: Path, target: str) -> ChecksumRecord:
    """The checksum file in `data_dir` of NAME (its highest version there) or NAME-VERSION."""
    match = NAME_VERSION_RE.match(target)
    if match:
        path = data_dir / checksum_file_name(match["name"], match["version"])
    elif NAME_RE.match(target):
        found = {}
        if data_dir.is_dir():
            for p in data_dir.iterdir():
                m = CHECKSUM_NAME_RE.match(p.name)
                if m and m["name"] == target:
                    found[tuple(int(x) for x in m["version"].split("."))] = p
        if not found:
            raise NotBuiltError(f"{target} is not installed in {data_dir}: no {target}-<version>.json there")
        path = found[max(found)]
    else:
        raise NotBuiltError(f"{target!r} is not a dataset name (e.g. mnist or mnist-3.0.1)")
    if not path.is_file():
        raise NotBuiltError(f"{target} is not installed in {data_dir}: no {path.name} there")
    return read_checksum_file(path)


def unrecorded_versions(data_dir: Path, name: str) -> list[str]:
    """`name/VERSION` and `name/CONFIG/VERSION` directories in `data_dir`, whether recorded or not."""
    root = data_dir / name
    if not NAME_RE.match(name) or not root.is_dir():
        return []
    found = []
    for child in sorted(root.iterdir()):
        if not child.is_dir() or child.is_symlink():
            continue
        if VERSION_RE.match(child.name):
            found.append(f"{name}/{child.name}")
        elif child.name != CONFIG_METADATA_DIR:
            found += [f"{name}/{child.name}/{v.name}" for v in sorted(child.iterdir()) if VERSION_RE.match(v.name)]
    return found


def verify_installed(data_dir: Path, target: str) -> tuple[ChecksumRecord, int]:
    """(record, files checked) when every file matches; ChangedLocallyError naming the differences."""
    try:
        record = find_installed_record(data_dir, target)
    except NotBuiltError:
        match = NAME_VERSION_RE.match(target)
        name, version = (match["name"], match["version"]) if match else (target, None)
        there = [sub for sub in unrecorded_versions(data_dir, name) if version is None or sub.endswith("/" + version)]
        if not there:
            raise
        # Installed but never recorded: a download killed between its install and its checksum file.
        spec = f"{name}-{version}" if version else name
        raise UnrecordedError(
            f"{spec} is installed in {data_dir} ({', '.join(there[:3])}) but its checksum file is missing, so "
            f"there is nothing to compare it with (a download interrupted before it was recorded?): run "
            f"python download.py {spec} to compare it with the published file list and record it"
        ) from None
    diffs = differences(data_dir, record)
    if diffs:
        raise ChangedLocallyError(describe(record, data_dir, diffs) + f"\nrepair it with: {repair_command(record)}")
    return record, len(record.files)
