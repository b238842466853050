"""The rate floor (--min-rate over --stall-window): a slow-drip server stops a transfer with a message.

The watchdog (dsbuild.remote.s3_transfer.RateWatchdog) is shared by uploads and downloads.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from dsbuild.remote import s3, s3_transfer
from dsbuild.remote import upload as upload_workflow
from dsbuild.remote.location import RemoteOptions
from tests.drip_proxy import DripProxy
from tests.helpers import load_script, run_main, run_script
from tests.publish_helpers import make_tarball
from tests.s3_server import ADMIN_ID, ADMIN_SECRET

download = load_script("download.py")
upload = load_script("upload.py")


@pytest.mark.integration
def test_download_from_a_slow_drip_server_stops_with_a_message(tmp_path, s3_server, s3_bucket, s3_creds):
    make_tarball(tmp_path / "publisher")
    options = RemoteOptions(bucket=s3_bucket, endpoint_url=s3_server.endpoint, progress=False)
    upload_workflow.upload(tmp_path / "publisher", ["toy"], options)
    data_dir = tmp_path / "data"
    env = {"ARMORY_PRIVATE_S3_ID": ADMIN_ID, "ARMORY_PRIVATE_S3_KEY": ADMIN_SECRET}
    with DripProxy(s3_server.endpoint, interval=0.2) as proxy:  # 5 bytes/s
        argv = ["-o", str(data_dir), "--endpoint-url", proxy.endpoint, "-b", s3_bucket, "--no-progress"]
        result = run_script(
            "download.py", *argv, "--min-rate", "1KiB", "--stall-window", "2", "toy", env=env, timeout=120
        )
        assert proxy.dripped.is_set()  # the tarball really came through the drip
    assert result.returncode == 1, result.stderr
    assert "slower than 1.0 KiB/s on average over the last 2 s" in result.stderr
    assert "--min-rate" in result.stderr and "Traceback" not in result.stderr
    leftovers = sorted(p.name for p in data_dir.iterdir()) if data_dir.exists() else []
    assert "toy" not in leftovers and not any(".dsbuild-tmp-" in name for name in leftovers), leftovers


@pytest.mark.integration
@pytest.mark.parametrize("multipart", [False, True], ids=["single", "multipart"])
def test_upload_to_a_server_that_stops_reading_stops_with_a_message(
    capsys, tmp_path, s3_server, s3_bucket, s3_creds, proxy, monkeypatch, multipart
):
    """The server stops reading mid-upload (the proxy holds what the client sends): once the floor trips the
    run stops at its next block, or when a send or a wait for a response times out, says why, and publishes
    nothing. A multipart upload is kept, and the same command continues it once the server reads again."""
    if multipart:
        monkeypatch.setattr(s3, "MULTIPART_THRESHOLD", 5 << 20)
        monkeypatch.setattr(s3, "PART_SIZE", 5 << 20)
        # A part whose bytes all fit in the socket buffers then waits for its response: the read timeout
        # (60 s) ends that wait; shortened here to keep the test short.
        monkeypatch.setattr(s3, "READ_TIMEOUT", 5)
    make_tarball(tmp_path / "data", payload=os.urandom(12 << 20))  # incompressible: 12 MiB sent
    argv = ["-o", str(tmp_path / "data"), "--endpoint-url", proxy.endpoint, "-b", s3_bucket, "--no-progress"]
    argv += ["--min-rate", "1KiB", "--stall-window", "2", "toy"]
    proxy.stall_reading_after(1 << 20)  # the HEADs pass; the tarball's bytes stop after 1 MiB
    code, out, err = run_main(upload, argv, capsys)
    proxy.restore()
    assert (code, out) == (1, ""), err
    assert f"upload of toy-1.0.0.tar.gz to s3://{s3_bucket}/datasets/toy-1.0.0.tar.gz: slower than 1.0 KiB/s" in err
    assert "Traceback" not in err
    admin = s3_server.client()
    assert admin.list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0  # neither tarball nor checksum file
    unfinished = admin.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])
    assert len(unfinished) == int(multipart)
    if multipart:
        assert f"kept the unfinished upload of s3://{s3_bucket}/datasets/toy-1.0.0.tar.gz: run the same " in err
        code, out, err = run_main(upload, argv, capsys)
        assert code == 0 and out.startswith("toy 1.0.0: uploaded"), err
        assert "continuing the unfinished upload" in err


def test_the_watchdog_trips_only_below_the_floor():
    """In process, with a 1 s window: a steady feed keeps it quiet, a stop trips it and runs the callbacks."""
    floor = s3_transfer.RateFloor(min_rate=1000, window=1.0)
    stalled = threading.Event()
    with s3_transfer.RateWatchdog("feeding", floor) as fed:
        end = time.monotonic() + 1.6
        while time.monotonic() < end:
            fed.add(500)  # ~50 kB/s, far above the floor
            time.sleep(0.01)
    assert not fed.tripped
    with s3_transfer.RateWatchdog("starving", floor) as starved:
        starved.on_stall(stalled.set)
        assert stalled.wait(timeout=30)  # no bytes at all: trips after about one window
    assert starved.tripped
    with pytest.raises(s3_transfer.TransferStalledError, match="starving: slower than 1000 B/s"):
        starved.check()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--min-rate", "fast"], "argument --min-rate: 'fast' is not a rate"),
        (["--min-rate", "-5"], "argument --min-rate: '-5' is not a rate"),
        (["--min-rate", "３２K"], "is not a rate"),  # full-width digits are not ASCII decimal
        (["--stall-window", "0"], "argument --stall-window: 0 is not between 1 and 86400 seconds"),
        (["--stall-window", "1e9"], "argument --stall-window: '1e9' is not a number of seconds"),
    ],
)
def test_rate_options_are_validated(capsys, argv, message):
    for script in (upload, download):
        code, _, err = run_main(script, [*argv, "toy"], capsys)
        assert code == 2 and message in err


def test_rate_options_parse():
    args = upload.make_parser().parse_args(["--min-rate", "1MiB", "--stall-window", "30"])
    assert (args.min_rate, args.stall_window) == (1 << 20, 30.0)
    defaults = upload.make_parser().parse_args([])
    assert (defaults.min_rate, defaults.stall_window) == (32 * 1024, 60.0)
