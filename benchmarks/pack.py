"""pack.py: run.py's "pack" section, packing + sha256 against `tar czf` + `sha256sum`.

Rows: pack + sha256, tarball size vs gzip -6, pack vs the read-only floor, pack vs
the floor writing to disk, and whether the tarball's sha256 is reproducible.
"""

from __future__ import annotations

import shlex
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from common import Fixture, Results, Row, Settings, alternate, fmt_s, fmt_size, run, speed_row, user_compression_level


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
