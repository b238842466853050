"""A dataset as `tfds build` leaves it in the data dir, and the checks that it is whole.

Layout: `<data_dir>/<name>/<version>/`, or with builder configs
`<data_dir>/<name>/<config>/<version>/` per config plus `<data_dir>/<name>/.config/`.
The structural checks read only JSON and file names; `check_loads` imports
TFDS and decodes examples.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsbuild.errors import NotBuiltError, VerificationError
from dsbuild.log import log
from dsbuild.native_stderr import quiet_native_stderr
from dsbuild.paths import CONFIG_METADATA_DIR, INCOMPLETE_PREFIX, NAME_RE, REQUIRED_FILES, VERSION_RE, check_name
from dsbuild.untrusted import (
    UntrustedInputError,
    checked_int,
    cut,
    describe_mode,
    parse_decimal,
    quote,
    read_json_file,
)

FILE_SUFFIXES = {
    "tfrecord": "tfrecord",
    "array_record": "array_record",
    "riegeli": "riegeli",
    "parquet": "parquet",
}


@dataclass(frozen=True)
class BuiltDataset:
    data_dir: Path
    name: str
    version: str
    configs: tuple[str, ...] = ()  # empty: a builder without configs

    @property
    def dataset_dir(self) -> Path:
        return self.data_dir / self.name

    @property
    def subdirs(self) -> list[str]:
        """The tarball's top-level entries, relative to the data dir (posix)."""
        if not self.configs:
            return [f"{self.name}/{self.version}"]
        subs = [f"{self.name}/{config}/{self.version}" for config in self.configs]
        if (self.dataset_dir / CONFIG_METADATA_DIR).is_dir():
            subs.append(f"{self.name}/{CONFIG_METADATA_DIR}")
        return subs

    @property
    def version_dirs(self) -> list[Path]:
        if not self.configs:
            return [self.dataset_dir / self.version]
        return [self.dataset_dir / config / self.version for config in self.configs]

    def remove(self) -> None:
        for path in self.version_dirs:
            shutil.rmtree(path, ignore_errors=True)


def _is_version_dir(path: Path) -> bool:
    return path.is_dir() and bool(VERSION_RE.match(path.name))


def find_built(data_dir: Path, name: str, version: str | None = None) -> BuiltDataset | None:
    """The build of `name` in `data_dir` (at `version`, or the only one there), or None."""
    dataset_dir = data_dir / check_name(name)
    if not dataset_dir.is_dir():
        return None
    plain = sorted(p.name for p in dataset_dir.iterdir() if _is_version_dir(p))
    configs: dict[str, list[str]] = {}
    for child in sorted(dataset_dir.iterdir()):
        if child.is_dir() and not child.name.startswith((".", INCOMPLETE_PREFIX)) and not _is_version_dir(child):
            versions = sorted(p.name for p in child.iterdir() if _is_version_dir(p))
            if versions:
                configs[child.name] = versions
    if plain and (version is None or version in plain) and not configs:
        if version is None:
            if len(plain) > 1:
                raise NotBuiltError(
                    f"{dataset_dir} holds several versions ({', '.join(plain)}); "
                    f"name one: --pack-only {dataset_dir / plain[-1]}"
                )
            version = plain[0]
        return BuiltDataset(data_dir, name, version)
    all_versions = sorted({v for vs in configs.values() for v in vs})
    if version is None:
        if len(all_versions) != 1:
            if not all_versions:
                return None
            raise NotBuiltError(
                f"{dataset_dir} holds several versions ({', '.join(all_versions)}); name one by its directory"
            )
        version = all_versions[0]
    chosen = tuple(c for c, vs in configs.items() if version in vs)
    return BuiltDataset(data_dir, name, version, chosen) if chosen else None


