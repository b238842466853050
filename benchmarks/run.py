#!/usr/bin/env python3
"""run.py: measure dsbuild against the plain-tools way, side by side, for every goal of issue 6.

Each comparison alternates our run and the baseline's (ABBA order, so neither
always runs on a warmer machine), repeats, and compares medians. The result is
a Markdown table: operation, ours, baseline, ratio, goal, met. Exit status 1
when a goal is not met (or a comparison failed), 0 otherwise.

    python benchmarks/run.py --quick      # about 2 minutes: small fixture, 1-2 repeats
    python benchmarks/run.py              # the full run (1 GiB fixture), about 10-15 minutes
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent

# Run as `python benchmarks/run.py`: Python puts this directory first on the path, so the
# sibling fixture writer imports plainly; dsbuild is installed (pip install -e .).
import make_fixture  # noqa: E402

if TYPE_CHECKING:
    from tests.s3_server import WeedServer


def _s3_server_module() -> Any:
    """tests/s3_server.py (the real test S3 server), loaded by path: tests/ is not an installed package."""
    spec = importlib.util.spec_from_file_location("dsbuild_bench_s3_server", REPO / "tests" / "s3_server.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look the module up by name
    spec.loader.exec_module(module)
    return module


PYTHON = sys.executable
MIB = 2**20
GIB = 2**30
SECTIONS = ("pack", "extract", "upload", "cli", "startup", "build", "jobs", "scaling")
HEAVY_MODULES = ("tensorflow", "tensorflow_datasets", "boto3", "botocore")


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


def checked_tree_equal(a: Path, b: Path) -> None:
    """Both extractions must give the same files with the same sizes (cheap sanity check)."""
    sizes = [{str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()} for root in (a, b)]
    if sizes[0] != sizes[1]:
        raise RuntimeError(f"extractions differ: {a} vs {b}")


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


def user_compression_level() -> int:
    """The level build.py uses when the user passes none (what users actually get)."""
    import build

    return int(build.make_parser().parse_args(["--list"]).compression_level)


# ---------------------------------------------------------------- pack + checksum


@dataclass
class Packed:
    tarball: Path
    size: int
    sha256: str
    level: int


def bench_pack(fx: Fixture, settings: Settings, results: Results) -> Packed:
    from dsbuild.artifact.tarball import write_tarball

    work = settings.work / "pack"
    work.mkdir()
    level = user_compression_level()
    ours_tar, base_tar = work / "ours.tar.gz", work / "base.tar.gz"
    src = shlex.quote(str(fx.data_dir))
    sub = shlex.quote(fx.subdir)
    # GNU tar skips reading file data when its output is literally /dev/null, hence the cat.
    floor_cmd = ["bash", "-c", f"tar cf - -C {src} {sub} | cat > /dev/null"]
    run(floor_cmd)  # warm the page cache for everyone
    digests: list[tuple[int, str]] = []

    def ours(_: int) -> float:
        ours_tar.unlink(missing_ok=True)
        started = time.perf_counter()
        digests.append(write_tarball(fx.data_dir, fx.subdirs, ours_tar, level))
        return time.perf_counter() - started

    def baseline(_: int) -> float:
        base_tar.unlink(missing_ok=True)
        # The seed's documented way: tar with gzip -6, then sha256sum.
        return run(["tar", "czf", str(base_tar), "-C", str(fx.data_dir), fx.subdir]) + run(["sha256sum", str(base_tar)])

    ours_t, base_t = alternate(ours, baseline, settings.repeats, "pack + sha256")
    floor_t = [run(floor_cmd) for _ in range(settings.repeats)]
    # A second floor that, like ours, also writes the tar to disk and syncs it.
    plain = work / "plain.tar"
    disk_cmd = ["bash", "-c", f"tar cf {shlex.quote(str(plain))} -C {src} {sub} && sync {shlex.quote(str(plain))}"]
    disk_t = [run(disk_cmd) for _ in range(settings.repeats)]
    plain.unlink()
    size, sha256 = digests[-1]
    label = f"pack + sha256 ({fmt_size(fx.size)}; ours: ISA-L level {level})"
    results.rows.append(speed_row(label, ours_t, base_t, 8))
    base_size = base_tar.stat().st_size
    ratio = size / base_size
    results.rows.append(
        Row("tarball size vs gzip -6", fmt_size(size), fmt_size(base_size), f"{ratio:.3f}", "≤ 1.15", ratio <= 1.15)
    )
    o, f = statistics.median(ours_t), statistics.median(floor_t)
    results.rows.append(
        Row("pack vs floor (tar cf - | cat)", fmt_s(o), fmt_s(f), f"{o / f:.1f}×", "≤ 3× the floor", o / f <= 3)
    )
    d = statistics.median(disk_t)
    results.rows.append(
        Row("pack vs floor writing to disk (tar cf FILE; sync FILE)", fmt_s(o), fmt_s(d), f"{o / d:.1f}×", "-", None)
    )
    results.rows.append(reproducibility_row(fx, work, level, {d[1] for d in digests}))
    base_tar.unlink()
    return Packed(ours_tar, size, sha256, level)


def reproducibility_row(fx: Fixture, work: Path, level: int, seen: set[str]) -> Row:
    """Same sha256 on every run, and with 1 thread as with the default."""
    from dsbuild.artifact.tarball import write_tarball

    single = work / "one-thread.tar.gz"
    seen = seen | {write_tarball(fx.data_dir, fx.subdirs, single, level, threads=1)[1]}
    single.unlink()
    same = len(seen) == 1
    return Row(
        "tarball sha256 reproducible (every run, 1 thread vs default)",
        "same" if same else "differs",
        "-",
        "-",
        "same",
        same,
    )


# ---------------------------------------------------------------- verify + extract


def bench_extract(fx: Fixture, packed: Packed, settings: Settings, results: Results) -> None:
    from dsbuild.artifact.checksums import ChecksumRecord
    from dsbuild.artifact.extract import extract_tarball

    work = settings.work / "extract"
    work.mkdir()
    record = ChecksumRecord(fx.name, fx.version, packed.size, packed.sha256, fx.subdirs)

    def ours(i: int) -> float:
        dest = work / f"ours-{i}"
        started = time.perf_counter()
        extract_tarball(packed.tarball, dest, fx.subdirs, expected=record)
        return time.perf_counter() - started

    def baseline(i: int) -> float:
        dest = work / f"base-{i}"
        dest.mkdir()
        return run(["sha256sum", str(packed.tarball)]) + run(["tar", "xzf", str(packed.tarball), "-C", str(dest)])

    ours_t, base_t = alternate(ours, baseline, settings.repeats, "verify + extract")
    checked_tree_equal(work / "ours-0", work / "base-0")
    results.rows.append(speed_row("verify + extract (extract_tarball(expected=))", ours_t, base_t, 4))
    shutil.rmtree(work)


# ---------------------------------------------------------------- upload


def s3_environment(work: Path) -> None:
    """Only the test server's credentials, through armory's variables; nothing from this machine."""
    server_module = _s3_server_module()
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


def bench_upload(fx: Fixture, packed: Packed, settings: Settings, results: Results) -> None:
    from boto3.s3.transfer import TransferConfig

    from dsbuild.artifact.tarball import pack
    from dsbuild.log import configure
    from dsbuild.remote import s3, s3_transfer
    from dsbuild.remote.location import RemoteOptions
    from dsbuild.remote.upload import upload

    WeedServer = _s3_server_module().WeedServer  # noqa: N806

    configure("warning")
    work = settings.work / "upload"
    (work / "data").mkdir(parents=True)
    s3_environment(work)
    # As a user does it: build.py packs (tarball, checksum file and the digest taken while
    # packing, which lets upload.py skip reading the tarball again), then upload.py uploads.
    tarball = pack(fx.data_dir, fx.name, fx.version, fx.subdirs, out_dir=work).tarball
    server = WeedServer(work / "seaweedfs").start()
    try:
        bucket = server.create_bucket("dsbuild-bench")
        client = server.client()

        def bare(config: TransferConfig, key: str) -> float:
            started = time.perf_counter()
            server.client().upload_file(str(tarball), bucket, key, Config=config)
            elapsed = time.perf_counter() - started
            client.delete_object(Bucket=bucket, Key=key)
            compact(server)
            return elapsed

        grid: dict[tuple[int, int], float] = {}
        for part in settings.part_mib:
            for conc in settings.concurrency:
                config = TransferConfig(
                    multipart_threshold=part * MIB, multipart_chunksize=part * MIB, max_concurrency=conc
                )
                times = []
                for _ in range(settings.grid_repeats):
                    os.sync()
                    times.append(bare(config, f"grid/{part}-{conc}"))
                grid[part, conc] = packed.size / MIB / statistics.median(times)
                say(f"boto3 upload_file, {part} MiB parts × {conc} threads: {grid[part, conc]:.0f} MiB/s")
        best_part, best_conc = max(grid, key=grid.__getitem__)
        best = TransferConfig(
            multipart_threshold=best_part * MIB, multipart_chunksize=best_part * MIB, max_concurrency=best_conc
        )

        def ours(i: int) -> float:
            options = RemoteOptions(bucket=bucket, endpoint_url=server.endpoint, prefix=f"ours-{i}/", progress=False)
            started = time.perf_counter()
            statuses = [r.status for r in upload(work / "data", [str(tarball)], options)]
            elapsed = time.perf_counter() - started
            if statuses != [s3_transfer.UPLOADED]:
                raise RuntimeError(f"dsbuild.remote.upload.upload reported {statuses}, expected one upload")
            for key in s3.list_keys(client, bucket, f"ours-{i}/"):
                client.delete_object(Bucket=bucket, Key=key)
            compact(server)
            return elapsed

        ours_t, base_t = alternate(ours, lambda i: bare(best, f"base-{i}"), settings.repeats, "upload")
        started = time.perf_counter()
        s3_transfer.digest_for_upload(tarball)
        hashing = time.perf_counter() - started
    finally:
        server.stop()
    o, b = packed.size / MIB / statistics.median(ours_t), packed.size / MIB / statistics.median(base_t)
    results.rows.append(
        Row(
            f"upload {fmt_size(packed.size)} (dsbuild.remote.upload vs boto3 {best_part} MiB × {best_conc})",
            f"{o:.0f} MiB/s",
            f"{b:.0f} MiB/s",
            f"{o / b:.2f}×",
            "≥ 0.9× the throughput",
            o / b >= 0.9,
        )
    )
    results.rows.append(
        Row(
            "of which: digest_for_upload (tarball unchanged since packed: not read)",
            fmt_s(hashing),
            "-",
            "-",
            "-",
            None,
        )
    )
    current = (s3.PART_SIZE // MIB, s3.MAX_CONCURRENCY)
    results.extra.append(grid_table(grid, settings, (best_part, best_conc), current))


# ---------------------------------------------------------------- whole commands (issue 12, item 8)


def run_measured(cmd: Sequence[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in bytes) of one whole process; output discarded.

    The peak comes from GNU time: a child forked from this (large) process would
    count this process's pages in its own ru_maxrss until it execs.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        started = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"{shlex.join(cmd)} exited with {proc.returncode}: {proc.stderr.decode()[-2000:]}")
        return elapsed, int(rss.read().split()[-1]) * 1024  # GNU time reports KiB


BOTO3_DOWNLOAD = """
import os, sys, boto3
client = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=os.environ["ARMORY_PRIVATE_S3_ID"],
                      aws_secret_access_key=os.environ["ARMORY_PRIVATE_S3_KEY"])
