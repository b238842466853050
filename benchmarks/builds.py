"""builds.py: run.py's "build" and "jobs" sections, whole builds of examples/tiny_shapes.

build: `build.py -lcs examples/tiny_shapes --clean` against bare `tfds build` + `tar czf`
+ `sha256sum` (the overhead of our pipeline).
jobs: `build.py -lcs` of four copies of tiny_shapes with `-j 2` against `-j 1`.
"""

from __future__ import annotations

import re
import shutil
import statistics
from pathlib import Path

from common import PYTHON, REPO, Results, Row, Settings, alternate, fmt_s, run


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