def from_directory(path: Path) -> BuiltDataset:
    """A built dataset from a directory: `<data_dir>/<name>[/<config>]/<version>` or `<data_dir>/<name>`."""
    path = path.expanduser().absolute()
    found: BuiltDataset | None = None
    info_path = path / "dataset_info.json"
    if _is_version_dir(path) and info_path.is_file():
        # dataset_info.json says which dataset and config this is, so the layout is not guessed.
        try:
            info = read_metadata(info_path)
        except VerificationError as exc:
            raise NotBuiltError(str(exc)) from None
        name, config = info.get("name", ""), info.get("configName")
        dataset_dir = path.parent.parent if config else path.parent
        if isinstance(name, str) and NAME_RE.match(name) and dataset_dir.name == name:
            found = find_built(dataset_dir.parent, name, path.name)
    elif path.is_dir() and NAME_RE.match(path.name):
        found = find_built(path.parent, path.name)
    if found is None:
        raise NotBuiltError(
            f"{str(path)!r} is not a built dataset: expected <data_dir>/<name>/<version>/ "
            "holding dataset_info.json (build it with build.py first)"
        )
    return found


# Bounds on what dataset_info.json may list: far above any real dataset, far below what exhausts memory.
MAX_SHARDS = 1_000_000
MAX_SHARD_RECORDS = 1 << 40
DEFAULT_TEMPLATE = "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}"


@dataclass(frozen=True)
class Shard:
    """One shard dataset_info.json lists: its split, its path relative to the version dir, its record count."""

    split: str
    name: str
    records: int


def read_metadata(path: Path) -> dict[str, Any]:
    """dataset_info.json or features.json, read as outside input: a bounded regular file holding a JSON object."""
    try:
        value = read_json_file(path)
    except FileNotFoundError:
        raise VerificationError(f"{path} is missing") from None
    except OSError as exc:
        raise VerificationError(f"{path} cannot be read: {exc.strerror or exc}") from None
    except UntrustedInputError as exc:
        raise VerificationError(f"{path} cannot be read: {exc}") from None
    if not isinstance(value, dict):
        raise VerificationError(f"{path} is not a JSON object")
    return value


def shards(info: dict[str, Any], name: str, where: str = "dataset_info.json") -> list[Shard]:
    """Every shard `info` lists, each field type-checked and each name a plain relative path (VerificationError).

    TFDS names shards from each split's `filepathTemplate` (default DEFAULT_TEMPLATE) and `shardLengths`.
    """

    def bad(what: str) -> VerificationError:
        return VerificationError(f"{where}: {what}; the dataset is refused")

    if not isinstance(info, dict):
        raise bad("not a JSON object")
    file_format = info.get("fileFormat", "tfrecord")
    if not isinstance(file_format, str) or not file_format:
        raise bad(f"invalid fileFormat {quote(file_format)}")
    suffix = FILE_SUFFIXES.get(file_format, file_format)
    splits = info.get("splits", [])
    if not isinstance(splits, list):
        raise bad(f"splits must be a list, not {quote(splits)}")
    found: list[Shard] = []
    for split in splits:
        if not isinstance(split, dict):
            raise bad(f"a split must be an object, not {quote(split)}")
        split_name = split.get("name")
        if not isinstance(split_name, str) or not split_name:
            raise bad(f"invalid split name {quote(split_name)}")
        template = split.get("filepathTemplate", DEFAULT_TEMPLATE)
        if not isinstance(template, str) or not template:
            raise bad(f"split {quote(split_name)}: invalid filepathTemplate {quote(template)}")
        lengths = split.get("shardLengths", [])
        if not isinstance(lengths, list):
            raise bad(f"split {quote(split_name)}: shardLengths must be a list, not {quote(lengths)}")
        if len(found) + len(lengths) > MAX_SHARDS:
            raise bad(f"more than {MAX_SHARDS} shards")
        total = len(lengths)
        for index, raw in enumerate(lengths):
            try:
                # TFDS writes int64 fields as JSON strings ("shardLengths": ["10"]).
                records = (
                    parse_decimal(raw, "shard length", MAX_SHARD_RECORDS)
                    if isinstance(raw, str)
                    else checked_int(raw, "shard length", MAX_SHARD_RECORDS)
                )
            except UntrustedInputError as exc:
                raise bad(f"split {quote(split_name)}: {exc}") from None
            shard_name = (
                template.replace("{DATASET}", name)
                .replace("{SPLIT}", split_name)
                .replace("{FILEFORMAT}", suffix)
                .replace("{SHARD_X_OF_Y}", f"{index:05d}-of-{total:05d}")
                .replace("{SHARD_INDEX}", f"{index:05d}")
                .replace("{NUM_SHARDS}", f"{total:05d}")
            )
            if not _plain_relative(shard_name):
                raise bad(
                    f"split {quote(split_name)} names shard {quote(shard_name)}, which is not a plain path inside "
                    "the version directory"
                )
            found.append(Shard(split_name, shard_name, records))
    return found