client.download_file(sys.argv[2], sys.argv[3], sys.argv[4])
"""


def bench_cli(fx: Fixture, settings: Settings, results: Results) -> None:
    """build.py --pack-only and download.py as a user runs them, each a whole process, against the plain tools."""
    from dsbuild.paths import checksum_file_name, tarball_name
    from dsbuild.remote.location import RemoteOptions
    from dsbuild.remote.upload import upload

    WeedServer = _s3_server_module().WeedServer  # noqa: N806

    work = settings.work / "cli"
    work.mkdir()
    tarball, checksum = (
        fx.data_dir / tarball_name(fx.name, fx.version),
        fx.data_dir / checksum_file_name(fx.name, fx.version),
    )
    base_tar = work / "base.tar.gz"
    run(["bash", "-c", f"tar cf - -C {shlex.quote(str(fx.data_dir))} {shlex.quote(fx.subdir)} | cat > /dev/null"])
    peaks: list[int] = []

    def pack_ours(_: int) -> float:
        tarball.unlink(missing_ok=True)
        checksum.unlink(missing_ok=True)
        elapsed, peak = run_measured([PYTHON, str(REPO / "build.py"), "--pack-only", fx.name, "-o", str(fx.data_dir)])
        peaks.append(peak)
        return elapsed

    def pack_base(_: int) -> float:
        base_tar.unlink(missing_ok=True)
        return run(["tar", "czf", str(base_tar), "-C", str(fx.data_dir), fx.subdir]) + run(["sha256sum", str(base_tar)])

    ours_t, base_t = alternate(pack_ours, pack_base, settings.repeats, "build.py --pack-only")
    results.rows.append(speed_row(f"build.py --pack-only, whole process ({fmt_size(fx.size)})", ours_t, base_t, 8))
    peak = max(peaks)
    results.rows.append(Row("build.py --pack-only peak RSS", fmt_size(peak), "-", "-", "≤ 150 MB", peak <= 150 * 10**6))
    base_tar.unlink()

    s3_environment(work)
    server = WeedServer(work / "seaweedfs").start()
    try:
        bucket = server.create_bucket("dsbuild-bench-cli")
        options = RemoteOptions(bucket=bucket, endpoint_url=server.endpoint, prefix="cli/", progress=False)
        upload(fx.data_dir, [str(tarball)], options)
        key = options.tarball_key(fx.name, fx.version)

        def download_ours(i: int) -> float:
            dest = work / f"ours-{i}"
            cmd = [PYTHON, str(REPO / "download.py"), "-o", str(dest), "--endpoint-url", server.endpoint]
            elapsed, _ = run_measured([*cmd, "-b", bucket, "--prefix", "cli/", "--no-progress", fx.name])
            shutil.rmtree(dest)
            return elapsed

        def download_base(i: int) -> float:
            dest, staged = work / f"base-{i}", work / f"base-{i}.tar.gz"
            dest.mkdir()
            elapsed = run([PYTHON, "-c", BOTO3_DOWNLOAD, server.endpoint, bucket, key, str(staged)])
            elapsed += run(["sha256sum", str(staged)]) + run(["tar", "xzf", str(staged), "-C", str(dest)])
            shutil.rmtree(dest)
            staged.unlink()
            return elapsed

        ours_t, base_t = alternate(download_ours, download_base, settings.repeats, "download.py")
    finally:
        server.stop()
    results.rows.append(
        speed_row(
            f"download.py, whole process (vs boto3 + sha256sum + tar xzf, {fmt_size(fx.size)})", ours_t, base_t, 2
        )
    )
    tarball.unlink(missing_ok=True)
    checksum.unlink(missing_ok=True)


def compact(server: WeedServer) -> None:
    """Reclaim deleted objects' space now: keeps disk use at one tarball, and every upload on a compact store."""
    url = f"http://127.0.0.1:{server.ports['master.port']}/vol/vacuum?garbageThreshold=0.01"
    with urllib.request.urlopen(url, timeout=300) as response:
        response.read()


