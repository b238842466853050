"""Command-line options the entry scripts share, as data.

Kept free of heavy imports: the scripts add these before parsing, and `-h`
must answer instantly. (argparse itself stays in the entry scripts.)
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from typing import Any, Protocol

from dsbuild.defaults import DEFAULT_PREFIX, PRIVATE_BUCKET, PUBLIC_BUCKET

LEVELS = ("trace", "debug", "info", "warning", "error")

OptionSpec = tuple[tuple[str, ...], dict[str, Any]]


class _AcceptsArguments(Protocol):
    def add_argument(self, *flags: str, **kwargs: Any) -> Any: ...


OUTPUT_DIRECTORY: OptionSpec = (
    ("-o", "--output-directory"),
    {
        "metavar": "DIR",
        "help": "the data dir (default: $DSBUILD_DATA_DIR, else <armory dataset_dir>/TFDSv4 from armory's host paths)",
    },
)
VERBOSITY: OptionSpec = (
    ("-v", "--verbosity"),
    {"choices": LEVELS, "default": "info", "help": "how much to log (default: info)"},
)


def _count(text: str) -> int:
    """A whole number >= 0, for argparse (its message names the option)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is below 0")
    return value


# build.py --card / --card-only and download.py --card draw this many examples per split.
CARD_EXAMPLES: OptionSpec = (
    ("--card-examples",),
    {"type": _count, "default": 8, "metavar": "N", "help": "examples per split on the dataset card (default: 8)"},
)
# The rate floor of transfers (uploads and downloads): below `min rate` on average over the window, stop.
DEFAULT_MIN_RATE = 32 * 1024  # bytes per second
DEFAULT_STALL_WINDOW = 60.0  # seconds
_RATE_RE = re.compile(r"^([0-9]{1,12})\s*(|B|K|KB|KIB|M|MB|MIB)(?:/S)?$")


def _rate(text: str) -> int:
    """Bytes per second: 32768, 32K, 32KiB or 1MiB (KiB/MiB; ASCII digits only); 0 turns the floor off."""
    match = _RATE_RE.match(text.strip().upper()[:40])
    if not match:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a rate such as 32768, 32KiB or 1MiB (bytes per second)")
    unit = {"": 1, "B": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20}
    return int(match[1]) * unit[match[2]]


def _seconds(text: str) -> float:
    """Seconds, 1 to 86400."""
    if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,3})?", text.strip()):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number of seconds")
    value = float(text)
    if not 1 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text} is not between 1 and 86400 seconds")
    return value


DEADLINE: tuple[OptionSpec, ...] = (
    (
        ("--min-rate",),
        {
            "type": _rate,
            "default": DEFAULT_MIN_RATE,
            "metavar": "RATE",
            "help": "stop a transfer slower than RATE bytes/s (e.g. 32KiB, 1MiB) on average over --stall-window; "
            "0: never (default: 32KiB)",
        },
    ),
    (
        ("--stall-window",),
        {
            "type": _seconds,
            "default": DEFAULT_STALL_WINDOW,
            "metavar": "SECONDS",
            "help": f"the window --min-rate is averaged over (default: {DEFAULT_STALL_WINDOW:g})",
        },
    ),
)

# Where published datasets live: upload.py and download.py take the same ones.
REMOTE: tuple[OptionSpec, ...] = (
    (
        ("-b", "--bucket"),
        {"metavar": "NAME", "help": f"default: {PRIVATE_BUCKET}, or {PUBLIC_BUCKET} with --public"},
    ),
    (
        ("--prefix",),
        {"default": DEFAULT_PREFIX, "metavar": "PREFIX", "help": f"key prefix (default: {DEFAULT_PREFIX})"},
    ),
    (("--checksum-bucket",), {"metavar": "NAME", "help": "bucket of the checksum files (default: the bucket)"}),
    (
        ("--endpoint-url",),
        {"metavar": "URL", "help": "any S3-compatible server (boto3's AWS_ENDPOINT_URL also works)"},
    ),
    (("--no-progress",), {"action": "store_true", "help": "no progress bars"}),
)


