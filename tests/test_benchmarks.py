"""benchmarks/: every script's command line runs as benchmarks/README.md writes it (from the repo root).

Each script runs as a child process, `python benchmarks/<script>.py ...`, exactly as
documented: that is what puts benchmarks/ (and not the repository) first on the path,
the condition under which `import build` used to fail. PYTHONPATH is dropped, as on a
clean install. Tiny sizes keep each run to seconds; the figures themselves are not
checked (tiny inputs miss speed goals by design, so run.py and determinism.py may
exit 1, "a goal is not met"), only that every section ran and printed its rows.

Not run here beyond --help: `run.py` in full or `--quick` (minutes; its "build" and
"jobs" sections are whole `tfds build` runs of about a minute together), `beam.py`
(several Beam builds, each with TensorFlow and worker start-up: minutes, and it needs
unprivileged network namespaces), and any other script without a run of its own below.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Every script with a command line; the rest (common.py, pack.py, ...) are run.py's modules.
SCRIPTS = sorted(
    p.name for p in (REPO / "benchmarks").glob("*.py") if 'if __name__ == "__main__":' in p.read_text(encoding="utf-8")
)
TABLE_HEADER = "| operation | ours | baseline | ratio | goal | result |"


def bench(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`python benchmarks/<args>` from the repository root, as a clean install runs it."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_documented_scripts_are_found():
    assert {"run.py", "make_fixture.py", "card.py", "determinism.py", "beam.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help(script):
    proc = bench(f"benchmarks/{script}", "--help", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: {script} "), proc.stdout


def test_run_rejects_an_unknown_section():
    proc = bench("benchmarks/run.py", "--only", "nope", timeout=60)
    assert proc.returncode == 2
    assert "invalid choice: 'nope'" in proc.stderr


def assert_sections_ran(proc: subprocess.CompletedProcess[str], sections: list[str], rows: list[str]) -> None:
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert TABLE_HEADER in lines, proc.stdout + proc.stderr[-3000:]  # exit 1 from a crash prints no table
    for name in sections:
        assert f"| {name}: failed |" not in proc.stdout, proc.stderr[-3000:]
    for row in rows:
        assert any(line.startswith(f"| {row}") for line in lines), f"no row {row!r} in:\n{proc.stdout}"
    assert "goal(s) not met" in lines[-1]


def test_run_startup_quick(tmp_path):
    proc = bench("benchmarks/run.py", "--quick", "--only", "startup", "--work-dir", str(tmp_path))
    rows = [f"`python {script} -h` (baseline: python -c pass)" for script in ("build.py", "upload.py", "download.py")]
    assert_sections_ran(proc, ["startup"], rows)
    assert "(imports " not in proc.stdout  # -h must not import TensorFlow, TFDS or boto3


@pytest.mark.integration
def test_run_fixture_sections_tiny(tmp_path_factory):
    """Every section that needs the fixture (and the S3 server, SeaweedFS on 127.0.0.1), on 4 MiB."""
    # A short work dir: SeaweedFS puts a unix socket under it, and such a path must fit in 107 bytes
    # (tmp_path, named after this test, is too long once run.py's own directories are added).
    work = tmp_path_factory.mktemp("bench")
    sections = ["pack", "pack-only", "extract", "upload", "cli", "scaling"]
    proc = bench(
        "benchmarks/run.py",
        "--quick",
        "--size-mib",
        "4",
        "--repeats",
        "1",
        "--scale-mib",
        "2",
        "4",
        "--only",
        *sections,
        "--work-dir",
        str(work),
    )
    rows = [
        "pack + sha256 (4.0 MiB; ours: ISA-L level ",
        "tarball size vs gzip -6 |",
        "pack vs floor (tar cf - \\| cat) |",
        "tarball sha256 reproducible",
        "build.py --pack-only, whole process (bench_images, 4.0 MiB) |",
        "build.py --pack-only, whole process (bench_textured, ",
        "build.py --pack-only cores busy, (user+sys) / wall (bench_textured) |",
        "build.py --pack-only peak RSS (bench_textured) |",
        "verify + extract (extract_tarball(expected=)) |",
        "upload 4.0 MiB (dsbuild.remote.upload vs boto3 ",
        "of which: digest_for_upload",
        "build.py --pack-only, whole process (4.0 MiB) |",
        "build.py --pack-only peak RSS |",
        "download.py, whole process (vs boto3 + sha256sum + tar xzf, 4.0 MiB) |",
        "download.py cut at 60 %, run again: bytes fetched over both runs",
        "pack s/GiB, 4.0 MiB vs 2.0 MiB (linear cost) |",
        "pack peak RSS, 4.0 MiB vs 2.0 MiB (bounded memory) |",
    ]
    assert_sections_ran(proc, sections, rows)
    assert "| part size | 4 threads | 8 threads |" in proc.stdout  # the upload grid
    assert "| dataset | seconds | s/GiB | peak RSS |" in proc.stdout  # the scaling table
    assert list(work.iterdir()) == []  # the work directory is removed without --keep


@pytest.mark.parametrize(("kind", "name"), [("mixed", "bench_images"), ("textured", "bench_textured")])
def test_make_fixture_small(tmp_path, kind, name):
    args = ["--kind", kind, "--size-mib", "2", "--shard-mib", "1"]
    proc = bench("benchmarks/make_fixture.py", str(tmp_path / "data"), *args)
    assert proc.returncode == 0, proc.stderr
    version_dir = tmp_path / "data" / name / "1.0.0"
    assert proc.stdout.startswith(f"wrote {version_dir} ("), proc.stdout
    assert (version_dir / "dataset_info.json").is_file()
    assert (version_dir / "features.json").is_file()
    assert len(list(version_dir.glob(f"{name}-*.tfrecord-*"))) >= 2
    # What build.py --pack-only checks: framing, CRCs, every record an Example with the listed features.
    from dsbuild.artifact.records import check_version_dir

    assert check_version_dir(version_dir) > 0


@pytest.mark.integration
def test_card_tiny(tmp_path):
    """Two `build.py --card-only` children (TensorFlow each): about 20 s."""
    proc = bench("benchmarks/card.py", "--size-mib", "2", "--work-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| dataset | card seconds | peak RSS | card size |" in proc.stdout
    assert "large/small: data " in proc.stdout


@pytest.mark.integration
def test_determinism_tiny():
    """Two real `tfds build` children of a 10-example builder: about 15 s."""
    proc = bench("benchmarks/determinism.py", "--examples", "10", "--repeats", "1")
    assert proc.returncode in (0, 1), proc.stderr[-3000:]  # 1: the ratio goal missed, a timing matter
    assert "| build of bench_serialize | deterministic | plain | ratio | goal | result |" in proc.stdout
    assert "| 10 examples | " in proc.stdout


def test_the_cost_model_page_holds_the_scripts_tables():
    """docs/scale.md shows exactly what `python benchmarks/scaling.py` prints (pure arithmetic, ~1 s)."""
    proc = bench("benchmarks/scaling.py", timeout=60)
    assert proc.returncode == 0, proc.stderr
    page = (REPO / "docs" / "scale.md").read_text(encoding="utf-8")
    tables = proc.stdout.strip().split("\n\n")
    assert len(tables) == 3
    for table in tables:
        assert table in page, f"docs/scale.md is out of date; rerun benchmarks/scaling.py:\n{table}"
