"""A builder folder copied outside the repository makes its dummy data and passes its test with only the
project installed: its make.py and test import dsbuild.testing, never the repository's tests/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.integration

# digit: audio writers; apricot_dev: the CopiedDummyData mixin of dsbuild.testing.checks
FOLDERS = ["datasets/digit", "adversarial/apricot_dev"]


@pytest.fixture
def installed_only(tmp_path: Path) -> dict[str, str]:
    """An environment whose import path holds the project's package `dsbuild` and nothing else of the repository."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "dsbuild").symlink_to(ROOT / "dsbuild")
    return {**os.environ, "PYTHONPATH": str(site)}


@pytest.mark.parametrize("folder", FOLDERS)
def test_copied_folder_makes_its_data_and_passes_its_test(tmp_path: Path, installed_only, folder: str) -> None:
    name = Path(folder).name
    work = tmp_path / "elsewhere"
    copy = work / name
    shutil.copytree(ROOT / folder, copy, ignore=shutil.ignore_patterns("__pycache__"))
    make = copy / "dummy_data" / "make.py"

    run = {"cwd": work, "env": installed_only, "capture_output": True, "text": True}
    sources = subprocess.run([sys.executable, str(make), "--source-archives", str(tmp_path / "sources")], **run)
    assert sources.returncode == 0, sources.stderr[-3000:]
    assert sources.stdout.split() and all(Path(p).is_file() for p in sources.stdout.split())

    before = {p: p.read_bytes() for p in (copy / "dummy_data").rglob("*") if p.is_file()}
    tree = subprocess.run([sys.executable, str(make)], **run)
    assert tree.returncode == 0, tree.stderr[-3000:]
    assert {p: p.read_bytes() for p in (copy / "dummy_data").rglob("*") if p.is_file()} == before

    test = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name], **run)
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-2000:]
    assert " passed" in test.stdout
    assert "tests/" not in test.stdout
