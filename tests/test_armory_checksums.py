"""armory-testbed's checksum lines and loader requests, read without importing armory or TensorFlow."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dsbuild.armory import checksum_lines as armory_checksums
from dsbuild.armory.loaders import default_checksums_dir, loader_requests, parse_loader_requests
from dsbuild.errors import ChecksumError, UsageError
from tests.helpers import run_script

SHA = "a" * 64


def test_every_line_armory_testbed_ships_parses() -> None:
    shipped = default_checksums_dir()
    assert shipped is not None
    parsed = [armory_checksums.read(p) for p in sorted(shipped.glob("*.txt"))]
    assert len(parsed) >= 30
    mnist = armory_checksums.find(shipped, "mnist")
    assert (mnist.bucket, mnist.key, mnist.tarball) == (
        "armory-public-data",
        "mnist/mnist_3.0.1.tar.gz",
        "mnist_3.0.1.tar.gz",
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("bucket key.tar.gz 12", "expected 'BUCKET KEY SIZE SHA256'"),
        (f"Bad_Bucket k.tar.gz 1 {SHA}", "invalid bucket"),
        (f"bucket ../../etc/passwd.tar.gz 1 {SHA}", "invalid key"),
        (f"bucket /abs.tar.gz 1 {SHA}", "invalid key"),
        (f"bucket k.zip 1 {SHA}", "invalid key"),
        (f"bucket k.tar.gz -1 {SHA}", "invalid size"),
        ("bucket k.tar.gz 1 abc", "invalid sha256"),
    ],
)
def test_malformed_lines_are_refused(line: str, message: str) -> None:
    with pytest.raises(ChecksumError, match=message):
        armory_checksums.parse_line(line, "toy", "toy.txt")


def test_write_then_find_round_trip(tmp_path: Path) -> None:
    line = armory_checksums.ArmoryChecksum("toy", "my-bucket", "datasets/toy-1.0.0.tar.gz", 42, SHA)
    path = armory_checksums.write(tmp_path / "lines", line)
    assert path.read_text() == f"my-bucket datasets/toy-1.0.0.tar.gz 42 {SHA}\n"
    assert armory_checksums.find(tmp_path / "lines", "toy") == line
    assert armory_checksums.find(path, "toy") == line
    with pytest.raises(UsageError, match="no armory checksum file for 'other'"):
        armory_checksums.find(tmp_path / "lines", "other")


def test_where_an_armory_tarball_installs() -> None:
    ours = armory_checksums.ArmoryChecksum("toy", "b-b", "datasets/toy-1.0.0.tar.gz", 1, SHA)
    assert armory_checksums.record_for(ours).subdirs == ("toy/1.0.0",)
    # An older armory name: the loader's request says where armory looks (config included).
    old = armory_checksums.ArmoryChecksum("minicoco", "b-b", "minicoco/minicoco_1.0.0.tar.gz", 1, SHA)
    record = armory_checksums.record_for(old)
    assert (record.version, record.subdirs, record.url) == (
        "1.0.0",
        ("minicoco/2017/1.0.0",),
        "s3://b-b/minicoco/minicoco_1.0.0.tar.gz",
    )
    unknown = armory_checksums.ArmoryChecksum("toy", "b-b", "x/toy.tar.gz", 1, SHA)
    with pytest.raises(UsageError, match="armory-testbed has no loader for toy"):
        armory_checksums.record_for(unknown)
    local = armory_checksums.ArmoryChecksum("toy", "local", "toy-1.0.0.tar.gz", 1, SHA)
    with pytest.raises(UsageError, match="names bucket 'local'"):
        armory_checksums.record_for(local)


def test_download_refuses_an_unknown_layout_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "toy.txt").write_text(f"some-bucket old/toy_cached.tar.gz 10 {SHA}\n")
    result = run_script("download.py", "toy", "--armory-checksums", str(tmp_path), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "armory-testbed has no loader for toy" in result.stderr
    assert not (tmp_path / "out" / "toy").exists()


def test_loader_requests_are_read_from_source_without_importing_armory() -> None:
    source = """
def a(split="train"):
    return _generator_from_tfds("alpha/cfg:1.2.3", split=split)
def b():
    return datasets._generator_from_tfds(dataset_name="beta:0.0.1")
def c(name):
    return _generator_from_tfds(name)
"""
    found = [(r.name, r.config, r.version, r.loader) for r in parse_loader_requests(source)]
    assert found == [("alpha", "cfg", "1.2.3", "a"), ("beta", None, "0.0.1", "b")]
    assert loader_requests()["carla_over_obj_det_dev"].version == "2.0.1"
    assert "armory" not in sys.modules or "armory.data.datasets" not in sys.modules
