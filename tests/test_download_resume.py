"""Resumable downloads (issue 23.3) on the real S3 server, through a loopback proxy that cuts the network.

A download cut mid-way keeps its bytes in a partial file beside the data; the next run reads them back
(checked, never trusted: the whole stream's sha256 still decides) and fetches only the rest with a Range
request, unless the object changed meanwhile: then it starts over and says so.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

import download
import upload
from dsbuild.artifact.checksums import read_checksum_file
from dsbuild.leftovers import partial_download_path, remove_leftovers
from dsbuild.remote import download as download_workflow
from dsbuild.remote import s3_transfer
from tests.helpers import start_script
from tests.publish_helpers import make_tarball, tree

SHARD = "toy/1.0.0/toy-train.tfrecord-00000-of-00001"


@pytest.fixture(autouse=True)
def loads(monkeypatch) -> None:
    """The toy dataset does not load with TFDS: the load check is skipped (test_download_cli runs it)."""
    monkeypatch.setattr(download_workflow, "verify_built", lambda data_dir, subdirs: None)


def publish(tmp_path: Path, remote: list[str], payload: bytes, *extra: str):
    packed = make_tarball(tmp_path / "build", payload=payload)
    assert upload.main(["-o", str(tmp_path / "build"), *remote, *extra, "toy"]) == 0
    return packed


def run(capfd, *argv: str) -> tuple[int, str, str]:
    capfd.readouterr()
    code = download.main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


@pytest.mark.parametrize("listed", [True, False], ids=["streamed", "fetched"])
def test_a_download_cut_at_60_percent_resumes_where_it_stopped(
    capfd, tmp_path, data_dir, remote, s3_bucket, proxy, listed
):
    packed = publish(tmp_path, remote, os.urandom(4 << 20))  # incompressible: the tarball is ~4 MiB
    size = packed.record.size
    if not listed:  # a checksum file without a file list (armory's): fetched whole, then extracted
        record = packed.record.to_json()
        del record["files"]
        (tmp_path / "toy-1.0.0.json").write_text(json.dumps(record))
    target = "toy" if listed else str(tmp_path / "toy-1.0.0.json")
    argv = ["-o", str(data_dir), "--endpoint-url", proxy.endpoint, "-b", s3_bucket, "--no-progress"]
    argv += ["--resume-above", "1M", target]
    partial = partial_download_path(data_dir, "toy-1.0.0.tar.gz")

    proxy.cut_after(int(size * 0.6) + (2000 if listed else 0))  # the checksum file comes through it first
    code, out, err = run(capfd, *argv)
    assert (code, out) == (1, ""), err
    kept = partial.stat().st_size
    assert 0.5 * size < kept < 0.61 * size
    assert f"of {size} bytes are kept in {partial}: run the same command again to resume" in err
    assert "Traceback" not in err and not (data_dir / "toy").exists()

    proxy.restore()
    code, out, err = run(capfd, *argv)
    assert code == 0, err
    assert out.startswith("toy 1.0.0: downloaded")
    assert f"resuming the download of s3://{s3_bucket}/datasets/toy-1.0.0.tar.gz at byte {kept} of {size}" in err
    assert proxy.sent <= 1.5 * size, f"{proxy.sent} bytes fetched over both runs for a {size}-byte tarball"
    assert sorted(p.name for p in data_dir.iterdir()) == ["_locks", "toy", "toy-1.0.0.json"]  # partial removed
    assert tree(data_dir / "toy") == tree(tmp_path / "build" / "toy")
    # Either way the installed copy records its files (without a published list: what the tarball held).
    assert run(capfd, "-o", str(data_dir), "--verify", "toy")[0] == 0
    # Bytes kept for a dataset that is installed meanwhile are dropped by the next run.
    partial.write_bytes(b"stale")
    partial.with_name(partial.name + ".json").write_text("{}")
    assert run(capfd, *argv)[1].startswith("toy 1.0.0: already present")
    assert sorted(p.name for p in data_dir.iterdir()) == ["_locks", "toy", "toy-1.0.0.json"]


def test_an_object_replaced_between_the_runs_is_downloaded_from_the_start(
    capfd, tmp_path, data_dir, remote, s3_bucket, proxy
):
    packed = publish(tmp_path, remote, os.urandom(4 << 20))
    argv = ["-o", str(data_dir), "--endpoint-url", proxy.endpoint, "-b", s3_bucket, "--no-progress"]
    argv += ["--resume-above", "1M", "toy"]
    proxy.cut_after(packed.record.size // 2)
    assert run(capfd, *argv)[0] == 1
    assert partial_download_path(data_dir, "toy-1.0.0.tar.gz").stat().st_size > 0

    new_payload = os.urandom(4 << 20)
    publish(tmp_path, remote, new_payload, "--force")
    proxy.restore()
    code, _, err = run(capfd, *argv)
    assert code == 0, err
    assert (
        f"not resuming the download of s3://{s3_bucket}/datasets/toy-1.0.0.tar.gz from the bytes kept by an "
        "interrupted run: the object changed since (etag, "
    ) in err
    assert (data_dir / SHARD).read_bytes() == new_payload
    assert not partial_download_path(data_dir, "toy-1.0.0.tar.gz").exists()


def test_kept_bytes_are_checked_not_trusted(capfd, tmp_path, data_dir, remote, s3_bucket, proxy):
    """A partial whose bytes were damaged since: the sha256 of the whole stream refuses it, and it is deleted."""
    packed = publish(tmp_path, remote, os.urandom(4 << 20))
    argv = ["-o", str(data_dir), "--endpoint-url", proxy.endpoint, "-b", s3_bucket, "--no-progress"]
    argv += ["--resume-above", "1M", "toy"]
    proxy.cut_after(packed.record.size // 2)
    assert run(capfd, *argv)[0] == 1
    partial = partial_download_path(data_dir, "toy-1.0.0.tar.gz")
    damaged = bytearray(partial.read_bytes())
    damaged[-1000] ^= 0xFF
    partial.write_bytes(damaged)
    proxy.restore()
    code, out, err = run(capfd, *argv)
    assert (code, out) == (1, "")
    assert "is corrupt or was changed; nothing was installed; deleted the" in err
    assert "bytes kept from an interrupted run: the next run downloads it whole" in err
    assert sorted(p.name for p in data_dir.iterdir()) == ["_locks"]
    code, _, err = run(capfd, *argv)
    assert code == 0, err
    assert read_checksum_file(data_dir / "toy-1.0.0.json").sha256 == packed.record.sha256


def test_a_partial_never_grows_past_the_published_size(tmp_path):
    """Kept bytes longer than the object are not resumed from (and a partial is never written past it)."""
    partial = s3_transfer.Partial(tmp_path / "p.tar.gz", "a" * 64)
    fd, kept = partial.open("s3://b/k", '"etag"', 10)
    os.write(fd, b"x" * 11)
    os.close(fd)
    fd, kept = partial.open("s3://b/k", '"etag"', 10)
    os.close(fd)
    assert kept == 0 and partial.path.stat().st_size == 0


def test_unpaired_partials_are_leftovers(tmp_path):
    kept = [".dsbuild-partial-toy-1.0.0.tar.gz", ".dsbuild-partial-toy-1.0.0.tar.gz.json"]
    unpaired = [".dsbuild-partial-toy-2.0.0.tar.gz", ".dsbuild-partial-toy-3.0.0.tar.gz.json"]
    other = [".dsbuild-partial-toy_other-1.0.0.tar.gz"]
    for name in kept + unpaired + other:
        (tmp_path / name).write_bytes(b"x")
    removed = remove_leftovers(tmp_path, "toy")
    assert sorted(p.name for p in removed) == sorted(unpaired)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept + other)


def test_an_object_replaced_during_a_download_is_not_resumed_into(s3_server, s3_bucket, s3_creds):
    """A reconnection asks for the same ETag (If-Match): the real server refuses it once the object changed."""
    client = s3_server.client()
    size = 1 << 20
    client.put_object(Bucket=s3_bucket, Key="r.bin", Body=os.urandom(size))
    etag = client.head_object(Bucket=s3_bucket, Key="r.bin")["ETag"]
    bar = s3_transfer._Bar("r.bin", size, False)
    stream = s3_transfer.ObjectStream(client, s3_bucket, "r.bin", size, "s3://b/r.bin", bar, etag=etag)
    assert len(stream.read(1000)) == 1000
    client.put_object(Bucket=s3_bucket, Key="r.bin", Body=os.urandom(size))  # same size, other bytes
    stream._body._raw_stream.shutdown()  # the network breaks: the next read reconnects from byte 1000
    with pytest.raises(s3_transfer.ChecksumError, match=r"s3://b/r\.bin was replaced on the server during the"):
        while stream.read(1 << 16):
            pass
    stream.close()


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_download_resumes(capfd, tmp_path, data_dir, remote, s3_bucket, proxy, stop):
    """Killed mid-download (the server stalled at 60 %, so the moment is not a race): the next run resumes.
    SIGTERM exits 143 saying what it kept and how to resume."""
    packed = publish(tmp_path, remote, os.urandom(4 << 20))
    size = packed.record.size
    argv = ["-o", str(data_dir), "--endpoint-url", proxy.endpoint, "-b", s3_bucket, "--no-progress"]
    argv += ["--resume-above", "1M", "toy"]
    partial = partial_download_path(data_dir, "toy-1.0.0.tar.gz")
    proxy.stall_after(int(size * 0.6) + 2000)  # the checksum file comes through it first
    proc = start_script("download.py", *argv)
    # The stream is read in 1 MiB pieces: the stalled one never reaches the partial, so wait for 1/3.
    give_up = time.monotonic() + 120  # a safety net against a hang, not a timing assertion
    while proc.poll() is None and not (partial.exists() and partial.stat().st_size >= size // 3):
        assert time.monotonic() < give_up, "the download never kept a third of the tarball"
        time.sleep(0.01)
    proc.send_signal(stop)
    _, stopped_err = proc.communicate(timeout=120)
    proxy.restore()
    kept = partial.stat().st_size
    if stop == signal.SIGTERM:
        assert proc.returncode == 143, stopped_err
        assert f"{kept} of {size} bytes are kept in {partial}: run the same command again to resume" in stopped_err
    assert size // 3 <= kept <= size * 0.61
    code, out, err = run(capfd, *argv)
    assert out.startswith("toy 1.0.0: downloaded")
    assert code == 0, err
    assert f"resuming the download of s3://{s3_bucket}/datasets/toy-1.0.0.tar.gz at byte {kept} of {size}" in err
    assert proxy.sent <= 1.5 * size
    assert tree(data_dir / "toy") == tree(tmp_path / "build" / "toy")
