"""The one logger: armory's loguru logger, writing to stderr through tqdm.

Writing through `tqdm.write` keeps progress bars intact when a line is logged.
"""

from __future__ import annotations

import sys

from armory.logs import log
from tqdm import tqdm

__all__ = ["configure", "log", "verbose"]

_level = "INFO"


def _write(message: str) -> None:
    tqdm.write(message, end="", file=sys.stderr)


def configure(verbosity: str = "info") -> None:
    """Send our messages at `verbosity` and above to stderr.

    Other libraries (TensorFlow, absl, botocore, s3transfer) stay at WARNING
    whatever the verbosity: their debug output can carry request details and
    nobody needs it to use this tool.
    """
    global _level
    level = _level = verbosity.upper()
    log.remove()
    log.add(
        _write,
        level="TRACE",
        colorize=False,
        format="{level.name:<7} {message}" if level in ("TRACE", "DEBUG") else "{message}",
        filter={"": "WARNING", "dsbuild": level, "__main__": level},
        backtrace=False,
        diagnose=False,
    )


def verbose() -> bool:
    """True at -v debug or trace: show other libraries' start-up chatter too."""
    return _level in ("TRACE", "DEBUG")
