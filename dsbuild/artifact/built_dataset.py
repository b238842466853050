"""A dataset as `tfds build` leaves it in the data dir, and the checks that it is whole.

Layout: `<data_dir>/<name>/<version>/`, or with builder configs
`<data_dir>/<name>/<config>/<version>/` per config plus `<data_dir>/<name>/.config/`.
The structural checks read only JSON and file names; `check_loads` imports
TFDS and decodes examples.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dsbuild.errors import NotBuiltError, VerificationError
from dsbuild.log import log
from dsbuild.native_stderr import quiet_native_stderr
from dsbuild.paths import CONFIG_METADATA_DIR, INCOMPLETE_PREFIX, NAME_RE, REQUIRED_FILES, VERSION_RE, check_name

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
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise NotBuiltError(f"{info_path} cannot be read: {exc}") from None
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


def _shard_names(info: dict, name: str) -> list[str]:
    file_format = info.get("fileFormat", "tfrecord")
    suffix = FILE_SUFFIXES.get(file_format, file_format)
    names = []
    for split in info.get("splits", []):
        template = split.get("filepathTemplate", "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}")
        shards = split.get("shardLengths", [])
        total = len(shards)
        for index in range(total):
            names.append(
                template.replace("{DATASET}", name)
                .replace("{SPLIT}", split["name"])
                .replace("{FILEFORMAT}", suffix)
                .replace("{SHARD_X_OF_Y}", f"{index:05d}-of-{total:05d}")
                .replace("{SHARD_INDEX}", f"{index:05d}")
                .replace("{NUM_SHARDS}", f"{total:05d}")
            )
    return names


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
            info = json.loads((version_dir / "dataset_info.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            problems.append(f"{version_dir / 'dataset_info.json'} cannot be read: {exc}")
            continue
        if not info.get("splits"):
            problems.append(f"{version_dir / 'dataset_info.json'} lists no splits")
        for shard in _shard_names(info, built.name):
            if not (version_dir / shard).is_file():
                problems.append(f"shard {version_dir / shard} listed in dataset_info.json is missing")
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
            raise VerificationError(f"{version_dir} does not load with TFDS: {type(exc).__name__}: {exc}") from exc


def _check_count(version_dir: Path, split: str, count: int, expected: int) -> None:
    if count != expected:
        raise VerificationError(
            f"{version_dir}: split {split} has {count} examples but dataset_info.json says {expected}"
        )


def _check_records_parse(version_dir: Path, all_examples: bool) -> None:
    import tensorflow as tf

    info = json.loads((version_dir / "dataset_info.json").read_text(encoding="utf-8"))
    name = info.get("name", "")
    if info.get("fileFormat", "tfrecord") != "tfrecord":
        raise VerificationError(f"{version_dir}: cannot check records of format {info.get('fileFormat')}")
    for split in info.get("splits", []):
        expected = sum(int(n) for n in split.get("shardLengths", []))
        shards = [str(version_dir / s) for s in _shard_names({**info, "splits": [split]}, name)]
        records = tf.data.TFRecordDataset(shards)
        try:
            parsed = [tf.train.Example.FromString(r.numpy()) for r in (records if all_examples else records.take(1))]
        except Exception as exc:
            raise VerificationError(f"{version_dir}: split {split['name']} has unreadable records: {exc}") from exc
        if all_examples:
            _check_count(version_dir, split["name"], len(parsed), expected)
        elif expected and not parsed:
            raise VerificationError(f"{version_dir}: split {split['name']} has no records")
