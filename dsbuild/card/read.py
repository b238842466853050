"""Reading a built dataset for its card: metadata from the JSON files, a few examples, class counts.

Bounded by design: the examples shown are the first N of each split in file order
(shards read one after another, so only the first shard(s) are opened). Split sizes,
shard counts and bytes come from dataset_info.json. TFDS 4.9's `tfds build` stores no
per-class statistics, so class histograms are counted by reading only the ClassLabel
columns, and only for splits small enough (FULL_COUNT_MAX_EXAMPLES and
FULL_COUNT_MAX_BYTES); a larger split's card says so instead of reading it whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsbuild.artifact.built_dataset import BuiltDataset, read_metadata
from dsbuild.artifact.checksums import ChecksumRecord, read_checksum_file
from dsbuild.card.pixels import EncodedFrames
from dsbuild.errors import ChecksumError, VerificationError
from dsbuild.paths import checksum_file_name
from dsbuild.untrusted import checked_int, parse_decimal, quote

DEFAULT_EXAMPLES = 8
FULL_COUNT_MAX_EXAMPLES = 50_000
FULL_COUNT_MAX_BYTES = 256 << 20
MAX_COUNT = 10**18  # more examples or bytes than any real split; int64 holds it


@dataclass(frozen=True)
class SplitInfo:
    name: str
    num_examples: int
    num_shards: int
    num_bytes: int


@dataclass(frozen=True, eq=False)  # compared by identity: values are numpy arrays
class Leaf:
    """One leaf of a feature tree with its value in one example; depth counts enclosing Sequences."""

    path: tuple[str, ...]
    feature: Any
    value: Any
    depth: int

    @property
    def key(self) -> str:
        return "/".join(self.path)


@dataclass
class SplitCard:
    info: SplitInfo
    examples: list[dict[str, Any]] = field(default_factory=list)
    # ClassLabel key -> count per class, counted over the whole split; None when not counted.
    class_counts: dict[str, list[int]] | None = None
    counts_note: str = ""
    error: str = ""


@dataclass
class ConfigCard:
    config: str  # "" for a builder without configs
    version_dir: Path
    info: dict[str, Any]
    features: Any | None  # tfds.features.FeaturesDict, None when TFDS cannot load the dataset
    splits: list[SplitCard]
    error: str = ""


@dataclass
class DatasetCard:
    name: str
    version: str
    configs: list[ConfigCard]
    checksum: ChecksumRecord | None
    checksum_note: str = ""


def read_info(version_dir: Path) -> dict[str, Any]:
    """dataset_info.json as a dict, read as outside input (bounded size, depth and digits, a regular file);
    anything else is a VerificationError."""
    return read_metadata(version_dir / "dataset_info.json")


def _count(value: Any, what: str) -> int:
    """A count from dataset_info.json: an int or a string of ASCII digits (TFDS writes int64 as strings), bounded."""
    if isinstance(value, str):
        return parse_decimal(value, what, MAX_COUNT)
    return checked_int(value, what, MAX_COUNT)


def split_infos(info: dict[str, Any], version_dir: Path | None = None) -> list[SplitInfo]:
    """The splits listed in dataset_info.json; a malformed entry is a VerificationError naming it."""
    splits = info.get("splits", [])
    try:
        if not isinstance(splits, list):
            raise ValueError(f"'splits' is not a list: {quote(splits)}")
        result = []
        for split in splits:
            name = split.get("name") if isinstance(split, dict) else None
            if not isinstance(name, str):
                raise ValueError(f"a split without a name: {quote(split)}")
            lengths = split.get("shardLengths", [])
            if not isinstance(lengths, list):
                raise ValueError(f"split {quote(name)}: 'shardLengths' is not a list: {quote(lengths)}")
            examples = sum(_count(n, f"shard length of split {quote(name)}") for n in lengths)
            num_bytes = _count(split.get("numBytes", 0), f"'numBytes' of split {quote(name)}")
            result.append(SplitInfo(name, examples, len(lengths), num_bytes))
    except ValueError as exc:
        where = version_dir / "dataset_info.json" if version_dir is not None else "dataset_info.json"
        raise VerificationError(f"{where}: {exc}") from None
    return result


def leaves(feature: Any, value: Any, path: tuple[str, ...] = (), depth: int = 0) -> Iterator[Leaf]:
    """Walk a TFDS feature tree and an example's numpy value together (value may be None: tree only)."""
    import tensorflow_datasets as tfds

    if isinstance(feature, tfds.features.FeaturesDict):
        # Sorted: the order TFDS restores from features.json varies between processes.
        for key, sub in sorted(feature.items()):
            sub_value = value.get(key) if isinstance(value, dict) else None
            yield from leaves(sub, sub_value, (*path, key), depth)
    elif isinstance(feature, tfds.features.Sequence) and not isinstance(feature, tfds.features.Video):
        # (Video is a Sequence of Image in TFDS, but is shown as one thing.)
        yield from leaves(feature.feature, value, path, depth + 1)
    else:
        yield Leaf(path, feature, value, depth)


def class_label_leaves(features: Any) -> list[Leaf]:
    import tensorflow_datasets as tfds

    return [leaf for leaf in leaves(features, None) if isinstance(leaf.feature, tfds.features.ClassLabel)]


