"""Real `tfds build` child processes on the bundled example and fixture builders, tarballs read back by `tar`."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE, FIXTURE_BUILDERS, ROOT, run_script

pytestmark = pytest.mark.integration


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    data_dir = tmp_path_factory.mktemp("example") / "data"
    result = run_script("build.py", "-lcs", str(EXAMPLE), "-o", str(data_dir))
    return data_dir, result


def test_example_builds_packs_and_prints_where(example_build) -> None:
    data_dir, result = example_build
    assert result.returncode == 0, result.stderr
    tarball = data_dir / "tiny_shapes-1.0.0.tar.gz"
    assert f"tarball:       {tarball}" in result.stdout
    assert f"checksum file: {data_dir / 'tiny_shapes-1.0.0.json'}" in result.stdout
    # The exact internal command goes to the log file (and -v debug), not to the console at info level.
    assert "running: " not in result.stderr and "tfds_child" not in result.stderr
    (log,) = (data_dir / "_logs").glob("build-tiny_shapes-*.log")
    first = log.read_text().splitlines()[0]
    assert first.startswith("$ ") and "dsbuild.build.tfds_child" in first and f"--data_dir={data_dir}" in first


def test_gnu_tar_lists_exactly_the_built_layout(example_build) -> None:
    data_dir, _ = example_build
    listing = subprocess.run(
        ["tar", "tzf", "tiny_shapes-1.0.0.tar.gz"], cwd=data_dir, capture_output=True, text=True, check=True
    )
    members = listing.stdout.split()
    expected = sorted(
        ["tiny_shapes/1.0.0/"] + [f"tiny_shapes/1.0.0/{p.name}" for p in (data_dir / "tiny_shapes" / "1.0.0").iterdir()]
    )
    assert members == expected
    assert any(m.endswith("tiny_shapes-train.tfrecord-00000-of-00001") for m in members)


def test_restored_tarball_loads_with_the_same_examples(example_build, tmp_path: Path) -> None:
    import tensorflow_datasets as tfds

    data_dir, _ = example_build
    subprocess.run(["tar", "zxf", str(data_dir / "tiny_shapes-1.0.0.tar.gz")], cwd=tmp_path, check=True)
    restored = tfds.builder_from_directory(str(tmp_path / "tiny_shapes" / "1.0.0"))
    original = tfds.builder_from_directory(str(data_dir / "tiny_shapes" / "1.0.0"))
    assert {k: v.num_examples for k, v in restored.info.splits.items()} == {"train": 48, "test": 12}
    for split in ("train", "test"):
        a = list(tfds.as_numpy(restored.as_dataset(split=split, shuffle_files=False)))
        b = list(tfds.as_numpy(original.as_dataset(split=split, shuffle_files=False)))
        assert len(a) == len(b)
        assert all((x["image"] == y["image"]).all() and x["label"] == y["label"] for x, y in zip(a, b, strict=True))


def test_rerun_reuses_the_build_and_the_tarball(example_build) -> None:
    data_dir, _ = example_build
    before = sha256(data_dir / "tiny_shapes-1.0.0.tar.gz")
    result = run_script("build.py", "-lcs", str(EXAMPLE), "-o", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "reusing the existing build" in result.stderr
    assert "tfds output: " not in result.stderr  # tfds was not started
    assert "tiny_shapes 1.0.0: up to date" in result.stdout
    assert sha256(data_dir / "tiny_shapes-1.0.0.tar.gz") == before


def test_pack_only_is_reproducible(example_build) -> None:
    data_dir, _ = example_build
    tarball = data_dir / "tiny_shapes-1.0.0.tar.gz"
    before = sha256(tarball)
    tarball.unlink()
    result = run_script("build.py", "--pack-only", "tiny_shapes", "-o", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert sha256(tarball) == before
    result = run_script("build.py", "--pack-only", str(data_dir / "tiny_shapes" / "1.0.0"), "-o", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert sha256(tarball) == before


def test_path_with_spaces_and_non_ascii(tmp_path: Path) -> None:
    parent = tmp_path / "my builders ü é" / "x;y"
    shutil.copytree(FIXTURE_BUILDERS / "fixture_good", parent / "fixture_good")
    data_dir = tmp_path / "data dir ñ"
    result = run_script("build.py", "-lcs", str(parent / "fixture_good"), "-o", str(data_dir), "--verify-all")
    assert result.returncode == 0, result.stderr
    with tarfile.open(data_dir / "fixture_good-0.1.0.tar.gz") as tar:
        assert "fixture_good/0.1.0/dataset_info.json" in tar.getnames()


def test_builder_configs_are_packed_together(tmp_path: Path) -> None:
    result = run_script("build.py", "-lcs", str(FIXTURE_BUILDERS / "fixture_configs"), "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    with tarfile.open(tmp_path / "fixture_configs-2.0.0.tar.gz") as tar:
        tops = sorted({"/".join(n.split("/")[:3]) for n in tar.getnames() if n.count("/") >= 2})
    assert "fixture_configs/large/2.0.0" in tops and "fixture_configs/small/2.0.0" in tops
    record = (tmp_path / "fixture_configs-2.0.0.json").read_text()
    assert '"fixture_configs/large/2.0.0"' in record and '"fixture_configs/small/2.0.0"' in record


def test_builder_that_raises_exits_1_and_packs_nothing(tmp_path: Path) -> None:
    result = run_script("build.py", "-lcs", str(FIXTURE_BUILDERS / "fixture_failing"), "-o", str(tmp_path))
    assert result.returncode == 1
    assert "`tfds build` failed with exit code 1" in result.stderr
    assert "fixture source file is corrupt: example 1 cannot be read" in result.stderr  # tfds's own error
    assert "Full log: " in result.stderr
    assert not list(tmp_path.glob("*.tar.gz")) and not list(tmp_path.glob("*.json"))
    assert not (tmp_path / "fixture_failing").exists()


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_build_leaves_nothing_half_written(tmp_path: Path, sig: signal.Signals, code: int) -> None:
    started = tmp_path / "started"
    data_dir = tmp_path / "data"
    env = {**os.environ, "DSBUILD_FIXTURE_STARTED": str(started), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "-lcs",
            str(FIXTURE_BUILDERS / "fixture_blocking"),
            "-o",
            str(data_dir),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)  # polling for the builder's marker, not a timing assertion
        assert started.exists(), "the fixture builder never started generating"
        assert list((data_dir / "fixture_blocking").glob("incomplete.*"))  # TFDS is mid-build
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code
    assert "nothing was left half-written" in err
    assert not (data_dir / "fixture_blocking").exists()
    assert not list(data_dir.glob("fixture_blocking-*"))


def test_parallel_jobs_one_failure_does_not_stop_the_others(tmp_path: Path) -> None:
    result = run_script(
        "build.py",
        "-lcs",
        str(FIXTURE_BUILDERS / "fixture_failing"),
        str(FIXTURE_BUILDERS / "fixture_good"),
        "-j",
        "2",
        "-o",
        str(tmp_path),
    )
    assert result.returncode == 1
    assert "summary (1 of 2 succeeded):" in result.stdout
    lines = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines() if line.startswith("  fixture_")}
    assert lines == {"fixture_failing": "failed", "fixture_good": "ok"}
    assert (tmp_path / "fixture_good-0.1.0.tar.gz").is_file()
    assert not list(tmp_path.glob("fixture_failing*"))
    logs = sorted(p.name.split("-")[1] for p in (tmp_path / "_logs").iterdir())
    assert logs == ["fixture_failing", "fixture_good"]  # one log per dataset, kept apart


def test_a_changed_builder_is_rebuilt_never_up_to_date(tmp_path: Path, capsys) -> None:
    """Issue 22 item 1: edit the builder between two runs (same VERSION): rebuilt, the file named; --list
    marks a build from other sources "stale"; an unchanged builder is still reused."""
    import json

    from dsbuild.build.catalog import load_catalog
    from dsbuild.build.listing import list_lines
    from tests.helpers import load_script, run_main

    build = load_script("build.py")
    folder = tmp_path / "root" / "datasets" / "tiny_shapes"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    data = tmp_path / "data"
    argv = ["-lcs", str(folder), "-o", str(data)]
    code, out, err = run_main(build, argv, capsys)
    assert code == 0, err

    module = folder / "tiny_shapes.py"
    module.write_text(module.read_text().replace('"train": 48', '"train": 51'))
    listing = "\n".join(list_lines(load_catalog(tmp_path / "root"), data))
    assert "tiny_shapes" in listing and " stale " in listing
    assert "tiny_shapes 1.0.0: modified since the build: tiny_shapes.py" in listing or (
        "tiny_shapes 1.0.0: changed: tiny_shapes.py" in listing
    )

    code, out, err = run_main(build, argv, capsys)
    assert code == 0, err
    assert "not reusing the existing build" in err and "tiny_shapes.py" in err
    assert "up to date" not in out and "tiny_shapes 1.0.0: packed" in out
    info = json.loads((data / "tiny_shapes" / "1.0.0" / "dataset_info.json").read_text())
    assert {s["name"]: int(s["shardLengths"][0]) for s in info["splits"]}["train"] == 51
    assert " stale " not in "\n".join(list_lines(load_catalog(tmp_path / "root"), data))

    code, out, err = run_main(build, [*argv, "--max-examples-per-split", "5"], capsys)
    assert code == 0, err
    assert "it was built with every example, now --max-examples-per-split 5" in err

    code, out, err = run_main(build, [*argv, "--max-examples-per-split", "5"], capsys)
    assert code == 0, err
    assert "same builder source and options" in err and "tiny_shapes 1.0.0: up to date" in out
