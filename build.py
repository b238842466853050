#!/usr/bin/env python3
"""build.py: build ARMORY datasets with `tfds build`, verify them and pack each into <name>-<version>.tar.gz."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from dsbuild.defaults import COMPRESSION_LEVELS, DEFAULT_COMPRESSION_LEVEL, Status
from dsbuild.options import CARD_EXAMPLES, OUTPUT_DIRECTORY, VERBOSITY, add_options, new_parser

if TYPE_CHECKING:
    from dsbuild.build.catalog import CatalogEntry

EPILOG = """\
examples:
  python build.py -ds mnist digit          build supported datasets by name
  python build.py -ds all                  build every supported dataset
  python build.py -lcs ./my_dataset        build your own builder folder (or my_dataset.py)
  python build.py --list                   what is supported, and what is built here
  python build.py --pack-only mnist        pack a dataset already built in the data dir
  python build.py --add-custom ~/tfds/my_ds/1.0.0   bring a dataset built elsewhere by `tfds build`, verify, pack
  python build.py -ds digit --card         build, pack and write digit-<version>.card.html to look at
  python build.py --card-only mnist        write the card of a dataset already built or downloaded
  python build.py --check mnist            rebuild from the recorded provenance; same sha256?
  python build.py --check s3://bucket/datasets/mnist-3.0.1.json
  python build.py -ds librispeech_full --beam-option runner=DirectRunner \
      --beam-option direct_running_mode=multi_processing --beam-option direct_num_workers=2
                                           generate one dataset on Apache Beam (README: Building on a cluster)

exit codes: 0 success, 1 a build/verify/pack failure, 2 bad usage or input, 124 --timeout, 130 Ctrl-C,
  143 SIGTERM
