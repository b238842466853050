"""dsbuild.remote.upload: the upload workflow, its order of events, and faults mid-transfer."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tarfile
import time

import pytest

import upload
from dsbuild.errors import UsageError
from dsbuild.remote import s3, s3_transfer
from dsbuild.remote import upload as upload_workflow
from dsbuild.remote.location import RemoteOptions
from tests.helpers import ROOT
from tests.publish_helpers import make_tarball
from tests.s3_server import ADMIN_ID, ADMIN_SECRET, WeedServer

MiB = 1024 * 1024
TARBALL_KEY = "datasets/toy-1.0.0.tar.gz"
CHECKSUM_KEY = "datasets/toy-1.0.0.json"


def uploads_in_progress(client, bucket: str) -> list[str]:
    return [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def exists(client, bucket: str, key: str) -> bool:
    return s3.head(client, bucket, key) is not None


@pytest.fixture
def small_parts(monkeypatch):
    """S3's smallest part size, so multipart runs on tarballs of a few MiB."""
    monkeypatch.setattr(s3, "MULTIPART_THRESHOLD", 5 * MiB)
    monkeypatch.setattr(s3, "PART_SIZE", 5 * MiB)


def test_tarball_is_uploaded_before_the_checksum_file(tmp_path, s3_server, s3_bucket, s3_creds, monkeypatch):
    make_tarball(tmp_path)
    order: list[str] = []
    real_make_client = s3.make_client

    def recording_client(*args, **kwargs):
        client = real_make_client(*args, **kwargs)
        for op in ("PutObject", "CompleteMultipartUpload"):
            client.meta.events.register(f"before-call.s3.{op}", lambda params, **kw: order.append(params["url_path"]))
        return client

    monkeypatch.setattr(s3, "make_client", recording_client)
    options = RemoteOptions(bucket=s3_bucket, endpoint_url=s3_server.endpoint, progress=False)
    results = upload_workflow.upload(tmp_path, ["toy"], options)
    assert [r.status for r in results] == [s3_transfer.UPLOADED]
    assert [path.rsplit("/", 1)[-1] for path in order] == ["toy-1.0.0.tar.gz", "toy-1.0.0.json"]


def test_targets_are_resolved_and_deduplicated(tmp_path):
    packed = make_tarball(tmp_path, "toy", "1.0.0")
    make_tarball(tmp_path, "toy", "1.1.0")
    make_tarball(tmp_path, "toy_two", "1.0.0")  # 'toy' must not match 'toy_two'
    found = upload_workflow.resolve_upload_targets(tmp_path, ["toy", str(packed.tarball)])
    assert [p.name for p in found] == ["toy-1.0.0.tar.gz", "toy-1.1.0.tar.gz"]
    with pytest.raises(UsageError, match="is not named like a dataset tarball"):
        bad = tmp_path / "weird.tar.gz"
        bad.write_bytes(b"")
        upload_workflow.resolve_upload_targets(tmp_path, [str(bad)])


def test_subdirs_of_a_tarball_with_builder_configs(tmp_path):
    tarball = tmp_path / "cfg-2.0.0.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name in ("cfg/a/2.0.0", "cfg/a/2.0.0/x", "cfg/b/2.0.0", "cfg/.config", "cfg/.config/m"):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
    assert upload_workflow._subdirs_from_tarball(tarball, "cfg", "2.0.0") == (
        "cfg/a/2.0.0",
        "cfg/b/2.0.0",
        "cfg/.config",
    )


