"""Provenance: what a tarball was built from, recorded in our checksum file.

The `provenance` object (only in `<name>-<version>.json`, never in armory's
`cached_datasets.json` index entries) holds:

- `builder`: name, version, and `source_sha256` over the builder folder's source
  files (`builder_files`): every regular file under the folder, recursively,
  sorted by relative POSIX path, except `dummy_data/`, `__pycache__/`, `*.pyc`,
  `*_test.py`, `test_*.py` and hidden files. The digest is sha256 over the lines
  `<relative path>\\0<sha256 of the file>\\n`. A TFDS core dataset has no folder:
  its code is TFDS itself, pinned by `tools`. (Shared code the builders import
  from dsbuild is pinned by the dsbuild version only.)
- `sources`: file name -> sha256 of every source file TFDS verified, from the
  builder's `checksums.tsv` (TFDS checks each download, or file read from
  --manual-dir, against it; supported datasets build with
  --force_checksums_validation).
- `tools`: versions of python, tensorflow, tensorflow-datasets, protobuf, isal, dsbuild.
- `options`: the build options that change the bytes.
- `command`: the build.py command line, with every path reduced to its last
  component, so no user name, host or absolute path of the user's machine.

Parsing (`parse`) validates every field and bounds the size: a checksum file
with bad provenance is refused like any malformed checksum file, and nothing in
it is ever used as a path.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from dsbuild.untrusted import cut, quote

FORMAT = 1
MAX_JSON_BYTES = 64 * 1024
MAX_ITEMS = 1000
MAX_TEXT = 512
MAX_SHOWN_DIFFERENCES = 20  # lines of side_by_side
# Distribution name -> key in `tools`.
TOOL_DISTRIBUTIONS = {
    "tensorflow": "tensorflow",
    "tensorflow-datasets": "tensorflow_datasets",
    "protobuf": "protobuf",
    "isal": "isal",
    "dsbuild": "dsbuild",
}
# Versions that must match for a rebuild to be expected to give the same bytes.
REQUIRED_SAME = ("tensorflow", "tensorflow_datasets", "protobuf")
OPTION_KEYS = ("config", "file_format", "compression_level", "max_examples_per_split")
_EXCLUDED_DIRS = {"dummy_data", "__pycache__"}
_SAFE_TEXT = re.compile(r"^[\x20-\x7e]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ProvenanceError(ValueError):
    """Malformed provenance: the message says which field."""


def builder_files(folder: Path) -> list[str]:
    """The builder folder's source files, relative POSIX paths, sorted (see the module docstring)."""
    files: list[str] = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        parts = rel.parts
        if any(p in _EXCLUDED_DIRS or p.startswith(".") for p in parts) or not path.is_file():
            continue
        name = parts[-1]
        if name.endswith(".pyc") or name.endswith("_test.py") or name.startswith("test_"):
            continue
        files.append(rel.as_posix())
    return sorted(files)


def builder_file_sha256s(folder: Path) -> dict[str, str]:
    """Each builder source file's sha256, so a check can name the file that changed."""
    return {rel: hashlib.sha256((folder / rel).read_bytes()).hexdigest() for rel in builder_files(folder)}


def builder_source_sha256(folder: Path, file_sha256s: dict[str, str] | None = None) -> str:
    digest = hashlib.sha256()
    for rel, file_digest in sorted((file_sha256s or builder_file_sha256s(folder)).items()):
        digest.update(f"{rel}\0{file_digest}\n".encode())
    return digest.hexdigest()


def recorded_sources(folder: Path | None) -> dict[str, str]:
    """File name -> sha256 from the builder's checksums.tsv (url, size, sha256, file name)."""
    if folder is None or not (folder / "checksums.tsv").is_file():
        return {}
    sources: dict[str, str] = {}
    for line in (folder / "checksums.tsv").read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if line.startswith("#") or len(fields) < 3:
            continue
        name = fields[3] if len(fields) > 3 and fields[3] else fields[0].rsplit("/", 1)[-1]
        sources[name] = fields[2]
    return sources


def installed_tools() -> dict[str, str]:
    tools = {"python": platform.python_version()}
    for dist, key in TOOL_DISTRIBUTIONS.items():
        try:
            tools[key] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            tools[key] = "not installed"
    return tools


def safe_command(argv: Sequence[str]) -> list[str]:
    """The command line with every path-like argument reduced to its last component."""
    out: list[str] = []
    for arg in argv:
        if "/" in arg or arg.startswith("~"):
            prefix, sep, value = arg.partition("=") if arg.startswith("--") and "=" in arg else ("", "", arg)
            arg = f"{prefix}{sep}{PurePath(value.rstrip('/')).name or value}"
        out.append(arg)
    return out


@dataclass(frozen=True)
class BuildInputs:
    """What a build used, as the pipeline knows it."""

    name: str
    version: str
    folder: Path | None
    config: str | None
    file_format: str | None
    compression_level: int
    max_examples_per_split: int | None
    command: tuple[str, ...]


