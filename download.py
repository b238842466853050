#!/usr/bin/env python3
"""download.py: fetch published datasets from S3, verify them, extract them safely and check they load."""

from __future__ import annotations

import argparse
import sys

from dsbuild.defaults import DEFAULT_MAX_EXPANSION, DEFAULT_MAX_MEMBERS, Status
from dsbuild.options import CARD_EXAMPLES, OUTPUT_DIRECTORY, REMOTE, VERBOSITY, add_options, new_parser, remote_settings

EPILOG = """\
examples:
  python download.py mnist digit                        the highest published version of each
  python download.py mnist-3.0.1                        one version
  python download.py s3://bucket/datasets/mnist-3.0.1.json
  python download.py --public mnist                     anonymous, unsigned requests
  python download.py --card mnist                       also write mnist-<version>.card.html to look at
  python download.py --verify mnist                     compare the installed files with the tarball's (offline)

credentials: ARMORY_PRIVATE_S3_ID / ARMORY_PRIVATE_S3_KEY if set, else boto3's chain
exit codes: 0 success, 1 a download/verification failure, 2 bad usage or input, 130 Ctrl-C, 143 SIGTERM
"""


def make_parser() -> argparse.ArgumentParser:
    parser = new_parser("download.py", __doc__, EPILOG)
    parser.add_argument(
        "targets",
        nargs="+",
        metavar="NAME",
        help="dataset names (NAME, NAME:VERSION or NAME-VERSION), checksum file paths, or s3:// URLs of checksum files",
    )
    add_options(parser, OUTPUT_DIRECTORY, *REMOTE)
    parser.add_argument("--public", action="store_true", help="anonymous, unsigned requests (public datasets)")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace a dataset already in the data dir (repairs a changed one)"
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="download nothing: check each installed dataset file by file against what its tarball held",
    )
    parser.add_argument(
        "--card", action="store_true", help="write <name>-<version>.card.html in the data dir after the download"
    )
    add_options(parser, CARD_EXAMPLES)
    parser.add_argument(
        "--armory-checksums",
        nargs="?",
        const="",
        metavar="DIR_OR_FILE",
        help="look names up in armory-testbed's checksum lines (<name>.txt: BUCKET KEY SIZE SHA256) instead: "
        "a directory of them or one file (default: the installed armory-testbed's cached_s3_checksums/); "
        "anonymous access",
    )
    limits = parser.add_argument_group(
        "extraction limits",
        "A checksum file written by dsbuild records what its tarball expands to, and extraction stops past that. "
        "Tarballs without that record (armory's, older dsbuild) get these limits instead.",
    )
    limits.add_argument(
        "--max-expansion",
        type=_positive(float),
        default=DEFAULT_MAX_EXPANSION,
        metavar="RATIO",
        help=f"member data at most RATIO times the tarball's size (default {DEFAULT_MAX_EXPANSION:g})",
    )
    limits.add_argument(
        "--max-members",
        type=_positive(int),
        default=DEFAULT_MAX_MEMBERS,
        metavar="N",
        help=f"at most N files and directories (default {DEFAULT_MAX_MEMBERS})",
    )
    add_options(parser, VERBOSITY)
    return parser


def _positive(kind: type) -> object:
    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text[:50]!r}") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be a positive finite number: {text[:50]!r}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    from dsbuild.entry import run_command

    def work() -> int:
        from dsbuild.batch import exit_code, summary_lines
        from dsbuild.paths import resolve_data_dir
        from dsbuild.remote.download import ExtractOptions, download
        from dsbuild.remote.location import RemoteOptions
        from dsbuild.sizes import human_size

        data_dir = resolve_data_dir(args.output_directory)
        if args.verify:
            return _verify(data_dir, args.targets)
        settings = remote_settings(args)
        armory_checksums = None
        if args.armory_checksums is not None:
            armory_checksums = _armory_checksums(args.armory_checksums)
            settings["public"] = True  # armory publishes to a public bucket: anonymous, unsigned requests
        options = RemoteOptions(**settings)
        extract_options = ExtractOptions(args.max_expansion, args.max_members)
        results = download(
            data_dir,
            args.targets,
            options,
            overwrite=args.overwrite,
            armory_checksums=armory_checksums,
            extract_options=extract_options,
        )
        for r in results:
            where = ", ".join(str(data_dir / sub) for sub in r.subdirs)
            if r.status == Status.FAILED:
                continue  # its error was logged when it happened
            if r.status == Status.REPAIRED:
                print(f"{r.name} {r.version}: repaired: downloaded again ({human_size(r.size)}), verified, {where}")
            elif r.status == Status.ALREADY_PRESENT:
                print(f"{r.name} {r.version}: already present in {where} (matches {r.source}; nothing downloaded)")
            else:
                print(f"{r.name} {r.version}: downloaded ({human_size(r.size)}), verified, extracted to {where}")
            if args.card:
                _card(data_dir, r.name, r.version, args.card_examples)
        if len(results) > 1:
            print("\n".join(summary_lines([(f"{r.name} {r.version}".strip(), r.error, r.seconds) for r in results])))
        return exit_code([r.error for r in results])

    return run_command(work, args.verbosity)


def _verify(data_dir, targets: list[str]) -> int:  # data_dir: Path
    """--verify: each installed dataset against its checksum file's file list; a summary for several."""
    import time

    from dsbuild.artifact.installed import verify_installed
    from dsbuild.batch import exit_code, summary_lines
    from dsbuild.errors import DsbuildError
    from dsbuild.log import log

    rows = []
    for target in targets:
        started, error = time.monotonic(), None
        try:
            record, count = verify_installed(data_dir, target)
            print(f"{record.name} {record.version}: all {count} files match the tarball ({data_dir})")
        except DsbuildError as exc:
            log.error("error: {}", exc)
            error = exc
        rows.append((target, error, time.monotonic() - started))
    if len(rows) > 1:
        print("\n".join(summary_lines(rows)))
    return exit_code([error for _, error, _ in rows])


def _card(data_dir, name: str, version: str, examples: int) -> None:  # data_dir: Path
    """--card: a card that cannot be made is a warning; the download itself succeeded."""
    from dsbuild.artifact.built_dataset import find_built
    from dsbuild.card import write_card_or_warn

    built = find_built(data_dir, name, version)
    path = write_card_or_warn(built, examples) if built is not None else None
    if path is not None:
        print(f"  dataset card: {path}")


def _armory_checksums(raw: str):  # -> Path
    from pathlib import Path

    from dsbuild.armory.loaders import default_checksums_dir
    from dsbuild.errors import UsageError

    if raw:
        return Path(raw).expanduser().absolute()
    found = default_checksums_dir()
    if found is None:
        raise UsageError("armory-testbed is not installed here: give --armory-checksums DIR_OR_FILE")
    return found


if __name__ == "__main__":
    sys.exit(main())
