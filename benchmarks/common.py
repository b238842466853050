"""common.py: what every section of run.py shares.

Settings and results (Row, Results, the Markdown table), timing (run, run_json,
ABBA alternation, speed rows, crash-tolerant sections), the fixture (Fixture,
make), the compression level users get, and the test S3 server's environment.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import platform
import runpy
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Run as `python benchmarks/run.py`: Python puts this directory first on the path, so the
# sibling modules import plainly; dsbuild is installed (pip install -e .).
import make_fixture

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
PYTHON = sys.executable
MIB = 2**20
GIB = 2**30


def s3_server_module() -> Any:
    """tests/s3_server.py (the real test S3 server), loaded by path: tests/ is not an installed package."""
    spec = importlib.util.spec_from_file_location("dsbuild_bench_s3_server", REPO / "tests" / "s3_server.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look the module up by name
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Settings:
    size_mib: float
    repeats: int
    grid_repeats: int
    part_mib: tuple[int, ...]
    concurrency: tuple[int, ...]
    scale_mib: tuple[int, ...]
    startup_runs: int
    build_repeats: int
    work: Path
    sections: tuple[str, ...]


@dataclass
class Row:
    operation: str
    ours: str
    baseline: str
    ratio: str
    goal: str
    met: bool | None  # None: informational, no goal

    @property
    def verdict(self) -> str:
        return {True: "met", False: "NOT MET", None: "info"}[self.met]


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # further tables printed after the main one


# ---------------------------------------------------------------- helpers


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def fmt_size(size: float) -> str:
    return f"{size / GIB:.2f} GiB" if size >= GIB else f"{size / MIB:.1f} MiB"


def run(cmd: Sequence[str], *, cwd: Path | None = None, log: Path | None = None) -> float:
    """Run a command to completion and return its wall time; its output goes to `log` (or nowhere)."""
    started = time.perf_counter()
    with open(log or os.devnull, "ab") as out:
        code = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=False).returncode
    elapsed = time.perf_counter() - started
    if code != 0:
        where = f"; see {log}" if log else ""
        raise RuntimeError(f"{shlex.join(cmd)} exited with {code}{where}")
    return elapsed


@dataclass(frozen=True)
class Measured:
    """One whole process as GNU time saw it."""

    wall: float  # seconds
    cpu: float  # user + system seconds, its children included
    peak_rss: int  # bytes, the largest of the process and its children

    @property
    def cores(self) -> float:
        """CPU seconds per wall second: 1.0 is one core kept busy, 2.0 two."""
        return self.cpu / self.wall


def run_measured(cmd: Sequence[str]) -> Measured:
    """Run a whole process under GNU time (`/usr/bin/time`); its output is discarded.

    The peak comes from GNU time: a child forked from this (large) process would
    count this process's pages in its own ru_maxrss until it execs.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%U %S %M", "-o", report.name, *cmd],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"{shlex.join(cmd)} exited with {proc.returncode}: {proc.stderr.decode()[-2000:]}")
        user, system, kib = report.read().split()[-3:]  # GNU time reports the peak in KiB
    return Measured(elapsed, float(user) + float(system), int(kib) * 1024)


def run_json(cmd: Sequence[str]) -> dict[str, float]:
    """Run a command that prints one JSON object on stdout, and return it."""
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited with {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout)