def grid_table(
    grid: dict[tuple[int, int], float], settings: Settings, best: tuple[int, int], current: tuple[int, int]
) -> str:
    lines = [
        f"boto3 `upload_file` of the tarball to the test server, MiB/s, median of {settings.grid_repeats} "
        "(**best**; dsbuild.remote.s3 now uses "
        f"{current[0]} MiB parts × {current[1]} threads):",
        "",
        "| part size | " + " | ".join(f"{c} threads" for c in settings.concurrency) + " |",
        "|---|" + "---:|" * len(settings.concurrency),
    ]
    for part in settings.part_mib:
        cells = []
        for conc in settings.concurrency:
            value = f"{grid[part, conc]:.0f}"
            cells.append(f"**{value}**" if (part, conc) == best else value)
        lines.append(f"| {part} MiB | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------- start-up


def heavy_imports(script: str) -> list[str]:
    """Top-level heavy packages the script imports for -h (from -X importtime)."""
    proc = subprocess.run(
        [PYTHON, "-X", "importtime", script, "-h"], cwd=REPO, capture_output=True, text=True, check=True
    )
    found = {m.group(1) for m in re.finditer(r"\|\s+([\w.]+)\s*$", proc.stderr, re.MULTILINE)}
    return sorted({name.split(".")[0] for name in found} & set(HEAVY_MODULES))


def bench_startup(settings: Settings, results: Results) -> None:
    floor = statistics.median(run([PYTHON, "-c", "pass"]) for _ in range(settings.startup_runs))
    for script in ("build.py", "upload.py", "download.py"):
        times = [run([PYTHON, script, "-h"], cwd=REPO) for _ in range(settings.startup_runs)]
        t = statistics.median(times)
        heavy = heavy_imports(script)
        ours = fmt_s(t) + (f" (imports {', '.join(heavy)})" if heavy else "")
        results.rows.append(
            Row(
                f"`python {script} -h` (baseline: python -c pass)",
                ours,
                fmt_s(floor),
                f"{t / floor:.1f}×",
                "< 0.3 s, no TF/TFDS/boto3",
                t < 0.3 and not heavy,
            )
        )
        say(f"{script} -h: {fmt_s(t)}")


# ---------------------------------------------------------------- build overhead and -j


def bench_build(settings: Settings, results: Results) -> None:
    work = settings.work / "build"
    work.mkdir()
    example = REPO / "examples" / "tiny_shapes"
    tfds = [PYTHON, "-m", "tensorflow_datasets.scripts.cli.main", "build", str(example)]

    def ours(_: int) -> float:
        return run(
            [PYTHON, "build.py", "-lcs", str(example), "-o", str(work / "ours"), "--clean"],
            cwd=REPO,
            log=work / "ours.log",
        )

    def baseline(i: int) -> float:
        data = work / f"base-{i}"
        elapsed = run([*tfds, "--data_dir", str(data)], cwd=work, log=work / "base.log")
        tarball = data / "tiny_shapes-1.0.0.tar.gz"
        elapsed += run(["tar", "czf", str(tarball), "-C", str(data), "tiny_shapes/1.0.0"])
        return elapsed + run(["sha256sum", str(tarball)])

    ours_t, base_t = alternate(ours, baseline, settings.build_repeats, "build tiny_shapes")
    o, b = statistics.median(ours_t), statistics.median(base_t)
    results.rows.append(
        Row(
            "`build.py -lcs examples/tiny_shapes --clean` vs `tfds build` + tar czf + sha256sum",
            fmt_s(o),
            fmt_s(b),
            f"{o / b:.2f}×",
            "≤ 1.3× the baseline",
            o / b <= 1.3,
        )
    )
    shutil.rmtree(work)


def copy_builder(example: Path, dest_root: Path, suffix: str) -> Path:
    """examples/tiny_shapes as tiny_shapes_<suffix> / TinyShapes<SUFFIX>: a distinct dataset name."""
    name = f"{example.name}_{suffix}"
    dest = dest_root / name
    shutil.copytree(example, dest, ignore=shutil.ignore_patterns("__pycache__"))
    source = dest / f"{example.name}.py"
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"\bclass TinyShapes\(", f"class TinyShapes{suffix.upper()}(", text)
    (dest / f"{name}.py").write_text(text, encoding="utf-8")
    source.unlink()
    return dest


