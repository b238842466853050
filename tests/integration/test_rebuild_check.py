"""`build.py --check`: real rebuilds in a temporary dir, compared byte for byte with what was recorded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dsbuild.artifact.checksums import read_checksum_file, write_checksum_file
from dsbuild.artifact.tarball import pack
from tests.helpers import EXAMPLE, run_script, tree

pytestmark = pytest.mark.integration
NAME = "tiny_shapes-1.0.0"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("check") / "data"
    result = run_script("build.py", "-lcs", str(EXAMPLE), "-o", str(data_dir))
    assert result.returncode == 0, result.stderr
    return data_dir


def copy_of(built: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(built, data_dir)
    return data_dir


def check(data_dir: Path, target: str, env: dict[str, str] | None = None):
    return run_script("build.py", "--check", target, "-lcs", str(EXAMPLE), "-o", str(data_dir), env=env)


def test_a_rebuild_reproduces_the_tarball_and_leaves_the_data_dir_alone(built: Path, tmp_path: Path) -> None:
    data_dir = copy_of(built, tmp_path)
    before = tree(data_dir)
    sha = read_checksum_file(data_dir / f"{NAME}.json").sha256
    for target in (NAME.split("-")[0], str(data_dir / f"{NAME}.tar.gz"), str(data_dir / f"{NAME}.json")):
        result = check(data_dir, target)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip() == f"reproduced: {sha}"
    assert tree(data_dir) == before


def test_no_provenance_cannot_be_checked(built: Path, tmp_path: Path) -> None:
    data_dir = copy_of(built, tmp_path)
    record = read_checksum_file(data_dir / f"{NAME}.json")
    write_checksum_file(type(record)(**{**record.__dict__, "provenance": None}), data_dir)
    result = check(data_dir, str(data_dir / f"{NAME}.tar.gz"))
    assert result.returncode == 2
    assert "cannot be checked" in result.stderr and "has no provenance" in result.stderr


def test_other_tool_versions_or_builder_source_fail_before_building(built: Path, tmp_path: Path) -> None:
    data_dir = copy_of(built, tmp_path)
    checksum_file = data_dir / f"{NAME}.json"
    data = json.loads(checksum_file.read_text())
    data["provenance"]["tools"]["tensorflow"] = "2.0.0"
    checksum_file.write_text(json.dumps(data))
    result = check(data_dir, str(checksum_file))
    assert result.returncode == 1
    assert "tensorflow 2.0.0 was used" in result.stderr and "pip install tensorflow==2.0.0" in result.stderr
    assert "running: " not in result.stderr  # no tfds build was started

    builder = tmp_path / "tiny_shapes"
    shutil.copytree(EXAMPLE, builder, ignore=shutil.ignore_patterns("__pycache__"))
    (builder / "tiny_shapes.py").write_text((builder / "tiny_shapes.py").read_text() + "\n# edited\n")
    data["provenance"]["tools"]["tensorflow"] = read_checksum_file(built / f"{NAME}.json").provenance["tools"][
        "tensorflow"
    ]
    checksum_file.write_text(json.dumps(data))
    result = run_script("build.py", "--check", str(checksum_file), "-lcs", str(builder), "-o", str(data_dir))
    assert result.returncode == 1
    assert "builder source of tiny_shapes differs" in result.stderr and "running: " not in result.stderr


def test_malformed_provenance_is_refused_as_a_malformed_checksum_file(built: Path, tmp_path: Path) -> None:
    data_dir = copy_of(built, tmp_path)
    checksum_file = data_dir / f"{NAME}.json"
    data = json.loads(checksum_file.read_text())
    data["provenance"]["builder"]["files"] = "/etc/passwd"
    checksum_file.write_text(json.dumps(data))
    result = check(data_dir, str(checksum_file))
    assert result.returncode != 0
    assert "malformed checksum file" in result.stderr and "provenance.builder.files" in result.stderr


def test_different_shards_name_the_file_and_the_first_differing_example(built: Path, tmp_path: Path) -> None:
    data_dir = copy_of(built, tmp_path)
    record = read_checksum_file(data_dir / f"{NAME}.json")
    shard = data_dir / "tiny_shapes" / "1.0.0" / "tiny_shapes-train.tfrecord-00000-of-00001"
    raw = bytearray(shard.read_bytes())
    raw[-10] ^= 0xFF  # inside the last record's data: as if another serialization had been used
    shard.write_bytes(bytes(raw))
    pack(data_dir, "tiny_shapes", "1.0.0", record.subdirs, provenance=record.provenance)
    result = check(data_dir, "tiny_shapes")
    assert result.returncode == 1
    assert "not reproduced" in result.stdout
    assert "tiny_shapes/1.0.0/tiny_shapes-train.tfrecord-00000-of-00001: differs" in result.stdout
    assert "first differing example: tiny_shapes/1.0.0/tiny_shapes-train.tfrecord-00000-of-00001 record 47" in (
        result.stdout
    )


def test_check_a_published_checksum_file(built: Path, tmp_path: Path, s3_server, s3_bucket, s3_creds) -> None:
    data_dir = copy_of(built, tmp_path)
    s3_server.client().upload_file(str(data_dir / f"{NAME}.json"), s3_bucket, f"datasets/{NAME}.json")
    url = f"s3://{s3_bucket}/datasets/{NAME}.json"
    result = check(data_dir, url, env={"AWS_ENDPOINT_URL": s3_server.endpoint})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("reproduced: ")


def test_a_byte_identical_rebuild_is_up_to_date_for_upload_and_a_different_one_says_why(
    built: Path, tmp_path: Path, s3_server, s3_bucket, s3_creds
) -> None:
    remote = ["--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "--no-progress"]
    first = copy_of(built, tmp_path)
    result = run_script("upload.py", "-o", str(first), *remote, "tiny_shapes")
    assert result.returncode == 0, result.stderr[-2000:]
    # A rebuild elsewhere, another process and command line: the same bytes, nothing sent.
    second = tmp_path / "elsewhere"
    result = run_script("build.py", "-lcs", str(EXAMPLE), "-o", str(second), env={"PYTHONHASHSEED": "7"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert read_checksum_file(second / f"{NAME}.json").provenance["command"][-1] == "elsewhere"
    result = run_script("upload.py", "-o", str(second), *remote, "tiny_shapes")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "up to date" in result.stdout and "uploaded" not in result.stdout
    # Another builder source: refused, with both provenances side by side.
    builder = tmp_path / "changed" / "tiny_shapes"
    shutil.copytree(EXAMPLE, builder, ignore=shutil.ignore_patterns("__pycache__"))
    source = (builder / "tiny_shapes.py").read_text()
    (builder / "tiny_shapes.py").write_text(source.replace("Initial release.", "Initial release, edited."))
    third = tmp_path / "third"
    result = run_script("build.py", "-lcs", str(builder), "-o", str(third))
    assert result.returncode == 0, result.stderr[-2000:]
    result = run_script("upload.py", "-o", str(third), *remote, "tiny_shapes")
    assert result.returncode == 1
    assert "already exists and differs" in result.stderr
    assert "builder.source_sha256: local " in result.stderr and " | remote " in result.stderr