def alternate(
    ours: Callable[[int], float], baseline: Callable[[int], float], repeats: int, label: str
) -> tuple[list[float], list[float]]:
    """Run both `repeats` times in ABBA order; each callable returns the seconds of its timed part."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(repeats):
        order = ((0, ours), (1, baseline)) if i % 2 == 0 else ((1, baseline), (0, ours))
        for which, fn in order:
            # Start each run with nothing dirty: otherwise the side that does not fsync
            # (tar, sha256sum) leaves its write-back to slow down the next run.
            os.sync()
            times[which].append(fn(i))
        say(f"{label} #{i + 1}: ours {fmt_s(times[0][-1])}, baseline {fmt_s(times[1][-1])}")
    return times


class PackOnlySideBySide:
    """`build.py --pack-only` of a fixture (a whole process, measured) against `tar czf` + `sha256sum`.

    `ours` and `baseline` are the two callables `alternate` takes; `measured` keeps every run of ours."""

    def __init__(self, fx: Fixture, work: Path) -> None:
        from dsbuild.paths import checksum_file_name, tarball_name

        self.fx = fx
        self.tarball = fx.data_dir / tarball_name(fx.name, fx.version)
        self.checksum = fx.data_dir / checksum_file_name(fx.name, fx.version)
        self.base_tar = work / "base.tar.gz"
        self.measured: list[Measured] = []
        # Warm the page cache so neither side pays for the first read.
        run(["bash", "-c", f"tar cf - -C {shlex.quote(str(fx.data_dir))} {shlex.quote(fx.subdir)} | cat > /dev/null"])

    def ours(self, _: int) -> float:
        self.tarball.unlink(missing_ok=True)
        self.checksum.unlink(missing_ok=True)
        self.measured.append(
            run_measured([PYTHON, str(REPO / "build.py"), "--pack-only", self.fx.name, "-o", str(self.fx.data_dir)])
        )
        return self.measured[-1].wall

    def baseline(self, _: int) -> float:
        self.base_tar.unlink(missing_ok=True)
        fx = self.fx
        return run(["tar", "czf", str(self.base_tar), "-C", str(fx.data_dir), fx.subdir]) + run(
            ["sha256sum", str(self.base_tar)]
        )


def speed_row(operation: str, ours: list[float], baseline: list[float], at_least: float) -> Row:
    """A row whose goal is 'ours at least `at_least` times faster than the baseline' (medians)."""
    o, b = statistics.median(ours), statistics.median(baseline)
    speedup = b / o
    return Row(operation, fmt_s(o), fmt_s(b), f"{speedup:.1f}× faster", f"≥ {at_least:g}× faster", speedup >= at_least)


@contextmanager
def section(results: Results, name: str, settings: Settings) -> Iterator[bool]:
    """Run a section if selected; a crash becomes a NOT MET row instead of ending the run."""
    if name not in settings.sections:
        yield False
        return
    say(f"--- {name}")
    started = time.monotonic()
    try:
        yield True
    except Exception as exc:  # a benchmark of code under change must report, not stop
        traceback.print_exc(file=sys.stderr)
        results.rows.append(Row(f"{name}: failed", "-", "-", "-", "runs", False))
        say(f"{name} failed: {type(exc).__name__}: {exc}")
    say(f"{name} took {time.monotonic() - started:.0f} s")


# ---------------------------------------------------------------- fixture


@dataclass(frozen=True)
class Fixture:
    data_dir: Path
    name: str
    version: str
    subdirs: tuple[str, ...]
    size: int  # bytes of files in the dataset

    @property
    def subdir(self) -> str:
        return self.subdirs[0]


def make(data_dir: Path, size_mib: float, pool: make_fixture.Pool) -> Fixture:
    from dsbuild.artifact.built_dataset import check_structure, from_directory

    started = time.monotonic()
    version_dir = make_fixture.make_fixture(data_dir, size_mib, pool=pool)
    built = from_directory(version_dir)
    check_structure(built)  # the fixture must pass as a real build
    size = make_fixture.tree_size(version_dir)
    say(f"fixture {version_dir}: {fmt_size(size)} in {time.monotonic() - started:.1f} s")
    return Fixture(built.data_dir, built.name, built.version, tuple(built.subdirs), size)


@functools.cache
def user_compression_level() -> int:
    """The level build.py uses when the user passes none (what users actually get).

    The entry script is not importable from here (`python benchmarks/run.py` puts benchmarks/,
    not the repository, first on the path), so its parser comes from running the file by path.
    """
    entry = runpy.run_path(str(REPO / "build.py"), run_name="dsbuild_bench_build_entry")
    return int(entry["make_parser"]().parse_args(["--list"]).compression_level)


def s3_environment(work: Path) -> None:
    """Only the test server's credentials, through armory's variables; nothing from this machine."""
    server_module = s3_server_module()
    for name in server_module.AWS_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_CONFIG_FILE": str(work / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(work / "aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_DEFAULT_REGION": "us-east-1",
            "ARMORY_PRIVATE_S3_ID": server_module.ADMIN_ID,
            "ARMORY_PRIVATE_S3_KEY": server_module.ADMIN_SECRET,
        }
    )


# ---------------------------------------------------------------- report


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def table(rows: Sequence[Row]) -> str:
    header = ("operation", "ours", "baseline", "ratio", "goal", "result")
    cells = [header] + [(r.operation, r.ours, r.baseline, r.ratio, r.goal, r.verdict) for r in rows]
    # A literal | (as in `tar cf - | cat`) would end a Markdown cell.
    lines = ["| " + " | ".join(cell.replace("|", "\\|") for cell in c) + " |" for c in cells]
    lines.insert(1, "|---|---:|---:|---:|---|---|")
    return "\n".join(lines)
