"""Live progress of running `tfds build` children, read from their log files.

The child's output (TFDS's tqdm bars included) goes whole to its log file; a
watcher thread per child reads what was appended, keeps the newest progress
bar text (e.g. "Generating train examples: 1200 examples [00:40, 30.1
examples/s]") and shows it with the dataset name and the elapsed time:

- stderr is a terminal: one live line per running dataset (build.py -j N shows N),
  redrawn about twice a second and removed when the build ends;
- otherwise: one log line per dataset every PERIODIC_SECONDS, only if it changed.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path

from tqdm import tqdm

from dsbuild.log import log

POLL_SECONDS = 0.5
PERIODIC_SECONDS = 60.0
# A tqdm bar as TFDS draws it: "<what>...: <bar and counts>"; ANSI cursor moves stripped first.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_BAR = re.compile(r"^(?P<what>[^\n]*?)\.\.\.:\s*(?P<counts>.+)$")
_BAR_GLYPHS = re.compile(r"\s*\d+%\|[^|]*\|\s*")
_PATHLIKE = re.compile(r"/\S*/")

# One terminal line per running watcher: tqdm `position` slots, reused as builds end.
_SLOTS: set[int] = set()
_SLOTS_LOCK = threading.Lock()


def progress_text(chunk: str) -> str | None:
    """The newest tqdm progress text in `chunk` of a log, tidied for one line; None if it holds none."""
    for segment in reversed(re.split(r"[\r\n]", _ANSI.sub("", chunk))):
        match = _BAR.match(segment.strip())
        if match:
            what = _PATHLIKE.sub("", match["what"]).strip()
            counts = _BAR_GLYPHS.sub(" ", match["counts"]).strip()
            return f"{what}: {counts}"
    return None


def format_elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class BuildProgress:
    """Watches one child's log file until `stop()`; use as a context manager around the child's run."""

    def __init__(self, name: str, log_path: Path, interactive: bool | None = None) -> None:
        self.name = name
        self.log_path = log_path
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self.latest: str | None = None
        self._offset = 0
        self._tail = ""
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"progress-{name}", daemon=True)
        self._bar: tqdm | None = None
        self._slot: int | None = None

    def __enter__(self) -> BuildProgress:
        if self.interactive:
            with _SLOTS_LOCK:
                self._slot = next(i for i in range(len(_SLOTS) + 1) if i not in _SLOTS)
                _SLOTS.add(self._slot)
            self._bar = tqdm(total=0, position=self._slot, bar_format="{desc}", leave=False, file=sys.stderr)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def status(self) -> str:
        text = self.latest or "starting tfds build"
        return f"{self.name}: {text} (elapsed {format_elapsed(time.monotonic() - self._start)})"

    def poll(self) -> None:
        """Read what the log gained since the last call and remember its newest progress text."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except OSError:
            return
        self._offset += len(data)
        # Keep a partial last segment: a bar redraw may be cut mid-line.
        text = self._tail + data.decode("utf-8", "replace")
        found = progress_text(text)
        if found is not None:
            self.latest = found
        self._tail = text[-4096:]

    def _show(self) -> None:
        if self._bar is not None:
            self._bar.set_description_str(self.status())

    def _run(self) -> None:
        last_periodic = time.monotonic()
        last_line = ""
        while not self._stop.wait(POLL_SECONDS):
            self.poll()
            if self.interactive:
                self._show()
            elif time.monotonic() - last_periodic >= PERIODIC_SECONDS:
                last_periodic = time.monotonic()
                line = self.status()
                if self.latest and self.latest != last_line:
                    last_line = self.latest
                    log.info("{}", line)

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.poll()
        if self._bar is not None:
            self._show()
            self._bar.close()
            with _SLOTS_LOCK:
                _SLOTS.discard(self._slot)
