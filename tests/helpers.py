"""Small helpers shared by the tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_BUILDERS = FIXTURES / "builders"
EXAMPLE = ROOT / "examples" / "tiny_shapes"


def run_script(
    script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run an entry script as a user would: a child process, argv list, captured output."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    return subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=ROOT,
    )


def start_script(script: str, *args: str) -> subprocess.Popen[str]:
    """Start an entry script as a child process (to signal it mid-run); stdout and stderr are piped."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def tree(path: Path) -> list[str]:
    """Every path under `path`, relative, sorted: to assert nothing else was written."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def load_script(script: str):
    """Import an entry script (build.py, upload.py, download.py) as a module, by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"dsbuild_script_{Path(script).stem}", ROOT / script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_main(script, argv: list[str], capsys) -> tuple[int, str, str]:
    """An entry script's main (a `load_script` module) in this process: (exit code, stdout, stderr),
    argparse's own exits included."""
    try:
        code = script.main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def screenshot_in_chromium(url: str, shot: Path, profile: Path, size: str) -> subprocess.CompletedProcess[str]:
    """Open `url` in headless Chromium and save a `size` ("W,H") screenshot; skips, saying why, without it.
    The flags keep it off the network (this machine's is closed) and its console on stderr."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (`apt-get install -y chromium`; .ci/run installs it)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    flags += ["--disable-component-update", "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0"]
    command = [browser, *flags, f"--user-data-dir={profile}", f"--window-size={size}", f"--screenshot={shot}", url]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)
