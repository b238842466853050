#!/usr/bin/env python3
"""beam.py: `build.py` in-process against the same build on Beam's DirectRunner, multi-processing, 2 workers.

Two cases, side by side in one run, each as a ratio (in-process seconds / Beam seconds):
  cpu          benchmarks/beam_cpu: --examples synthetic examples of --rounds sha256 rounds each (~14 ms CPU)
  librispeech  librispeech_dev_clean_split (config plain_text) on dummy sources enlarged with its make.py:
               --chapters chapters x --utterances utterances in train (each FLAC decoded by ffmpeg)
Each build is a fresh `build.py -lcs ... --no-pack` child. The cpu case also builds with 0 rounds, so the
fixed cost of each path (TensorFlow import, Beam and its worker start-up) shows beside the work.
Beam runs in a network namespace with only loopback (Beam serves gRPC on every interface).

    python benchmarks/beam.py [--only cpu librispeech] [--examples 2000] [--rounds 40000] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dsbuild.testing.netns import LOOPBACK_UP, NETNS, clean_env, netns_available

ROOT = Path(__file__).resolve().parent.parent

BEAM = [
    "--beam-option",
    "runner=DirectRunner",
    "--beam-option",
    "direct_running_mode=multi_processing",
    "--beam-option",
    "direct_num_workers=2",
]


def timed_build(args: list[str], data_dir: Path, *, beam: bool, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + sys of build.py and every process under it)."""
    cmd = [sys.executable, str(ROOT / "build.py"), *args, "-o", str(data_dir), "--no-pack", *(BEAM if beam else [])]
    if beam:
        cmd = [*NETNS, *LOOPBACK_UP, *cmd]
    data_dir.parent.mkdir(parents=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=data_dir.parent)
    seconds = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if result.returncode != 0:
        raise SystemExit(f"build failed ({' '.join(cmd)}):\n{result.stderr[-3000:]}")
    print(f"  {'beam' if beam else 'in-process'}: {seconds:.1f} s wall, {cpu:.1f} s CPU", file=sys.stderr)
    return seconds, cpu


Pair = tuple[tuple[float, float], tuple[float, float]]  # ((in-process wall, CPU), (Beam wall, CPU))


def side_by_side(name: str, args: list[str], work: Path, env: dict[str, str], order: str) -> Pair:
    """In-process and Beam (wall, CPU); `order` "ib" or "bi" alternates which runs first."""
    times: dict[bool, tuple[float, float]] = {}
    for index, which in enumerate(order):
        beam = which == "b"
        times[beam] = timed_build(args, work / f"{name}-{index}-{which}" / "data", beam=beam, env=env)
    return times[False], times[True]


def rows(label: str, full: Pair, fixed: Pair, fixed_label: str) -> list[str]:
    """The measured case, its fixed cost, and the difference (the work itself)."""
    (wi, ci), (wb, cb) = full
    (fwi, fci), (fwb, fcb) = fixed
    dwi, dwb = wi - fwi, wb - fwb
    return [
        f"| {label} | {wi:.1f} | {wb:.1f} | **{wi / wb:.2f}x** | {ci:.1f} | {cb:.1f} |",
        f"| {fixed_label} (fixed cost) | {fwi:.1f} | {fwb:.1f} | {fwi / fwb:.2f}x | {fci:.1f} | {fcb:.1f} |",
        f"| difference: the work alone | {dwi:.1f} | {dwb:.1f} | {dwi / dwb:.2f}x | {ci - fci:.1f} | {cb - fcb:.1f} |",
    ]


