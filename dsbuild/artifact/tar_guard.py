"""A guard between the decompressor and `tarfile`: it parses every tar header itself first.

`tarfile` reads pax and GNU long-name headers into memory whole, whatever size
they claim, keeps unknown member types, and takes a malformed header for the
end of the archive. The guard sees each decompressed chunk before `tarfile`
does and refuses, before the data is read: extension headers over
`HEADER_DATA_LIMIT`, member types outside our allow-list, malformed numbers,
GNU sparse maps, running totals of member bytes or members past the limits,
and anything but zero padding after the end of the archive. It records where
each member's data starts, so the caller can check that `tarfile` saw the same
members (`expect`).
"""

from __future__ import annotations

import collections
import math
import re
import tarfile
from dataclasses import dataclass
from typing import IO, Any

from dsbuild.errors import UnsafeArchiveError
from dsbuild.untrusted import QUOTE_LIMIT, quote  # noqa: F401 - re-exported

BLOCK = 512
# Our own pax headers hold a path (at most 4 KiB on Linux) and a few numbers.
HEADER_DATA_LIMIT = 16 * 1024
# Padding GNU tar and tarfile write after the end-of-archive blocks is one record (10 KiB) at most.
TRAILER_LIMIT = 1 << 20
# Global pax headers are legal but never written by our packer or GNU tar; a few are tolerated.
GLOBAL_HEADER_LIMIT = 4

FILE_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE)
DIR_TYPE = tarfile.DIRTYPE
PAX_LOCAL = (tarfile.XHDTYPE, tarfile.SOLARIS_XHDTYPE)
PAX_GLOBAL = tarfile.XGLTYPE
LONG_NAME = tarfile.GNUTYPE_LONGNAME
_OCTAL = re.compile(rb"^[0-7]*$")
_LOW_BYTES = bytes(range(128))
_PAX_RECORD = re.compile(rb"^(\d{1,6}) ")
_DECIMAL = re.compile(r"^\d{1,20}$")
_TIME = re.compile(r"^-?\d{1,12}(\.\d{1,9})?$")
_PAX_NUMBERS = {"size": _DECIMAL, "uid": _DECIMAL, "gid": _DECIMAL, "mtime": _TIME, "atime": _TIME, "ctime": _TIME}


@dataclass(frozen=True)
class Limits:
    """What a tarball may expand to: total bytes of member data, and number of members."""

    member_bytes: int
    members: int


@dataclass(frozen=True)
class Scanned:
    offset_data: int
    size: int
    is_dir: bool


