"""ffmpeg/ffprobe from the pinned wheel when PATH has none (a fresh machine)."""

from __future__ import annotations

import subprocess
import sys

from dsbuild import media_tools


def test_path_without_system_tools_gets_the_wheels_binaries(tmp_path) -> None:
    empty = str(tmp_path)  # a PATH on which no ffmpeg can be found
    assert not media_tools.system_has_tools(empty)
    path = media_tools.path_with_tools(empty)
    assert path is not None and path.endswith(empty)
    assert media_tools.system_has_tools(path)
    for tool in media_tools.TOOLS:
        out = subprocess.run([tool, "-version"], env={"PATH": path}, capture_output=True, text=True, check=True)
        assert out.stdout.startswith(f"{tool} version")


def test_tfds_child_env_finds_ffprobe_for_pydub(tmp_path, monkeypatch) -> None:
    from dsbuild.build.tfds_build import child_env

    monkeypatch.setenv("PATH", str(tmp_path))
    code = "from pydub.utils import which; import sys; sys.exit(0 if which('ffprobe') and which('ffmpeg') else 1)"
    assert subprocess.run([sys.executable, "-c", code], env=child_env()).returncode == 0
