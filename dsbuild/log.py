"""The one logger: armory's loguru logger, writing to stderr through tqdm.

Writing through `tqdm.write` keeps progress bars intact when a line is logged.
"""

from __future__ import annotations

import re
import sys
import traceback
from types import TracebackType

from armory.logs import log
from tqdm import tqdm

__all__ = ["add_secret", "configure", "log", "redact_secrets", "verbose"]

_level = "INFO"
_secrets: set[str] = set()


def add_secret(value: str | None) -> None:
    """Never show `value` (a credential) in any message: raw, as Python quotes it, or any printable run of it."""
    if not value:
        return
    forms = {value, repr(value)[1:-1], repr(value.encode("utf-8", "replace"))[2:-1]}
    # A token with a control character is quoted around it; each printable run is cut on its own.
    forms.update(run for run in re.split(r"[^!-~]+", value) if len(run) >= 6)
    _secrets.update(form for form in forms if len(form) >= 4)


def redact_secrets(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "<redacted>")
    return text


def _write(message: str) -> None:
    tqdm.write(redact_secrets(message), end="", file=sys.stderr)


def _redacting_excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """A bug's traceback, with every registered credential cut from it too."""
    sys.stderr.write(redact_secrets("".join(traceback.format_exception(kind, value, tb))))


def configure(verbosity: str = "info") -> None:
    """Send our messages at `verbosity` and above to stderr.

    Other libraries (TensorFlow, absl, botocore, s3transfer) stay at WARNING
    whatever the verbosity: their debug output can carry request details and
    nobody needs it to use this tool.
    """
    global _level
    level = _level = verbosity.upper()
    sys.excepthook = _redacting_excepthook
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
