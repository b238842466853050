"""scaling.py: run.py's "scaling" section, packing fixtures of growing size, each in its own process.

Rows: seconds per GiB of the largest fixture against the smallest (linear cost) and
their peak RSS (bounded memory); the per-size figures are a table of their own.
"""

from __future__ import annotations

import os
import shutil

import make_fixture
from common import (
    GIB,
    MIB,
    PYTHON,
    Fixture,
    Results,
    Row,
    Settings,
    fmt_s,
    fmt_size,
    make,
    run_json,
    say,
    user_compression_level,
)

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
