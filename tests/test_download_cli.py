"""download.py as a user runs it: argv in, exit code and the exact lines out (real S3 server on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import download
import upload
from dsbuild.artifact.checksums import read_checksum_file
from dsbuild.artifact.tarball import pack
from dsbuild.errors import VerificationError
from dsbuild.remote import download as download_workflow
from dsbuild.sizes import human_size
from tests.helpers import ROOT
from tests.publish_helpers import make_built, make_tarball, tree

TARBALL_KEY = "datasets/toy-1.0.0.tar.gz"
CHECKSUM_KEY = "datasets/toy-1.0.0.json"


def run(capfd, *argv: str) -> tuple[int, str, str]:
    capfd.readouterr()  # drop what the test's own set-up logged
    code = download.main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def loads(monkeypatch) -> list[tuple[Path, tuple[str, ...]]]:
    """The fake datasets here do not load with TFDS: record the load check instead (round trip runs it)."""
    calls: list[tuple[Path, tuple[str, ...]]] = []

    def fake(data_dir: Path, subdirs) -> None:
        calls.append((data_dir, tuple(subdirs)))
        if (data_dir / "toy" / "1.0.0" / "BROKEN").exists():
            raise VerificationError(f"{data_dir / 'toy' / '1.0.0'} does not load with TFDS: broken")

    monkeypatch.setattr(download_workflow, "verify_built", fake)
    return calls


@pytest.fixture
def published(tmp_path, remote, capfd):
    """toy 1.0.0 packed in a build dir and uploaded to the test bucket."""
    packed = make_tarball(tmp_path / "build", payload=b"published payload")
    assert upload.main(["-o", str(tmp_path / "build"), *remote, "toy"]) == 0
    return packed


def test_download_by_name_verifies_extracts_and_checks_it_loads(
    capfd, tmp_path, data_dir, remote, published, s3_bucket, loads
):
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 0, err
    size = human_size(published.record.size)
    assert out == f"toy 1.0.0: downloaded ({size}), verified, extracted to {data_dir / 'toy/1.0.0'}\n"
    assert tree(data_dir / "toy") == tree(tmp_path / "build" / "toy")
    # Loaded in the staging dir, before it was renamed into place.
    assert len(loads) == 1 and loads[0][0].name.startswith(".dsbuild-tmp-") and loads[0][1] == ("toy/1.0.0",)
    local = read_checksum_file(data_dir / "toy-1.0.0.json")
    assert local.url == f"s3://{s3_bucket}/{TARBALL_KEY}"
    assert sorted(p.name for p in data_dir.iterdir()) == ["_locks", "toy", "toy-1.0.0.json"]

    code, out, _ = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 0
    assert out == (
        f"toy 1.0.0: already present in {data_dir / 'toy/1.0.0'} "
        f"(matches s3://{s3_bucket}/{CHECKSUM_KEY}; nothing downloaded)\n"
    )


def test_highest_version_is_chosen(capfd, tmp_path, data_dir, remote, s3_bucket):
    for version in ("1.2.0", "1.10.0", "1.9.9"):
        make_tarball(tmp_path / "build", "toy", version)
    assert upload.main(["-o", str(tmp_path / "build"), *remote, "toy"]) == 0
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 0, err
    assert out.startswith("toy 1.10.0: downloaded")


@pytest.mark.parametrize("form", ["name-version", "s3-url", "local-path"])
def test_other_ways_to_name_a_dataset(capfd, tmp_path, data_dir, remote, published, s3_bucket, form):
    target = {
        "name-version": "toy-1.0.0",
        "s3-url": f"s3://{s3_bucket}/{CHECKSUM_KEY}",
        "local-path": str(published.checksum_file),
    }[form]
    code, out, err = run(capfd, "-o", str(data_dir), *remote, target)
    assert code == 0, err
    assert out.startswith("toy 1.0.0: downloaded")


def test_existing_dataset_is_kept_unless_overwrite(capfd, data_dir, remote, published):
    (data_dir / "toy" / "1.0.0").mkdir(parents=True)
    (data_dir / "toy" / "1.0.0" / "mine").write_text("local")
    before = tree(data_dir)
    code, _out, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 1
    assert f"error: {data_dir / 'toy/1.0.0'} already exists and is not the published toy 1.0.0" in err
    assert "kept it: pass --overwrite to replace it" in err
    assert tree(data_dir) == {**before, "_locks": None, "_locks/toy.lock": b""}
    code, _, err = run(capfd, "-o", str(data_dir), *remote, "--overwrite", "toy")
    assert code == 0, err
    assert not (data_dir / "toy" / "1.0.0" / "mine").exists()


def test_never_published_name(capfd, data_dir, remote, s3_bucket):
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "nope")
    assert (code, out) == (1, "")
    assert err.strip() == (
        f"error: 'nope' was never published: no checksum file s3://{s3_bucket}/datasets/nope-<version>.json; "
        "check the name, -b/--checksum-bucket and --prefix"
    )


def test_one_failure_does_not_stop_the_others(capfd, tmp_path, data_dir, remote, published):
    make_tarball(tmp_path / "build2", "other", "2.0.0")
    assert upload.main(["-o", str(tmp_path / "build2"), *remote, "other"]) == 0
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "nope", "toy", "other")
    assert code == 1
    assert err.count("'nope' was never published") == 1
    assert (data_dir / "toy" / "1.0.0").is_dir() and (data_dir / "other" / "2.0.0").is_dir()
    summary = out.split("summary (2 of 3 succeeded):\n")[1].splitlines()
    assert [line.split()[:2] for line in summary] == [["nope", "failed"], ["toy", "1.0.0"], ["other", "2.0.0"]]
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert out.count("already present") == 1 and "already present" not in err  # said once


def test_bad_target_is_usage_error(capfd, data_dir, remote):
    code, _, err = run(capfd, "-o", str(data_dir), *remote, "Not A Name")
    assert code == 2
    assert "error: 'Not A Name' is not a dataset name (e.g. mnist or mnist-3.0.1)" in err


def test_tarball_changed_on_server_is_refused_and_nothing_extracted(
    capfd, data_dir, remote, published, s3_server, s3_bucket
):
    tampered = bytearray(published.tarball.read_bytes())
    tampered[len(tampered) // 2] ^= 0xFF  # same size, one flipped byte
    s3_server.client().put_object(Bucket=s3_bucket, Key=TARBALL_KEY, Body=bytes(tampered))
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert (code, out) == (1, "")
    assert f"error: sha256 of s3://{s3_bucket}/{TARBALL_KEY} is " in err
    assert "is corrupt or was changed" in err
    assert sorted(p.name for p in data_dir.iterdir()) == ["_locks"]  # no tarball, no temp file, no dataset


def test_truncated_tarball_on_server_is_refused(capfd, data_dir, remote, published, s3_server, s3_bucket):
    s3_server.client().put_object(Bucket=s3_bucket, Key=TARBALL_KEY, Body=published.tarball.read_bytes()[:-100])
    code, _, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 1
    assert f"but its checksum file says {published.record.size}: the tarball on the server was truncated" in err
    assert sorted(p.name for p in data_dir.iterdir()) == ["_locks"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sha256": "abc"}, "invalid sha256 'abc' (expected 64 lower-case hex digits)"),
        ({"sha256": None}, "missing field(s) sha256"),
        ({"subdir": "toy/../../etc"}, "invalid subdir 'toy/../../etc'"),
        ({"subdir": "../evil"}, "invalid subdir '../evil'"),
    ],
)
def test_malformed_checksum_file_is_rejected(capfd, data_dir, remote, published, s3_server, s3_bucket, change, message):
    record = published.record.to_json()
    record.update(change)
    record = {k: v for k, v in record.items() if v is not None}
    s3_server.client().put_object(Bucket=s3_bucket, Key=CHECKSUM_KEY, Body=json.dumps(record).encode())
    code, _, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 1
    assert f"error: malformed checksum file s3://{s3_bucket}/{CHECKSUM_KEY}: {message}" in err
    assert not data_dir.exists() or sorted(p.name for p in data_dir.iterdir()) in ([], ["_locks"])


def test_dataset_that_does_not_load_is_not_installed(capfd, tmp_path, data_dir, remote, s3_bucket):
    build = tmp_path / "build"
    (build / "toy" / "1.0.0").mkdir(parents=True)
    (build / "toy" / "1.0.0" / "BROKEN").write_text("x")
    make_tarball(build)
    assert upload.main(["-o", str(build), *remote, "toy"]) == 0
    code, _, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 1 and "does not load with TFDS" in err
    assert sorted(p.name for p in data_dir.iterdir()) == ["_locks"]


def test_public_download_is_anonymous(capfd, tmp_path, data_dir, s3_server, s3_bucket, s3_creds, monkeypatch):
    build = tmp_path / "build"
    make_tarball(build)
    endpoint = ["--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "--no-progress"]
    assert upload.main(["-o", str(build), *endpoint, "--public", "toy"]) == 0
    for name in ("ARMORY_PRIVATE_S3_ID", "ARMORY_PRIVATE_S3_KEY"):
        monkeypatch.delenv(name)
    code, _, err = run(capfd, "-o", str(data_dir), *endpoint, "--public", "toy")
    assert code == 1 and "access denied" in err  # SeaweedFS needs a bucket policy for anonymous reads
    assert "the bucket is not public: drop --public" in err
    assert "ARMORY_PRIVATE_S3" not in err and "credentials (" not in err  # none were used
    s3_server.allow_anonymous_reads(s3_bucket)
    code, out, err = run(capfd, "-o", str(data_dir), *endpoint, "--public", "toy")
    assert code == 0, err
    assert out.startswith("toy 1.0.0: downloaded")


def test_secret_never_printed_at_trace(capfd, data_dir, remote, published, monkeypatch):
    secret = os.environ["ARMORY_PRIVATE_S3_KEY"]
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "-v", "trace", "toy")
    assert code == 0
    assert "DEBUG" in err and secret not in out + err


def test_download_waits_for_no_one_while_a_build_holds_the_lock(capfd, data_dir, remote, published):
    from dsbuild.lock import dataset_lock

    with dataset_lock(data_dir, "toy"):
        code, _, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 1 and "another dsbuild process is building or packing toy" in err
    assert not (data_dir / "toy").exists()


def test_verify_compares_every_installed_file_and_overwrite_repairs(capfd, data_dir, remote, published):
    assert run(capfd, "-o", str(data_dir), *remote, "toy")[0] == 0
    shard = data_dir / "toy/1.0.0/toy-train.tfrecord-00000-of-00001"
    code, out, _ = run(capfd, "-o", str(data_dir), "--verify", "toy")
    assert (code, out) == (0, f"toy 1.0.0: all 3 files match the tarball ({data_dir})\n")
    original = shard.read_bytes()
    shard.write_bytes(bytes([original[0] ^ 1]) + original[1:])  # same size, one bit
    (data_dir / "toy/1.0.0/features.json").unlink()
    (data_dir / "toy/1.0.0/stray.txt").write_text("added")
    code, out, err = run(capfd, "-o", str(data_dir), "--verify", "toy")
    assert code == 1 and out == ""
    assert "toy 1.0.0 in" in err and "differs from its tarball in 3 file(s)" in err
    assert "added: toy/1.0.0/stray.txt" in err
    assert "missing: toy/1.0.0/features.json" in err
    assert "changed: same size, another sha256: toy/1.0.0/toy-train.tfrecord-00000-of-00001" in err
    # A plain download sees it too, instead of trusting its checksum file; --overwrite repairs it.
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 1 and "kept it: pass --overwrite to repair it" in err and "already present" not in out
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "--overwrite", "toy")
    assert code == 0, err
    assert out.startswith("toy 1.0.0: repaired: downloaded again")
    assert shard.read_bytes() == original and not (data_dir / "toy/1.0.0/stray.txt").exists()
    assert run(capfd, "-o", str(data_dir), "--verify", "toy")[0] == 0


def test_verify_of_something_not_installed(capfd, data_dir):
    code, _, err = run(capfd, "-o", str(data_dir), "--verify", "toy", "other-1.0.0")
    assert code == 2
    assert f"toy is not installed in {data_dir}" in err and "no other-1.0.0.json there" in err


SHARD = "toy/1.0.0/toy-train.tfrecord-00000-of-00001"


def republish_record(s3_server, s3_bucket, published, change) -> None:
    """Put a checksum file whose file list `change` edited; the tarball itself stays intact."""
    record = published.record.to_json()
    change(record["files"])
    s3_server.client().put_object(Bucket=s3_bucket, Key=CHECKSUM_KEY, Body=json.dumps(record).encode())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda files: files[SHARD].update(size=files[SHARD]["size"] + 1), f"'{SHARD}': not of its listed size"),
        (lambda files: files.pop(SHARD), f"'{SHARD}': not a file its checksum file lists"),
        (
            lambda files: files.update({"toy/1.0.0/extra.json": {"size": 2, "sha256": "0" * 64}}),
            "does not hold toy/1.0.0/extra.json, which its checksum file lists",
        ),
        (
            lambda files: files[SHARD].update(sha256="0" * 64),
            f"'{SHARD}' in s3://",  # the rest is checked in the test below
        ),
    ],
    ids=["other-size", "unlisted", "listed-but-absent", "other-sha256"],
)
def test_a_tarball_unlike_its_file_list_is_refused_while_streaming(
    capfd, data_dir, remote, published, s3_server, s3_bucket, loads, change, message
):
    republish_record(s3_server, s3_bucket, published, change)
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert (code, out) == (1, "")
    assert message in err and "Traceback" not in err
    assert loads == []  # refused before the load check
    assert sorted(p.name for p in data_dir.iterdir()) == ["_locks"]  # nothing installed, no temp dir


def test_a_member_unlike_its_listed_sha256_is_refused_and_overwrite_cannot_install_it(
    capfd, data_dir, remote, published, s3_server, s3_bucket, loads
):
    """Issue 21.6: the file list is checked in full while streaming, so what is installed always equals it."""
    republish_record(s3_server, s3_bucket, published, lambda files: files[SHARD].update(sha256="0" * 64))
    for argv in (["toy"], ["--overwrite", "toy"]):
        code, out, err = run(capfd, "-o", str(data_dir), *remote, *argv)
        assert (code, out) == (1, "")
        actual = published.record.files[[f[0] for f in published.record.files].index(SHARD)][2]
        assert err.strip() == (
            f"error: '{SHARD}' in s3://{s3_bucket}/{TARBALL_KEY} has sha256 {actual} but its checksum file lists "
            f"{'0' * 64}: the checksum file does not describe this tarball; nothing was installed"
        )
        assert loads == [] and sorted(p.name for p in data_dir.iterdir()) == ["_locks"]


def test_a_listed_download_never_writes_the_tarball_to_disk(capfd, data_dir, remote, published, monkeypatch):
    """One pass: the stream goes straight into the guarded extraction, not through a temporary tarball."""
    monkeypatch.setattr(download_workflow.s3_transfer, "download_file", None)  # calling it would fail
    code, _, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 0, err
    assert (data_dir / SHARD).read_bytes() == b"published payload"
    installed = read_checksum_file(data_dir / "toy-1.0.0.json")
    assert (installed.sha256, installed.files) == (published.record.sha256, published.record.files)


def test_a_record_without_a_file_list_is_fetched_then_extracted(
    capfd, data_dir, remote, published, s3_server, s3_bucket, monkeypatch
):
    """Checksum files of armory or older dsbuild: the tarball is verified whole before a byte is extracted."""
    republish_record(s3_server, s3_bucket, published, lambda files: files.clear())
    fetched = []
    real = download_workflow.s3_transfer.download_file

    def spy(client, bucket, key, dest, *args, **kwargs):
        real(client, bucket, key, dest, *args, **kwargs)
        fetched.append(dest.stat().st_size)

    monkeypatch.setattr(download_workflow.s3_transfer, "download_file", spy)
    code, _, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 0, err
    assert fetched == [published.record.size]
    assert (data_dir / SHARD).read_bytes() == b"published payload"
    # The installed copy's checksum file lists what the verified tarball held: --verify compares every file.
    assert read_checksum_file(data_dir / "toy-1.0.0.json").files == published.record.files
    (data_dir / SHARD).write_bytes(b"changed")
    code, _, err = run(capfd, "-o", str(data_dir), "--verify", "toy")
    assert code == 1 and f"changed: 7 bytes, the tarball held 17: {SHARD}" in err
    # An install recorded before installs listed their files has nothing to compare with: it says so.
    record = json.loads((data_dir / "toy-1.0.0.json").read_text())
    del record["files"]
    (data_dir / "toy-1.0.0.json").write_text(json.dumps(record))
    code, _, err = run(capfd, "-o", str(data_dir), "--verify", "toy")
    assert code == 1
    assert "lists no files (it was installed by an older dsbuild, before installs recorded their files)" in err
    assert f"download it again with: python download.py --overwrite toy-1.0.0 -o {data_dir}" in err


# ---------------------------------------------------------------- install and record together (issue 21.7)

KILLED_AT_RECORD = """
import os, signal, sys
from dsbuild.remote import download as workflow
workflow.verify_built = lambda data_dir, subdirs: None  # the toy dataset does not load with TFDS
# The marked point: the dataset is installed, its checksum file not yet written.
workflow.write_checksum_file = lambda record, data_dir: os.kill(os.getpid(), signal.SIGKILL)
import download
sys.exit(download.main(sys.argv[1:]))
"""


def killed_between_install_and_record(*argv: str) -> None:
    """download.py in a child process, SIGKILLed at the moment its checksum file would be written."""
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_AT_RECORD, *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


@pytest.mark.parametrize("before", ["nothing", "older tarball"])
def test_a_kill_between_install_and_record_is_recognised_and_recorded(
    capfd, tmp_path, data_dir, remote, published, s3_bucket, before
):
    if before == "older tarball":  # --overwrite of an install whose checksum file then describes the old tarball
        assert run(capfd, "-o", str(data_dir), *remote, "toy")[0] == 0
        make_tarball(tmp_path / "build", payload=b"republished payload")
        assert upload.main(["-o", str(tmp_path / "build"), *remote, "--force", "toy"]) == 0
    killed_between_install_and_record("-o", str(data_dir), *remote, "--overwrite", "toy")
    new = read_checksum_file(tmp_path / "build" / "toy-1.0.0.json")
    assert (data_dir / SHARD).read_bytes() == (b"published payload" if before == "nothing" else b"republished payload")
    stale = data_dir / "toy-1.0.0.json"
    assert not stale.exists() if before == "nothing" else read_checksum_file(stale).sha256 != new.sha256

    code, out, err = run(capfd, "-o", str(data_dir), "--verify", "toy")
    if before == "nothing":  # says what it found, not "not installed"
        assert (code, out) == (1, "")
        assert err.strip() == (
            f"error: toy is installed in {data_dir} (toy/1.0.0) but its checksum file is missing, so there is "
            "nothing to compare it with (a download interrupted before it was recorded?): run python download.py "
            "toy to compare it with the published file list and record it"
        )
    else:  # the stale checksum file lists the old shard
        assert code == 1 and f"changed: 19 bytes, the tarball held 17: {SHARD}" in err

    code, out, err = run(capfd, "-o", str(data_dir), *remote, "toy")  # no --overwrite: nothing is replaced
    assert code == 0, err
    assert out.startswith("toy 1.0.0: already present in") and "nothing downloaded" in out
    why = "missing or unreadable" if before == "nothing" else "of another tarball"
    assert f"the installed files match s3://{s3_bucket}/{CHECKSUM_KEY}, but {stale} was {why}: rewrote it" in err
    assert read_checksum_file(stale).sha256 == new.sha256
    assert run(capfd, "-o", str(data_dir), "--verify", "toy")[0] == 0


def test_an_unrecorded_install_that_differs_is_kept(capfd, data_dir, remote, published):
    """Files without a checksum file that are not the published ones are the user's: kept, not recorded."""
    killed_between_install_and_record("-o", str(data_dir), *remote, "toy")
    (data_dir / SHARD).write_bytes(b"mine")
    code, _, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 1 and "already exists and is not the published toy 1.0.0" in err
    assert (data_dir / SHARD).read_bytes() == b"mine" and not (data_dir / "toy-1.0.0.json").exists()


def test_an_interrupted_multi_directory_install_is_completed(capfd, tmp_path, data_dir, remote, s3_bucket):
    """Killed between the renames of two subdirectories: the one installed is the published one, so the
    next run completes the install without --overwrite."""
    build = tmp_path / "build"
    for config in ("a", "b"):
        make_built(build / "cfg", "toy", "1.0.0", b"payload " + config.encode())
        (build / "toy" / config).mkdir(parents=True)
        shutil.move(build / "cfg" / "toy" / "1.0.0", build / "toy" / config / "1.0.0")
    pack(build, "toy", "1.0.0", ["toy/a/1.0.0", "toy/b/1.0.0"])
    assert upload.main(["-o", str(build), *remote, "toy"]) == 0
    assert run(capfd, "-o", str(data_dir), *remote, "toy")[0] == 0
    shutil.rmtree(data_dir / "toy" / "b")
    (data_dir / "toy-1.0.0.json").unlink()
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 0, err
    assert out.startswith("toy 1.0.0: downloaded")
    assert tree(data_dir / "toy") == tree(build / "toy")
