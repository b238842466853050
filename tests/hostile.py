"""Crafting hostile tarballs and checksum files, and publishing them on the test S3 server."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

SUB = "toy/1.0.0"
TARBALL_KEY = "datasets/toy-1.0.0.tar.gz"
CHECKSUM_KEY = "datasets/toy-1.0.0.json"


def header(name: str | bytes, kind: bytes = b"0", size: int | bytes = 0, **fields: bytes) -> bytes:
    """One raw 512-byte ustar header; `fields` override raw fields (mode, uid, gid, mtime, chksum)."""
    raw_name = name.encode() if isinstance(name, str) else name
    size_field = size if isinstance(size, bytes) else b"%011o\x00" % size
    block = bytearray(512)
    layout = {
        "name": (0, 100, raw_name[:100]),
        "mode": (100, 8, fields.get("mode", b"0000644\x00")),
        "uid": (108, 8, fields.get("uid", b"0000000\x00")),
        "gid": (116, 8, fields.get("gid", b"0000000\x00")),
        "size": (124, 12, size_field),
        "mtime": (136, 12, fields.get("mtime", b"07210355400\x00")),
        "type": (156, 1, kind),
        "magic": (257, 8, b"ustar\x0000"),
    }
    for start, length, value in layout.values():
        block[start : start + min(length, len(value))] = value[:length]
    block[148:156] = b" " * 8
    block[148:156] = fields.get("chksum", b"%06o\x00 " % sum(block))
    return bytes(block)


def data_blocks(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 512)


def member(name: str, data: bytes = b"x", kind: bytes = b"0", **fields: bytes) -> bytes:
    return header(name, kind, len(data), **fields) + data_blocks(data)


def directory(name: str) -> bytes:
    return header(name, b"5", 0, mode=b"0000755\x00")


def pax(records: dict[str, str], kind: bytes = b"x") -> bytes:
    body = b""
    for key, value in records.items():
        item = f" {key}={value}\n".encode()
        length = len(item) + len(str(len(item)))
        length = len(item) + len(str(length))
        body += str(length).encode() + item
    return header("././@PaxHeader", kind, len(body)) + data_blocks(body)


INFO = (f"{SUB}/dataset_info.json", b"{}")  # the one file good_members() holds


def good_members() -> bytes:
    return directory(SUB) + member(*INFO)


def files_unlisted(*files: tuple[str, bytes]) -> dict[str, Any]:
    """No file list in the checksum file (armory's, older dsbuild's): download.py fetches, verifies, then extracts."""
    return {}


def files_listed(*files: tuple[str, bytes]) -> dict[str, Any]:
    """A checksum file listing good_members()'s file and `files` (path, data): download.py then streams the tarball."""
    listed = {path: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for path, data in (INFO, *files)}
    return {"files": listed}


def finish(body: bytes, trailer: bytes = b"\x00" * 1024) -> bytes:
    """The raw tar stream gzipped (level 1: fast even for bombs)."""
    return gzip.compress(body + trailer, compresslevel=1, mtime=0)


def tar_of(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    """A tar.gz written by tarfile itself from TarInfo objects."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return gzip.compress(raw.getvalue(), compresslevel=1, mtime=0)


def record_for(tarball: bytes, /, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": "toy",
        "version": "1.0.0",
        "tarball": "toy-1.0.0.tar.gz",
        "size": len(tarball),
        "sha256": hashlib.sha256(tarball).hexdigest(),
        "subdir": SUB,
        "url": None,
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


def publish(
    server: Any, bucket: str, tarball: bytes, checksum: dict[str, Any] | str | None = None, /, **changes: Any
) -> None:
    """Put the tarball and its checksum file (as given, or made to match) where download.py looks."""
    client = server.client()
    client.put_object(Bucket=bucket, Key=TARBALL_KEY, Body=tarball)
    if checksum is None:
        checksum = record_for(tarball, **changes)
    body = checksum if isinstance(checksum, str) else json.dumps(checksum)
    client.put_object(Bucket=bucket, Key=CHECKSUM_KEY, Body=body.encode())


def snapshot(root: Path) -> dict[str, bytes | str | None]:
    """Every path under `root` (symlinks as their target, not followed), for before/after comparisons."""
    if not root.exists():
        return {}
    out: dict[str, bytes | str | None] = {}
    for p in sorted(root.rglob("*")):
        key = str(p.relative_to(root))
        out[key] = ("-> " + str(p.readlink())) if p.is_symlink() else None if p.is_dir() else p.read_bytes()
    return out