"""


def make_parser() -> argparse.ArgumentParser:
    parser = new_parser("build.py", __doc__, EPILOG)
    what = parser.add_argument_group("what to do (-ds and -lcs may be combined)")
    what.add_argument(
        "-ds",
        "--dataset",
        nargs="+",
        default=[],
        metavar="NAME",
        help="supported dataset(s) (NAME or NAME:VERSION), or `all`",
    )
    what.add_argument(
        "-lcs",
        "--local-class-path",
        nargs="+",
        default=[],
        metavar="PATH",
        help="builder folder(s) or builder class file(s) of your own",
    )
    what.add_argument("--list", action="store_true", help="list supported datasets, their versions and build state")
    what.add_argument(
        "--pack-only",
        nargs="+",
        default=[],
        metavar="NAME_OR_DIR",
        help="verify and pack datasets already built (NAME, NAME:VERSION or NAME-VERSION in the data dir, or a <name>/<version> directory)",
    )
    what.add_argument(
        "--add-custom",
        nargs="+",
        default=[],
        metavar="PATH",
        help="bring dataset(s) built elsewhere with `tfds build` into the data dir (a <name>[/<config>]/<version> "
        "directory, or the <name> directory of a builder with configs): verified, hard-linked or copied, packed",
    )
    what.add_argument(
        "--card-only",
        nargs="+",
        default=[],
        metavar="NAME_OR_DIR",
        help="write the dataset card of datasets already built or downloaded (as for --pack-only)",
    )

    what.add_argument(
        "--check",
        metavar="TARGET",
        help="rebuild a dataset (name, tarball, checksum file or s3:// URL of one) in a temporary dir from its "
        "recorded provenance and compare the sha256 (with -lcs PATH for a builder of your own)",
    )

    out = parser.add_argument_group("output")
    add_options(out, OUTPUT_DIRECTORY)
    out.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="build N datasets at a time (default: 1)")
    out.add_argument("--clean", action="store_true", help="remove the old build, tarball and checksum file first")
    out.add_argument(
        "--dry-run",
        action="store_true",
        help="print what each build would download, what is already present and whether hosts answer; build nothing",
    )
    out.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 (building nothing) when the downloads and builds do not fit in the free disk space",
    )
    out.add_argument("--no-pack", action="store_true", help="stop after verifying the build")
    out.add_argument(
        "--force",
        action="store_true",
        help="--add-custom: accept a name TFDS or armory already gives a dataset (it would be loaded in its place)",
    )
    out.add_argument(
        "--overwrite",
        action="store_true",
        help="--add-custom: replace a version already installed with other contents",
    )
    out.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="stop a dataset's `tfds build` after SECONDS (its process group, partial output removed; exit 124)",
    )
    out.add_argument("--verify-all", action="store_true", help="decode every example and check the split counts")
    out.add_argument(
        "--card",
        action="store_true",
        help="also write <name>-<version>.card.html beside the tarball: examples drawn, counts (see README)",
    )
    add_options(out, CARD_EXAMPLES)
    out.add_argument(
        "--compression-level",
        type=int,
        choices=COMPRESSION_LEVELS,
        default=DEFAULT_COMPRESSION_LEVEL,
        metavar="{0..3}",
        help="ISA-L gzip level of the tarball: 1 fastest with good size (default), 3 smallest, 0 only for text",
    )

    tfds = parser.add_argument_group("passed through to `tfds build`")
    tfds.add_argument(
        "--register-checksums", action="store_true", help="record the sizes and sha256 of the downloaded sources"
    )
    tfds.add_argument("--manual-dir", metavar="DIR", help="directory holding source files downloaded by hand")
    tfds.add_argument("--download-dir", metavar="DIR", help="where downloads go (default: <data dir>/downloads)")
    tfds.add_argument("--config", metavar="NAME", help="build only this builder config")
    tfds.add_argument("--max-examples-per-split", type=int, metavar="N", help="generate at most N examples per split")
    tfds.add_argument("--file-format", choices=("tfrecord", "array_record"), help="shard file format")
    tfds.add_argument(
        "--num-processes",
        type=int,
        metavar="N",
        help="build up to N configs of one dataset at once, one process each (one config never runs in parallel "
        "this way: use Beam options for that)",
    )

    beam = parser.add_argument_group(
        "Apache Beam (builders that support it: librispeech_*, ucf101_clean, carla_video_tracking_*)"
    )
    beam.add_argument(
        "--beam-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Beam pipeline option, repeatable; the value may hold commas (e.g. runner=DirectRunner)",
    )
    beam.add_argument(
        "--beam-pipeline-options",
        metavar="K=V,K=V",
        help="Beam pipeline options in TFDS's comma-separated form (values cannot hold commas)",
    )

    add_options(parser, VERBOSITY)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    building = bool(args.dataset or args.local_class_path) and args.check is None
    actions = (
        building
        + bool(args.list)
        + bool(args.pack_only)
        + bool(args.add_custom)
        + bool(args.card_only)
        + (args.check is not None)
    )
    if actions != 1 or (args.check is not None and (args.dataset or len(args.local_class_path) > 1)):
        parser.error(
            "give one of: -ds/-lcs (may be combined), --list, --pack-only, --add-custom, --card-only, "
            "--check (with at most one -lcs)"
        )
    if (args.force or args.overwrite) and not args.add_custom:
        parser.error("--force and --overwrite go with --add-custom")
    for flag, value in (
        ("--max-examples-per-split", args.max_examples_per_split),
        ("--num-processes", args.num_processes),
    ):
        if value is not None and value < 1:
            parser.error(f"{flag} must be at least 1")
    if args.timeout is not None and not args.timeout > 0:
        parser.error("--timeout must be more than 0 seconds")

    from dsbuild.entry import run_command

    command = ("build.py", *(sys.argv[1:] if argv is None else argv))
    return run_command(lambda: _run(args, command), args.verbosity, args)


def _check_config_defined(entries: list[CatalogEntry], config: str) -> None:
    from dsbuild.build.builders import check_config_defined
    from dsbuild.log import log

    for entry in entries:
        if entry.source is not None:
            check_config_defined(entry.source, config)
        if entry.source is None or entry.source.configs is None:
            log.info("{}: --config {} will be checked by TFDS (its configs are not literal here)", entry.name, config)


def _run(args: argparse.Namespace, command: tuple[str, ...] = ()) -> int:
    # Imported here, after parsing: `-h` must not pay for them.
    from pathlib import Path

    from dsbuild.artifact.built_dataset import find_built
    from dsbuild.artifact.tarball import pack_built
    from dsbuild.build import pack_only, pipeline
    from dsbuild.build.catalog import load_catalog
    from dsbuild.build.tfds_build import TfdsOptions
    from dsbuild.paths import check_config, ensure_writable_dir, resolve_data_dir

    data_dir = resolve_data_dir(args.output_directory)
    catalog = load_catalog()

    if args.list:
        from dsbuild.build.listing import list_lines

        print("\n".join(list_lines(catalog, data_dir)))
        return 0

    if args.card_only:
        from dsbuild.card import write_card

        targets = pack_only.resolve_pack_targets(catalog, data_dir, args.card_only)
        for built in targets:
            ensure_writable_dir(built.data_dir)
        for built in targets:
            print(f"{built.name} {built.version}: card {write_card(built, args.card_examples)}")
        return 0

    if args.pack_only:
        targets = pack_only.resolve_pack_targets(catalog, data_dir, args.pack_only)
        for built in targets:
            ensure_writable_dir(built.data_dir)
        for built in targets:
            result = pack_built(built, verify_all=args.verify_all, compresslevel=args.compression_level)
            _print_packed(built.name, built.version, result.tarball, result.checksum_file, result.record.size)
            _card(args, built)
        return 0

    if args.add_custom:
        return _add_custom(args, data_dir, catalog)

    if args.check is not None:
        return _check(args, data_dir, catalog)

    entries = pipeline.resolve(catalog, args.dataset, args.local_class_path)
    if args.config is not None:
        check_config(args.config)
        _check_config_defined(entries, args.config)
    beam = None
    if args.beam_option or args.beam_pipeline_options:
        from dsbuild.build.beam import check_request, collect_flags

        flags = collect_flags(args.beam_pipeline_options, args.beam_option)
        from dsbuild.build.beam import refuse_if_not_beam

        for entry in entries:  # read with ast, before Beam is imported or any child starts
            if entry.source is not None:
                refuse_if_not_beam(entry.name, entry.source.module, entry.source.class_name)
        beam = check_request(flags, max_examples_per_split=args.max_examples_per_split)
    tfds_options = TfdsOptions(
        register_checksums=args.register_checksums,
        manual_dir=_existing_dir(args.manual_dir, "--manual-dir"),
        download_dir=Path(args.download_dir).absolute() if args.download_dir else None,
        config=args.config,
        max_examples_per_split=args.max_examples_per_split,
        file_format=args.file_format,
        num_processes=args.num_processes,
        beam_flags=beam.flags if beam else (),
    )
    if not args.register_checksums:
        # Before anything is written: an unreachable source fails in seconds with the offline recipe.
        from dsbuild.build import preflight
        from dsbuild.build.reuse import judge

        def is_stale(entry: CatalogEntry) -> bool:
            options = {"file_format": args.file_format, "max_examples_per_split": args.max_examples_per_split}
            return bool(judge(entry, data_dir, config=args.config, **options).stale)

        plans = preflight.prepare(
            entries,
            data_dir,
            tfds_options.download_dir,
            tfds_options.manual_dir,
            clean=args.clean,
            is_stale=is_stale,
            config=args.config,
        )
        download_dir = tfds_options.download_dir or data_dir / "downloads"
        totals, fits = preflight.describe_totals(plans, data_dir, download_dir)
        if args.dry_run:
            for plan in plans:
                print("\n".join(preflight.describe(plan)))
            skipped = sorted({e.name for e in entries} - {p.name for p in plans})
            if skipped:
                print(f"already built (reused, nothing to download): {', '.join(skipped)}")
            print("\n".join(totals))
        if not fits:
            from dsbuild.log import log

            log.warning(
                "warning: the downloads and builds may not fit in the free disk space{}",
                "" if args.dry_run else ":\n" + "\n".join(totals),
            )
            if args.strict:
                return 1
        if args.dry_run:
            return 0
        preflight.check_sources(plans, entries)
    elif args.dry_run:
        print("--register-checksums: the sources are not listed yet, so there is no plan to show")
        return 0
    options = pipeline.BuildOptions(
        data_dir=ensure_writable_dir(data_dir),
        clean=args.clean,
        pack=not args.no_pack,
        verify_all=args.verify_all,
        compresslevel=args.compression_level,
        tfds=tfds_options,
        command=command,
        timeout=args.timeout,
    )
    reports = pipeline.build_many(entries, options, jobs=args.jobs)
    for report in reports:
        outcome = report.outcome
        if outcome is None:
            continue
        if outcome.tarball and outcome.checksum_file:
            size = outcome.packed.record.size if outcome.packed else outcome.tarball.stat().st_size
            state = Status.UP_TO_DATE if outcome.tarball_up_to_date else Status.PACKED
            _print_packed(outcome.name, outcome.version, outcome.tarball, outcome.checksum_file, size, state)
        else:
            print(f"{outcome.name} {outcome.version}: built and verified in {data_dir} (not packed: --no-pack)")
        if beam is not None and not outcome.reused_build:
            print(f"  generated on:  Apache Beam {beam.summary()}")
        _card(args, find_built(data_dir, outcome.name, outcome.version))
    failed = [report for report in reports if report.error is not None]
    if len(reports) > 1:
        print(f"\nsummary ({len(reports) - len(failed)} of {len(reports)} succeeded):")
        for report in reports:
            print(f"  {report.entry.name:<40} {'failed' if report.error else 'ok':<7} {report.seconds:8.1f} s")
    return max(report.error.exit_code for report in failed) if failed else 0


def _card(args: argparse.Namespace, built) -> None:  # built: BuiltDataset | None
    """--card after a good build: a card that cannot be made is a warning, not a failed build."""
    if not args.card or built is None:
        return
    from dsbuild.card import write_card_or_warn

    path = write_card_or_warn(built, args.card_examples)
    if path is not None:
        print(f"  dataset card:  {path}")


def _add_custom(args: argparse.Namespace, data_dir, catalog) -> int:
    from dsbuild.build import custom
    from dsbuild.paths import ensure_writable_dir

    # Every path is checked before anything is written: a bad second path leaves the first one out too.
    plans = custom.plan(
        args.add_custom, data_dir, catalog, force=args.force, overwrite=args.overwrite, verify_all=args.verify_all
    )
    ensure_writable_dir(data_dir)
    for item in plans:
        outcome = custom.add(
            item, data_dir, overwrite=args.overwrite, pack_it=not args.no_pack, compresslevel=args.compression_level
        )
        print("\n".join(custom.describe(outcome)))
        name, version = outcome.installed.name, outcome.installed.version
        if outcome.tarball and outcome.checksum_file:
            size = outcome.packed.record.size if outcome.packed else outcome.tarball.stat().st_size
            state = Status.UP_TO_DATE if outcome.up_to_date else Status.PACKED
            _print_packed(name, version, outcome.tarball, outcome.checksum_file, size, state)
        else:
            print(f"{name} {version}: not packed (--no-pack)")
        print(f"  publish with:  {custom.publish_command(outcome, data_dir, args.output_directory)}")
        _card(args, outcome.installed)
    return 0


def _check(args: argparse.Namespace, data_dir, catalog) -> int:
    from pathlib import Path

    from dsbuild.build.rebuild_check import check

    result = check(
        args.check,
        data_dir,
        catalog,
        local_folder=Path(args.local_class_path[0]).absolute() if args.local_class_path else None,
        manual_dir=_existing_dir(args.manual_dir, "--manual-dir"),
        download_dir=Path(args.download_dir).absolute() if args.download_dir else None,
    )
    if result.reproduced:
        print(f"reproduced: {result.sha256}")
        return 0
    print(f"not reproduced: the rebuild's sha256 is {result.sha256}")
    for line in result.differences:
        print(f"  {line}")
    return 1


def _existing_dir(raw: str | None, flag: str):  # -> Path | None
    from pathlib import Path

    from dsbuild.errors import UsageError

    if raw is None:
        return None
    path = Path(raw).expanduser().absolute()
    if not path.is_dir():
        raise UsageError(f"{flag} {raw!r} is not a directory")
    return path


def _print_packed(name: str, version: str, tarball, checksum_file, size: int, state: str = Status.PACKED) -> None:
    print(f"{name} {version}: {state}")
    print(f"  tarball:       {tarball} ({size:,} bytes)")
    print(f"  checksum file: {checksum_file}")


if __name__ == "__main__":
    sys.exit(main())
