"""The console shows live progress of a real `tfds build` child; the log keeps everything."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from dsbuild.build.progress import progress_text
from tests.helpers import EXAMPLE, ROOT


def test_progress_text_from_tfds_bars() -> None:
    chunk = (
        "\rGenerating splits...:   0%|          | 0/2 [00:00<?, ? splits/s]\n"
        "\rGenerating train examples...: 1200 examples [00:40, 30.1 examples/s]\x1b[A"
    )
    assert progress_text(chunk) == "Generating train examples: 1200 examples [00:40, 30.1 examples/s]"
    assert progress_text("INFO[build.py]: Loading dataset\n") is None


def run_on_terminal(cmd: list[str]) -> tuple[int, str]:
    """Run `cmd` with stderr on a pseudo-terminal (160 columns); return its exit code and what it drew."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, cwd=ROOT)
    os.close(slave)
    drawn = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        drawn += data
    os.close(master)
    return proc.wait(), drawn.decode("utf-8", "replace")


def test_console_shows_progress_during_a_real_build(tmp_path: Path) -> None:
    code, drawn = run_on_terminal([sys.executable, str(ROOT / "build.py"), "-lcs", str(EXAMPLE), "-o", str(tmp_path)])
    assert code == 0, drawn
    statuses = [s for s in drawn.replace("\r", "\n").splitlines() if s.startswith("tiny_shapes: ")]
    assert any("Generating" in s and "(elapsed " in s for s in statuses), drawn
    log = next((tmp_path / "_logs").glob("build-tiny_shapes-*.log")).read_text(encoding="utf-8")
    assert "Generating train examples..." in log


def test_no_live_lines_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "-lcs", str(EXAMPLE), "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert "\r" not in out.stderr
    assert "(elapsed " not in out.stderr  # a build this short ends before the first periodic line
