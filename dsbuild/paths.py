"""Where things live: the data dir, tarball and checksum-file names."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import BinaryIO

from dsbuild.errors import InvalidNameError, OutputDirError, UsageError

# Dataset names and versions become file names and tfds arguments: keep them plain.
# `\Z`, not `$` (which also matches before a final newline); ASCII digits only.
_NAME = r"[a-z][a-z0-9_]*"
_VERSION = r"[0-9]+\.[0-9]+\.[0-9]+"
NAME_RE = re.compile(rf"^{_NAME}\Z")
VERSION_RE = re.compile(rf"^{_VERSION}\Z")
# Config names are chosen by builder authors (e.g. imagenette "full-size").
CONFIG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*\Z")

TARBALL_SUFFIX = ".tar.gz"
CHECKSUM_SUFFIX = ".json"
CARD_SUFFIX = ".card.html"
# `<name>-<version>.tar.gz` and `<name>-<version>.json`, with the same rules as above.
_NAME_VERSION = rf"(?P<name>{_NAME})-(?P<version>{_VERSION})"
NAME_VERSION_RE = re.compile(rf"^{_NAME_VERSION}\Z")
TARBALL_NAME_RE = re.compile(rf"^{_NAME_VERSION}{re.escape(TARBALL_SUFFIX)}\Z")
CHECKSUM_NAME_RE = re.compile(rf"^{_NAME_VERSION}{re.escape(CHECKSUM_SUFFIX)}\Z")
TFDS_SUBDIR = "TFDSv4"
LOG_DIR = "_logs"  # cannot clash with a dataset name (NAME_RE)
LOCK_DIR = "_locks"
DIGEST_CACHE_DIR = "_digests"  # sha256 taken while packing (dsbuild.artifact.checksums)
TEMP_MARK = ".dsbuild-tmp-"
# TFDS writes a build into `incomplete.*` directories and renames them when done.
INCOMPLETE_PREFIX = "incomplete."
# A built version directory holds at least these; a builder with configs keeps its config list here.
REQUIRED_FILES = ("dataset_info.json", "features.json")
CONFIG_METADATA_DIR = ".config"
DATA_DIR_ENV = "DSBUILD_DATA_DIR"
CONTAINER_ENV = "DSBUILD_CONTAINER"  # set by the Dockerfile: messages then say what to do in a container

_WORD_START = re.compile(r"(.)([A-Z][a-z0-9]+)")  # a capital starting a word: Cifar10Corrupted
_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")  # what is left of a case change: MNISTv2 -> mnis_tv2


def camelcase_to_snakecase(name: str) -> str:
    """The dataset name TFDS derives from a class name (TFDS's rule; a test compares it with TFDS's function).

    Written out here because importing tensorflow_datasets costs every command a third of a second.
    """
    words = _WORD_START.sub(r"\1_\2", name)
    return _LOWER_UPPER.sub(r"\1_\2", words).lower()


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise InvalidNameError(
            f"invalid dataset name {name!r}: use lower-case letters, digits and '_', "
            "starting with a letter (see `python build.py --list`)"
        )
    return name


_NAME_AT_VERSION_RE = re.compile(r"^(?P<name>[^:]+):(?P<version>[^:]*)$")


def split_name_version(text: str) -> tuple[str, str | None]:
    """`NAME`, `NAME:VERSION` (TFDS's spelling) or `NAME-VERSION` (the tarball's) -> (name, version or None).

    Dataset names never hold ':' or '-', so the split is unambiguous; a bad
    version is an InvalidNameError naming the expected form.
    """
    match = _NAME_AT_VERSION_RE.match(text) or NAME_VERSION_RE.match(text)
    if match is None:
        return text, None
    if not VERSION_RE.match(match["version"]):
        raise InvalidNameError(f"invalid version in {text!r}: use NAME:MAJOR.MINOR.PATCH, e.g. mnist:3.0.1")
    return check_name(match["name"]), match["version"]


DATASET_REF_RE = re.compile(rf"^(?P<name>{_NAME})(?:[:-](?P<version>{_VERSION}))?\Z")


def looks_like_path(text: str) -> bool:
    """A path must look like one: '/' in it, a leading '.' or '~', or a .tar.gz/.json suffix. Anything else is
    a dataset name, even when the current directory holds a folder of that name (builder folders are named
    after their dataset)."""
    return (
        "/" in text or os.sep in text or text.startswith((".", "~")) or text.endswith((TARBALL_SUFFIX, CHECKSUM_SUFFIX))
    )


def dataset_ref(text: str) -> tuple[str, str | None] | None:
    """(name, version or None) if `text` is NAME, NAME:VERSION or NAME-VERSION; None if it is not (a path?)."""
    match = DATASET_REF_RE.fullmatch(text)
    return (match["name"], match["version"]) if match else None


def check_config(config: str) -> str:
    if not CONFIG_RE.match(config) or ".." in config:
        raise InvalidNameError(f"invalid builder config name {config!r}")
    return config


def default_data_dir() -> Path:
    """`<armory dataset_dir>/TFDSv4`, from armory-testbed's host paths."""
    with warnings.catch_warnings():
        # armory warns when ~/.armory/config.json is absent and falls back to defaults.
        warnings.simplefilter("ignore")
        from armory import configuration
        from armory.paths import HostDefaultPaths

        # HostPaths() would create all of ~/.armory/*; read the same setting without writing anything.
        paths = HostDefaultPaths()
        dataset_dir = paths.dataset_dir
        if os.path.isfile(paths.armory_config):
            dataset_dir = configuration.load_global_config(paths.armory_config)["dataset_dir"]
    return Path(dataset_dir) / TFDS_SUBDIR


