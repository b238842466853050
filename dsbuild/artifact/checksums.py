"""Size + sha256 of tarballs, and the checksum file that records them.

The checksum file `<name>-<version>.json` holds one dataset's entry in the same
shape as an entry of armory's `cached_datasets.json` (`sha256`, `size`,
`subdir`, `url`, `version`), plus `name`, `tarball`, what the tarball expands
to (`uncompressed_bytes` of member data, `members`), which bounds extraction,
and, for builds made by this version, `provenance` (dsbuild.artifact.provenance) and
`files` (every file of the tarball, path under the data dir -> size and sha256,
so an installed dataset can be checked file by file); the index gets none of these. `subdir` is a string for one subdirectory and a list
for several, as armory writes it: `NAME/VERSION`, `NAME/CONFIG/VERSION` or
`NAME/.config`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import IO, Any

from dsbuild.defaults import ABSURD_BYTES, ABSURD_EXPANSION, ABSURD_MEMBERS
from dsbuild.errors import ChecksumError, WriteError
from dsbuild.log import log
from dsbuild.paths import (
    CONFIG_RE,
    DIGEST_CACHE_DIR,
    NAME_RE,
    VERSION_RE,
    checksum_file_name,
    tarball_name,
    temp_sibling,
)
from dsbuild.untrusted import (
    UntrustedInputError,
    checked_int,
    loads_json,
    quote,
    read_json_file,
    read_regular,
)

HASH_NAME = "sha256"
CHUNK_SIZE = 1 << 20
SHA256_RE = re.compile(r"^[0-9a-f]{64}\Z")
INDEX_FILE_NAME = "cached_datasets.json"
# Our JSON files nest two levels (an object holding a list); anything far deeper is refused before parsing.
JSON_MAX_DEPTH = 16
MAX_URL_CHARS = 2048


@dataclass(frozen=True)
class ChecksumRecord:
    name: str
    version: str
    size: int
    sha256: str
    subdirs: tuple[str, ...]
    url: str | None = None
    tarball: str = field(default="")
    provenance: dict[str, Any] | None = field(default=None, hash=False)
    # What the tarball expands to; None in checksum files of armory or older dsbuild versions.
    uncompressed_bytes: int | None = None
    members: int | None = None
    files: tuple[tuple[str, int, str], ...] = ()  # (path under the data dir, size, sha256); () when unknown

    def __post_init__(self) -> None:
        if not self.tarball:
            object.__setattr__(self, "tarball", tarball_name(self.name, self.version))

    @property
    def file_name(self) -> str:
        return checksum_file_name(self.name, self.version)

    def index_entry(self) -> dict[str, Any]:
        """This dataset's entry in armory's `cached_datasets.json`."""
        subdir: str | list[str] = self.subdirs[0] if len(self.subdirs) == 1 else list(self.subdirs)
        return {
            "sha256": self.sha256,
            "size": self.size,
            "subdir": subdir,
            "url": self.url,
            "version": self.version,
        }

    def to_json(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"provenance": self.provenance} if self.provenance is not None else {}
        if self.members is not None:
            extra |= {"members": self.members, "uncompressed_bytes": self.uncompressed_bytes}
        if self.files:
            extra["files"] = {path: {"size": size, "sha256": sha} for path, size, sha in self.files}
        return {"name": self.name, "tarball": self.tarball, **self.index_entry(), **extra}

    def with_url(self, url: str | None) -> ChecksumRecord:
        return replace(self, url=url)

    @classmethod
    def from_json(cls, data: Any, source: str = "checksum file") -> ChecksumRecord:
        """Parse and validate; every value is checked before it is used as a path."""

        def bad(what: str) -> ChecksumError:
            return ChecksumError(f"malformed {source}: {what}")

        if not isinstance(data, dict):
            raise bad("expected a JSON object")
        missing = [k for k in ("name", "version", "size", "sha256", "subdir") if k not in data]
        if missing:
            raise bad(f"missing field(s) {', '.join(missing)}")
        name, version, size, sha256 = data["name"], data["version"], data["size"], data["sha256"]
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise bad(f"invalid name {quote(name)}")
        if not isinstance(version, str) or not VERSION_RE.match(version):
            raise bad(f"invalid version {quote(version)}")
        try:
            checked_int(size, "size", ABSURD_BYTES)
        except UntrustedInputError as exc:
            raise bad(str(exc)) from None
        if not isinstance(sha256, str) or not SHA256_RE.match(sha256):
            raise bad(f"invalid sha256 {quote(sha256)} (expected 64 lower-case hex digits)")
        raw_subdirs = data["subdir"]
        subdirs = [raw_subdirs] if isinstance(raw_subdirs, str) else raw_subdirs
        if not isinstance(subdirs, list) or not subdirs:
            raise bad("subdir must be a string or a non-empty list of strings")
        for sub in subdirs:
            if not valid_subdir(sub, name):
                raise bad(f"invalid subdir {quote(sub)}: expected a relative path under {name}/")
        if len(set(subdirs)) != len(subdirs):
            raise bad("duplicate subdir entries")
        for sub in subdirs:
            if not subdir_matches(sub, name, version):
                raise bad(f"subdir {quote(sub)} is not {name}/{version}, {name}/<config>/{version} or {name}/.config")
        for a in subdirs:
            for b in subdirs:
                if a != b and b.startswith(a + "/"):
                    raise bad(f"subdir entries {quote(a)} and {quote(b)} nest")
        uncompressed, members = data.get("uncompressed_bytes"), data.get("members")
        if (uncompressed is None) != (members is None):
            raise bad("uncompressed_bytes and members go together")
        if uncompressed is not None:
            for key, value, ceiling in (
                ("uncompressed_bytes", uncompressed, min(ABSURD_BYTES, ABSURD_EXPANSION * max(size, 1 << 20))),
                ("members", members, ABSURD_MEMBERS),
            ):
                try:
                    checked_int(value, key, ceiling)
                except UntrustedInputError as exc:
                    raise bad(str(exc)) from None
        url = data.get("url")
        if url is not None and (not isinstance(url, str) or len(url) > MAX_URL_CHARS or not url.isprintable()):
            raise bad(f"invalid url {quote(url)} (expected printable text of at most {MAX_URL_CHARS} characters)")
        expected_tarball = tarball_name(name, version)
        tarball = data.get("tarball", expected_tarball)
        if tarball != expected_tarball:
            raise bad(f"tarball {quote(tarball)} should be {expected_tarball!r}")
        provenance = data.get("provenance")
        if provenance is not None:
            from dsbuild.artifact.provenance import ProvenanceError, parse

            try:
                parse(provenance, name, version)
            except ProvenanceError as exc:
                raise bad(f"invalid provenance: {exc}") from None
        return cls(
            name,
            version,
            size,
            sha256,
            tuple(subdirs),
            url,
            tarball,
            provenance,
            uncompressed_bytes=uncompressed,
            members=members,
            files=_parse_files(data, subdirs, bad),
        )


def _parse_files(data: dict, subdirs: list[str], bad: Any) -> tuple[tuple[str, int, str], ...]:
    """The optional `files` map, each path checked to lie under one of `subdirs`."""
    raw = data.get("files", {})
    if not isinstance(raw, dict):
        raise bad("files must be an object")
    files = []
    for path, entry in raw.items():
        inside = any(path.startswith(sub + "/") for sub in subdirs) if isinstance(path, str) else False
        if not inside or not valid_subdir(path, path.split("/")[0]):
            raise bad(f"invalid file path {quote(path)}: expected a path under {', '.join(subdirs)}")
        size, sha = (entry.get("size"), entry.get("sha256")) if isinstance(entry, dict) else (None, None)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0 or size > ABSURD_BYTES:
            raise bad(f"invalid size of {quote(path)}")
        if not isinstance(sha, str) or not SHA256_RE.match(sha):
            raise bad(f"invalid sha256 of {quote(path)}")
        files.append((path, size, sha))
    return tuple(sorted(files))


def valid_subdir(sub: object, name: str) -> bool:
    if not isinstance(sub, str) or not sub or "\\" in sub or "\x00" in sub:
        return False
    path = PurePosixPath(sub)
    parts = path.parts
    return (
        not path.is_absolute()
        and parts[0] == name
        and len(parts) >= 2
        and all(p not in ("", ".", "..") for p in parts)
        and str(path) == sub
    )


def subdir_matches(sub: str, name: str, version: str) -> bool:
    """`sub` (already a valid_subdir) names this version of `name`: NAME/VERSION, NAME/CONFIG/VERSION, NAME/.config."""
    parts = sub.split("/")
    if len(parts) == 2:
        return parts[1] in (version, ".config")
    return len(parts) == 3 and parts[2] == version and bool(CONFIG_RE.match(parts[1]))


def parse_json(text: str | bytes, source: str) -> Any:
    """JSON from outside (dsbuild.untrusted.loads_json: nesting, digits, NaN bounded); ChecksumError naming `source`."""
    try:
        return loads_json(text, JSON_MAX_DEPTH)
    except UntrustedInputError as exc:
        raise ChecksumError(f"malformed {source}: {exc}") from None


class HashingWriter:
    """A write-only file object that hashes and counts what passes through it.

    With `part_size`, it also hashes each `part_size` slice on its own: the
    part digests S3 combines into a multipart upload's checksum.
    """

    def __init__(self, raw: IO[bytes], part_size: int | None = None) -> None:
        self._raw = raw
        self._hash = hashlib.new(HASH_NAME)
        self.size = 0
        self._part_size = part_size
        self._part = hashlib.new(HASH_NAME)
        self._part_fill = 0
        self._part_digests: list[str] = []

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._hash.update(data)
        self.size += len(data)
        if self._part_size:
            self._hash_parts(memoryview(data).cast("B"))
        return self._raw.write(data)

    def _hash_parts(self, view: memoryview) -> None:
        assert self._part_size
        while view:
            take = min(len(view), self._part_size - self._part_fill)
            self._part.update(view[:take])
            self._part_fill += take
            view = view[take:]
            if self._part_fill == self._part_size:
                self._part_digests.append(self._part.hexdigest())
                self._part, self._part_fill = hashlib.new(HASH_NAME), 0

    def flush(self) -> None:
        self._raw.flush()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def digest(self) -> FileDigest:
        parts = self._part_digests + ([self._part.hexdigest()] if self._part_fill else [])
        return FileDigest(self.size, self.hexdigest(), self._part_size or 0, tuple(parts))


@dataclass(frozen=True)
class FileDigest:
    """What one pass over a file learned: size, sha256, and the sha256 of each `part_size` slice."""

    size: int
    sha256: str
    part_size: int = 0
    part_sha256s: tuple[str, ...] = ()


# A file's digest is remembered beside it with the file's stat fingerprint, so a
# later upload need not read it again. The fingerprint includes ctime, which no
# user call can set: any write since the digest was taken changes it.


def _fingerprint(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def remember_digest(path: Path, digest: FileDigest) -> None:
    """Cache the digest; a cache that cannot be written is only a warning (the next upload re-reads the file)."""
    cache_dir = path.parent / DIGEST_CACHE_DIR
    try:
        cache_dir.mkdir(exist_ok=True)
        entry = {"fingerprint": _fingerprint(path.stat()), **asdict(digest)}
        write_json_atomic(cache_dir / f"{path.name}.json", entry)
    except OSError as exc:
        log.warning("could not record the digest of {} in {}: {}", path.name, cache_dir, exc.strerror or exc)
    except WriteError as exc:
        log.warning("could not record the digest of {}: {}", path.name, exc)


def recall_digest(path: Path) -> FileDigest | None:
    """The remembered digest of `path` if the file provably has not changed since, else None."""
    try:
        entry = read_json_file(path.parent / DIGEST_CACHE_DIR / f"{path.name}.json", JSON_MAX_DEPTH, 1 << 20)
        if entry["fingerprint"] != _fingerprint(path.stat()):
            return None
        return FileDigest(entry["size"], entry["sha256"], entry["part_size"], tuple(entry["part_sha256s"]))
    except (OSError, ValueError, KeyError, TypeError):  # UntrustedInputError is a ValueError
        return None


class HashingReader(io.RawIOBase):
    """A read-only file object that hashes and counts what is read through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._hash = hashlib.new(HASH_NAME)
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if count:
            view = memoryview(buffer)[:count]
            self._hash.update(view)
            self.size += count
        return count or 0

    def drain(self) -> None:
        """Read (and hash) whatever is left, e.g. padding after the last tar block."""
        while self.read(CHUNK_SIZE):
            pass

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def file_sha256(path: Path) -> tuple[int, str]:
    """(size, sha256) of a file, read once in chunks."""
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, HASH_NAME)
        size = f.tell()
    return size, digest.hexdigest()


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary sibling, fsync it, then rename into place.

    The temporary file is created new (O_EXCL, O_NOFOLLOW): a planted file or
    symlink is never written through, and the rename replaces a symlink at
    `path` itself, not its target.
    """
    tmp = temp_sibling(path)
    try:
        if path.is_dir() and not path.is_symlink():
            # os.replace would fail after the write; say so before, and what to do.
            raise WriteError(f"cannot write {str(path)!r}: a directory is in its place; move it away and run again")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        with open(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        hint = "free some space and run again" if exc.errno == errno.ENOSPC else "check the path and its permissions"
        raise WriteError(
            f"cannot write {str(path)!r}: {exc.strerror or exc}; {hint} (any previous copy is unchanged)"
        ) from None
    finally:
        with contextlib.suppress(OSError):  # e.g. a directory planted under the temporary name: not ours
            tmp.unlink(missing_ok=True)


def write_checksum_file(record: ChecksumRecord, directory: Path) -> Path:
    path = directory / record.file_name
    write_json_atomic(path, record.to_json())
    return path


def read_checksum_file(path: Path) -> ChecksumRecord:
    try:
        text = read_regular(path, follow=True)
    except FileNotFoundError:
        raise ChecksumError(f"checksum file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise ChecksumError(f"cannot read checksum file {str(path)!r}: {exc.strerror or exc}") from None
    except UntrustedInputError as exc:
        raise ChecksumError(f"cannot read checksum file: {exc}") from None
    source = f"checksum file {str(path)!r}"
    return ChecksumRecord.from_json(parse_json(text, source), source=source)


def merge_index(index_path: Path, records: Iterable[ChecksumRecord]) -> dict[str, Any]:
    """Merge records into armory's `cached_datasets.json` format (name -> entry)."""
    index: dict[str, Any] = {}
    source = f"index {str(index_path)!r} (fix or delete it)"
    try:
        index = parse_json(read_regular(index_path, follow=True), source)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ChecksumError(f"cannot read the {source}: {exc.strerror or exc}") from None
    except UntrustedInputError as exc:
        raise ChecksumError(f"cannot read the {source}: {exc}") from None
    if not isinstance(index, dict):
        raise ChecksumError(f"malformed {source}: expected a JSON object")
    for record in records:
        index[record.name] = record.index_entry()
    write_json_atomic(index_path, index)
    return index
