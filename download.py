#!/usr/bin/env python3
"""download.py: fetch published datasets from S3, verify them, extract them safely and check they load."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from dsbuild.defaults import DEFAULT_MAX_EXPANSION, DEFAULT_MAX_MEMBERS, Status
from dsbuild.options import (
    CARD_EXAMPLES,
    DEADLINE,
    OUTPUT_DIRECTORY,
    REMOTE,
    VERBOSITY,
    add_options,
    new_parser,
    remote_settings,
)

if TYPE_CHECKING:  # annotations only: -h must not import the library
    from collections.abc import Sequence
    from pathlib import Path

    from dsbuild.armory.scenarios import DatasetRef, Resolution
    from dsbuild.remote.download import DownloadResult
    from dsbuild.remote.scenario_download import Advice

EPILOG = """\
examples:
  python download.py mnist digit                        the highest published version of each
  python download.py mnist-3.0.1                        one version
  python download.py s3://bucket/datasets/mnist-3.0.1.json
  python download.py --public mnist                     anonymous, unsigned requests
  python download.py --card mnist                       also write mnist-<version>.card.html to look at
  python download.py --verify mnist                     compare the installed files with the tarball's (offline)
  python download.py --scenario cifar10_baseline.json   every dataset an ARMORY scenario config loads
  python download.py --scenario eval6/*.json --dry-run  what they need: installed, published (size) or neither
  python download.py --download-config set1.json list   the scenarios of an `armory download` config
  python download.py --download-config set1.json all    the datasets of all of them (or of one SCENARIO)

credentials: ARMORY_PRIVATE_S3_ID / ARMORY_PRIVATE_S3_KEY if set, else boto3's chain
exit codes: 0 success, 1 a download/verification failure, 2 bad usage or input, 130 Ctrl-C, 143 SIGTERM
"""


def make_parser() -> argparse.ArgumentParser:
    parser = new_parser("download.py", __doc__, EPILOG)
    parser.add_argument(
        "targets",
        nargs="*",
        metavar="NAME",
        help="dataset names (NAME, NAME:VERSION or NAME-VERSION), checksum file paths, or s3:// URLs of checksum "
        "files; optional with --scenario or --download-config",
    )
    configs = parser.add_argument_group(
        "from ARMORY configs",
        "Each loader a config names is resolved to the name[/config]:version it asks TFDS for, read from the "
        "installed armory-testbed's loader sources; a name that is no loader is taken as a dataset name "
        "(NAME or NAME:VERSION, a dataset of your own). Installed datasets are kept; published ones are fetched.",
    )
    configs.add_argument(
        "--scenario",
        nargs="+",
        metavar="FILE",
        help="ARMORY scenario configs (armory-testbed's scenario_configs/ format): their dataset, and the "
        "dataset of a preloaded attack",
    )
    configs.add_argument(
        "--download-config",
        nargs="+",
        metavar=("FILE", "SCENARIO|list|all"),
        help='the config `armory download` reads ({"scenario": {NAME: {"dataset_name": [...]}}}): the datasets '
        "of one scenario, of all (the default), or list the scenarios",
    )
    configs.add_argument(
        "--dry-run",
        action="store_true",
        help="print each dataset the configs (or names) need: installed, published (its size) or neither, and the "
        "total to download; write nothing",
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
    parser.add_argument(
        "--resume-above",
        type=_size,
        default=None,
        metavar="SIZE",
        help="keep the received bytes of a tarball of at least SIZE bytes (K, M, G suffixes: powers of 1024) in "
        "a partial file beside the data, so that an interrupted download is resumed by the next run "
        "(default 1G)",
    )
    add_options(parser, *DEADLINE, VERBOSITY)
    return parser


def _size(text: str) -> int:
    """A size in bytes: ASCII digits with an optional K, M or G (powers of 1024)."""
    import re

    match = re.fullmatch(r"([0-9]{1,15})([KMG]?)", text.strip().upper())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size in bytes (e.g. 256M): {text[:50]!r}")
    return int(match[1]) << {"": 0, "K": 10, "M": 20, "G": 30}[match[2]]


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
    _check_usage(parser, args)
    from dsbuild.entry import run_command

    def work() -> int:
        from dsbuild.paths import resolve_data_dir
        from dsbuild.remote.download import download
        from dsbuild.remote.location import RemoteOptions

        if args.download_config and args.download_config[1:] == ["list"]:
            from pathlib import Path

            from dsbuild.armory.scenarios import scenario_list_lines

            print("\n".join(scenario_list_lines(Path(args.download_config[0]))))
            return 0
        from dsbuild.remote.s3_transfer import set_rate_floor_from

        set_rate_floor_from(args)  # --min-rate / --stall-window for every transfer below
        data_dir = resolve_data_dir(args.output_directory)
        if args.verify:
            return _verify(data_dir, args.targets)
        if args.scenario or args.download_config or args.dry_run:
            return _from_configs(args, data_dir)
        settings = remote_settings(args)
        armory_checksums = None
        if args.armory_checksums is not None:
            armory_checksums = _armory_checksums(args.armory_checksums)
            settings["public"] = True  # armory publishes to a public bucket: anonymous, unsigned requests
        options = RemoteOptions(**settings)
        extract_options = _extract_options(args)
        results = download(
            data_dir,
            args.targets,
            options,
            overwrite=args.overwrite,
            armory_checksums=armory_checksums,
            extract_options=extract_options,
        )
        return _report(args, data_dir, results)

    return run_command(work, args.verbosity, args)


def _report(args: argparse.Namespace, data_dir: Path, results: Sequence[DownloadResult]) -> int:
    """One line per dataset, a summary table for several; the exit code."""
    from dsbuild.batch import exit_code, summary_lines
    from dsbuild.remote.scenario_download import INSTALLED_SOURCE
    from dsbuild.sizes import human_size

    for r in results:
        where = ", ".join(str(data_dir / sub) for sub in r.subdirs)
        if r.status == Status.FAILED:
            continue  # its error was logged when it happened
        if r.status == Status.REPAIRED:
            print(f"{r.name} {r.version}: repaired: downloaded again ({human_size(r.size)}), verified, {where}")
        elif r.status == Status.ALREADY_PRESENT and r.source == INSTALLED_SOURCE:
            print(f"{r.name} {r.version}: already present in {where} (installed; nothing downloaded)")
        elif r.status == Status.ALREADY_PRESENT:
            print(f"{r.name} {r.version}: already present in {where} (matches {r.source}; nothing downloaded)")
        else:
            print(f"{r.name} {r.version}: downloaded ({human_size(r.size)}), verified, extracted to {where}")
        if args.card:
            _card(data_dir, r.name, r.version, args.card_examples)
    if len(results) > 1:
        print("\n".join(summary_lines([(f"{r.name} {r.version}".strip(), r.error, r.seconds) for r in results])))
    return exit_code([r.error for r in results])


def _check_usage(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Combinations argparse cannot express: exit 2 with the reason."""
    from_configs = bool(args.scenario or args.download_config)
    if not (args.targets or from_configs):
        parser.error("name at least one dataset (NAME), or give --scenario FILE or --download-config FILE")
    if args.download_config and len(args.download_config) > 2:
        parser.error("--download-config takes FILE and at most one of SCENARIO, list or all (put NAMEs before it)")
    if args.download_config and args.download_config[1:] == ["list"] and (args.targets or args.scenario):
        parser.error("--download-config FILE list only lists its scenarios: give no NAMEs or --scenario with it")
    if (from_configs or args.dry_run) and (args.verify or args.armory_checksums is not None):
        parser.error(
            "--scenario, --download-config and --dry-run cannot be combined with --verify or --armory-checksums"
        )


def _from_configs(args: argparse.Namespace, data_dir: Path) -> int:
    """--scenario / --download-config / --dry-run: resolve, look up, then report (dry run) or fetch."""
    from pathlib import Path

    from dsbuild.armory import scenarios
    from dsbuild.remote import scenario_download
    from dsbuild.remote.location import RemoteOptions

    needs = []
    if args.targets:
        needs.append(scenarios.named_datasets(args.targets))
    if args.scenario:
        needs += scenarios.resolve_scenarios(Path(p) for p in args.scenario)
    if args.download_config:
        path, which = Path(args.download_config[0]), (args.download_config[1:] or ["all"])[0]
        needs += scenarios.resolve_download_config(path, which)
    options = RemoteOptions(**remote_settings(args))
    plan = scenario_download.make_plan(data_dir, needs, options, overwrite=args.overwrite)
    advice = _advice()
    if args.dry_run:
        print("\n".join(scenario_download.describe(plan, data_dir, advice)))
        return 1 if scenario_download.dry_run_failed(plan) else 0
    extract_options = _extract_options(args)
    results = scenario_download.fetch(
        plan, data_dir, options, advice=advice, overwrite=args.overwrite, extract_options=extract_options
    )
    return _report(args, data_dir, results)


def _extract_options(args: argparse.Namespace):  # -> ExtractOptions
    from dsbuild.remote.download import RESUME_ABOVE, ExtractOptions

    resume_above = RESUME_ABOVE if args.resume_above is None else args.resume_above
    return ExtractOptions(args.max_expansion, args.max_members, resume_above)


def _advice() -> Advice:
    """What to do about a dataset that is neither installed nor published: build it here (the build
    catalog knows what build.py can make; only this script may read it), or fetch armory-testbed's copy."""
    from functools import cache

    from dsbuild.armory.loaders import default_checksums_dir
    from dsbuild.build.catalog import TFDS_CORE, load_catalog
    from dsbuild.options import hint

    catalog = cache(load_catalog)  # read only when something is missing

    def advise(ref: DatasetRef, resolution: Resolution) -> str:
        tips = []
        entry = catalog().get(ref.name)
        if entry is not None and not entry.problems:
            if ref.version is None or ref.version in entry.buildable:
                spec = ref.name if ref.version in (None, entry.default) else f"{ref.name}:{ref.version}"
                config = ("--config", ref.config) if ref.config else ()
                tips.append(f"build it: {hint('build.py', '-ds', spec, *config)}")
            else:
                by = " (TFDS's own builder, at the pinned TFDS)" if entry.category == TFDS_CORE else ""
                tips.append(f"build.py cannot make {ref.version}: it builds {', '.join(entry.buildable)}{by}")
        elif resolution.custom:
            tips.append("publish it with upload.py where it was built, or correct the name")
        else:
            tips.append(
                f"no builder for it here: write a builder folder and build it with {hint('build.py', '-lcs', 'PATH')}"
            )
        lines = default_checksums_dir()
        if lines is not None and ref.version is not None and (lines / f"{ref.name}.txt").is_file():
            # The name first: --armory-checksums takes an optional value and would swallow it.
            copy = hint("download.py", ref.name, "--armory-checksums", remote=False)
            tips.append(f"or fetch armory-testbed's own copy: {copy}")
        return "; ".join(tips)

    return advise


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