def add_options(target: _AcceptsArguments, *specs: OptionSpec) -> None:
    for flags, kwargs in specs:
        target.add_argument(*flags, **kwargs)


def remote_settings(args: Any) -> dict[str, Any]:
    """Keyword arguments for `dsbuild.remote.location.RemoteOptions` from parsed REMOTE options and --public."""
    return {
        "bucket": args.bucket,
        "checksum_bucket": args.checksum_bucket,
        "prefix": args.prefix,
        "endpoint_url": args.endpoint_url,
        "public": args.public,
        # Bars only on a terminal: in a log file or a pipe they are noise (and --no-progress turns them off).
        "progress": not args.no_progress and sys.stderr.isatty(),
    }


def new_parser(prog: str, doc: str, epilog: str) -> argparse.ArgumentParser:
    """An entry script's parser: its docstring after "prog: " as the description, examples as the epilog."""
    return argparse.ArgumentParser(
        prog=prog,
        description=doc.split(": ", 1)[1],
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


# Printed advice repeats what this run acted on: set once per run by the entry script (`remember_run`),
# read by `hint` wherever a command is printed, so a hint deep in the library runs as printed.
_RUN: dict[str, tuple[str, ...]] = {}
# Which groups of this run's options each script takes.
_GROUPS = {"build.py": ("data", "build"), "upload.py": ("data", "remote"), "download.py": ("data", "remote")}


def remember_run(args: Any) -> None:
    """Record the options of this run that change what a command acts on (absent ones are not repeated)."""
    _RUN.clear()
    output = getattr(args, "output_directory", None)
    _RUN["data"] = ("-o", os.path.abspath(os.path.expanduser(output))) if output else ()
    remote: list[str] = []
    for flag, attr in (("-b", "bucket"), ("--checksum-bucket", "checksum_bucket"), ("--endpoint-url", "endpoint_url")):
        if getattr(args, attr, None):
            remote += [flag, getattr(args, attr)]
    if getattr(args, "prefix", DEFAULT_PREFIX) not in (None, DEFAULT_PREFIX):
        remote += ["--prefix", args.prefix]
    if getattr(args, "public", False):
        remote.append("--public")
    checksums = getattr(args, "armory_checksums", None)
    if checksums is not None:  # last: its value is optional, so nothing positional may follow it
        remote += ["--armory-checksums", *([os.path.abspath(os.path.expanduser(checksums))] if checksums else [])]
    _RUN["remote"] = tuple(remote)
    build: list[str] = []
    if getattr(args, "config", None):
        build += ["--config", args.config]
    if getattr(args, "download_dir", None):
        build += ["--download-dir", str(os.path.abspath(os.path.expanduser(args.download_dir)))]
    _RUN["build"] = tuple(build)


def forget_run() -> None:
    """The run is over: a later call into the library (a test, the loading API) prints bare hints."""
    _RUN.clear()


def given(flag: str) -> bool:
    """Whether this run's command line gave `flag` among the options `remember_run` keeps."""
    return any(flag in options for options in _RUN.values())


def script_path(script: str) -> str:
    """`script` as this run reached the entry scripts (`download.py`, `./tools/download.py`, `/repo/download.py`);
    the bare name when they are in the current directory."""
    invoked = sys.argv[0] if sys.argv else ""
    if os.path.basename(invoked) in _GROUPS:
        folder = os.path.dirname(invoked)
        if folder and os.path.abspath(folder) != os.getcwd():
            return os.path.join(folder, script)
    return script


def hint(script: str, *words: str, remote: bool = True) -> str:
    """A command to print as advice: `python SCRIPT WORDS...` plus this run's options that `script` takes,
    shell-quoted, so it acts on the same data dir, bucket, endpoint and config as the run that printed it.
    `remote=False` leaves out the bucket options (a hint that must not repeat --public, say)."""
    argv = ["python", script_path(script), *words]
    for group in _GROUPS.get(script, ("data",)):
        if group != "remote" or remote:
            argv += _RUN.get(group, ())
    return shlex.join(argv)