def bench_jobs(settings: Settings, results: Results) -> None:
    work = settings.work / "jobs"
    builders = [copy_builder(REPO / "examples" / "tiny_shapes", work / "builders", s) for s in "abcd"]

    def build(jobs: int) -> float:
        cmd = [PYTHON, "build.py", "-lcs", *map(str, builders), "-o", str(work / f"out-j{jobs}"), "--clean"]
        return run([*cmd, "-j", str(jobs)], cwd=REPO, log=work / f"j{jobs}.log")

    two, one = alternate(lambda _: build(2), lambda _: build(1), settings.build_repeats, "4 builds, -j 2 vs -j 1")
    t2, t1 = statistics.median(two), statistics.median(one)
    results.rows.append(
        Row("build.py -j 2 vs -j 1 (4 tiny builders)", fmt_s(t2), fmt_s(t1), f"{t1 / t2:.2f}× faster", "-", None)
    )
    shutil.rmtree(work)


# ---------------------------------------------------------------- scaling


# Peak RSS comes from the child's own VmHWM: ru_maxrss of a child started by this
# (large) process would report our RSS, which Linux carries over the exec.
PACK_CHILD = """
import json, re, sys, time
from pathlib import Path
from dsbuild.artifact.tarball import write_tarball
root, sub, dest, level = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
result = {}
if sub:
    started = time.perf_counter()
    write_tarball(root, [sub], dest, level)
    result["seconds"] = time.perf_counter() - started
status = Path("/proc/self/status").read_text()
result["rss_mib"] = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024
print(json.dumps(result))
"""


