#!/usr/bin/env python3
"""upload.py: publish dataset tarballs and their checksum files to S3, verified and idempotent."""

from __future__ import annotations

import argparse
import sys

from dsbuild.defaults import Status
from dsbuild.options import DEADLINE, OUTPUT_DIRECTORY, REMOTE, VERBOSITY, add_options, new_parser, remote_settings

EPILOG = """\
examples:
  python upload.py                          every tarball in the data dir not yet published
  python upload.py mnist digit              by dataset name (their tarballs in the data dir)
  python upload.py out/mnist-3.0.1.tar.gz   by tarball path
  python upload.py out/mnist/3.0.1          a built dataset directory: packed first
  python upload.py --dry-run                what would be uploaded, touching nothing
  python upload.py --status                 built, packed, published, indexed: where they disagree (read-only)
  python upload.py --card --public          publish the cards and regenerate datasets/index.html

credentials: ARMORY_PRIVATE_S3_ID / ARMORY_PRIVATE_S3_KEY if set, else boto3's chain
exit codes: 0 success, 1 an upload/verification failure, 2 bad usage or input, 130 Ctrl-C, 143 SIGTERM
  (--status: 0 everything agrees, 1 something disagrees or cannot be known, 2 bad usage)
"""


def make_parser() -> argparse.ArgumentParser:
    parser = new_parser("upload.py", __doc__, EPILOG)
    parser.add_argument(
        "targets",
        nargs="*",
        metavar="NAME_OR_PATH",
        help="dataset names (NAME, NAME:VERSION or NAME-VERSION), tarball paths or built dataset directories, "
        "written as paths (with a '/', e.g. ./mnist/3.0.1) (default: all unpublished tarballs)",
    )
    add_options(parser, OUTPUT_DIRECTORY, *REMOTE)
    parser.add_argument("--public", action="store_true", help="make the objects readable anonymously (public-read)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be uploaded, with sizes; touch nothing"
    )
    parser.add_argument("--force", action="store_true", help="replace a remote object that differs")
    parser.add_argument(
        "--armory-checksums-dir",
        metavar="DIR",
        help="also write armory-testbed's checksum line <name>.txt (BUCKET KEY SIZE SHA256) for each published "
        "tarball into DIR, for armory's cached_s3_checksums/",
    )
    catalog = parser.add_argument_group("the bucket as a catalog")
    catalog.add_argument(
        "--status",
        action="store_true",
        help="read-only: one row per NAME VERSION known locally, in the bucket, in cached_datasets.json or in "
        "armory's checksum lines (--armory-checksums-dir: compare with DIR's), and where they disagree",
    )
    catalog.add_argument("--json", action="store_true", help="with --status: print JSON for scripts")
    catalog.add_argument(
        "--card",
        action="store_true",
        help="upload each published dataset's card (written if missing) beside its tarball, then regenerate "
        "datasets/index.html from the bucket's checksum files",
    )
    add_options(parser, *DEADLINE, VERBOSITY)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    from dsbuild.entry import run_command

    if args.status or args.card or args.json:
        return _catalog_command(parser, args)

    def work() -> int:
        from dsbuild.batch import exit_code, summary_lines
        from dsbuild.paths import resolve_data_dir
        from dsbuild.remote import s3_transfer
        from dsbuild.remote.location import RemoteOptions
        from dsbuild.remote.upload import upload
        from dsbuild.sizes import human_size

        options = RemoteOptions(**remote_settings(args))
        s3_transfer.set_rate_floor_from(args)
        data_dir = resolve_data_dir(args.output_directory)
        results = upload(data_dir, args.targets, options, dry_run=args.dry_run, force=args.force)
        if not results:
            print(f"nothing to upload: no unpublished tarballs in {data_dir}")
        for r in results:
            size = human_size(r.size)
            if r.status == Status.FAILED:
                continue  # its error was logged when it happened
            if r.status == Status.DRY_RUN_PACK:
                print(f"would pack {r.tarball}, then upload it to {r.tarball_url}, checksum file to {r.checksum_url}")
            elif r.status == Status.DRY_RUN:
                print(f"would upload {r.tarball} ({size}) to {r.tarball_url}, checksum file to {r.checksum_url}")
            elif r.status == Status.UP_TO_DATE:
                print(f"{r.name} {r.version}: up to date at {r.tarball_url} (no bytes sent)")
            else:
                print(f"{r.name} {r.version}: uploaded {r.tarball.name} ({size}) to {r.tarball_url}")
            if r.status not in (Status.DRY_RUN, Status.DRY_RUN_PACK):
                print(f"  checksum file: {r.checksum_url} ({r.checksum_status})")
        if args.armory_checksums_dir:
            from pathlib import Path

            from dsbuild.remote.upload import write_armory_lines

            for path, line in write_armory_lines(Path(args.armory_checksums_dir), results, dry_run=args.dry_run):
                verb = "would write" if args.dry_run else "armory checksum line:"
                print(f"  {verb} {path}: {line.strip()}")
        if len(results) > 1:
            print("\n".join(summary_lines([(f"{r.name} {r.version}", r.error, r.seconds) for r in results])))
        return exit_code([r.error for r in results])

    return run_command(work, args.verbosity, args)


def _catalog_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """--status and --card: their own modes, not combined with uploading."""
    if args.json and not args.status:
        parser.error("--json goes with --status")
    clash = [flag for flag, on in (("--dry-run", args.dry_run), ("--force", args.force)) if on]
    if args.status and args.card:
        clash.append("--card")
    if args.card and not args.status and args.armory_checksums_dir:
        clash.append("--armory-checksums-dir")
    if clash:
        parser.error(f"{'--status' if args.status else '--card'} does not combine with {', '.join(clash)}")
    from dsbuild.entry import run_command

    def work() -> int:
        from pathlib import Path

        from dsbuild.paths import resolve_data_dir
        from dsbuild.remote.location import RemoteOptions

        options = RemoteOptions(**remote_settings(args))
        data_dir = resolve_data_dir(args.output_directory)
        armory_dir = Path(args.armory_checksums_dir) if args.armory_checksums_dir else None
        if args.status:
            from dsbuild.remote import status

            report = status.status(data_dir, args.targets, options, armory_dir)
            print(status.as_json(report) if args.json else status.table(report))
            return 0 if report.agrees else 1
        from dsbuild.card import catalog as card_tools
        from dsbuild.remote.catalog import publish_catalog

        return publish_catalog(data_dir, args.targets, options, card_tools)

    return run_command(work, args.verbosity)


if __name__ == "__main__":
    sys.exit(main())
