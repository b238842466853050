"""dsbuild.testing: the deterministic archive writer, the make.py command line, and the rules builder
folders follow so that a copy of one works outside the repository."""

from __future__ import annotations

import ast
import fnmatch
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from dsbuild.testing import archive, make
from tests.helpers import EXAMPLE, ROOT

BUILDER_FOLDERS = [*sorted(p.parent.parent for p in ROOT.glob("*/*/dummy_data/make.py")), EXAMPLE]
FILES = {"b/two.txt": b"2", "a.txt": b"1", "b/c/three.bin": bytes(range(5))}


def test_every_builder_folder_is_found() -> None:
    # 30 ARMORY builders plus the example: a glob that finds nothing would make the checks below vacuous.
    assert len(BUILDER_FOLDERS) == 31


def test_no_builder_module_looks_like_a_test_to_pytest() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["python_files"]
    modules = [folder / f"{folder.name}.py" for folder in BUILDER_FOLDERS]
    assert all(m.is_file() for m in modules)
    assert [m.name for m in modules if any(fnmatch.fnmatch(m.name, p) for p in patterns)] == []


@pytest.mark.parametrize("folder", BUILDER_FOLDERS[:-1], ids=lambda f: f.name)
def test_builder_folder_imports_only_installed_modules(folder: Path) -> None:
    """No sys.path edits; absolute imports never reach the repository's tests/; relative ones only the builder."""
    for path in [folder / "dummy_data" / "make.py", folder / f"test_{folder.name}.py"]:
        source = path.read_text()
        assert "sys.path" not in source, path
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert (node.level, node.module, [a.name for a in node.names]) == (1, None, [folder.name]), path
            elif isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not [n for n in names if n.split(".")[0] == "tests"], path


def test_tar_gz_is_deterministic_sorted_and_anonymous(tmp_path: Path) -> None:
    archive.write_tar_gz(tmp_path / "one.tar.gz", FILES)
    archive.write_tar_gz(tmp_path / "two.tar.gz", dict(reversed(FILES.items())))
    data = (tmp_path / "one.tar.gz").read_bytes()
    assert data == (tmp_path / "two.tar.gz").read_bytes()
    assert data[3] == 0 and data[4:8] == bytes(4)  # gzip: no file-name flag, mtime 0
    with tarfile.open(tmp_path / "one.tar.gz") as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == sorted(FILES)
        assert {(m.mtime, m.mode, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0o644, 0, 0, "", "")}
        assert {m.name: tar.extractfile(m).read() for m in members} == FILES


def test_zip_is_deterministic_with_directory_entries(tmp_path: Path) -> None:
    archive.write_zip(tmp_path / "one.zip", FILES)
    archive.write_zip(tmp_path / "two.zip", dict(reversed(FILES.items())))
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as zf:
        assert zf.namelist() == ["b/", "b/c/", "a.txt", "b/c/three.bin", "b/two.txt"]
        assert {i.date_time for i in zf.infolist()} == {archive.ZIP_DATE}
        assert {n: zf.read(n) for n in FILES} == FILES


def test_an_unknown_archive_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"x\.rar: no archive writer"):
        archive.write_source(tmp_path / "x.rar", FILES)


def test_default_tree_extracts_each_archive_beside_make_and_replaces_it(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "stale.txt").write_bytes(b"old")
    make.default_tree(tmp_path, {"src.tar.gz": FILES, "plain.npy": b"raw"})
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "plain.npy",
        "src/a.txt",
        "src/b/c/three.bin",
        "src/b/two.txt",
    ]


def test_make_command_line_writes_sources_and_refuses_bad_usage(tmp_path: Path) -> None:
    script = tmp_path / "dummy_data" / "make.py"
    script.parent.mkdir()
    script.write_text(
        '"""Tiny."""\nfrom pathlib import Path\nfrom dsbuild.testing import make\n'
        'make.main(__doc__, Path(__file__).parent, lambda: {"x.zip": {"a": b"1"}, "y.bin": b"2"},'
        ' dummy=lambda: {"tree/a": b"1"}, clear=["tree"])\n'
    )
    out = subprocess.run(
        [sys.executable, str(script), "--source-archives", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [str(tmp_path / "out" / "x.zip"), str(tmp_path / "out" / "y.bin")]
    subprocess.run([sys.executable, str(script)], check=True)
    assert (script.parent / "tree" / "a").read_bytes() == b"1"
    bad = subprocess.run([sys.executable, str(script), "--bogus"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unrecognized arguments: --bogus" in bad.stderr


def test_builder_literal_reads_the_builder_without_importing_it(tmp_path: Path) -> None:
    (tmp_path / "b" / "dummy_data").mkdir(parents=True)
    (tmp_path / "b" / "b.py").write_text('import no_such_module\n_LABELS = ["x", "y"]\n')
    assert make.builder_literal(tmp_path / "b" / "dummy_data", "_LABELS") == ["x", "y"]
    with pytest.raises(LookupError, match="no top-level literal assignment to _OTHER"):
        make.builder_literal(tmp_path / "b" / "dummy_data", "_OTHER")


@pytest.mark.parametrize("folder", ["datasets/ucf101_clean", "datasets/librispeech_dev_test"])
def test_make_encodes_video_and_flac_without_ffmpeg_on_path(folder: str, tmp_path: Path) -> None:
    """A fresh machine has no ffmpeg: make.py finds the pinned wheel's (PATH here holds no ffmpeg dir)."""
    import os
    import shutil

    bare_path = os.pathsep.join(p for p in ("/usr/bin", "/bin") if Path(p).is_dir())
    proc = subprocess.run(
        [sys.executable, str(ROOT / folder / "dummy_data" / "make.py"), "--source-archives", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": bare_path},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert any(tmp_path.iterdir()), "no source archive written"
    if shutil.which("ffmpeg", path=bare_path) is None:
        print(f"{folder}: encoded with the wheel's ffmpeg (none on {bare_path})")
