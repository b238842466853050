#!/usr/bin/env python3
"""load.py: time from an empty data dir to the first example, dsbuild.load vs armory-testbed's own path.

    python benchmarks/load.py                    # 320 MiB published dataset, 3 runs of each side
    python benchmarks/load.py --size-mib 64 --repeats 1

Both sides fetch the same published tarball from SeaweedFS on 127.0.0.1 (anonymous reads) and run as
whole processes, cold, as a user's script does:
- ours: `dsbuild.load(name, "train", data_dir=EMPTY, bucket=..., endpoint_url=..., public=True)`, then
  the first example: checksum file, tarball streamed through the hash, the decompressor and the tar
  guard into place, the TensorFlow-free check, `builder_from_directory`.
- armory: armory-testbed 0.19.2's `download_verify_dataset_cache` (its URL pointed at the test server, as
  tests/armory_compat does; nothing else changed): the tarball to a file, its sha256, then extraction;
  then `tfds.load("name:version", split="train", data_dir=...)` and the first example.
Second, installed: `dsbuild.load(..., download=False)` + first example vs `tfds.builder_from_directory`
+ first example; the goal is an overhead of at most 0.3 s. Exit 1 when a goal is not met.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import make_fixture
from common import PYTHON, REPO, Row, fmt_s, fmt_size, machine, make, run, s3_environment, s3_server_module, say, table

OURS = """
import sys
from dsbuild import load
data_dir, bucket, endpoint = sys.argv[1:]
info, ds = load("{name}", "train", data_dir=data_dir, bucket=bucket, endpoint_url=endpoint, public=True)
next(iter(ds))
"""
ARMORY = """
import sys
from armory.data import utils
endpoint, checksums_dir, dataset_dir = sys.argv[1:]
original = utils.download_requests
prefix = ".s3.us-east-2.amazonaws.com/"

def to_endpoint(url, dirpath, filename):
    bucket, key = url.removeprefix("https://").split(prefix, 1)
    original(f"{{endpoint}}/{{bucket}}/{{key}}", dirpath, filename)

utils.download_requests = to_endpoint
utils.add_checksums_dir(checksums_dir)
utils.download_verify_dataset_cache(dataset_dir=dataset_dir, checksum_file="{name}.txt", name="{name}")
import tensorflow_datasets as tfds
ds = tfds.load("{name}:{version}", split="train", data_dir=dataset_dir)
next(iter(ds))
"""
OURS_INSTALLED = """
import sys
from dsbuild import load
info, ds = load("{name}", "train", data_dir=sys.argv[1], download=False)
next(iter(ds))
"""
TFDS_INSTALLED = """
import sys
import tensorflow_datasets as tfds
ds = tfds.builder_from_directory(sys.argv[1] + "/{name}/{version}").as_dataset(split="train")
next(iter(ds))
"""


def timed(code: str, *args: str, log: Path) -> float:
    return run([PYTHON, "-c", code, *args], cwd=REPO, log=log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    parser.add_argument("--size-mib", type=float, default=320, help="published dataset size (default 320)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--installed-repeats", type=int, default=7, help="runs of each installed side (default 7)")
    parser.add_argument("--work-dir", type=Path, help="where the fixture and data dirs go (default: system temp)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="dsbuild-bench-load-", dir=args.work_dir))
    server = None
    try:
        s3_environment(work)
        fixture = make(work / "built", args.size_mib, make_fixture.Pool.make(0, make_fixture.POOL_SIZE))
        name, version = fixture.name, fixture.version
        server = s3_server_module().WeedServer(work / "s3").start()
        bucket = server.create_bucket("bench-load")
        server.allow_anonymous_reads(bucket)
        lines = work / "cached_s3_checksums"
        remote = ["--endpoint-url", server.endpoint, "-b", bucket, "--no-progress"]
        run([PYTHON, "build.py", "--pack-only", name, "-o", str(fixture.data_dir)], cwd=REPO, log=work / "pack.log")
        run(
            [PYTHON, "upload.py", "-o", str(fixture.data_dir), *remote, "--armory-checksums-dir", str(lines), name],
            cwd=REPO,
            log=work / "upload.log",
        )
        tarball = (fixture.data_dir / f"{name}-{version}.tar.gz").stat().st_size
        say(f"published {name} {version}: tarball {fmt_size(tarball)}")
        fmt = {"name": name, "version": version}
        times: dict[str, list[float]] = {"ours": [], "armory": [], "ours_installed": [], "tfds_installed": []}
        for i in range(args.repeats):
            ours_dir, armory_dir = work / f"ours-{i}", work / f"armory-{i}"
            for side in ("ours", "armory") if i % 2 == 0 else ("armory", "ours"):  # ABBA
                if side == "ours":
                    seconds = timed(OURS.format(**fmt), str(ours_dir), bucket, server.endpoint, log=work / "ours.log")
                else:
                    seconds = timed(
                        ARMORY.format(**fmt), server.endpoint, str(lines), str(armory_dir), log=work / "armory.log"
                    )
                times[side].append(seconds)
            say(f"empty data dir #{i + 1}: ours {fmt_s(times['ours'][-1])}, armory {fmt_s(times['armory'][-1])}")
            shutil.rmtree(armory_dir)
            if i < args.repeats - 1:
                shutil.rmtree(ours_dir)
        # Installed: the difference is a few imports, small beside TensorFlow's start-up noise: more runs.
        for i in range(args.installed_repeats):
            for side in ("ours_installed", "tfds_installed") if i % 2 == 0 else ("tfds_installed", "ours_installed"):
                code = OURS_INSTALLED if side == "ours_installed" else TFDS_INSTALLED
                times[side].append(timed(code.format(**fmt), str(ours_dir), log=work / f"{side}.log"))
            say(
                f"installed #{i + 1}: ours {fmt_s(times['ours_installed'][-1])}, tfds {fmt_s(times['tfds_installed'][-1])}"
            )
        med = {side: statistics.median(values) for side, values in times.items()}
        speedup = med["armory"] / med["ours"]
        overhead = med["ours_installed"] - med["tfds_installed"]
        rows = [
            Row(
                f"empty data dir → first example ({fmt_size(tarball)} tarball): dsbuild.load vs armory "
                "download_verify_dataset_cache + tfds.load",
                fmt_s(med["ours"]),
                fmt_s(med["armory"]),
                f"{speedup:.1f}× faster",
                "≥ 2× faster",
                speedup >= 2,
            ),
            Row(
                "installed → first example: dsbuild.load vs tfds.builder_from_directory",
                fmt_s(med["ours_installed"]),
                fmt_s(med["tfds_installed"]),
                f"+{overhead:.2f} s",
                "≤ 0.3 s overhead",
                overhead <= 0.3,
            ),
        ]
        print(
            f"Machine: {machine()}; medians of {args.repeats} (installed: {args.installed_repeats}), whole processes.\n"
        )
        print(table(rows))
        return 0 if all(row.met for row in rows) else 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:
        sys.exit(f"failed: {exc}")