@pytest.mark.integration
def test_server_killed_mid_multipart_then_rerun_completes(tmp_path, aws_env, monkeypatch, small_parts, capfd):
    server = WeedServer(tmp_path / "server").start()
    try:
        bucket = server.create_bucket()
        monkeypatch.setenv("ARMORY_PRIVATE_S3_ID", ADMIN_ID)
        monkeypatch.setenv("ARMORY_PRIVATE_S3_KEY", ADMIN_SECRET)
        data = tmp_path / "data"
        make_tarball(data, payload=os.urandom(24 * MiB))
        sent = [0]
        real_update = s3_transfer._Bar.update

        def kill_midway(self, amount: int) -> None:
            sent[0] += amount
            if sent[0] > 7 * MiB:
                server.kill()
            real_update(self, amount)

        monkeypatch.setattr(s3_transfer._Bar, "update", kill_midway)
        argv = ["-o", str(data), "--endpoint-url", server.endpoint, "-b", bucket, "--no-progress", "toy"]
        capfd.readouterr()
        assert upload.main(argv) == 1
        err = capfd.readouterr().err
        assert "error: upload of toy-1.0.0.tar.gz to s3://" in err and "cannot reach the S3 server" in err
        assert server.process is not None and server.process.poll() is not None  # it really died

        monkeypatch.setattr(s3_transfer._Bar, "update", real_update)
        server.start()
        admin = server.client()
        assert not exists(admin, bucket, CHECKSUM_KEY) and not exists(admin, bucket, TARBALL_KEY)
        assert upload.main(argv) == 0
        assert uploads_in_progress(admin, bucket) == []  # the dead run's parts were aborted
        assert exists(admin, bucket, CHECKSUM_KEY) and exists(admin, bucket, TARBALL_KEY)
    finally:
        server.stop()


SLOW_UPLOAD = """
import sys, time
from dsbuild.remote import s3, s3_transfer
real_update = s3_transfer._Bar.update
def slow(self, amount):
    time.sleep(0.1)
    real_update(self, amount)
s3_transfer._Bar.update = slow
s3.MULTIPART_THRESHOLD = s3.PART_SIZE = 5 * 1024 * 1024
import upload
sys.exit(upload.main(sys.argv[1:]))
"""