class TarStreamGuard:
    """A read-only file object over the decompressed tar stream that checks headers as they pass."""

    def __init__(self, raw: Any, limits: Limits, where: str) -> None:
        self._raw = raw
        self._limits = limits
        self._where = where
        self._pos = 0  # stream offset of the next byte to be scanned
        self._header = bytearray()  # a header block being assembled across chunks
        self._skip = 0  # data bytes (padded) still to pass unread
        self._ext: bytearray | None = None  # extension header data being collected
        self._ext_type = b""
        self._ext_left = 0
        self._ext_size = 0
        self._pending: dict[bytes, bytes] = {}  # extension headers seen for the next member
        self._pax_size: int | None = None
        self._ended = False
        self._trailer = 0
        self._globals = 0
        self.member_bytes = 0
        self.members = 0
        self._seen: collections.deque[Scanned] = collections.deque()

    # -- file object
    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self._scan(memoryview(data))
        return data

    def readable(self) -> bool:
        return True

    # -- checks
    def _fail(self, why: str) -> UnsafeArchiveError:
        return UnsafeArchiveError(f"refusing to extract {self._where}: {why}; the tarball is not safe")

    def expect(self, member: tarfile.TarInfo) -> None:
        """Refuse `member` unless it is the next member the guard parsed itself."""
        scanned = self._seen.popleft() if self._seen else None
        if scanned is None or (scanned.offset_data, scanned.size, scanned.is_dir) != (
            member.offset_data,
            member.size,
            member.isdir(),
        ):
            raise self._fail(f"tar member {quote(member.name)} is not where its headers put it")

    def _scan(self, view: memoryview) -> None:
        while view:
            if self._ended:
                self._trailer += len(view)
                if self._trailer > TRAILER_LIMIT or bytes(view).count(0) != len(view):
                    raise self._fail("data after the end of the archive")
                self._pos += len(view)
                return
            if self._skip:
                take = min(self._skip, len(view))
                self._skip -= take
            elif self._ext is not None:
                take = min(self._ext_left, len(view))
                self._ext += view[:take]
                self._ext_left -= take
                if not self._ext_left:
                    self._end_extension()
            else:
                take = min(BLOCK - len(self._header), len(view))
                self._header += view[:take]
                if len(self._header) == BLOCK:
                    block, self._header = bytes(self._header), bytearray()
                    self._pos += take
                    view = view[take:]
                    self._on_header(block, self._pos - BLOCK)
                    continue
            self._pos += take
            view = view[take:]

    def _number(self, field: bytes, what: str, offset: int) -> int:
        if field[:1] == b"\x80":  # GNU base-256, for sizes over 8 GiB
            return int.from_bytes(field[1:], "big")
        text = field.split(b"\x00", 1)[0].strip(b" ")
        if not _OCTAL.match(text) or (not text and what == "checksum"):
            raise self._fail(f"malformed {what} {quote(field.decode('latin-1'))} in the tar header at offset {offset}")
        return int(text or b"0", 8)

    def _on_header(self, block: bytes, offset: int) -> None:
        if block.count(0) == BLOCK:
            if self._pending:
                raise self._fail(f"an extension header at offset {offset} is not followed by a member")
            self._ended = True  # tarfile stops here too; whatever follows must be padding
            return
        checksum = self._number(block[148:156], "checksum", offset)
        rest = block[:148] + block[156:]
        unsigned = sum(rest) + 256  # the checksum field counts as 8 spaces
        # Some old tars summed signed chars: each byte over 127 then counts 256 less.
        if checksum != unsigned and checksum != unsigned - 256 * len(rest.translate(None, _LOW_BYTES)):
            raise self._fail(f"bad tar header checksum at offset {offset}")
        for what, field in (("mode", block[100:108]), ("uid", block[108:116]), ("gid", block[116:124])):
            self._number(field, what, offset)
        size = self._number(block[124:136], "size", offset)
        self._number(block[136:148], "mtime", offset)
        kind = block[156:157]
        name_field = block[0:100].split(b"\x00", 1)[0]
        if kind in (*PAX_LOCAL, PAX_GLOBAL, LONG_NAME):
            if size > HEADER_DATA_LIMIT:
                raise self._fail(
                    f"a tar extension header ({quote(kind.decode('latin-1'))}) of {size} bytes at offset {offset} "
                    f"(at most {HEADER_DATA_LIMIT} are accepted)"
                )
            local_twice = kind in PAX_LOCAL and any(k in PAX_LOCAL for k in self._pending)
            if kind != PAX_GLOBAL and (kind in self._pending or local_twice):
                raise self._fail(f"two extension headers of one kind for one member at offset {offset}")
            if kind == PAX_GLOBAL:
                self._globals += 1
                if self._globals > GLOBAL_HEADER_LIMIT:
                    raise self._fail(f"more than {GLOBAL_HEADER_LIMIT} global pax headers")
            self._ext, self._ext_type, self._ext_left = bytearray(), kind, _padded(size)
            self._ext_size = size
            if not self._ext_left:
                self._end_extension()
            return
        is_dir = kind == DIR_TYPE or (kind == tarfile.AREGTYPE and name_field.endswith(b"/"))
        if not is_dir and kind not in FILE_TYPES:
            name = name_field.decode("utf-8", "replace")
            raise self._fail(
                f"tar member {quote(name)} at offset {offset} has type {quote(kind.decode('latin-1'))}; "
                "only regular files and directories are allowed"
            )
        if self._pax_size is not None:
            size = self._pax_size
        if is_dir and size:
            raise self._fail(f"a directory with {size} bytes of data at offset {offset}")
        self.members += 1
        self.member_bytes += size
        if self.members > self._limits.members:
            raise self._fail(f"more than {self._limits.members} members")
        if self.member_bytes > self._limits.member_bytes:
            raise self._fail(f"members hold more than {self._limits.member_bytes} bytes")
        self._seen.append(Scanned(offset + BLOCK, size, is_dir))
        self._skip = _padded(size)
        self._pending.clear()
        self._pax_size = None

    def _end_extension(self) -> None:
        assert self._ext is not None
        data, kind = bytes(self._ext[: self._ext_size]), self._ext_type
        self._ext = None
        if kind != PAX_GLOBAL:  # a global header applies to the archive, not to the next member
            self._pending[kind] = b""
        if kind in PAX_LOCAL or kind == PAX_GLOBAL:
            self._check_pax(data, kind == PAX_GLOBAL)

    def _check_pax(self, data: bytes, is_global: bool) -> None:
        """Parse pax records as `length keyword=value\\n`; refuse what could change how the stream is read."""
        pos = 0
        while pos < len(data):
            match = _PAX_RECORD.match(data, pos)
            if not match or int(match[1]) <= len(match[0]) or pos + int(match[1]) > len(data):
                if data[pos:].count(0) == len(data) - pos:
                    return  # NUL padding, as tarfile allows
                raise self._fail(f"a malformed pax record at byte {pos} of a pax header")
            record = data[pos + len(match[0]) : pos + int(match[1])]
            pos += int(match[1])
            if not record.endswith(b"\n") or b"=" not in record:
                raise self._fail("a malformed pax record (no '=' or no newline)")
            key_bytes, value_bytes = record[:-1].split(b"=", 1)
            key = key_bytes.decode("utf-8", "replace")
            if key.startswith("GNU.sparse"):
                raise self._fail("a GNU sparse file; only regular files and directories are allowed")
            if key in _PAX_NUMBERS:
                value = value_bytes.decode("utf-8", "replace")
                if not _PAX_NUMBERS[key].match(value) or not math.isfinite(float(value)):
                    raise self._fail(f"malformed pax {key} {quote(value)}")
                if key == "size":
                    if is_global:
                        raise self._fail("a global pax header that sets member sizes")
                    self._pax_size = int(value)


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