def collect(inputs: BuildInputs) -> dict[str, Any]:
    """The provenance object for a build (no TensorFlow import)."""
    folder = inputs.folder
    digests = builder_file_sha256s(folder) if folder else {}
    builder: dict[str, Any] = {
        "name": inputs.name,
        "version": inputs.version,
        "source_sha256": builder_source_sha256(folder, digests) if folder else None,
        "files": sorted(digests),
    }
    if folder:
        builder["file_sha256"] = digests
    return {
        "format": FORMAT,
        "builder": builder,
        "sources": recorded_sources(folder),
        "tools": installed_tools(),
        "options": {
            "config": inputs.config,
            "file_format": inputs.file_format or "tfrecord",
            "compression_level": inputs.compression_level,
            "max_examples_per_split": inputs.max_examples_per_split,
        },
        "command": safe_command(inputs.command),
    }


def _text(value: Any, where: str, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str) or len(value) > MAX_TEXT or not _SAFE_TEXT.fullmatch(value):
        raise ProvenanceError(f"{where} must be printable text of at most {MAX_TEXT} characters")


def _int(value: Any, where: str, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProvenanceError(f"{where} must be a non-negative integer")


def _dict(value: Any, where: str, keys: Sequence[str] | None = None) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) > MAX_ITEMS:
        raise ProvenanceError(f"{where} must be an object of at most {MAX_ITEMS} entries")
    if keys is not None and sorted(value) != sorted(keys):
        raise ProvenanceError(f"{where} must have exactly the keys {', '.join(keys)}")
    return value


def parse(data: Any, name: str, version: str) -> dict[str, Any]:
    """Validate a provenance object read from a checksum file; raise ProvenanceError."""
    if len(json.dumps(data)) > MAX_JSON_BYTES:
        raise ProvenanceError(f"provenance larger than {MAX_JSON_BYTES} bytes")
    top = _dict(data, "provenance", ("format", "builder", "sources", "tools", "options", "command"))
    if top["format"] != FORMAT:
        raise ProvenanceError(f"provenance format {quote(top['format'])} is not {FORMAT}")
    raw_builder = top["builder"]
    # `file_sha256` (each file's digest) is optional: records written before it was added have none.
    optional = ("file_sha256",) if isinstance(raw_builder, dict) and "file_sha256" in raw_builder else ()
    builder = _dict(raw_builder, "provenance.builder", ("name", "version", "source_sha256", "files", *optional))
    if builder["name"] != name or builder["version"] != version:
        raise ProvenanceError(f"provenance.builder names {quote(builder['name'])} {quote(builder['version'])}")
    sha = builder["source_sha256"]
    if sha is not None and (not isinstance(sha, str) or not _SHA256.fullmatch(sha)):
        raise ProvenanceError("provenance.builder.source_sha256 must be a sha256 or null")
    files = builder["files"]
    if not isinstance(files, list) or len(files) > MAX_ITEMS:
        raise ProvenanceError(f"provenance.builder.files must be a list of at most {MAX_ITEMS} entries")
    for f in files:
        _text(f, "provenance.builder.files[]")
    for key, value in _dict(builder.get("file_sha256", {}), "provenance.builder.file_sha256").items():
        if key not in files or not isinstance(value, str) or not _SHA256.fullmatch(value):
            raise ProvenanceError("provenance.builder.file_sha256 must map names of builder.files to sha256s")
    for key, value in _dict(top["sources"], "provenance.sources").items():
        _text(key, "provenance.sources key")
        if not isinstance(value, str) or not _SHA256.fullmatch(value):
            raise ProvenanceError(f"provenance.sources[{quote(key)}] must be a sha256")
    for key, value in _dict(top["tools"], "provenance.tools").items():
        _text(key, "provenance.tools key")
        _text(value, f"provenance.tools[{quote(key)}]")
    options = _dict(top["options"], "provenance.options", OPTION_KEYS)
    _text(options["config"], "provenance.options.config", nullable=True)
    if options["file_format"] not in ("tfrecord", "array_record"):
        raise ProvenanceError("provenance.options.file_format must be tfrecord or array_record")
    _int(options["compression_level"], "provenance.options.compression_level")
    if options["compression_level"] > 3:
        raise ProvenanceError("provenance.options.compression_level must be 0..3")
    _int(options["max_examples_per_split"], "provenance.options.max_examples_per_split", nullable=True)
    command = top["command"]
    if not isinstance(command, list) or len(command) > MAX_ITEMS:
        raise ProvenanceError(f"provenance.command must be a list of at most {MAX_ITEMS} entries")
    for arg in command:
        _text(arg, "provenance.command[]")
    return data


def side_by_side(local: dict[str, Any] | None, remote: dict[str, Any] | None) -> str:
    """The fields where two provenances differ, one line each: `field: local | remote`."""
    if local is None or remote is None:
        which = "local" if local is None else "remote"
        return f"  (no provenance in the {which} checksum file)"
    lines = []
    flat_local, flat_remote = _flatten(local), _flatten(remote)
    for key in sorted(set(flat_local) | set(flat_remote)):
        a, b = flat_local.get(key, "-"), flat_remote.get(key, "-")
        if a != b:
            # A published provenance is outside input: each value cut, the list capped.
            lines.append(f"  {cut(key, 120)}: local {cut(a, 120)} | remote {cut(b, 120)}")
    if len(lines) > MAX_SHOWN_DIFFERENCES:
        lines[MAX_SHOWN_DIFFERENCES:] = [f"  ... and {len(lines) - MAX_SHOWN_DIFFERENCES} more"]
    return "\n".join(lines) or "  (same provenance)"


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = json.dumps(value) if not isinstance(value, str) else value
    return flat
