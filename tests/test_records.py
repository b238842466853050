"""TFRecord shards checked without TensorFlow: framing, both CRCs, Example parsing, feature keys, counts."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dsbuild.artifact import records
from dsbuild.errors import VerificationError
from tests.helpers import ROOT

FEATURES = {
    "featuresDict": {
        "features": {
            "image": {"image": {"encodingFormat": "png"}},
            "objects": {
                "sequence": {
                    "feature": {"featuresDict": {"features": {"bbox": {"bbox": {}}, "label": {"classLabel": {}}}}},
                    "length": "-1",
                }
            },
        }
    }
}


def example(keys: list[str]) -> bytes:
    message = records.example_class()()
    for key in keys:
        message.features.feature[key].bytes_list.value.append(b"v")
    return message.SerializeToString()


def frame(data: bytes) -> bytes:
    header = struct.pack("<Q", len(data))
    return (
        header
        + struct.pack("<I", records.masked_crc32c(header))
        + data
        + struct.pack("<I", records.masked_crc32c(data))
    )


GOOD_KEYS = ["image", "objects/bbox", "objects/label/ragged_flat_values", "objects/label/ragged_row_lengths_0"]


def make_dataset(root: Path, shard_records: list[list[bytes]]) -> Path:
    version_dir = root / "toy" / "1.0.0"
    version_dir.mkdir(parents=True)
    lengths = [str(len(r)) for r in shard_records]
    info = {"name": "toy", "fileFormat": "tfrecord", "splits": [{"name": "train", "shardLengths": lengths}]}
    (version_dir / "dataset_info.json").write_text(json.dumps(info))
    (version_dir / "features.json").write_text(json.dumps(FEATURES))
    for i, shard in enumerate(shard_records):
        name = f"toy-train.tfrecord-{i:05d}-of-{len(shard_records):05d}"
        (version_dir / name).write_bytes(b"".join(frame(r) for r in shard))
    return version_dir


def test_feature_keys_flatten_dicts_and_see_through_sequences() -> None:
    assert records.feature_keys(FEATURES) == {"image", "objects/bbox", "objects/label"}


def test_a_whole_dataset_passes(tmp_path: Path) -> None:
    version_dir = make_dataset(tmp_path, [[example(GOOD_KEYS)] * 3, [example(GOOD_KEYS)]])
    assert records.check_version_dir(version_dir) == 4
    records.verify_built(tmp_path, ["toy/1.0.0"])


def _flip(offset: int) -> Callable[[bytearray], None]:
    def damage(data: bytearray) -> None:
        data[offset] ^= 0x01

    return damage


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_flip(0), "bad length CRC of the record at byte 0"),
        (_flip(9), "bad length CRC of the record at byte 0"),
        (_flip(14), "bad data CRC of the record at byte 0"),
        (_flip(-1), "bad data CRC of the record at byte"),
        (lambda d: d.__delitem__(slice(-3, None)), "truncated record at byte"),
        (lambda d: d.extend(b"\0\0\0"), "truncated record header"),
    ],
)
def test_damaged_framing_is_found(tmp_path: Path, damage: Callable[[bytearray], None], message: str) -> None:
    version_dir = make_dataset(tmp_path, [[example(GOOD_KEYS)] * 2])
    shard = next(version_dir.glob("*.tfrecord-*"))
    data = bytearray(shard.read_bytes())
    damage(data)
    shard.write_bytes(bytes(data))
    with pytest.raises(VerificationError, match=message):
        records.check_version_dir(version_dir)


@pytest.mark.parametrize(
    ("shards", "message"),
    [
        ([[example(GOOD_KEYS[:-2])]], r"record 0 has features \['image', 'objects/bbox'\], features.json lists"),
        ([[example([*GOOD_KEYS, "extra"])]], "record 0 has features"),
        ([[b"\xff\xff\xff"]], "record 0 is not a tf.train.Example"),
    ],
)
def test_records_must_be_examples_with_the_listed_features(
    tmp_path: Path, shards: list[list[bytes]], message: str
) -> None:
    with pytest.raises(VerificationError, match=message):
        records.check_version_dir(make_dataset(tmp_path, shards))


def test_the_record_count_must_match(tmp_path: Path) -> None:
    version_dir = make_dataset(tmp_path, [[example(GOOD_KEYS)] * 2])
    info = json.loads((version_dir / "dataset_info.json").read_text())
    info["splits"][0]["shardLengths"] = ["3"]
    (version_dir / "dataset_info.json").write_text(json.dumps(info))
    with pytest.raises(VerificationError, match=r"2 records, dataset_info.json says 3"):
        records.check_version_dir(version_dir)


def test_tensorflow_agrees_with_our_framing_and_messages(tmp_path: Path) -> None:
    import tensorflow as tf

    version_dir = make_dataset(tmp_path, [[example(GOOD_KEYS)]])
    shard = str(next(version_dir.glob("*.tfrecord-*")))
    parsed = [tf.train.Example.FromString(r.numpy()) for r in tf.data.TFRecordDataset(shard)]
    assert sorted(parsed[0].features.feature) == sorted(GOOD_KEYS)
    with tf.io.TFRecordWriter(shard) as writer:  # and what TF writes passes our check
        message = tf.train.Example()
        for key in GOOD_KEYS:
            message.features.feature[key].int64_list.value.extend([1, 2, 3])
        writer.write(message.SerializeToString())
    assert records.check_version_dir(version_dir) == 1


def test_verification_imports_no_tensorflow(tmp_path: Path) -> None:
    make_dataset(tmp_path, [[example(GOOD_KEYS)]])
    probe = (
        "import sys; from pathlib import Path; from dsbuild.artifact.tarball import pack_built; "
        "from dsbuild.artifact.built_dataset import find_built; "
        f"pack_built(find_built(Path({str(tmp_path)!r}), 'toy')); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tensorflow_datasets')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
    assert (tmp_path / "toy-1.0.0.tar.gz").is_file()
