#!/usr/bin/env python3
"""run.py: measure dsbuild against the plain-tools way, side by side, for every goal of issue 6.

Each comparison alternates our run and the baseline's (ABBA order, so neither
always runs on a warmer machine), repeats, and compares medians. The result is
a Markdown table: operation, ours, baseline, ratio, goal, met. Exit status 1
when a goal is not met (or a comparison failed), 0 otherwise.

    python benchmarks/run.py --quick      # about 2 minutes: small fixture, 1-2 repeats
    python benchmarks/run.py              # the full run (1 GiB fixture), about 10-15 minutes

The sections live beside this file, sharing common.py: pack.py (pack, pack-only), transfer.py
(extract, upload), cli.py (cli), startup.py (startup), builds.py (build, jobs),
scaling.py (scaling).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# Run as `python benchmarks/run.py`: Python puts this directory first on the path, so the
# section modules beside this file import plainly; dsbuild is installed (pip install -e .).
import make_fixture
from builds import bench_build, bench_jobs
from cli import bench_cli
from common import Results, Settings, machine, make, say, section, table, user_compression_level
from pack import Packed, bench_pack, bench_pack_only
from scaling import bench_scaling
from startup import bench_startup
from transfer import bench_extract, bench_upload

SECTIONS = ("pack", "pack-only", "extract", "upload", "cli", "startup", "build", "jobs", "scaling")


def benchmark(settings: Settings) -> Results:
    results = Results()
    pool = make_fixture.Pool.make(0, make_fixture.POOL_SIZE)
    needs_fixture = {"pack", "pack-only", "extract", "upload", "cli"} & set(settings.sections)
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
    with section(results, "pack-only", settings) as selected:
        if selected and main:
            bench_pack_only(main, settings, results)
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