def resolve_data_dir(output_directory: str | os.PathLike[str] | None) -> Path:
    """-o/--output-directory, else $DSBUILD_DATA_DIR (set to /data in the container), else armory's."""
    chosen = output_directory or os.environ.get(DATA_DIR_ENV)
    if chosen and "://" in str(chosen):
        # Path() would make `s3://b/p` a local folder `s3:`; TFDS 4.9.10 cannot write to URLs here anyway.
        raise UsageError(
            f"the data dir {str(chosen)!r} is a URL: give a local directory (for Beam on a cluster, a shared "
            "mount every worker sees); upload.py publishes to S3"
        )
    return Path(chosen).expanduser().absolute() if chosen else default_data_dir()


def ensure_writable_dir(path: Path) -> Path:
    """Create `path` if needed and prove it can be written, or raise OutputDirError."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=TEMP_MARK):
            pass
    except OSError as exc:
        if os.environ.get(CONTAINER_ENV):  # the image sets it: -o would not help, the mount's owner would
            what_to_do = (
                "in the container, the data dir is the host directory mounted with -v: create it on the host "
                'first (mkdir -p out) and run the container as its owner: docker run --user "$(id -u):$(id -g)" ...'
            )
        else:
            what_to_do = "choose another with -o/--output-directory"
        raise OutputDirError(
            f"cannot write to the output directory {str(path)!r}: {exc.strerror or exc}; {what_to_do}"
        ) from None
    return path


def tarball_name(name: str, version: str) -> str:
    return f"{name}-{version}{TARBALL_SUFFIX}"


def checksum_file_name(name: str, version: str) -> str:
    return f"{name}-{version}{CHECKSUM_SUFFIX}"


def card_name(name: str, version: str) -> str:
    return f"{name}-{version}{CARD_SUFFIX}"


def temp_sibling(path: Path) -> Path:
    """A unique temporary name in the same directory, for write-then-rename."""
    return path.with_name(f"{TEMP_MARK}{uuid.uuid4().hex}-{path.name}")


# Files we create: never through a symlink, never over something already there.
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def create_new(path: Path) -> BinaryIO:
    """Open a file that must not exist yet for binary writing (O_EXCL, O_NOFOLLOW): a planted symlink is refused."""
    return open(os.open(path, NEW_FILE_FLAGS, 0o644), "wb")


def log_dir(data_dir: Path) -> Path:
    return data_dir / LOG_DIR