class GuardedTarInfo(tarfile.TarInfo):
    """Second line behind the guard: refuses oversized extension headers and sparse maps before tarfile reads them."""

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        extension = self.type in (*PAX_LOCAL, PAX_GLOBAL, LONG_NAME, tarfile.GNUTYPE_LONGLINK)
        if extension and self.size > HEADER_DATA_LIMIT:
            raise UnsafeArchiveError(f"refusing a tar extension header of {self.size} bytes; the tarball is not safe")
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise UnsafeArchiveError("refusing a GNU sparse tar member; the tarball is not safe")
        return super()._proc_member(tarfile_)  # type: ignore[misc]

    def _proc_gnusparse_00(self, *args: Any) -> None:
        raise UnsafeArchiveError("refusing a GNU sparse tar member; the tarball is not safe")

    _proc_gnusparse_01 = _proc_gnusparse_10 = _proc_gnusparse_00


def open_guarded(stream: IO[bytes], limits: Limits, where: str) -> tuple[tarfile.TarFile, TarStreamGuard]:
    """A streaming TarFile reading through a new guard over the decompressed `stream`."""
    guard = TarStreamGuard(stream, limits, where)
    tar = tarfile.open(fileobj=guard, mode="r|", tarinfo=GuardedTarInfo)  # type: ignore[call-overload]  # noqa: SIM115 - the caller closes it
    return tar, guard
