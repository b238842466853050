"""pack.py: run.py's "pack" and "pack-only" sections, packing + sha256 against `tar czf` + `sha256sum`.

pack rows: pack + sha256, tarball size vs gzip -6, pack vs the read-only floor, pack vs
the floor writing to disk, and whether the tarball's sha256 is reproducible.
pack-only rows (issue 23): `build.py --pack-only` as a whole process on the main fixture
and on the textured one (issue 23's dataset), with the cores it keeps busy and its peak RSS.
"""

from __future__ import annotations

import shlex
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import make_fixture
from common import (
    Fixture,
    PackOnlySideBySide,
    Results,
    Row,
    Settings,
    alternate,
    fmt_s,
    fmt_size,
    make,
    run,
    speed_row,
    user_compression_level,
)


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


def bench_pack_only(main: Fixture, settings: Settings, results: Results) -> None:
    """`build.py --pack-only` vs `tar czf` + `sha256sum`, whole processes, ABBA, on both fixtures."""
    kind = make_fixture.KINDS["textured"]
    pool = make_fixture.Pool.make(0, make_fixture.POOL_SIZE, kind)
    textured = make(settings.work / "textured", min(kind.size_mib, settings.size_mib), pool)
    for fx in (main, textured):
        pack_only_rows(fx, settings, results)
    shutil.rmtree(textured.data_dir)


def pack_only_rows(fx: Fixture, settings: Settings, results: Results) -> None:
    work = settings.work / f"pack-only-{fx.name}"
    work.mkdir()
    side = PackOnlySideBySide(fx, work)
    ours_runs = side.measured

    ours_t, base_t = alternate(side.ours, side.baseline, settings.repeats, f"build.py --pack-only {fx.name}")
    what = f"{fx.name}, {fmt_size(fx.size)}"
    results.rows.append(speed_row(f"build.py --pack-only, whole process ({what})", ours_t, base_t, 8))
    cores = statistics.median(m.cores for m in ours_runs)
    cpu = statistics.median(m.cpu for m in ours_runs)
    results.rows.append(
        Row(
            f"build.py --pack-only cores busy, (user+sys) / wall ({fx.name})",
            f"{cores * 100:.0f} % ({cpu:.2f} s CPU)",
            "-",
            "-",
            "both cores busy",
            None,
        )
    )
    peak = max(m.peak_rss for m in ours_runs)
    results.rows.append(
        Row(f"build.py --pack-only peak RSS ({fx.name})", fmt_size(peak), "-", "-", "≤ 150 MB", peak <= 150 * 10**6)
    )
    side.tarball.unlink(missing_ok=True)
    side.checksum.unlink(missing_ok=True)
    shutil.rmtree(work)
