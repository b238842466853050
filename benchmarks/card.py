#!/usr/bin/env python3
"""card.py: time and peak memory of `build.py --card-only` on a small and a large built dataset.

A card reads only the examples it shows, so its cost should not grow with the dataset:
the table puts a --size-mib fixture (default 1 GiB) beside a 64 MiB one and prints the ratio.
Each card runs in its own child process; peak memory is that child's maximum resident set.

    python benchmarks/card.py [--size-mib 1024] [--work-dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL_MIB = 64


def make(data_dir: Path, size_mib: float) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "make_fixture.py"), str(data_dir), "--size-mib", str(size_mib)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def card(data_dir: Path) -> tuple[float, int]:
    """(seconds, peak RSS bytes) of one `build.py --card-only` child."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--card-only", "bench_images", "-o", str(data_dir), "-v", "warning"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak <= before:  # ru_maxrss is the maximum over all children so far: say so rather than guess
        print("note: peak RSS is the maximum over the children so far", file=sys.stderr)
    return seconds, peak * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    parser.add_argument("--size-mib", type=float, default=1024, help="size of the large fixture (default: 1024)")
    parser.add_argument("--work-dir", type=Path, help="where fixtures go (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the fixtures")
    args = parser.parse_args()
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="card-bench-", dir=args.work_dir))
    try:
        rows = []
        # Small first: RUSAGE_CHILDREN keeps the maximum, so the large run's peak is its own only if larger.
        for size in (SMALL_MIB, args.size_mib):
            data_dir = work / f"data-{int(size)}"
            print(f"making a {size:g} MiB fixture", file=sys.stderr)
            make(data_dir, size)
            shard_bytes = sum(p.stat().st_size for p in (data_dir / "bench_images").rglob("*tfrecord*"))
            seconds, peak = card(data_dir)
            card_bytes = (data_dir / "bench_images-1.0.0.card.html").stat().st_size
            rows.append((shard_bytes, seconds, peak, card_bytes))
        print("| dataset | card seconds | peak RSS | card size |")
        print("|---|---|---|---|")
        for shard_bytes, seconds, peak, card_bytes in rows:
            print(
                f"| {shard_bytes / 2**20:,.0f} MiB | {seconds:.1f} | {peak / 2**20:,.0f} MiB | {card_bytes / 1024:,.0f} KiB |"
            )
        (small_bytes, small_s, small_peak, _), (large_bytes, large_s, large_peak, _) = rows
        print(
            f"\nlarge/small: data {large_bytes / small_bytes:.1f}x, time {large_s / small_s:.2f}x, "
            f"peak memory {large_peak / small_peak:.2f}x"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
