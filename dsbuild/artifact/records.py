"""A built dataset's TFRecord shards checked without TensorFlow.

Every shard is read once: each record's framing (8-byte length, masked CRC32C
of the length, data, masked CRC32C of the data) is checked, every record must
parse as a `tf.train.Example` whose keys are exactly the features of
features.json, and each shard must hold the number of records dataset_info.json
lists. The Example message classes come from a descriptor written here (TF's
own `example_pb2` imports all of TensorFlow). Decoding the values is left to
`check_loads` (TensorFlow), run only for --verify-all or a file format other
than TFRecord.
"""

from __future__ import annotations

import os
import re
import stat
import struct
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from dsbuild.errors import VerificationError
from dsbuild.untrusted import cut, describe_mode, quote

CONFIG_METADATA_DIR = ".config"
_MASK_DELTA = 0xA282EAD8
_HEADER = struct.Struct("<QI")
# TFDS stores a ragged feature `X` as `X/ragged_flat_values` and `X/ragged_row_lengths_N`.
_RAGGED_SUFFIX = re.compile(r"/(ragged_flat_values|ragged_row_lengths_\d+)$")


def masked_crc32c(data: bytes) -> int:
    import google_crc32c

    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


@cache
def example_class() -> Any:
    """`tf.train.Example` from a descriptor of our own, in a private pool (no clash with TF's)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fd = descriptor_pb2.FileDescriptorProto(name="dsbuild_example.proto", package="dsbuild_example", syntax="proto3")
    f = descriptor_pb2.FieldDescriptorProto
    repeated, optional = f.LABEL_REPEATED, f.LABEL_OPTIONAL
    for name, kind in (("BytesList", f.TYPE_BYTES), ("FloatList", f.TYPE_FLOAT), ("Int64List", f.TYPE_INT64)):
        fd.message_type.add(name=name).field.add(name="value", number=1, label=repeated, type=kind)
    feature = fd.message_type.add(name="Feature")
    feature.oneof_decl.add(name="kind")
    for number, name in enumerate(("bytes_list", "float_list", "int64_list"), start=1):
        type_name = ".dsbuild_example." + "".join(p.capitalize() for p in name.split("_"))
        feature.field.add(
            name=name, number=number, label=optional, type=f.TYPE_MESSAGE, type_name=type_name, oneof_index=0
        )
    features = fd.message_type.add(name="Features")
    entry = features.nested_type.add(name="FeatureEntry")
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, label=optional, type=f.TYPE_STRING)
    entry.field.add(name="value", number=2, label=optional, type=f.TYPE_MESSAGE, type_name=".dsbuild_example.Feature")
    features.field.add(
        name="feature",
        number=1,
        label=repeated,
        type=f.TYPE_MESSAGE,
        type_name=".dsbuild_example.Features.FeatureEntry",
    )
    example = fd.message_type.add(name="Example")
    example.field.add(
        name="features", number=1, label=optional, type=f.TYPE_MESSAGE, type_name=".dsbuild_example.Features"
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("dsbuild_example.Example"))


def feature_keys(features_json: dict) -> set[str]:
    """The keys a serialized example has: FeaturesDict entries joined by '/', Sequence wrappers see-through."""
    keys: set[str] = set()

    def walk(node: Any, prefix: str) -> None:
        # features.json is outside input: its depth is bounded when read, its shape is checked here.
        if not isinstance(node, dict):
            raise VerificationError(f"features.json: feature {quote(prefix)} is not an object")
        if "featuresDict" in node:
            children = node["featuresDict"].get("features", {}) if isinstance(node["featuresDict"], dict) else None
            if not isinstance(children, dict):
                raise VerificationError(f"features.json: feature {quote(prefix)} has a malformed featuresDict")
            for name, child in children.items():
                walk(child, f"{prefix}/{name}" if prefix else name)
        elif isinstance(node.get("sequence"), dict) and isinstance(node["sequence"].get("feature"), dict):
            walk(node["sequence"]["feature"], prefix)
        else:
            keys.add(prefix)

    walk(features_json, "")
    return keys


def iter_records(path: Path) -> Iterator[bytes]:
    """The records of one TFRecord file, each framing and CRC checked; VerificationError on the first fault.

    Opened without following a symlink or waiting on a FIFO, and refused unless it is a regular file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise VerificationError(f"{path} cannot be read: {exc.strerror or exc}") from None
    with open(fd, "rb", buffering=1 << 20) as stream:
        mode = os.fstat(stream.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise VerificationError(f"{path} is {describe_mode(mode)}, not a regular file")
        offset = 0
        while header := stream.read(_HEADER.size):
            if len(header) < _HEADER.size:
                raise VerificationError(f"{path}: truncated record header at byte {offset}")
            length, length_crc = _HEADER.unpack(header)
            if masked_crc32c(header[:8]) != length_crc:
                raise VerificationError(f"{path}: bad length CRC of the record at byte {offset}")
            body = stream.read(length + 4)
            if len(body) < length + 4:
                raise VerificationError(f"{path}: truncated record at byte {offset} ({length} bytes announced)")
            data = body[:length]
            if masked_crc32c(data) != int.from_bytes(body[length:], "little"):
                raise VerificationError(f"{path}: bad data CRC of the record at byte {offset}")
            yield data
            offset += _HEADER.size + length + 4


def _metadata(version_dir: Path) -> tuple[dict[str, Any], dict[str, Any], list[tuple[Path, int]]]:
    """dataset_info.json, features.json and the shards it lists, all checked as outside input (VerificationError)."""
    from dsbuild.artifact.built_dataset import read_metadata, shard_paths

    info, features = (read_metadata(version_dir / name) for name in ("dataset_info.json", "features.json"))
    name = info.get("name", "")
    return info, features, shard_paths(version_dir, info, name if isinstance(name, str) else "")


def check_version_dir(version_dir: Path) -> int:
    """Check one `<name>[/<config>]/<version>` dir's TFRecord shards; return the records checked."""
    _, features, paths = _metadata(version_dir)
    expected = feature_keys(features)
    parse = example_class().FromString
    total = 0
    for path, count in paths:
        seen = 0
        for index, data in enumerate(iter_records(path)):
            try:
                keys = {_RAGGED_SUFFIX.sub("", k) for k in parse(data).features.feature}
            except Exception as exc:  # protobuf's DecodeError and friends
                raise VerificationError(f"{path}: record {index} is not a tf.train.Example: {cut(str(exc))}") from None
            if keys != expected:
                raise VerificationError(
                    f"{path}: record {index} has features {cut(str(sorted(keys)))}, "
                    f"features.json lists {cut(str(sorted(expected)))}"
                )
            seen += 1
        if seen != count:
            raise VerificationError(f"{path}: {seen} records, dataset_info.json says {count}")
        total += seen
    return total


def needs_tensorflow(data_dir: Path, subdirs: Sequence[str]) -> bool:
    """True when a version dir is not in TFRecord format (only TFDS can read it).

    Every version dir's metadata is checked first (VerificationError): TFDS never sees a shard path that
    leaves its directory, a FIFO, or JSON that would make it recurse.
    """
    formats = []
    for sub in subdirs:
        if sub.split("/")[-1] == CONFIG_METADATA_DIR:
            continue
        info, _, _ = _metadata(data_dir / sub)
        formats.append(info.get("fileFormat", "tfrecord"))
    return any(f != "tfrecord" for f in formats)


def verify_built(data_dir: Path, subdirs: Sequence[str], all_examples: bool = False) -> None:
    """Shards checked without TensorFlow; TFDS decodes too for all_examples (--verify-all) or another format."""
    tensorflow_only = needs_tensorflow(data_dir, subdirs)  # checks every version dir's metadata first
    if tensorflow_only or all_examples:
        from dsbuild.artifact.built_dataset import check_loads

        check_loads(data_dir, subdirs, all_examples=all_examples)
    if tensorflow_only:
        return
    for sub in subdirs:
        if sub.split("/")[-1] != CONFIG_METADATA_DIR:
            check_version_dir(data_dir / sub)