def _partial_spec(features: Any, wanted: set[tuple[str, ...]], path: tuple[str, ...] = ()) -> Any:
    """The PartialDecoding spec selecting only the `wanted` leaf paths."""
    import tensorflow_datasets as tfds

    if isinstance(features, tfds.features.Sequence):  # PartialDecoding takes the inner spec as is
        return _partial_spec(features.feature, wanted, path)
    if isinstance(features, tfds.features.FeaturesDict):
        spec = {}
        for key, sub in sorted(features.items()):
            chosen = _partial_spec(sub, wanted, (*path, key))
            if chosen:
                spec[key] = chosen
        return spec
    return path in wanted


def _lookup(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def count_classes(builder: Any, split: SplitInfo) -> tuple[dict[str, list[int]] | None, str]:
    """Per-class counts of every ClassLabel over the whole split, or (None, why not)."""
    import numpy as np
    import tensorflow_datasets as tfds

    labels = class_label_leaves(builder.info.features)
    if not labels:
        return None, ""
    if split.num_examples > FULL_COUNT_MAX_EXAMPLES or split.num_bytes > FULL_COUNT_MAX_BYTES:
        return None, (
            f"class counts not shown: they need a full read of this split ({split.num_examples:,} examples, "
            f"{split.num_bytes:,} bytes), and the card reads only the examples it shows"
        )
    spec = _partial_spec(builder.info.features, {leaf.path for leaf in labels})
    dataset = builder.as_dataset(
        split=split.name,
        shuffle_files=False,
        decoders=tfds.decode.PartialDecoding(spec),
        read_config=tfds.ReadConfig(try_autocache=False),
    )
    counts = {leaf.key: np.zeros(leaf.feature.num_classes, dtype=np.int64) for leaf in labels}
    for batch in tfds.as_numpy(dataset.batch(4096) if all(leaf.depth == 0 for leaf in labels) else dataset):
        for leaf in labels:
            values = np.asarray(_lookup(batch, leaf.path)).ravel()
            values = values[(values >= 0) & (values < leaf.feature.num_classes)]
            counts[leaf.key] += np.bincount(values, minlength=leaf.feature.num_classes)
    return {key: [int(c) for c in value] for key, value in counts.items()}, ""


def _skip_images(feature: Any) -> Any:
    """The decoders spec leaving every Image and Video frame encoded (None: nothing to skip)."""
    import tensorflow_datasets as tfds

    if isinstance(feature, tfds.features.Image | tfds.features.Video):
        return tfds.decode.SkipDecoding()
    if isinstance(feature, tfds.features.FeaturesDict):
        spec = {key: sub_spec for key, sub in feature.items() if (sub_spec := _skip_images(sub)) is not None}
        return spec or None
    if isinstance(feature, tfds.features.Sequence):
        return _skip_images(feature.feature)
    return None


def _wrap_images(feature: Any, value: Any) -> Any:
    """The example with each skipped picture value as EncodedFrames (decoded later, within the budget)."""
    import tensorflow_datasets as tfds

    if isinstance(feature, tfds.features.Video):  # a Video's frames are its one Image feature
        return EncodedFrames.of(feature.feature, value)
    if isinstance(feature, tfds.features.Image):
        return EncodedFrames.of(feature, value)
    if isinstance(feature, tfds.features.FeaturesDict) and isinstance(value, dict):
        return {key: _wrap_images(feature[key], sub) if key in feature else sub for key, sub in value.items()}
    if isinstance(feature, tfds.features.Sequence):
        return _wrap_images(feature.feature, value)
    return value


def take_examples(builder: Any, split: str, count: int) -> list[dict[str, Any]]:
    """The first `count` examples of the split in file order, shards read one at a time.

    Pictures stay encoded (EncodedFrames): the card decodes each one it draws, within a pixel budget.
    """
    import tensorflow_datasets as tfds

    if count <= 0:
        return []
    features = builder.info.features
    dataset = builder.as_dataset(
        split=split,
        shuffle_files=False,
        decoders=_skip_images(features),
        read_config=tfds.ReadConfig(interleave_cycle_length=1, try_autocache=False),
    )
    return [_wrap_images(features, example) for example in tfds.as_numpy(dataset.take(count))]


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:400]


def read_config(built: BuiltDataset, version_dir: Path, config: str, examples: int) -> ConfigCard:
    """Everything the card shows for one version dir; TFDS failures become messages, never exceptions."""
    info = read_info(version_dir)
    splits = [SplitCard(s) for s in split_infos(info, version_dir)]
    try:
        import tensorflow_datasets as tfds

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        builder = tfds.builder_from_directory(str(version_dir))
        features = builder.info.features
    except Exception as exc:  # TFDS raises many kinds; the card then shows the metadata only
        return ConfigCard(config, version_dir, info, None, splits, error=f"TFDS cannot load it: {_error_text(exc)}")
    for split in splits:
        if not split.info.num_examples:
            continue
        try:
            split.examples = take_examples(builder, split.info.name, examples)
            split.class_counts, split.counts_note = count_classes(builder, split.info)
        except Exception as exc:
            split.error = f"cannot read examples: {_error_text(exc)}"
    return ConfigCard(config, version_dir, info, features, splits)


def read_dataset(built: BuiltDataset, examples: int = DEFAULT_EXAMPLES) -> DatasetCard:
    configs = [
        read_config(built, version_dir, built.configs[i] if built.configs else "", examples)
        for i, version_dir in enumerate(built.version_dirs)
    ]
    checksum_path = built.data_dir / checksum_file_name(built.name, built.version)
    record, note = None, ""
    if checksum_path.is_file():
        try:
            record = read_checksum_file(checksum_path)
        except ChecksumError as exc:
            note = str(exc)
    else:
        note = "no checksum file (not packed yet)"
    return DatasetCard(built.name, built.version, configs, record, note)
