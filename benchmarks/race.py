"""race.py: many trials of concurrent upload.py runs of one NAME-VERSION against one bucket (issue 21).

Each trial: a fresh bucket, N processes (each its own data dir) released together at a start gate,
with identical or different tarballs (half of them over the 5 MiB part size, so multipart races too).
The judge (tests/upload_race.py) checks the bucket ends with a consistent pair (the checksum file
describes the tarball object) or nothing, that exactly the processes whose bytes are published
report success, that the others say "conflict" naming the published sha256, and that no
unfinished multipart upload is left. Prints the counts per case; exits 1 on any problem.

    python benchmarks/race.py --trials 20            # 20 trials each of 2 and 4 processes, identical and different
    python benchmarks/race.py --trials 3 --processes 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from common import REPO, s3_server_module


def load_race_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("dsbuild_upload_race", REPO / "tests" / "upload_race.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=20, help="trials per case (default 20)")
    parser.add_argument("--processes", type=int, nargs="+", default=[2, 4], help="concurrent uploads (default 2 4)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where the temporary files go")
    parser.add_argument(
        "--checkout",
        type=Path,
        default=REPO,
        help="run the upload.py of another checkout of this project (e.g. an older commit), judged the same way",
    )
    args = parser.parse_args(argv)
    if args.trials < 1 or any(n < 2 for n in args.processes):
        parser.error("--trials must be >= 1 and --processes >= 2")
    race = load_race_module()
    if not (args.checkout / "upload.py").is_file():
        parser.error(f"{args.checkout} holds no upload.py")
    race.ROOT = args.checkout.resolve()  # the racers' working directory: their upload.py and dsbuild
    servers = s3_server_module()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ARMORY_PRIVATE_"))}
    env.update(
        ARMORY_PRIVATE_S3_ID=servers.ADMIN_ID,
        ARMORY_PRIVATE_S3_KEY=servers.ADMIN_SECRET,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        PYTHONPATH=str(race.ROOT),
    )
    failures = 0
    with tempfile.TemporaryDirectory(dir=args.work_dir, prefix="race-") as tmp:
        server = servers.WeedServer(Path(tmp) / "s3").start()
        try:
            client = server.client()
            print(
                "| processes | tarballs | trials | consistent pair | nothing published | inconsistent | false success | success/trial | problems |"
            )
            print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
            for count in args.processes:
                for identical in (True, False):
                    counts = {"pair": 0, "nothing": 0, "inconsistent": 0, "false": 0, "winners": 0, "problems": 0}
                    bucket = server.create_bucket()  # one per case: the server has volumes for ~60 buckets
                    for trial in range(args.trials):
                        work = Path(tmp) / f"n{count}-{'same' if identical else 'diff'}-{trial}"
                        # Half the trials single PUT (1 KiB), half multipart (12 MiB of random bytes).
                        payload = 12 * race.MiB if trial % 2 else 1024
                        racers = race.make_racers(work, count, identical, payload)
                        prefix = f"trial{trial}/"
                        race.run_race(racers, server.endpoint, bucket, env, prefix=prefix)
                        outcome = race.judge(racers, client, bucket, prefix)
                        shutil.rmtree(work)
                        counts["pair" if outcome.published_sha256 else "nothing"] += 1
                        counts["inconsistent"] += any("inconsistent" in p for p in outcome.problems)
                        counts["false"] += any("false success" in p for p in outcome.problems)
                        counts["winners"] += outcome.winners
                        counts["problems"] += bool(outcome.problems)
                        for problem in outcome.problems:
                            print(
                                f"  trial {trial}, {count} processes, {'identical' if identical else 'different'}: {problem}",
                                file=sys.stderr,
                            )
                    failures += counts["problems"]
                    print(
                        f"| {count} | {'identical' if identical else 'different'} | {args.trials} | {counts['pair']} | "
                        f"{counts['nothing']} | {counts['inconsistent']} | {counts['false']} | "
                        f"{counts['winners'] / args.trials:.2f} | {counts['problems']} |",
                        flush=True,
                    )
        finally:
            server.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