def cpu_case(work: Path, examples: int, rounds: int) -> list[str]:
    from beam_cpu.beam_cpu import cpu_example  # benchmarks/ is on the path: this script runs from it

    start = time.process_time()
    for index in range(50):
        list(cpu_example(index, rounds))
    per_example_ms = (time.process_time() - start) / 50 * 1000
    args = ["-lcs", str(ROOT / "benchmarks" / "beam_cpu")]
    env = _env(BEAM_CPU_EXAMPLES=str(examples), BEAM_CPU_ROUNDS=str(rounds))
    print(f"cpu: {examples} examples x {per_example_ms:.1f} ms CPU", file=sys.stderr)
    full = side_by_side("cpu", args, work / "cpu", env, "ib")
    print("cpu, fixed cost (0 rounds)", file=sys.stderr)
    fixed = side_by_side("cpu0", args, work / "cpu0", {**env, "BEAM_CPU_ROUNDS": "0"}, "bi")
    return rows(f"synthetic CPU, {examples} x {per_example_ms:.1f} ms", full, fixed, "same, 0 rounds")


def _env(**extra: str) -> dict[str, str]:
    # This checkout's dsbuild for both paths, as an installed project would be.
    return clean_env(PYTHONPATH=str(ROOT), **extra)


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def librispeech_case(work: Path, chapters: int, utterances: int) -> list[str]:
    """The enlarged build side by side, then a 2-chapter one (the fixed cost), and the difference."""
    big = librispeech_pair(work / "big", chapters, utterances, "ib")
    small = librispeech_pair(work / "small", 2, 1, "bi")
    label = f"librispeech_dev_clean_split, {chapters * utterances} + 2 utterances"
    return rows(label, big, small, "same, 2 + 2 utterances")


def librispeech_pair(work: Path, chapters: int, utterances: int, order: str) -> Pair:
    """librispeech_dev_clean_split's make.py, with train grown to chapters x utterances (4 dev-clean speakers)."""
    from dsbuild.testing import make as make_lib
    from dsbuild.testing.dummy import librispeech

    name = "librispeech_dev_clean_split"
    folder = ROOT / "datasets" / name
    maker = _load(folder / "dummy_data" / "make.py", "bench_librispeech_make")
    speakers = (84, 174, 251, 422)
    train = {
        (speakers[c % len(speakers)], 100000 + c): [(u, f"UTTERANCE {u} OF CHAPTER {c}") for u in range(utterances)]
        for c in range(chapters)
    }
    archives = dict(maker.ARCHIVES)
    top, _ = archives["librispeech-dev-clean-train"]
    archives["librispeech-dev-clean-train"] = (top, train)
    sources_dir = work / "sources"
    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            make_lib.write_sources(
                sources_dir,
                {
                    f"{stem}.tar.gz": librispeech.archive_tree(t, t, utts, maker.SPEAKERS, maker.CHAPTERS)
                    for stem, (t, utts) in archives.items()
                },
            )
        finally:
            sys.stdout = stdout
    copy = work / "builders" / name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__"))
    lines = []
    for line in (copy / "checksums.tsv").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            url, _, _, filename = line.split("\t")
            data = (sources_dir / filename).read_bytes()
            lines.append(f"{url}\t{len(data)}\t{hashlib.sha256(data).hexdigest()}\t{filename}")
    (copy / "checksums.tsv").write_text("\n".join(lines) + "\n")
    args = ["-lcs", str(copy), "--manual-dir", str(sources_dir), "--config", "plain_text"]
    print(f"librispeech: {chapters * utterances} train utterances in {chapters} chapters", file=sys.stderr)
    return side_by_side("libri", args, work / "libri", _env(), order)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=("cpu", "librispeech"), default=["cpu", "librispeech"])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=40000)
    parser.add_argument("--chapters", type=int, default=40)
    parser.add_argument("--utterances", type=int, default=10)
    parser.add_argument("--work-dir", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if not netns_available():
        raise SystemExit("needs unprivileged network namespaces (unshare -rn) to keep Beam's servers off the network")
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="dsbuild-beam-bench-", dir=args.work_dir))
    rows = []
    try:
        if "cpu" in args.only:
            rows += cpu_case(work, args.examples, args.rounds)
        if "librispeech" in args.only:
            rows += librispeech_case(work, args.chapters, args.utterances)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the end; `build.py --no-pack` seconds; ratio = wall")
    print("in-process / wall Beam; CPU = user + sys of build.py and all its processes\n")
    print("| case | in-process wall s | Beam wall s | ratio | in-process CPU s | Beam CPU s |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
