"""Reading what comes from outside: a bucket, a tarball's metadata, a checksum file, an armory line.

One JSON loader and one number parser for all of it, each bounded before it can
recurse, overflow or grow: nesting is counted without recursing, integers have
at most MAX_DIGITS ASCII digits, NaN and infinities are refused. Any of that
text shown in a message goes through `quote` (cut to QUOTE_LIMIT characters).
A failure is an `UntrustedInputError` (a ValueError) whose message says what was
wrong; callers add where the text came from and raise their own error.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

QUOTE_LIMIT = 200  # characters of any outside text in any message
MAX_DIGITS = 20  # 2**64 has 20 digits: no size, count or length we accept needs more
MAX_JSON_DEPTH = 64  # TFDS's features.json nests a few levels per feature; a "[[[[..." bomb is refused
MAX_JSON_BYTES = 64 << 20
_DECIMAL = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}", re.ASCII)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


class UntrustedInputError(ValueError):
    """Outside text that is not what it must be; the message names the fault, not the source."""


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """repr() of an outside value for a message, cut to `limit` characters and saying how long it was."""
    shown = repr(value)
    return shown if len(shown) <= limit else f"{shown[:limit]}... ({len(shown)} characters)"


def cut(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Outside text shown as it is (e.g. an exception's message that may echo it), cut to `limit` characters."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def parse_decimal(text: str, what: str, maximum: int | None = None) -> int:
    """A non-negative integer written in ASCII decimal digits only (no sign, no '³', no full-width digits)."""
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text):
        raise UntrustedInputError(f"invalid {what} {quote(text)}: expected at most {MAX_DIGITS} ASCII digits")
    value = int(text)
    if maximum is not None and value > maximum:
        raise UntrustedInputError(f"absurd {what} {value} (more than {maximum})")
    return value


def checked_int(value: Any, what: str, maximum: int | None = None) -> int:
    """A JSON value that must be a non-negative integer (not a bool, not a float), at most `maximum`."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UntrustedInputError(f"invalid {what} {quote(value)}: expected a non-negative integer")
    if maximum is not None and value > maximum:
        raise UntrustedInputError(f"absurd {what} {quote(value)} (more than {maximum})")
    return value


def nests_deeper(text: str, limit: int) -> bool:
    """True if JSON text nests arrays and objects deeper than `limit`, found without recursing."""
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if match[0] in "[{" else -1
        if depth > limit:
            return True
    return False


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise UntrustedInputError(f"a number of {len(text)} digits (at most {MAX_DIGITS} are accepted)")
    return int(text)


def _float(text: str) -> float:
    if len(text) > 64:
        raise UntrustedInputError(f"a number written with {len(text)} characters")
    value = float(text)
    if not math.isfinite(value):
        raise UntrustedInputError(f"a number too large to represent ({cut(text, 40)})")
    return value


def _constant(text: str) -> Any:
    raise UntrustedInputError(f"{text} is not a JSON number")


def loads_json(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads, bounded: nesting, digits, no NaN/Infinity; UntrustedInputError on any fault."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UntrustedInputError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if nests_deeper(text, max_depth):
        raise UntrustedInputError(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise UntrustedInputError(f"not JSON ({exc})") from None
    except RecursionError:  # the depth count above should make this unreachable; kept as a backstop
        raise UntrustedInputError("JSON nested too deeply") from None


def read_regular(path: Path, max_bytes: int = MAX_JSON_BYTES, follow: bool = False) -> bytes:
    """The bytes of a regular file, never opening a FIFO or device (nor following a final symlink, unless
    `follow`: for the user's own files, such as a checksum file linked into the data dir).

    OSError if it cannot be read; UntrustedInputError if it is not a regular file or is too large.
    """
    st = os.stat(path) if follow else os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise UntrustedInputError(f"{quote(str(path))} is {describe_mode(st.st_mode)}, not a regular file")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW))
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped between lstat and open
            raise UntrustedInputError(f"{quote(str(path))} is not a regular file")
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UntrustedInputError(f"{quote(str(path))} is larger than {max_bytes} bytes")
    return data


def describe_mode(mode: int) -> str:
    """What a file type is, in words: for messages about a path that should be a regular file."""
    for test, words in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return words
    return "not a regular file"


def read_json_file(path: Path, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """`read_regular` + `loads_json`."""
    return loads_json(read_regular(path, max_bytes), max_depth)
