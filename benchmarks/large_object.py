"""large_object.py: one real upload and download of a tarball of several GiB (issue 23, item 5). Not in CI.

Builds a fixture of --size-gib (default 4.2) with make_fixture, packs it with build.py --pack-only,
then runs `upload.py` and `download.py` as whole processes against the test S3 server (SeaweedFS on
127.0.0.1) and prints sizes, part counts, times and rates. Needs about 4.5x the size in free disk
(fixture, tarball, the server's copy, the extraction).

    python benchmarks/large_object.py --size-gib 4.2 --work-dir /var/tmp
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import make_fixture
from common import GIB, MIB, REPO, make, s3_environment, s3_server_module


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, *argv], cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gib", type=float, default=4.2, help="fixture size in GiB (default 4.2)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where the files go (default: the temp dir)")
    args = parser.parse_args(argv)
    if not 0 < args.size_gib <= 64:
        parser.error("--size-gib must be in (0, 64]")
    with tempfile.TemporaryDirectory(dir=args.work_dir, prefix="large-") as tmp:
        work = Path(tmp)
        free = shutil.disk_usage(work).free
        if free < 4.5 * args.size_gib * GIB:
            raise SystemExit(f"needs {4.5 * args.size_gib:.1f} GiB free in {work}, has {free / GIB:.1f}")
        s3_environment(work)
        os.environ["PYTHONPATH"] = str(REPO)
        from dsbuild.remote import s3

        fixture = make(work / "data", args.size_gib * 1024, make_fixture.Pool.make(0, make_fixture.POOL_SIZE))
        pack_s = timed(["build.py", "-o", str(fixture.data_dir), "--pack-only", fixture.name])
        tarball = fixture.data_dir / f"{fixture.name}-{fixture.version}.tar.gz"
        size = tarball.stat().st_size
        server = s3_server_module().WeedServer(work / "s3").start()
        try:
            bucket = server.create_bucket()
            remote = ["--endpoint-url", server.endpoint, "-b", bucket, "--no-progress"]
            upload_s = timed(["upload.py", "-o", str(fixture.data_dir), *remote, fixture.name])
            download_s = timed(["download.py", "-o", str(work / "restored"), *remote, fixture.name])
            head = server.client().head_object(Bucket=bucket, Key=f"datasets/{tarball.name}")
        finally:
            server.stop()
        record = json.loads((work / "restored" / f"{fixture.name}-{fixture.version}.json").read_text())
        assert record["sha256"] and record["size"] == size
        part = s3.part_size_for(size)
        print(
            f"tarball {size / GIB:.2f} GiB ({size} bytes), {-(-size // part)} parts of {part // MIB} MiB; ETag {head['ETag']}"
        )
        print("| step | seconds | MiB/s |")
        print("|---|---:|---:|")
        for step, seconds in (
            ("build.py --pack-only", pack_s),
            ("upload.py", upload_s),
            ("download.py (verify + extract)", download_s),
        ):
            print(f"| {step} | {seconds:.1f} | {size / MIB / seconds:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
