"""Concurrent upload.py runs of one NAME-VERSION against one bucket, and a judge of what they left.

Shared by tests/test_upload_race.py (a handful of races in CI) and benchmarks/race.py (many trials).
Each process has its own data dir (as two CI jobs would), waits at a start gate so that all of them
really race, and uses 5 MiB parts so that some tarballs go multipart.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NAME, VERSION = "toy", "1.0.0"
PREFIX = "datasets/"
TARBALL = f"{NAME}-{VERSION}.tar.gz"
CHECKSUM = f"{NAME}-{VERSION}.json"
TARBALL_KEY, CHECKSUM_KEY = PREFIX + TARBALL, PREFIX + CHECKSUM
MiB = 1024 * 1024

# The child: import everything, say so, wait for the gate file, then run upload.py's main with 5 MiB parts.
RACER = """
import os, sys, time
ready, gate = sys.argv[1:3]
from dsbuild.remote import s3, upload as workflow
s3.MULTIPART_THRESHOLD = s3.PART_SIZE = 5 * 1024 * 1024
import boto3, upload
open(ready, "w").close()
while not os.path.exists(gate):
    time.sleep(0.002)
sys.exit(upload.main(sys.argv[3:]))
"""


@dataclass
class Racer:
    data_dir: Path
    sha256: str
    code: int = -1
    out: str = ""
    err: str = ""


@dataclass
class Outcome:
    racers: list[Racer]
    published_sha256: str | None  # the checksum file's, None when there is none
    problems: list[str] = field(default_factory=list)

    @property
    def winners(self) -> int:
        return sum(r.code == 0 for r in self.racers)


def _publish_helpers() -> Any:
    """tests/publish_helpers.py, read by path from beside this file: benchmarks/race.py loads this module
    by path too, where `tests` is not an importable package."""
    spec = importlib.util.spec_from_file_location(
        "dsbuild_publish_helpers", Path(__file__).with_name("publish_helpers.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_racers(work: Path, count: int, identical: bool, payload_bytes: int) -> list[Racer]:
    """`count` data dirs, each with a packed toy-1.0.0 tarball: one tarball copied, or each its own."""
    make_tarball = _publish_helpers().make_tarball

    racers = []
    first: Path | None = None
    for i in range(count):
        data_dir = work / f"racer{i}"
        if identical and first is not None:
            data_dir.mkdir(parents=True)
            for name in (f"{NAME}-{VERSION}.tar.gz", f"{NAME}-{VERSION}.json"):
                shutil.copy2(first / name, data_dir / name)
        else:
            make_tarball(data_dir, NAME, VERSION, payload=os.urandom(payload_bytes))
            first = first or data_dir
        digest = hashlib.sha256((data_dir / f"{NAME}-{VERSION}.tar.gz").read_bytes()).hexdigest()
        racers.append(Racer(data_dir, digest))
    return racers


def run_race(
    racers: list[Racer], endpoint: str, bucket: str, env: dict[str, str], timeout: float = 300, prefix: str = PREFIX
) -> None:
    """Start every racer, open the gate when all are up, wait for all. (One bucket can hold many
    races under different prefixes: the test server runs out of volumes after ~60 buckets.)"""
    gate = racers[0].data_dir.parent / "gate"
    gate.unlink(missing_ok=True)
    processes = []
    ready = [racer.data_dir.parent / f"ready-{i}" for i, racer in enumerate(racers)]
    for racer, flag in zip(racers, ready, strict=True):
        flag.unlink(missing_ok=True)
        argv = [
            "-o",
            str(racer.data_dir),
            "--endpoint-url",
            endpoint,
            "-b",
            bucket,
            "--prefix",
            prefix,
            "--no-progress",
        ]
        argv.append(NAME)
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", RACER, str(flag), str(gate), *argv],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + timeout
    while not all(f.exists() for f in ready) and time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break  # one died at start-up: open the gate; the judge reports it
        time.sleep(0.01)
    gate.touch()
    for racer, process in zip(racers, processes, strict=True):
        try:
            racer.out, racer.err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            racer.out, racer.err = process.communicate()
        racer.code = process.returncode


def judge(racers: list[Racer], client: Any, bucket: str, prefix: str = PREFIX) -> Outcome:
    """What the bucket holds under `prefix` and what each racer said, against the contract."""
    from botocore.exceptions import ClientError

    problems: list[str] = []
    published: dict[str, Any] | None = None
    try:
        published = json.loads(client.get_object(Bucket=bucket, Key=prefix + CHECKSUM)["Body"].read())
    except ClientError:
        published = None
    sha = published["sha256"] if published else None
    if published is not None:
        try:
            body = client.get_object(Bucket=bucket, Key=prefix + TARBALL)["Body"].read()
        except ClientError:
            problems.append("inconsistent pair: a checksum file without its tarball")
        else:
            if (len(body), hashlib.sha256(body).hexdigest()) != (published["size"], sha):
                problems.append("inconsistent pair: the tarball is not the one the checksum file describes")
    leftovers = client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
    if leftovers:
        problems.append(f"{len(leftovers)} unfinished multipart upload(s) left")
    for i, racer in enumerate(racers):
        said = f"racer {i} (exit {racer.code}): {racer.out.strip()[-300:]} {racer.err.strip()[-600:]}"
        if racer.code == 0:
            if "uploaded" not in racer.out and "up to date" not in racer.out:
                problems.append(f"success without saying uploaded or up to date: {said}")
            if racer.sha256 != sha:
                problems.append(f"false success (its bytes are not the published ones): {said}")
        elif racer.code == 1:
            if "conflict" not in racer.err or (sha is not None and sha not in racer.err):
                problems.append(f"a failure that is not a conflict naming the published sha256: {said}")
            if racer.sha256 == sha:
                problems.append(f"a conflict with its own bytes: {said}")
        else:
            problems.append(f"unexpected exit: {said}")
    if sha is not None and not any(r.code == 0 and r.sha256 == sha for r in racers):
        problems.append("published, but no racer reports success")
    return Outcome(racers, sha, problems)
