"""Deterministic archive and tree writers for dummy source data: the same content always gives the same bytes.

Members are written sorted, with mtime 0, mode 0644, owner 0/0 and no owner names; gzip headers carry
mtime 0 and no file name; zip entries carry one fixed date and an entry for every parent directory.
"""

from __future__ import annotations

import gzip
import io
import pathlib
import shutil
import tarfile
import zipfile
from collections.abc import Iterable, Mapping

Files = Mapping[str, bytes]  # archive-relative POSIX path -> content

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold


def gzip_bytes(data: bytes) -> bytes:
    """`data` gzip-compressed at level 9 with a fixed header (mtime 0, no file name)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def write_tar_gz(path: pathlib.Path, files: Files) -> None:
    """Write `files` as the .tar.gz `path` (PAX format, fixed metadata, sorted members)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            tar.addfile(info, io.BytesIO(files[name]))


def _parents(names: Iterable[str]) -> set[str]:
    return {str(parent) + "/" for name in names for parent in pathlib.PurePosixPath(name).parents if str(parent) != "."}


def write_zip(path: pathlib.Path, files: Files) -> None:
    """Write `files` as the deflated .zip `path`, with directory entries, all dated ZIP_DATE, sorted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(_parents(files)):
            zf.writestr(zipfile.ZipInfo(name, date_time=ZIP_DATE), b"")
        for name in sorted(files):
            zf.writestr(zipfile.ZipInfo(name, date_time=ZIP_DATE), files[name], zipfile.ZIP_DEFLATED)


def write_source(path: pathlib.Path, content: Files | bytes) -> None:
    """Write one source file: a .tar.gz or .zip of `content` by the name's suffix, else `content` as it is."""
    if isinstance(content, bytes):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    elif path.name.endswith(".tar.gz"):
        write_tar_gz(path, content)
    elif path.name.endswith(".zip"):
        write_zip(path, content)
    else:
        raise ValueError(f"{path.name}: no archive writer for this name (use .tar.gz or .zip, or give bytes)")


def write_tree(root: pathlib.Path, files: Files, *, clear: Iterable[pathlib.Path] = ()) -> None:
    """Remove the folders `clear`, then write every file of `files` below `root`."""
    for folder in clear:
        shutil.rmtree(folder, ignore_errors=True)
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def extracted_name(source: str) -> str:
    """The folder an archive extracts to by convention (`x.tar.gz` -> `x`, `x.zip` -> `x`); other names unchanged."""
    for suffix in (".tar.gz", ".zip"):
        if source.endswith(suffix):
            return source.removesuffix(suffix)
    return source