@pytest.mark.integration
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_upload_aborts_the_multipart_upload(tmp_path, s3_server, s3_bucket, s3_creds, signum, code):
    data = tmp_path / "data"
    make_tarball(data, payload=os.urandom(20 * MiB))
    argv = ["-o", str(data), "--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "--no-progress", "toy"]
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_UPLOAD, *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    admin = s3_server.client()
    try:
        deadline = time.monotonic() + 60
        while not uploads_in_progress(admin, s3_bucket):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the multipart upload never started"
            time.sleep(0.05)
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code, err
    assert "nothing was left half-written" in err
    assert uploads_in_progress(admin, s3_bucket) == []
    assert not exists(admin, s3_bucket, TARBALL_KEY) and not exists(admin, s3_bucket, CHECKSUM_KEY)
    assert not (data / "cached_datasets.json").exists()


KILLABLE_UPLOAD = """
import sys, threading
from dsbuild.remote import s3, s3_transfer
real_update = s3_transfer._Bar.update
read = 0
def stuck_in_the_third_part(self, amount):
    global read
    read += amount
    if read > 11 * 1024 * 1024:  # two 5 MiB parts sent, the third never ends: killed here
        threading.Event().wait()
    real_update(self, amount)
s3_transfer._Bar.update = stuck_in_the_third_part
s3.MULTIPART_THRESHOLD = s3.PART_SIZE = 5 * 1024 * 1024
s3.MAX_CONCURRENCY = 1
import upload
sys.exit(upload.main(sys.argv[1:]))
"""


def full_parts(client, bucket: str, key: str) -> dict[int, int]:
    """{part number: size} of the one unfinished upload of `key`."""
    (upload_id,) = [u["UploadId"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    return {
        p["PartNumber"]: p["Size"]
        for p in client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id).get("Parts", [])
    }


@pytest.mark.integration
def test_an_upload_killed_midway_is_resumed_sending_only_the_missing_parts(
    tmp_path, s3_server, s3_bucket, s3_creds, monkeypatch, small_parts, capfd
):
    data = tmp_path / "data"
    make_tarball(data, payload=os.urandom(32 * MiB))  # 7 parts of 5 MiB
    argv = ["-o", str(data), "--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "--no-progress", "toy"]
    process = subprocess.Popen([sys.executable, "-c", KILLABLE_UPLOAD, *argv], cwd=ROOT, stderr=subprocess.PIPE)
    admin = s3_server.client()
    try:
        deadline = time.monotonic() + 120
        while not uploads_in_progress(admin, s3_bucket) or len(full_parts(admin, s3_bucket, TARBALL_KEY)) < 2:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "two parts never arrived"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (data / "_uploads" / "toy-1.0.0.tar.gz.json").is_file()  # the record of the unfinished upload
    before = {n: size for n, size in full_parts(admin, s3_bucket, TARBALL_KEY).items() if size == 5 * MiB}
    total = -(-(data / "toy-1.0.0.tar.gz").stat().st_size // (5 * MiB))
    assert 2 <= len(before) < total

    sent: list[int] = []
    real_make_client = s3.make_client

    def counting_client(*args, **kwargs):
        client = real_make_client(*args, **kwargs)
        client.meta.events.register("before-call.s3.UploadPart", lambda params, **kw: sent.append(1))
        client.meta.events.register("before-call.s3.CreateMultipartUpload", lambda **kw: sent.append(-1000))
        return client

    monkeypatch.setattr(s3, "make_client", counting_client)
    capfd.readouterr()
    assert upload.main(argv) == 0
    err = capfd.readouterr().err
    assert f"continuing the unfinished upload of s3://{s3_bucket}/{TARBALL_KEY}: {len(before)} of {total} parts" in err
    assert sum(sent) == total - len(before)  # only the missing parts, and no new multipart upload
    # The published pair is consistent: the tarball's bytes are the checksum file's.
    record = json.loads(admin.get_object(Bucket=s3_bucket, Key=CHECKSUM_KEY)["Body"].read())
    body = admin.get_object(Bucket=s3_bucket, Key=TARBALL_KEY)["Body"].read()
    assert (len(body), hashlib.sha256(body).hexdigest()) == (record["size"], record["sha256"])
    assert body == (data / "toy-1.0.0.tar.gz").read_bytes()
    assert uploads_in_progress(admin, s3_bucket) == []
    assert not (data / "_uploads" / "toy-1.0.0.tar.gz.json").exists()


@pytest.mark.integration
def test_a_recorded_upload_of_other_bytes_is_aborted_and_restarted(
    tmp_path, s3_server, s3_bucket, s3_creds, small_parts
):
    """The record names an upload of other bytes (the tarball was rebuilt): that upload, ours, is aborted;
    another process's unfinished upload of the same key is left alone."""
    from dsbuild.remote import multipart

    admin = s3_server.client()
    others = admin.create_multipart_upload(Bucket=s3_bucket, Key=TARBALL_KEY)["UploadId"]  # not ours: no record
    ours = admin.create_multipart_upload(Bucket=s3_bucket, Key=TARBALL_KEY)["UploadId"]
    data = tmp_path / "data"
    tarball = make_tarball(data, payload=os.urandom(12 * MiB)).tarball
    stale = multipart.UploadState(s3_server.endpoint, s3_bucket, TARBALL_KEY, ours, "0" * 64, 12 * MiB, 5 * MiB)
    multipart.StateRecord(tarball).save(stale)
    options = RemoteOptions(bucket=s3_bucket, endpoint_url=s3_server.endpoint, progress=False)
    assert [r.status for r in upload_workflow.upload(data, ["toy"], options)] == [s3_transfer.UPLOADED]
    assert [u["UploadId"] for u in admin.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])] == [others]


def test_a_hostile_upload_record_is_ignored(tmp_path):
    from dsbuild.remote import multipart

    tarball = tmp_path / "toy-1.0.0.tar.gz"
    record = multipart.StateRecord(tarball)
    record.path.parent.mkdir()
    for text in (
        "[",
        "[]",
        '{"upload_id": 5}',
        "9" * 100_000,
        '{"endpoint": "x", "bucket": "b", "key": "k", "upload_id": "u", "sha256": "s", "size": -1, "part_size": 5}',
    ):
        record.path.write_text(text)
        assert record.load() is None
