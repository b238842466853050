"""build.py as users call it: argv in, exit code and the exact message out. Nothing here runs tfds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import FIXTURE_BUILDERS, ROOT, load_script, run_main, tree

build = load_script("build.py")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_main(build, argv, capsys)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give one of: -ds/-lcs (may be combined), --list, --pack-only"),
        (["--list", "-ds", "mnist"], "give one of"),
        (["-ds"], "expected at least one argument"),
        (["-ds", "mnist", "--max-examples-per-split", "0"], "--max-examples-per-split must be at least 1"),
    ],
)
def test_usage_errors(argv: list[str], message: str, capsys) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2
    assert message in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-ds", "mnits"], "error: unknown dataset 'mnits': did you mean mnist? run `python build.py --list`"),
        (["-ds", "digit", "nope_nope"], "unknown dataset 'nope_nope'"),
        (["-ds", "foo; touch x"], "error: invalid dataset name 'foo; touch x'"),
        (["-ds", "../../etc"], "invalid dataset name '../../etc'"),
        (["-lcs", str(FIXTURE_BUILDERS / "missing")], f"error: '{FIXTURE_BUILDERS / 'missing'}' does not exist"),
        (["-lcs", str(FIXTURE_BUILDERS / "not_python" / "notes.txt")], "is not a .py file"),
        (["-lcs", str(FIXTURE_BUILDERS / "mismatch_name")], "class OtherName is registered by TFDS as 'other_name'"),
        (["-lcs", str(FIXTURE_BUILDERS / "two_classes")], "2 builder classes (TwoClasses, TwoClassesExtra)"),
        (["-lcs", str(FIXTURE_BUILDERS / "no_class")], "no tfds.core.GeneratorBasedBuilder subclass"),
        (["-lcs", str(FIXTURE_BUILDERS / "no_init")], "no __init__.py beside it"),
        (["-lcs", str(FIXTURE_BUILDERS / "no_version")], "has no VERSION"),
        (["-ds", "digit", "--config", "../x"], "invalid builder config name '../x'"),
        (["-lcs", str(FIXTURE_BUILDERS / "fixture_configs"), "--config", "huge"], "defines only small, large"),
        (["-ds", "digit", "--manual-dir", "/nonexistent/dir"], "--manual-dir '/nonexistent/dir' is not a directory"),
    ],
)
def test_bad_input_exits_2_before_any_work(argv: list[str], message: str, capsys, tmp_path: Path) -> None:
    code, out, err = run([*argv, "-o", str(tmp_path / "data")], capsys)
    assert code == 2
    assert message in err
    assert not (tmp_path / "data").exists()  # nothing was created
    assert out == ""


def test_shell_metacharacters_run_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for argv in (
        ["-ds", f"x; touch {marker}"],
        ["-lcs", f"{tmp_path}/a; touch {marker}"],
        ["-ds", f"$(touch {marker})"],
    ):
        result = subprocess.run(
            [sys.executable, str(ROOT / "build.py"), *argv, "-o", str(tmp_path / "d")],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert result.returncode == 2, result.stderr
    assert not marker.exists()


def test_output_directory_that_cannot_be_written(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = run(["-lcs", str(FIXTURE_BUILDERS / "fixture_good"), "-o", str(blocker / "sub")], capsys)
    assert code == 2
    assert f"cannot write to the output directory '{blocker / 'sub'}'" in err
    assert "-o/--output-directory" in err


def test_pack_only_of_something_not_built(tmp_path: Path, capsys) -> None:
    code, _, err = run(["--pack-only", "mnist", "-o", str(tmp_path)], capsys)
    assert code == 2
    assert f"mnist is not built in {tmp_path} (no {tmp_path / 'mnist' / '3.0.1'})" in err
    assert f"`python build.py -ds mnist -o {tmp_path}`" in err
    code, _, err = run(["--pack-only", "tiny_shapes", "-o", str(tmp_path)], capsys)  # a local builder
    assert code == 2
    assert f"`python build.py -lcs PATH/TO/tiny_shapes -o {tmp_path}`" in err and "-ds tiny_shapes" not in err
    code, _, err = run(["--pack-only", str(tmp_path / "toy" / "1.0.0"), "-o", str(tmp_path)], capsys)
    assert code == 2
    assert "is not a built dataset" in err
    assert tree(tmp_path) == []


def test_list_shows_categories_versions_and_build_state(tmp_path: Path, capsys) -> None:
    (tmp_path / "digit" / "1.0.8").mkdir(parents=True)
    (tmp_path / "digit-1.0.8.tar.gz").write_bytes(b"")
    code, out, _ = run(["--list", "-o", str(tmp_path)], capsys)
    assert code == 0
    table = out.split("\n\n")[0].splitlines()
    assert table[0].split() == ["NAME", "CATEGORY", "VERSIONS", "ARMORY", "BUILT", "TARBALL"]
    rows = {line.split()[0]: line.split() for line in table[1:]}
    # ARMORY: what the installed armory-testbed's loader requests, read from its source at run time.
    assert rows["speech_commands"][1:] == ["tfds-core", "0.0.3*", "0.0.2", "no", "no"]
    assert rows["librispeech"][1:4] == ["tfds-core", "2.1.2*", "2.1.0"]
    assert rows["digit"][1:] == ["standard", "1.0.8*", "1.0.8", "yes", "yes"]
    assert rows["carla_over_obj_det_dev"][1:4] == ["adversarial", "1.0.0,2.0.1*", "2.0.1"]
    assert rows["resisc45"][3] == "-"  # armory-testbed has no loader named resisc45
    assert rows["apricot_dev"][1] == "adversarial"
    assert "* default version" in out
    assert len(rows) == 9 + 13 + 17
    assert f"data dir: {tmp_path}" in out


def test_checksum_file_of_pack_only_matches(tmp_path: Path, capsys) -> None:
    # A hand-made build dir is packed only after it loads, so a fake one is refused with exit 1.
    version_dir = tmp_path / "toy" / "1.0.0"
    version_dir.mkdir(parents=True)
    (version_dir / "dataset_info.json").write_text(json.dumps({"name": "toy", "splits": []}))
    (version_dir / "features.json").write_text("{}")
    code, _, err = run(["--pack-only", str(version_dir), "-o", str(tmp_path)], capsys)
    assert code == 1
    assert "lists no splits" in err
    assert not (tmp_path / "toy-1.0.0.tar.gz").exists()


def test_list_writes_nothing(tmp_path) -> None:
    import os
    import subprocess
    import sys

    from tests.helpers import ROOT

    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("DSBUILD_DATA_DIR", None)
    out = subprocess.run([sys.executable, str(ROOT / "build.py"), "--list"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert list(tmp_path.iterdir()) == []


def test_dry_run_plan_follows_the_config_and_names_the_version(tmp_path: Path, capsys) -> None:
    """Issue 22 item 10: coco's plan is armory's coco/2017 (5 files), --config 2014 another; NAME VERSION
    heads each plan; totals end it. The offline host probe is bounded, nothing is written."""
    code, out, err = run(["-ds", "coco", "--dry-run", "-o", str(tmp_path / "d")], capsys)
    assert code == 0, err
    assert "coco 1.1.0 (config 2017): 5 source file(s) listed" in out
    assert "train2017.zip" in out and "2014" not in out and "panoptic" not in out
    assert "\ntotal: 1 build(s), 25.2 GiB to download" in out
    code, out, err = run(["-ds", "coco", "--config", "2014", "--dry-run", "-o", str(tmp_path / "d")], capsys)
    assert code == 0, err
    assert "coco 1.1.0 (config 2014): 7 source file(s) listed" in out and "2017" not in out
    assert not (tmp_path / "d").exists()


def test_dry_run_totals_warn_and_strict_fails_when_it_does_not_fit(tmp_path: Path, capsys) -> None:
    import shutil

    from tests.helpers import EXAMPLE

    folder = tmp_path / "src" / EXAMPLE.name
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    from dsbuild.sizes import human_size

    huge = 1 << 50  # a pebibyte: no file system here has that free
    (folder / "checksums.tsv").write_text(f"http://sources.example.invalid/big.bin\t{huge}\t{'0' * 64}\tbig.bin\n")
    argv = ["-lcs", str(folder), "--dry-run", "-o", str(tmp_path / "d")]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert f"tiny_shapes 1.0.0: 1 source file(s) listed, {human_size(huge)}" in out
    assert f"total: 1 build(s), {human_size(huge)} to download, about {human_size(2 * huge)} for the builds" in out
    assert "DOES NOT FIT" in out
    assert "warning: the downloads and builds may not fit in the free disk space" in err
    code, out, err = run([*argv, "--strict"], capsys)
    assert code == 1
    code, out, err = run([*argv[:2], "--strict", "-o", str(tmp_path / "d")], capsys)  # a real build: refused first
    assert code == 1 and "DOES NOT FIT" in err and "tfds output" not in err
    assert not (tmp_path / "d").exists()
