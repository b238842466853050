"""Beam builds through build.py on real runners, and what build.py refuses before building.

librispeech_dev_clean_split (config plain_text) is built from its dummy sources, as air-gapped:
in-process once, then on (a) the DirectRunner in multi-processing mode with 2 workers and (b) the
PortableRunner with its embedded job server and an external Python worker pool (the worker machinery
a Flink or Spark job server uses for Python). Both run with no PYTHONPATH from the user and in a
network namespace (see tests/beam_helpers.py); both must pack, decode to the in-process examples and
write the same shard bytes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from tests.beam_helpers import (
    LOOPBACK_UP,
    NETNS,
    assert_same_examples,
    build_command,
    clean_env,
    decoded_examples,
    netns_available,
    prepare_builder,
)
from tests.helpers import EXAMPLE, FIXTURE_BUILDERS, ROOT, run_script
from tests.integration.test_beam_ptransform import ptransform_builder

pytestmark = pytest.mark.integration

NAME = "librispeech_dev_clean_split"
VERSION_PATH = Path(NAME) / "plain_text" / "1.1.0"
needs_netns = pytest.mark.skipif(not netns_available(), reason="unprivileged network namespaces are not allowed here")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(builder copy, sources, version dir of the in-process build)."""
    tmp = tmp_path_factory.mktemp("beam")
    builder, sources = prepare_builder(NAME, "datasets", tmp)
    data_dir = tmp / "in_process"
    result = run_script(
        "build.py", "-lcs", str(builder), "--manual-dir", str(sources), "--config", "plain_text", "-o", str(data_dir)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return builder, sources, data_dir / VERSION_PATH


def _check_beam_build(result: subprocess.CompletedProcess[str], data_dir: Path, expected: Path, runner: str) -> None:
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert f"generated on:  Apache Beam {runner}" in result.stdout
    logs = "".join(p.read_text(errors="replace") for p in (data_dir / "_logs").glob("*.log"))
    assert "using BeamWriter" in logs  # TFDS really wrote the splits through Beam
    tarballs = list(data_dir.glob(f"{NAME}-1.1.0.tar.gz"))
    assert len(tarballs) == 1
    with tarfile.open(tarballs[0]) as tar:
        assert any(name.startswith(str(VERSION_PATH) + "/") for name in tar.getnames())
    version_dir = data_dir / VERSION_PATH
    assert_same_examples(decoded_examples(version_dir), decoded_examples(expected))
    # Workers serialize deterministically too, and TFDS orders and shards alike: the same bytes.
    names = sorted(p.name for p in expected.iterdir())
    assert sorted(p.name for p in version_dir.iterdir()) == names
    for name in names:
        assert (version_dir / name).read_bytes() == (expected / name).read_bytes(), name


@needs_netns
def test_direct_runner_multi_processing(prepared, tmp_path: Path) -> None:
    builder, sources, expected = prepared
    data_dir = tmp_path / "data"
    cmd = build_command(
        "-lcs", str(builder), "--manual-dir", str(sources), "--config", "plain_text", "-o", str(data_dir),
        "--beam-option", "runner=DirectRunner",
        "--beam-option", "direct_running_mode=multi_processing",
        "--beam-option", "direct_num_workers=2",
    )  # fmt: skip
    result = subprocess.run(
        [*NETNS, *LOOPBACK_UP, *cmd], capture_output=True, text=True, env=clean_env(), cwd=tmp_path, timeout=300
    )
    _check_beam_build(result, data_dir, expected, "DirectRunner (its FnApiRunner), multi_processing, 2 workers")
    logs = "".join(p.read_text(errors="replace") for p in (data_dir / "_logs").glob("*.log"))
    assert "sdk_worker_main" in logs  # worker processes, not threads, ran the bundles


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(pid: int, *, enter: bool) -> str:
    """`ss -ltnp` lines of process `pid`, seen from our namespace, or from inside the pool's (`enter`)."""
    cmd = ["ss", "-ltnpH"]
    if enter:
        cmd = ["nsenter", "-t", str(pid), "-U", "-n", "--preserve-credentials", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
    return "\n".join(line for line in out.splitlines() if f"pid={pid}," in line)


@needs_netns
def test_portable_runner_with_external_worker_pool(prepared, tmp_path: Path) -> None:
    builder, sources, expected = prepared
    port = _free_port()
    pool_log = tmp_path / "pool.log"
    # The pool imports dsbuild as a worker image would (installed); the builder module arrives pickled by value.
    pool_env = clean_env(PYTHONPATH=str(ROOT))
    pool_cmd = [sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main", f"--service_port={port}"]
    with open(pool_log, "wb") as log:
        pool = subprocess.Popen(
            [*NETNS, *LOOPBACK_UP, *pool_cmd], stdout=log, stderr=subprocess.STDOUT, env=pool_env, cwd=tmp_path
        )
    try:
        deadline = time.monotonic() + 120
        while b"Started worker pool servicer" not in pool_log.read_bytes():
            assert pool.poll() is None and time.monotonic() < deadline, pool_log.read_text(errors="replace")
            time.sleep(0.2)  # polling for the pool's start-up line, not a timing assertion
        # unshare and sh exec, so the pool's PID is the one we started.
        inside = _listening(pool.pid, enter=True)
        assert f":{port} " in inside, inside
        # worker_pool_main binds [::]; in its namespace that is loopback only, and nothing shows on the host.
        assert _listening(pool.pid, enter=False) == ""
        links = subprocess.run(
            ["nsenter", "-t", str(pool.pid), "-U", "-n", "--preserve-credentials", "ip", "-o", "link"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.splitlines()
        assert [line.split(":")[1].strip() for line in links] == ["lo"]

        data_dir = tmp_path / "data"
        cmd = build_command(
            "-lcs", str(builder), "--manual-dir", str(sources), "--config", "plain_text", "-o", str(data_dir),
            "--beam-option", "runner=PortableRunner",
            "--beam-option", "job_endpoint=embed",
            "--beam-option", "environment_type=EXTERNAL",
            "--beam-option", f"environment_config=127.0.0.1:{port}",
        )  # fmt: skip
        enter = ["nsenter", "-t", str(pool.pid), "-U", "-n", "--preserve-credentials"]
        result = subprocess.run([*enter, *cmd], capture_output=True, text=True, env=clean_env(), timeout=300)
    finally:
        pool.terminate()
        try:
            pool.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pool.kill()
            pool.wait()
    _check_beam_build(result, data_dir, expected, f"PortableRunner, EXTERNAL environment at 127.0.0.1:{port}")
    assert "Starting worker with command" in pool_log.read_text(errors="replace")  # the pool ran the workers


# The other Beam-capable families, on the in-memory DirectRunner (one process: cheap), same bytes as in-process.
OTHER_BUILDERS = {
    "ucf101_clean": ("datasets", ["--config", "ucf101_1"], Path("ucf101_clean") / "ucf101_1" / "2.0.0"),
    "carla_video_tracking_dev": ("adversarial", [], Path("carla_video_tracking_dev") / "2.0.0"),
}


@needs_netns
@pytest.mark.parametrize("name", sorted(OTHER_BUILDERS))
def test_other_beam_builders_write_the_same_bytes(name: str, tmp_path: Path) -> None:
    category, extra, version_path = OTHER_BUILDERS[name]
    builder, sources = prepare_builder(name, category, tmp_path)
    common = ["-lcs", str(builder), "--manual-dir", str(sources), *extra]
    plain = run_script("build.py", *common, "-o", str(tmp_path / "plain"))
    assert plain.returncode == 0, plain.stderr[-3000:]
    cmd = build_command(*common, "-o", str(tmp_path / "beam"), "--beam-option", "direct_running_mode=in_memory")
    result = subprocess.run(
        [*NETNS, *LOOPBACK_UP, *cmd], capture_output=True, text=True, env=clean_env(), cwd=tmp_path, timeout=300
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "generated on:  Apache Beam DirectRunner (its FnApiRunner), in_memory, 1 worker" in result.stdout
    assert "using BeamWriter" in "".join(p.read_text(errors="replace") for p in tmp_path.glob("beam/_logs/*.log"))
    expected, built = tmp_path / "plain" / version_path, tmp_path / "beam" / version_path
    names = sorted(p.name for p in expected.iterdir())
    assert sorted(p.name for p in built.iterdir()) == names
    for file_name in names:
        assert (built / file_name).read_bytes() == (expected / file_name).read_bytes(), file_name
    assert (tmp_path / "beam" / f"{name}-{version_path.name}.tar.gz").is_file()


# ---- refused before building: exit 2, one clear message, nothing written for the dataset ----


def _refused(result: subprocess.CompletedProcess[str], data_dir: Path, *words: str) -> None:
    assert result.returncode == 2, result.stderr[-3000:]
    for word in words:
        assert word in result.stderr
    # Only bookkeeping (_logs, _locks) may exist: no dataset folder, tarball or checksum file.
    assert not [p.name for p in data_dir.glob("*") if not p.name.startswith("_")]


def test_beam_options_for_a_builder_that_cannot_use_them(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = run_script("build.py", "-lcs", str(EXAMPLE), "-o", str(data_dir), "--beam-option", "direct_num_workers=2")
    _refused(result, data_dir, "tiny_shapes cannot run on Apache Beam", "without Beam options")
    assert not (data_dir / "tiny_shapes").exists()


def test_unknown_beam_option(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    folder = str(ptransform_builder(tmp_path / "src"))  # a Beam builder: its options are checked next
    result = run_script(
        "build.py", "-lcs", folder, "-o", str(data_dir), "--beam-pipeline-options", "direct_num_wrkers=2"
    )
    _refused(result, data_dir, "unknown Beam option(s): direct_num_wrkers")
    assert "tfds output:" not in result.stderr  # no `tfds build` child was started


def test_bad_beam_option_value(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    folder = str(ptransform_builder(tmp_path / "src"))
    result = run_script("build.py", "-lcs", folder, "-o", str(data_dir), "--beam-option", "direct_num_workers=two")
    _refused(result, data_dir, "bad Beam option", "direct_num_workers")


def test_beam_option_that_is_not_key_value(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = run_script("build.py", "-lcs", str(EXAMPLE), "-o", str(data_dir), "--beam-option", "=2")
    _refused(result, data_dir, "is not KEY=VALUE")


def test_beam_with_max_examples_per_split(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    args = ["-lcs", str(ptransform_builder(tmp_path / "src")), "-o", str(data_dir), "--max-examples-per-split", "1"]
    result = run_script("build.py", *args, "--beam-option", "runner=DirectRunner")
    _refused(result, data_dir, "--max-examples-per-split cannot be used with Beam options")


def test_url_data_dir(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "-lcs", str(EXAMPLE), "-o", "s3://bucket/data"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=120,
    )
    assert result.returncode == 2
    assert "is a URL" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no local folder `s3:`


def test_beam_option_value_with_commas_reaches_beam(tmp_path: Path) -> None:
    # A comma inside a value survives (TFDS's own string would split it); the checked flags say so.
    from dsbuild.build.beam import collect_flags, describe

    flags = collect_flags("direct_num_workers=2", ['environment_config={"a": 1, "b": 2}', "runner=PortableRunner"])
    assert flags == ["--direct_num_workers=2", '--environment_config={"a": 1, "b": 2}', "--runner=PortableRunner"]
    assert describe(flags).flags == tuple(flags)


def test_timeout_stops_the_build_and_leaves_nothing(tmp_path: Path) -> None:
    started = tmp_path / "started"
    data_dir = tmp_path / "data"
    result = run_script(
        "build.py",
        "-lcs",
        str(FIXTURE_BUILDERS / "fixture_blocking"),
        "-o",
        str(data_dir),
        "--timeout",
        "30",
        env={"DSBUILD_FIXTURE_STARTED": str(started)},
    )
    assert result.returncode == 124, result.stderr[-3000:]
    assert "did not finish within --timeout 30 s" in result.stderr
    assert started.exists()  # it was stopped mid-build, not before
    assert not (data_dir / "fixture_blocking").exists()
    assert not list(data_dir.glob("fixture_blocking-*"))