def bench_scaling(main: Fixture | None, pool: make_fixture.Pool, settings: Settings, results: Results) -> None:
    level = user_compression_level()
    dest = settings.work / "scale.tar.gz"
    # The same child with nothing to pack: interpreter + imports, the part of RSS that is not packing.
    idle_rss = run_json([PYTHON, "-c", PACK_CHILD, "-", "", str(dest), str(level)])["rss_mib"]
    rows = []
    for mib in settings.scale_mib:
        if main is not None and abs(main.size / MIB - mib) / mib < 0.05:
            fx = main
        else:
            fx = make(settings.work / f"scale-{mib}", mib, pool)
        os.sync()
        child = run_json([PYTHON, "-c", PACK_CHILD, str(fx.data_dir), fx.subdir, str(dest), str(level)])
        seconds = child["seconds"]
        dest.unlink()
        rows.append((fx.size, seconds, seconds / (fx.size / GIB), child["rss_mib"]))
        say(f"pack {fmt_size(fx.size)}: {fmt_s(seconds)}, {rows[-1][2]:.2f} s/GiB, peak RSS {rows[-1][3]:.0f} MiB")
        if fx is not main:
            shutil.rmtree(fx.data_dir)
    lines = [
        f"Packing scaling (ISA-L level {level}, each in its own process; RSS of the same process "
        f"importing dsbuild and packing nothing: {idle_rss:.0f} MiB):",
        "",
        "| dataset | seconds | s/GiB | peak RSS |",
        "|---:|---:|---:|---:|",
    ]
    lines += [f"| {fmt_size(size)} | {s:.2f} | {per:.2f} | {rss:.0f} MiB |" for size, s, per, rss in rows]
    results.extra.append("\n".join(lines))
    (small, _, small_per, small_rss), (large, _, large_per, large_rss) = rows[0], rows[-1]
    span = f"{fmt_size(large)} vs {fmt_size(small)}"
    per_ratio, rss_ratio = large_per / small_per, large_rss / small_rss
    results.rows.append(
        Row(
            f"pack s/GiB, {span} (linear cost)",
            f"{large_per:.2f} s/GiB",
            f"{small_per:.2f} s/GiB",
            f"{per_ratio:.2f}",
            "≤ 1.3",
            per_ratio <= 1.3,
        )
    )
    results.rows.append(
        Row(
            f"pack peak RSS, {span} (bounded memory)",
            f"{large_rss:.0f} MiB",
            f"{small_rss:.0f} MiB",
            f"{rss_ratio:.2f}",
            "≤ 1.25",
            rss_ratio <= 1.25,
        )
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


def benchmark(settings: Settings) -> Results:
    results = Results()
    pool = make_fixture.Pool.make(0, make_fixture.POOL_SIZE)
    needs_fixture = {"pack", "extract", "upload", "cli"} & set(settings.sections)
    main = make(settings.work / "data", settings.size_mib, pool) if needs_fixture else None
    packed: Packed | None = None
    with section(results, "pack", settings) as selected:
        if selected and main:
            packed = bench_pack(main, settings, results)
    if packed is None and main and {"extract", "upload"} & set(settings.sections):
        # extract/upload alone still need a tarball made by our packer.
        from dsbuild.artifact.tarball import write_tarball

        tarball = settings.work / "ours.tar.gz"
        size, sha256 = write_tarball(main.data_dir, main.subdirs, tarball, user_compression_level())
        packed = Packed(tarball, size, sha256, user_compression_level())
    with section(results, "extract", settings) as selected:
        if selected and main and packed:
            bench_extract(main, packed, settings, results)
    with section(results, "upload", settings) as selected:
        if selected and main and packed:
            bench_upload(main, packed, settings, results)
    if packed is not None:
        packed.tarball.unlink(missing_ok=True)
    with section(results, "cli", settings) as selected:
        if selected and main:
            bench_cli(main, settings, results)
    with section(results, "startup", settings) as selected:
        if selected:
            bench_startup(settings, results)
    with section(results, "build", settings) as selected:
        if selected:
            bench_build(settings, results)
    with section(results, "jobs", settings) as selected:
        if selected:
            bench_jobs(settings, results)
    with section(results, "scaling", settings) as selected:
        if selected:
            bench_scaling(main, pool, settings, results)
    return results


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0].split(": ", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small fixture, fewer repeats and grid points (< 3 min)")
    parser.add_argument("--size-mib", type=float, help="fixture size (default: 1024, quick: 64)")
    parser.add_argument("--repeats", type=int, help="runs of each side per comparison (default: 3, quick: 2)")
    parser.add_argument(
        "--scale-mib",
        type=int,
        nargs="+",
        help="fixture sizes of the scaling runs (default: 256 512 1024, quick: 16 32 64)",
    )
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="run only these sections")
    parser.add_argument("--work-dir", type=Path, help="where fixtures and tarballs go (default: the system temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory afterwards")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dsbuild-bench-", dir=args.work_dir))
    quick = args.quick
    settings = Settings(
        size_mib=args.size_mib or (64 if quick else 1024),
        repeats=args.repeats or (2 if quick else 3),
        grid_repeats=1 if quick else 2,
        part_mib=(16, 64) if quick else (8, 16, 32, 64),
        concurrency=(4, 8) if quick else (2, 4, 8),
        scale_mib=tuple(args.scale_mib or ((16, 32, 64) if quick else (256, 512, 1024))),
        startup_runs=3 if quick else 7,
        build_repeats=1 if quick else 2,
        work=work,
        sections=tuple(args.only),
    )
    started = time.monotonic()
    say(f"work dir {work}; {machine()}")
    try:
        results = benchmark(settings)
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    command = "python benchmarks/run.py" + (" " + shlex.join(argv if argv is not None else sys.argv[1:])).rstrip()
    print(f"\n{command}  ({time.monotonic() - started:.0f} s)\nMachine: {machine()}\n")
    print(table(results.rows))
    for extra in results.extra:
        print(f"\n{extra}")
    failed = [r.operation for r in results.rows if r.met is False]
    print(f"\n{len(failed)} goal(s) not met" + (": " + "; ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