def _plain_relative(rel: str) -> bool:
    """A relative POSIX path with no '', '.', '..' parts, backslash or NUL: one that cannot leave its directory."""
    return (
        not rel.startswith("/")
        and "\\" not in rel
        and "\x00" not in rel
        and all(part not in ("", ".", "..") for part in rel.split("/"))
    )


def shard_problem(version_dir: Path, rel: str) -> str | None:
    """Why `version_dir/rel` is not a regular file inside `version_dir`, or None if it is.

    Each component is lstat'ed, never followed: a symlink (even one pointing inside), FIFO or device is
    refused without being opened.
    """
    path = version_dir
    parts = rel.split("/")
    for depth, part in enumerate(parts):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return f"shard {path} listed in dataset_info.json is missing"
        except OSError as exc:
            return f"shard {path} listed in dataset_info.json cannot be read: {exc.strerror or exc}"
        last = depth == len(parts) - 1
        if (last and not stat.S_ISREG(mode)) or (not last and not stat.S_ISDIR(mode)):
            return f"shard {path} listed in dataset_info.json is {describe_mode(mode)}, not a regular file"
    return None


def shard_paths(version_dir: Path, info: dict[str, Any], name: str) -> list[tuple[Path, int]]:
    """(path, records) of every shard, each checked to be a regular file inside `version_dir` (VerificationError)."""
    found = []
    for shard in shards(info, name, str(version_dir / "dataset_info.json")):
        problem = shard_problem(version_dir, shard.name)
        if problem:
            raise VerificationError(f"{problem}; the dataset is refused")
        found.append((version_dir / shard.name, shard.records))
    return found


def _shard_names(info: dict, name: str) -> list[str]:
    """The shard names `info` lists (validated as `shards` does); kept for the card's reader."""
    return [shard.name for shard in shards(info, name)]


def check_structure(built: BuiltDataset) -> None:
    """Every version dir is complete: metadata, every listed shard, no TFDS leftovers."""
    problems: list[str] = []
    for version_dir in built.version_dirs:
        if not version_dir.is_dir():
            problems.append(f"{version_dir} is missing")
            continue
        missing = [f for f in REQUIRED_FILES if not (version_dir / f).is_file()]
        if missing:
            problems.append(f"{version_dir} has no {', '.join(missing)}")
            continue
        try:
            info = read_metadata(version_dir / "dataset_info.json")
            read_metadata(version_dir / "features.json")
            listed = shards(info, built.name, str(version_dir / "dataset_info.json"))
        except VerificationError as exc:
            problems.append(str(exc))
            continue
        if not info.get("splits"):
            problems.append(f"{version_dir / 'dataset_info.json'} lists no splits")
        problems += [p for shard in listed if (p := shard_problem(version_dir, shard.name))]
        leftovers = [p.name for p in version_dir.iterdir() if p.name.startswith(INCOMPLETE_PREFIX)]
        if leftovers:
            problems.append(f"{version_dir} holds unfinished files from an interrupted build: {', '.join(leftovers)}")
    for level in [built.dataset_dir, *[p.parent for p in built.version_dirs]]:
        stale = [p.name for p in level.iterdir() if p.name.startswith(INCOMPLETE_PREFIX)] if level.is_dir() else []
        if stale:
            problems.append(f"{level} holds unfinished build directories: {', '.join(sorted(set(stale)))}")
    if problems:
        raise VerificationError(
            f"the build of {built.name} {built.version} in {built.data_dir} is incomplete:\n"
            + "\n".join(f"  - {p}" for p in dict.fromkeys(problems))
            + "\nrebuild it with --clean"
        )


