"""The one place that starts `tfds build` as a child process.

An argument list, never a shell; the same interpreter and environment as ours.
Output goes to a log file; on failure the error carries the exit code, the last
lines and the log's path. Ctrl-C or SIGTERM stops the child's whole process
group and removes the `incomplete.*` directories TFDS was writing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dsbuild.build.beam import BEAM_REFUSED
from dsbuild.build.progress import BuildProgress
from dsbuild.build.tfds_child import VERIFY_FAILED
from dsbuild.errors import BuildFailedError, BuildTimeoutError, UsageError, VerificationError
from dsbuild.log import log
from dsbuild.media_tools import path_with_tools
from dsbuild.paths import INCOMPLETE_PREFIX, create_new

TAIL_LINES = 30
# How long the child gets to exit after each signal before the next, stronger one.
STOP_GRACE_SECONDS = (10.0, 5.0)


@dataclass(frozen=True)
class TfdsOptions:
    """Options passed through to `tfds build`."""

    register_checksums: bool = False
    force_checksums_validation: bool = False
    manual_dir: Path | None = None
    download_dir: Path | None = None
    config: str | None = None
    max_examples_per_split: int | None = None
    file_format: str | None = None
    num_processes: int | None = None
    # Checked `--key=value` Beam flags (dsbuild.build.beam); the child installs them, never via TFDS's comma string.
    beam_flags: tuple[str, ...] = ()


def tfds_command(target: str, data_dir: Path, options: TfdsOptions, imports: str | None = None) -> list[str]:
    """The argv for `tfds build`, run by this interpreter.

    `target` is a validated dataset name (`name:version` with `imports`) or an
    absolute path, so it can never be taken for an option. `tfds build PATH`
    builds only the default VERSION; another version is built as
    `tfds build --imports MODULE name:version` (see `versioned_target`).
    """
    cmd = [sys.executable, "-m", "tensorflow_datasets.scripts.cli.main", "build", target]
    # Every value goes in `--flag=value` form: a value that starts with '-' (or
    # holds '=') stays that flag's value and can never become a flag of its own.
    if imports is not None:
        cmd.append(f"--imports={imports}")
    cmd.append(f"--data_dir={data_dir}")
    if options.register_checksums:
        cmd.append("--register_checksums")
    elif options.force_checksums_validation:
        cmd.append("--force_checksums_validation")
    valued = (
        ("--manual_dir", options.manual_dir),
        ("--download_dir", options.download_dir),
        ("--config", options.config),
        ("--max_examples_per_split", options.max_examples_per_split),
        ("--file_format", options.file_format),
        ("--num-processes", options.num_processes),
    )
    cmd += [f"{flag}={value}" for flag, value in valued if value is not None]
    return cmd


def versioned_target(module: Path, name: str, version: str) -> tuple[str, str, Path]:
    """(target, imports, sys.path entry) to build `version` of the builder in `module` (a builder folder's file).

    TFDS imports `<folder>.<module>` with the folder's parent on sys.path, the
    way `tfds build PATH` itself loads a builder folder.
    """
    return f"{name}:{version}", f"{module.parent.name}.{module.stem}", module.parent.parent


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return "".join(deque(f, maxlen=lines)).rstrip("\n")


def stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT, then SIGTERM, then SIGKILL the child's process group until it is gone."""
    for sig, grace in zip((signal.SIGINT, signal.SIGTERM), STOP_GRACE_SECONDS, strict=True):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


# Children started by worker threads (build.py -j N), so the main thread can stop them all.
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()


def stop_all_builds() -> None:
    """Stop every running `tfds build` child; their worker threads then clean up and fail."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for proc in running:
        stop_process_group(proc)


def remove_incomplete_dirs(dataset_dir: Path) -> list[Path]:
    """Remove TFDS's `incomplete.*` work directories (one or two levels down: configs)."""
    removed: list[Path] = []
    if not dataset_dir.is_dir():
        return removed
    configs = [p for p in dataset_dir.iterdir() if p.is_dir() and not p.name.startswith(INCOMPLETE_PREFIX)]
    for level in (dataset_dir, *configs):
        for entry in level.iterdir():
            if entry.name.startswith(INCOMPLETE_PREFIX):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed.append(entry)
    return removed


@dataclass(frozen=True)
class VerifyRequest:
    """What the child checks after a successful build (see dsbuild.build.tfds_child)."""

    data_dir: Path
    name: str
    version: str
    all_examples: bool = False
    # A builder module to import and build `version` of as if it were the class's VERSION (older_version).
    generate_as_module: str | None = None


def child_command(
    tfds_cmd: list[str], verify: VerifyRequest, result: Path, beam_flags: Sequence[str] = ()
) -> list[str]:
    """Run `tfds_cmd` (from `tfds_command`) through dsbuild.build.tfds_child, which then verifies the result."""
    request = {
        "data_dir": str(verify.data_dir),
        "name": verify.name,
        "version": verify.version,
        "all_examples": verify.all_examples,
        "result": str(result),
    }
    if beam_flags:
        request["beam_flags"] = list(beam_flags)
    if verify.generate_as_module:
        request["generate_as_module"] = verify.generate_as_module
    return [sys.executable, "-m", "dsbuild.build.tfds_child", "--verify", json.dumps(request), "--", *tfds_cmd[3:]]


def child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: our environment), with ffmpeg/ffprobe on PATH (the system's, else the pinned wheel's)."""
    env = dict(os.environ if base is None else base)
    path = path_with_tools(env.get("PATH"))
    if path is not None:
        env["PATH"] = path
    return env


def run_tfds_build(
    cmd: list[str],
    log_path: Path,
    dataset_dir: Path,
    verify: VerifyRequest | None = None,
    sys_path: Path | None = None,
    *,
    beam_flags: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> float:
    """Run `cmd`, its output to `log_path`, in environment `env` (default: ours); return the seconds it took.

    With `verify`, the child also checks that the build is whole and loads,
    and a failed check raises VerificationError; with `beam_flags` (needs
    `verify`) it runs on Beam, and a builder that cannot raises UsageError.
    Raises BuildFailedError on any other non-zero exit, BuildTimeoutError
    after `timeout` seconds (the process group is stopped). On any failure
    or interruption the partial TFDS output under `dataset_dir` is removed.
    `sys_path` is appended to the child's PYTHONPATH (for `--imports`).
    """
    if importlib.util.find_spec("tensorflow_datasets") is None:
        raise BuildFailedError(
            "tensorflow-datasets is not installed in this Python; run `pip install -r requirements.txt`"
        )
    existed = dataset_dir.exists()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    result = log_path.with_suffix(".verify")
    if verify is not None:
        cmd = child_command(cmd, verify, result, beam_flags)
    child_environment = child_env(env)
    if sys_path is not None:
        child_environment["PYTHONPATH"] = os.pathsep.join(
            p for p in (child_environment.get("PYTHONPATH"), str(sys_path)) if p
        )
    # The internal child command is for the log file (its first line) and -v debug, not the console.
    log.debug("running: {}", shlex.join(cmd))
    log.info("tfds output: {}", log_path)
    start = time.monotonic()
    with create_new(log_path) as log_file:
        log_file.write(f"$ {shlex.join(cmd)}\n".encode())
        log_file.flush()
        # A new session: a terminal's Ctrl-C reaches only us, and we stop the whole group.
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=child_environment,
        )
        with _RUNNING_LOCK:
            _RUNNING.add(proc)
        try:
            with BuildProgress(dataset_dir.name, log_path):
                returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process_group(proc)
            _clean_partial(dataset_dir, existed, log_path)
            raise BuildTimeoutError(
                f"`tfds build` did not finish within --timeout {timeout:g} s; stopped it and removed its partial "
                f"output. Full log: {log_path}"
            ) from None
        except BaseException:
            stop_process_group(proc)
            _clean_partial(dataset_dir, existed, log_path)
            raise
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(proc)
    elapsed = time.monotonic() - start
    if returncode == BEAM_REFUSED and beam_flags and result.is_file():
        reason = result.read_text(encoding="utf-8")
        result.unlink()
        _clean_partial(dataset_dir, existed, log_path)
        raise UsageError(reason)
    if returncode == VERIFY_FAILED and result.is_file():
        reason = result.read_text(encoding="utf-8")
        result.unlink()
        raise VerificationError(f"{reason}\nFull log: {log_path}")
    if returncode != 0:
        _clean_partial(dataset_dir, existed, log_path)
        last = tail(log_path)
        raise BuildFailedError(
            f"`tfds build` failed with exit code {returncode}. Last {TAIL_LINES} lines of its output:\n"
            f"{last}\nFull log: {log_path}",
            log_path=str(log_path),
            tail=last,
        )
    return elapsed


# TFDS downloads each file into `<download dir>/.../<file>.tmp.<uuid hex>/` and logs this line first; a failed
# or stopped download leaves that directory behind.
_DOWNLOAD_TEMP = re.compile(r"Downloading \S+ into (/\S+?\.tmp\.[0-9a-f]{32})\.\.\.")


def remove_download_temps(log_path: Path) -> list[Path]:
    """Remove the download temp directories a failed `tfds build` logged (and its emptied per-dataset folder)."""
    removed: list[Path] = []
    try:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            found = {Path(m[1]) for line in f for m in [_DOWNLOAD_TEMP.search(line)] if m}
    except OSError:
        return removed
    for temp in sorted(found):
        if temp.is_dir() and not temp.is_symlink():
            shutil.rmtree(temp, ignore_errors=True)
            removed.append(temp)
            with contextlib.suppress(OSError):
                temp.parent.rmdir()  # only when empty: TFDS's per-dataset download folder
    return removed


def _clean_partial(dataset_dir: Path, existed: bool, log_path: Path | None = None) -> None:
    removed = remove_incomplete_dirs(dataset_dir)
    if log_path is not None:
        removed += remove_download_temps(log_path)
    if removed:
        log.info("removed partial build output: {}", ", ".join(str(p) for p in removed))
    if not existed and dataset_dir.is_dir() and not any(p.is_file() for p in dataset_dir.rglob("*")):
        shutil.rmtree(dataset_dir, ignore_errors=True)
