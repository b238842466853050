"""Finding built datasets in the data dir and checking they are whole (no TensorFlow needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsbuild.artifact.built_dataset import BuiltDataset, check_structure, find_built, from_directory
from dsbuild.errors import NotBuiltError, VerificationError


def make_version_dir(path: Path, name: str, config: str | None = None, shards: int = 2) -> Path:
    path.mkdir(parents=True)
    info = {
        "name": name,
        "fileFormat": "tfrecord",
        "splits": [
            {
                "name": "train",
                "shardLengths": ["1"] * shards,
                "filepathTemplate": "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}",
            }
        ],
    }
    if config:
        info["configName"] = config
    (path / "dataset_info.json").write_text(json.dumps(info))
    (path / "features.json").write_text("{}")
    for i in range(shards):
        (path / f"{name}-train.tfrecord-{i:05d}-of-{shards:05d}").write_bytes(b"x")
    return path


def test_plain_layout(tmp_path: Path) -> None:
    make_version_dir(tmp_path / "toy" / "1.0.0", "toy")
    built = find_built(tmp_path, "toy")
    assert built == BuiltDataset(tmp_path, "toy", "1.0.0")
    assert built.subdirs == ["toy/1.0.0"]
    check_structure(built)
    assert find_built(tmp_path, "toy", "2.0.0") is None
    assert find_built(tmp_path, "other") is None


def test_config_layout(tmp_path: Path) -> None:
    make_version_dir(tmp_path / "toy" / "small" / "2.0.0", "toy", "small")
    make_version_dir(tmp_path / "toy" / "large" / "2.0.0", "toy", "large")
    (tmp_path / "toy" / ".config").mkdir()
    built = find_built(tmp_path, "toy", "2.0.0")
    assert built is not None and built.configs == ("large", "small")
    assert built.subdirs == ["toy/large/2.0.0", "toy/small/2.0.0", "toy/.config"]
    check_structure(built)
    assert from_directory(tmp_path / "toy" / "small" / "2.0.0") == built


def test_several_versions_need_a_choice(tmp_path: Path) -> None:
    make_version_dir(tmp_path / "toy" / "1.0.0", "toy")
    make_version_dir(tmp_path / "toy" / "1.1.0", "toy")
    with pytest.raises(NotBuiltError, match="several versions"):
        find_built(tmp_path, "toy")
    assert find_built(tmp_path, "toy", "1.1.0").version == "1.1.0"
    assert from_directory(tmp_path / "toy" / "1.0.0").version == "1.0.0"


@pytest.mark.parametrize("path", ["nowhere", "toy/9.9.9", "toy/1.0.0/features.json"])
def test_from_directory_refuses_what_is_not_a_build(tmp_path: Path, path: str) -> None:
    make_version_dir(tmp_path / "toy" / "1.0.0", "toy")
    with pytest.raises(NotBuiltError, match="is not a built dataset"):
        from_directory(tmp_path / path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "dataset_info.json").unlink(), "has no dataset_info.json"),
        (lambda d: (d / "features.json").unlink(), "has no features.json"),
        (
            lambda d: (d / "toy-train.tfrecord-00001-of-00002").unlink(),
            "toy-train.tfrecord-00001-of-00002 listed in dataset_info.json is missing",
        ),
        (lambda d: (d / "incomplete.0a1b.toy-train.tfrecord").write_bytes(b""), "unfinished files"),
        (lambda d: (d.parent / "incomplete.0a1b.1.0.0").mkdir(), "unfinished build directories"),
        (lambda d: (d / "dataset_info.json").write_text("{"), "cannot be read"),
    ],
)
def test_incomplete_builds_are_refused(tmp_path: Path, damage, message: str) -> None:
    version_dir = make_version_dir(tmp_path / "toy" / "1.0.0", "toy")
    damage(version_dir)
    with pytest.raises(VerificationError) as caught:
        check_structure(BuiltDataset(tmp_path, "toy", "1.0.0"))
    assert message in str(caught.value)
    assert "rebuild it with --clean" in str(caught.value)


def test_legacy_encoder_datasets_are_checked_record_by_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tensorflow as tf
    import tensorflow_datasets as tfds

    from dsbuild.artifact import built_dataset

    version_dir = tmp_path / "toy" / "1.0.0"
    make_version_dir(version_dir, "toy", shards=1)
    shard = version_dir / "toy-train.tfrecord-00000-of-00001"
    with tf.io.TFRecordWriter(str(shard)) as writer:
        writer.write(tf.train.Example().SerializeToString())

    def legacy(path: str):
        raise ValueError(f"{built_dataset.LEGACY_ENCODER_MARK}. Please use 'text' instead")

    monkeypatch.setattr(tfds, "builder_from_directory", legacy)
    built_dataset.check_loads(tmp_path, ["toy/1.0.0"], all_examples=True)
    shard.write_bytes(b"not a tfrecord")
    with pytest.raises(VerificationError, match="unreadable records"):
        built_dataset.check_loads(tmp_path, ["toy/1.0.0"])
