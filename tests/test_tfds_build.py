"""The `tfds build` child: its argv, failure reports, and clean-up when stopped."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dsbuild.build import tfds_child
from dsbuild.build.tfds_build import (
    TfdsOptions,
    VerifyRequest,
    child_command,
    remove_incomplete_dirs,
    run_tfds_build,
    tfds_command,
)
from dsbuild.errors import BuildFailedError, BuildTimeoutError, VerificationError

BASE = [sys.executable, "-m", "tensorflow_datasets.scripts.cli.main", "build"]


@pytest.mark.parametrize(
    ("options", "extra"),
    [
        (TfdsOptions(), []),
        (TfdsOptions(force_checksums_validation=True), ["--force_checksums_validation"]),
        (TfdsOptions(register_checksums=True, force_checksums_validation=True), ["--register_checksums"]),
        (TfdsOptions(manual_dir=Path("/m d")), ["--manual_dir=/m d"]),
        (TfdsOptions(download_dir=Path("/dl")), ["--download_dir=/dl"]),
        (TfdsOptions(config="full-size"), ["--config=full-size"]),
        (TfdsOptions(max_examples_per_split=5), ["--max_examples_per_split=5"]),
        (TfdsOptions(file_format="array_record"), ["--file_format=array_record"]),
        (TfdsOptions(num_processes=2), ["--num-processes=2"]),
        # Beam flags go to the child's hook (dsbuild.build.beam), never to TFDS's comma-split string.
        (TfdsOptions(beam_flags=("--direct_num_workers=2",)), []),
    ],
)
def test_argv(options: TfdsOptions, extra: list[str]) -> None:
    assert tfds_command("mnist", Path("/data dir"), options) == [*BASE, "mnist", "--data_dir=/data dir", *extra]


def test_metacharacters_stay_one_argument(tmp_path: Path) -> None:
    target = str(tmp_path / "a; touch pwned $(id)" / "my_ds")
    cmd = tfds_command(target, tmp_path, TfdsOptions())
    assert cmd[4] == target and cmd.count(target) == 1


def fake_child(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "child.py"
    script.write_text(body)
    return [sys.executable, str(script)]


def test_failure_shows_exit_code_tail_and_log(tmp_path: Path) -> None:
    cmd = fake_child(tmp_path, "import sys\nfor i in range(100): print(f'line {i}')\nsys.exit(3)\n")
    log_path = tmp_path / "logs" / "build.log"
    with pytest.raises(BuildFailedError) as caught:
        run_tfds_build(cmd, log_path, tmp_path / "data" / "toy")
    message = str(caught.value)
    assert "failed with exit code 3" in message
    assert "line 99" in message and "line 70" in message and "line 69" not in message
    assert f"Full log: {log_path}" in message
    assert "line 0\n" in log_path.read_text()


def test_timeout_stops_the_child_group_and_removes_partial_output(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "data" / "toy"
    body = (
        "import pathlib, subprocess, sys, time\n"
        f"d = pathlib.Path({str(dataset_dir)!r}) / 'incomplete.0123abcd.1.0.0'\n"
        "d.mkdir(parents=True)\n(d / 'shard').write_text('x')\n"
        # A grandchild in the same process group, as Beam's workers are: it must be stopped too.
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"pathlib.Path({str(tmp_path / 'grandchild')!r}).write_text(str(p.pid))\n"
        "time.sleep(600)\n"
    )
    with pytest.raises(BuildTimeoutError) as caught:
        run_tfds_build(fake_child(tmp_path, body), tmp_path / "b.log", dataset_dir, timeout=3)
    assert caught.value.exit_code == 124
    assert "did not finish within --timeout 3 s" in str(caught.value)
    assert not dataset_dir.exists()
    grandchild = Path(f"/proc/{int((tmp_path / 'grandchild').read_text())}/stat")

    def stopped() -> bool:  # gone, or a zombie waiting for a reaper (the container's init may not reap orphans)
        try:
            return grandchild.read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except FileNotFoundError:
            return True

    # SIGKILL to the group is delivered at once, but a busy machine may take a moment to run the exit:
    # wait for it (a safety net, not a timing assertion), then require it.
    give_up = time.monotonic() + 30
    while not stopped() and time.monotonic() < give_up:
        time.sleep(0.05)
    assert stopped()


def test_failure_removes_partial_output(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "data" / "toy"
    body = (
        "import pathlib, sys\n"
        f"d = pathlib.Path({str(dataset_dir)!r}) / 'incomplete.0123abcd.1.0.0'\n"
        "d.mkdir(parents=True)\n(d / 'shard').write_text('x')\nsys.exit(1)\n"
    )
    with pytest.raises(BuildFailedError):
        run_tfds_build(fake_child(tmp_path, body), tmp_path / "b.log", dataset_dir)
    assert not dataset_dir.exists()  # it did not exist before: nothing is left


def test_interrupt_stops_the_child_and_cleans_up(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "data" / "toy"
    started = tmp_path / "started"
    pid_file = tmp_path / "pid"
    body = (
        "import os, pathlib, time\n"
        f"pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\n"
        f"d = pathlib.Path({str(dataset_dir)!r}) / 'cfg' / 'incomplete.0123abcd.1.0.0'\n"
        "d.mkdir(parents=True)\n"
        f"pathlib.Path({str(started)!r}).touch()\n"
        "time.sleep(600)\n"
    )
    cmd = fake_child(tmp_path, body)
    done = threading.Event()

    # Deliver Ctrl-C to the main thread (where Python raises it) once the child is mid-build.
    def interrupt_when_started() -> None:
        while not started.exists() and not done.wait(0.05):
            pass
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    watcher = threading.Thread(target=interrupt_when_started)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_tfds_build(cmd, tmp_path / "b.log", dataset_dir)
    finally:
        done.set()
        watcher.join()
    child_pid = int(pid_file.read_text())
    assert not Path(f"/proc/{child_pid}").exists() or "zombie" in Path(f"/proc/{child_pid}/status").read_text()
    assert not dataset_dir.exists()


def test_remove_incomplete_dirs_keeps_finished_versions(tmp_path: Path) -> None:
    (tmp_path / "1.0.0").mkdir()
    (tmp_path / "incomplete.abc.1.0.0").mkdir()
    (tmp_path / "cfg" / "incomplete.def.2.0.0").mkdir(parents=True)
    (tmp_path / "cfg" / "2.0.0").mkdir()
    removed = remove_incomplete_dirs(tmp_path)
    assert sorted(p.name for p in removed) == ["incomplete.abc.1.0.0", "incomplete.def.2.0.0"]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["1.0.0", "cfg", "cfg/2.0.0"]


def test_child_command_wraps_the_tfds_argv(tmp_path: Path) -> None:
    tfds_cmd = tfds_command("mnist", tmp_path, TfdsOptions())
    request = VerifyRequest(tmp_path, "mnist", "3.0.1", all_examples=True)
    cmd = child_command(tfds_cmd, request, tmp_path / "r")
    assert cmd[:4] == [sys.executable, "-m", "dsbuild.build.tfds_child", "--verify"]
    assert json.loads(cmd[4]) == {
        "data_dir": str(tmp_path),
        "name": "mnist",
        "version": "3.0.1",
        "all_examples": True,
        "result": str(tmp_path / "r"),
    }
    assert cmd[5:] == ["--", "build", "mnist", f"--data_dir={tmp_path}"]


def test_child_reports_a_build_that_does_not_verify(tmp_path: Path) -> None:
    (tmp_path / "toy" / "1.0.0").mkdir(parents=True)  # no dataset_info.json
    result = tmp_path / "result"
    request = {
        "data_dir": str(tmp_path),
        "name": "toy",
        "version": "1.0.0",
        "all_examples": False,
        "result": str(result),
    }
    assert tfds_child.verify(request) == tfds_child.VERIFY_FAILED
    assert "has no dataset_info.json, features.json" in result.read_text()
    request["name"] = "other"
    assert tfds_child.verify(request) == tfds_child.VERIFY_FAILED
    assert "left no other 1.0.0" in result.read_text()


def test_verification_failure_in_the_child_is_a_verification_error(tmp_path: Path) -> None:
    log_path = tmp_path / "b.log"
    body = (
        f"import pathlib, sys\npathlib.Path({str(log_path.with_suffix('.verify'))!r}).write_text('split train does not load')\n"
        f"sys.exit({tfds_child.VERIFY_FAILED})\n"
    )
    with pytest.raises(VerificationError, match="split train does not load\nFull log: "):
        run_tfds_build(fake_child(tmp_path, body), log_path, tmp_path / "data" / "toy")


FLAG_LIKE = ["--register_checksums", "-h", "--data_dir=/tmp/x"]


def test_flag_like_values_reach_tfds_as_values(tmp_path: Path) -> None:
    """build.py's pass-through options, parsed by the real `tfds build` (its --dry_run prints what it parsed).

    Beam options never reach TFDS's command line (tests/test_beam_options.py)."""
    import build

    running = []
    for value in FLAG_LIKE:
        args = build.make_parser().parse_args(["-ds", "mnist", f"--download-dir={value}"])
        options = TfdsOptions(
            download_dir=Path(args.download_dir),  # build.py makes it absolute; kept raw here on purpose
            manual_dir=Path(value),
        )
        cmd = tfds_command("mnist", tmp_path / "data", options)
        assert cmd[:3] == BASE[:3]
        # Started together: each pays TensorFlow's import once.
        proc = subprocess.Popen(
            [*cmd[:3], "--dry_run", "true", *cmd[3:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        running.append((value, proc))
    for value, proc in running:
        parsed, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        assert f"download_dir=PosixGPath({value!r})" in parsed
        assert f"manual_dir=PosixGPath({value!r})" in parsed
        assert f"data_dir=PosixGPath({str(tmp_path / 'data')!r})" in parsed
        assert "register_checksums=False" in parsed
