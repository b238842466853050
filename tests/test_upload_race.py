"""Concurrent upload.py processes of one NAME-VERSION against the real S3 server: one publication, one winner.

A handful of real races here; benchmarks/race.py runs many trials of the same (tests/upload_race.py).
"""

from __future__ import annotations

import os

import pytest

from tests import upload_race
from tests.s3_server import ADMIN_ID, ADMIN_SECRET

pytestmark = pytest.mark.integration


@pytest.fixture
def racer_env(aws_env) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMORY_PRIVATE_")}
    return {**env, "ARMORY_PRIVATE_S3_ID": ADMIN_ID, "ARMORY_PRIVATE_S3_KEY": ADMIN_SECRET}


@pytest.mark.parametrize(
    ("count", "identical", "payload"),
    [
        (2, True, 12 * upload_race.MiB),  # multipart, same bytes
        (2, False, 12 * upload_race.MiB),  # multipart, different bytes
        (4, True, 1024),  # single PUT, same bytes
        (4, False, 1024),  # single PUT, different bytes
    ],
)
def test_concurrent_uploads_publish_one_consistent_pair(tmp_path, s3_server, racer_env, count, identical, payload):
    racers = upload_race.make_racers(tmp_path, count, identical, payload)
    bucket = s3_server.create_bucket()
    upload_race.run_race(racers, s3_server.endpoint, bucket, racer_env, timeout=240)
    outcome = upload_race.judge(racers, s3_server.client(), bucket)
    assert outcome.problems == []
    assert outcome.published_sha256 is not None  # no racer failed for another reason: one pair is there
    # Same bytes: every racer succeeds (uploaded or up to date); different bytes: exactly one, the rest conflict.
    assert outcome.winners == (count if identical else 1)
    if not identical:
        losers = [r for r in racers if r.code == 1]
        assert all(f"sha256 {outcome.published_sha256}" in r.err for r in losers)


def test_the_judge_catches_an_inconsistent_pair(tmp_path, s3_server):
    """The race judge itself: a checksum file over another tarball, and a false success, are reported."""
    racers = upload_race.make_racers(tmp_path, 2, identical=False, payload_bytes=1024)
    bucket = s3_server.create_bucket()
    client = s3_server.client()
    client.put_object(
        Bucket=bucket, Key=upload_race.CHECKSUM_KEY, Body=(racers[0].data_dir / "toy-1.0.0.json").read_bytes()
    )
    client.put_object(
        Bucket=bucket, Key=upload_race.TARBALL_KEY, Body=(racers[1].data_dir / "toy-1.0.0.tar.gz").read_bytes()
    )
    for racer in racers:
        racer.code, racer.out = 0, "toy 1.0.0: uploaded"
    problems = upload_race.judge(racers, client, bucket).problems
    assert any("inconsistent pair" in p for p in problems)
    assert any("false success" in p for p in problems)