# TFDS 4.9 can no longer rebuild the legacy SubwordTextEncoder feature from
# features.json (only the builder class can), so such datasets are checked one
# level down: every shard's records must parse as tf.train.Example.
LEGACY_ENCODER_MARK = "Deprecated encoder not supported"


def check_loads(data_dir: Path, subdirs: Sequence[str], all_examples: bool = False) -> None:
    """Load every version dir with TFDS and decode one example per split (or all, checking counts).

    TensorFlow's start-up lines go to the debug log, not the console.
    """
    with quiet_native_stderr():
        _check_loads(data_dir, subdirs, all_examples)


def _check_loads(data_dir: Path, subdirs: Sequence[str], all_examples: bool) -> None:
    import tensorflow_datasets as tfds

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for sub in subdirs:
        if sub.split("/")[-1] == CONFIG_METADATA_DIR:
            continue
        version_dir = data_dir / sub
        try:
            builder = tfds.builder_from_directory(str(version_dir))
            for split_name, split in builder.info.splits.items():
                dataset = builder.as_dataset(split=split_name, shuffle_files=False)
                if all_examples:
                    _check_count(version_dir, split_name, sum(1 for _ in tfds.as_numpy(dataset)), split.num_examples)
                elif split.num_examples:
                    next(iter(tfds.as_numpy(dataset.take(1))))
        except VerificationError:
            raise
        except Exception as exc:  # TFDS and TensorFlow raise many kinds; all mean "does not load"
            if LEGACY_ENCODER_MARK in str(exc):
                log.warning("{}: legacy subword text feature; checking that its records parse instead", version_dir)
                _check_records_parse(version_dir, all_examples)
                continue
            raise VerificationError(
                f"{version_dir} does not load with TFDS: {type(exc).__name__}: {cut(str(exc), 500)}"
            ) from exc


def _check_count(version_dir: Path, split: str, count: int, expected: int) -> None:
    if count != expected:
        raise VerificationError(
            f"{version_dir}: split {split} has {count} examples but dataset_info.json says {expected}"
        )


def _check_records_parse(version_dir: Path, all_examples: bool) -> None:
    import tensorflow as tf

    info = read_metadata(version_dir / "dataset_info.json")
    name = info.get("name", "")
    if info.get("fileFormat", "tfrecord") != "tfrecord":
        raise VerificationError(f"{version_dir}: cannot check records of format {quote(info.get('fileFormat'))}")
    by_split: dict[str, list[Shard]] = {}
    for shard in shards(info, name if isinstance(name, str) else "", str(version_dir / "dataset_info.json")):
        problem = shard_problem(version_dir, shard.name)
        if problem:
            raise VerificationError(problem)
        by_split.setdefault(shard.split, []).append(shard)
    for split_name, listed in by_split.items():
        expected = sum(shard.records for shard in listed)
        records = tf.data.TFRecordDataset([str(version_dir / shard.name) for shard in listed])
        try:
            parsed = [tf.train.Example.FromString(r.numpy()) for r in (records if all_examples else records.take(1))]
        except Exception as exc:
            raise VerificationError(
                f"{version_dir}: split {quote(split_name)} has unreadable records: {cut(str(exc))}"
            ) from exc
        if all_examples:
            _check_count(version_dir, split_name, len(parsed), expected)
        elif expected and not parsed:
            raise VerificationError(f"{version_dir}: split {quote(split_name)} has no records")
