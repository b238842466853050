"""TensorFlow's native start-up lines stay off the console unless -v debug."""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import os, sys
from dsbuild.log import configure, log
from dsbuild.native_stderr import quiet_native_stderr
configure(sys.argv[1])
with quiet_native_stderr():
    os.write(2, b"I0000 cudart_stub.cc:31] Could not find cuda drivers\\n")
    log.info("our own line")
print("done", flush=True)
"""


def run(verbosity: str) -> str:
    out = subprocess.run([sys.executable, "-c", CHILD, verbosity], capture_output=True, text=True, check=True)
    return out.stderr


def test_native_lines_hidden_at_info_and_ours_kept() -> None:
    err = run("info")
    assert "cuda drivers" not in err
    assert "our own line" in err


def test_native_lines_shown_at_debug() -> None:
    assert "cuda drivers" in run("debug")


def test_reuse_of_a_build_prints_no_tensorflow_lines(tmp_path) -> None:
    from tests.helpers import ROOT

    cmd = [sys.executable, str(ROOT / "build.py"), "-lcs", str(ROOT / "examples/tiny_shapes"), "-o", str(tmp_path)]
    first = subprocess.run(cmd, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    for noise in ("absl::InitializeLog", "oneDNN", "cuda"):
        assert noise not in again.stderr
    lines = [line for line in again.stderr.splitlines() if line.strip()]
    assert len(lines) == len(set(lines)), again.stderr
