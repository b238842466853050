"""A hostile bucket: crafted tarballs and checksum files served by the real S3 test server, fetched by download.py.

Each failing case asserts the exit code, the message, and that the data dir
holds exactly what it held before (plus the lock file), with no temporary file
or directory left.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

import download
from dsbuild.artifact.tar_guard import HEADER_DATA_LIMIT, QUOTE_LIMIT
from dsbuild.errors import VerificationError
from dsbuild.remote import download as download_workflow
from tests.helpers import ROOT, start_script
from tests.hostile import (
    CHECKSUM_KEY,
    SUB,
    data_blocks,
    directory,
    files_listed,
    files_unlisted,
    finish,
    good_members,
    header,
    member,
    pax,
    publish,
    record_for,
    snapshot,
)

LOCK_ONLY = {"_locks": None, "_locks/toy.lock": b""}
# Every guard is tested both ways download.py takes: with a file list in the checksum file (the tarball is
# streamed into the extraction) and without one (fetched and verified whole first).
BOTH_WAYS = pytest.mark.parametrize("way", [files_unlisted, files_listed], ids=["fetched", "streamed"])


@pytest.fixture(scope="module")
def s3_bucket(s3_server) -> str:
    """One bucket for the module (each test overwrites both keys): SeaweedFS grows volumes per bucket."""
    return s3_server.create_bucket()


@pytest.fixture(autouse=True)
def loads(monkeypatch):
    """The crafted datasets do not load with TFDS: the load check only asserts the staged tree exists."""

    def fake(data_dir: Path, subdirs) -> None:
        for sub in subdirs:
            if not (data_dir / sub).is_dir():
                raise VerificationError(f"{sub} missing")

    monkeypatch.setattr(download_workflow, "verify_built", fake)


def run(capfd, data_dir: Path, remote: list[str], *argv: str) -> tuple[int, str, str]:
    capfd.readouterr()
    code = download.main(["-o", str(data_dir), *remote, *argv])
    out, err = capfd.readouterr()
    return code, out, err


def refused(capfd, data_dir, remote, *argv: str, before=None) -> str:
    """Run download.py, expect exit 1 and an unchanged data dir; return stderr."""
    before = before if before is not None else snapshot(data_dir)
    code, out, err = run(capfd, data_dir, remote, *argv)
    assert (code, out) == (1, ""), err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err  # one line
    after = snapshot(data_dir)
    assert after == {**before, **LOCK_ONLY}, sorted(set(after) ^ set(before))
    return err


# ---------------------------------------------------------------- limits


@BOTH_WAYS
def test_recorded_bytes_stop_extraction(way, capfd, data_dir, remote, s3_server, s3_bucket):
    tarball = finish(good_members() + member(f"{SUB}/shard", b"z" * 5000))
    publish(s3_server, s3_bucket, tarball, uncompressed_bytes=1000, members=3, **way())
    err = refused(capfd, data_dir, remote, "toy")
    assert "members hold more than 1000 bytes; the tarball is not safe" in err


@BOTH_WAYS
def test_recorded_members_stop_extraction(way, capfd, data_dir, remote, s3_server, s3_bucket):
    names = [f"{SUB}/f{i}" for i in range(40)]
    files = b"".join(member(name, b"") for name in names)
    publish(
        s3_server,
        s3_bucket,
        finish(good_members() + files),
        uncompressed_bytes=2,
        members=3,
        **way(*[(name, b"") for name in names]),
    )
    err = refused(capfd, data_dir, remote, "toy")
    assert "more than 19 members" in err  # 3 recorded + 16 for directory entries


@BOTH_WAYS
def test_exact_recorded_limits_pass(way, capfd, data_dir, remote, s3_server, s3_bucket):
    tarball = finish(good_members() + member(f"{SUB}/shard", b"z" * 5000))
    publish(s3_server, s3_bucket, tarball, uncompressed_bytes=5002, members=3, **way((f"{SUB}/shard", b"z" * 5000)))
    code, _, err = run(capfd, data_dir, remote, "toy")
    assert code == 0, err
    assert (data_dir / SUB / "shard").read_bytes() == b"z" * 5000


@BOTH_WAYS
def test_gzip_bomb_without_record_stops_at_default_until_raised(way, capfd, data_dir, remote, s3_server, s3_bucket):
    bomb = finish(good_members() + member(f"{SUB}/zeros", bytes(48 << 20)))  # 48 MiB in ~50 KiB
    # No recorded limits (as in armory's checksum files): only the default expansion stops it.
    publish(s3_server, s3_bucket, bomb, **way((f"{SUB}/zeros", bytes(48 << 20))))
    err = refused(capfd, data_dir, remote, "toy")
    assert f"members hold more than {20 << 20} bytes" in err
    code, _, err = run(capfd, data_dir, remote, "--max-expansion", "100", "toy")
    assert code == 0, err
    assert (data_dir / SUB / "zeros").stat().st_size == 48 << 20


@BOTH_WAYS
def test_default_member_limit_is_an_option(way, capfd, data_dir, remote, s3_server, s3_bucket):
    names = [f"{SUB}/f{i}" for i in range(30)]
    files = b"".join(member(name, b"") for name in names)
    publish(s3_server, s3_bucket, finish(good_members() + files), **way(*[(name, b"") for name in names]))
    err = refused(capfd, data_dir, remote, "--max-members", "10", "toy")
    assert "more than 10 members" in err


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"uncompressed_bytes": 1 << 60, "members": 1}, "absurd uncompressed_bytes 1152921504606846976"),
        ({"uncompressed_bytes": 1, "members": 10**9}, "absurd members 1000000000"),
        ({"uncompressed_bytes": -1, "members": 1}, "invalid uncompressed_bytes -1"),
        ({"uncompressed_bytes": "1", "members": 1}, "invalid uncompressed_bytes '1'"),
        ({"uncompressed_bytes": 1}, "uncompressed_bytes and members go together"),
    ],
)
def test_absurd_recorded_sizes_are_refused_before_download(
    capfd, data_dir, remote, s3_server, s3_bucket, changes, message
):
    publish(s3_server, s3_bucket, finish(good_members()), **changes)
    code, _, err = run(capfd, data_dir, remote, "toy")
    assert code == 1 and f"malformed checksum file s3://{s3_bucket}/{CHECKSUM_KEY}: {message}" in err
    assert not data_dir.exists()  # refused before the data dir was even created


def small_tmpfs(path: Path, size: str) -> None:
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a small tmpfs")
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "tmpfs"
    small_tmpfs(mount, "2m")
    yield mount / "data"
    subprocess.run(["umount", str(mount)], check=True)


@BOTH_WAYS
def test_free_space_is_checked_for_the_recorded_size(way, capfd, tiny_disk, remote, s3_server, s3_bucket):
    tarball = finish(good_members() + member(f"{SUB}/big", bytes(3 << 20)))
    unpacked = (3 << 20) + 2
    publish(
        s3_server, s3_bucket, tarball, uncompressed_bytes=unpacked, members=3, **way((f"{SUB}/big", bytes(3 << 20)))
    )
    err = refused(capfd, tiny_disk, remote, "toy", before={})
    needed = unpacked if way is files_listed else len(tarball) + unpacked  # a streamed tarball is never stored
    assert f"downloading toy-1.0.0.tar.gz needs {needed} bytes but" in err
    assert "free some space" in err


@BOTH_WAYS
def test_disk_full_during_extraction_is_a_message(way, capfd, tiny_disk, remote, s3_server, s3_bucket):
    tarball = finish(good_members() + member(f"{SUB}/big", bytes(3 << 20)))
    publish(s3_server, s3_bucket, tarball, **way((f"{SUB}/big", bytes(3 << 20))))  # no recorded size
    err = refused(capfd, tiny_disk, remote, "toy", before={})
    # Unlisted, only ENOSPC can stop it; a file list gives the size even when none is recorded.
    stopped_by = "needs 3145730 bytes but" if way is files_listed else "no space left on the device"
    assert stopped_by in err and "; free some space" in err


# ---------------------------------------------------------------- headers


@BOTH_WAYS
@pytest.mark.parametrize("kind", [b"x", b"g", b"L"])
def test_oversized_extension_header_is_refused_before_it_is_read(
    way, capfd, data_dir, remote, s3_server, s3_bucket, kind
):
    huge = 64 << 20
    body = good_members() + header("././@LongLink", kind, huge) + data_blocks(b"a" * huge)
    publish(s3_server, s3_bucket, finish(body), **way())
    err = refused(capfd, data_dir, remote, "toy")
    assert f"of {huge} bytes at offset 1536 (at most {HEADER_DATA_LIMIT} are accepted)" in err


@BOTH_WAYS
def test_too_many_global_headers(way, capfd, data_dir, remote, s3_server, s3_bucket):
    body = good_members() + b"".join(pax({f"k{i}": "v"}, b"g") for i in range(5)) + member(f"{SUB}/f")
    publish(s3_server, s3_bucket, finish(body), **way())
    assert "more than 4 global pax headers" in refused(capfd, data_dir, remote, "toy")


@BOTH_WAYS
@pytest.mark.parametrize(
    ("records", "kind", "message"),
    [
        ({"GNU.sparse.major": "1", "GNU.sparse.minor": "0"}, b"x", "a GNU sparse file"),
        ({"size": "12abc"}, b"x", "malformed pax size '12abc'"),
        ({"mtime": "1e400"}, b"x", "malformed pax mtime '1e400'"),
        ({"uid": "-1"}, b"x", "malformed pax uid '-1'"),
        ({"size": "3"}, b"g", "a global pax header that sets member sizes"),
    ],
)
def test_hostile_pax_records(way, capfd, data_dir, remote, s3_server, s3_bucket, records, kind, message):
    publish(s3_server, s3_bucket, finish(good_members() + pax(records, kind) + member(f"{SUB}/f", b"abc")), **way())
    assert message in refused(capfd, data_dir, remote, "toy")


@BOTH_WAYS
@pytest.mark.parametrize(
    ("fields", "size", "message"),
    [
        ({"mtime": b"9x9\x00"}, 1, "malformed mtime '9x9\\x00"),
        ({"mode": b"rwxr\x00"}, 1, "malformed mode"),
        ({}, b"0o17\x00", "malformed size"),
        ({"chksum": b"000001\x00 "}, 1, "bad tar header checksum at offset 1536"),
    ],
)
def test_malformed_numbers_in_headers(way, capfd, data_dir, remote, s3_server, s3_bucket, fields, size, message):
    body = good_members() + header(f"{SUB}/f", b"0", size, **fields) + data_blocks(b"a")
    publish(s3_server, s3_bucket, finish(body), **way())
    assert message in refused(capfd, data_dir, remote, "toy")


@BOTH_WAYS
def test_data_after_the_end_of_archive(way, capfd, data_dir, remote, s3_server, s3_bucket):
    hidden = member(f"{SUB}/hidden", b"not seen by tarfile")
    publish(s3_server, s3_bucket, finish(good_members(), trailer=bytes(1024) + hidden), **way())
    assert "data after the end of the archive" in refused(capfd, data_dir, remote, "toy")


@BOTH_WAYS
def test_garbage_after_the_gzip_stream(way, capfd, data_dir, remote, s3_server, s3_bucket):
    publish(s3_server, s3_bucket, finish(good_members()) + b"GARBAGE" * 100, **way())
    assert "is not a readable .tar.gz" in refused(capfd, data_dir, remote, "toy")


@BOTH_WAYS
def test_attacker_strings_are_cut_in_messages(way, capfd, data_dir, remote, s3_server, s3_bucket):
    long_name = "toy/other/" + "n" * 8000
    body = good_members() + pax({"path": long_name}) + member("placeholder", b"x")
    publish(s3_server, s3_bucket, finish(body), **way())
    err = refused(capfd, data_dir, remote, "toy")
    assert "outside the dataset's directories" in err and "(8012 characters)" in err
    assert len(err) < 2 * QUOTE_LIMIT + 300


def test_hostile_headers_keep_memory_flat(tmp_path, data_dir, remote, s3_server, s3_bucket):
    """Peak RSS growth of download.py's work (child process): a 128 MiB pax header vs a normal 128 MiB member."""
    size = 128 << 20
    growth = {}
    for case, body in (
        ("normal", good_members() + member(f"{SUB}/shard", b"a" * size)),
        ("hostile", good_members() + header("././@PaxHeader", b"x", size) + data_blocks(b"a" * size)),
    ):
        publish(s3_server, s3_bucket, finish(body), uncompressed_bytes=size + 2, members=3)
        # Everything download.py imports is loaded first, so the growth is the work's own.
        code = (
            "import sys, tarfile, boto3, botocore, isal.igzip_threaded\n"
            "from dsbuild.remote import download as d\n"
            "import download\n"
            "d.verify_built = lambda *a: None\n"
            "def hwm():\n"
            "    status = open('/proc/self/status').read()\n"
            "    return int(status.split('VmHWM:')[1].split()[0])\n"
            "open('/proc/self/clear_refs', 'w').write('5')  # peak RSS := current RSS\n"
            "base = hwm()\n"
            "code = download.main(sys.argv[1:])\n"
            "peak = hwm()\n"
            "print('PEAK', base, peak, code, file=sys.stderr)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, "-o", str(tmp_path / case), *remote, "toy"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        lines = [line for line in done.stderr.splitlines() if line.startswith("PEAK")]
        assert lines, done.stderr
        _, base, peak, exit_code = lines[-1].split()
        growth[case] = (int(peak) - int(base), int(peak), int(exit_code))
    print(
        "peak RSS growth during download + extract (KiB): "
        + ", ".join(f"{case} +{g} (peak {p})" for case, (g, p, _) in growth.items())
    )
    assert growth["normal"][2] == 0 and growth["hostile"][2] == 1
    # KiB: the 128 MiB header was never held in memory; no more growth than a normal download.
    assert growth["hostile"][0] < min(growth["normal"][0] + 8 * 1024, 64 * 1024)


# ---------------------------------------------------------------- member types


@BOTH_WAYS
@pytest.mark.parametrize(
    "kind",
    [b"1", b"2", b"3", b"4", b"6", b"7", b"S", b"K", b"V", b"M", b"D", b"N", b"Z"],
    ids=lambda k: f"type-{k.decode()}",
)
def test_only_regular_files_and_directories(way, capfd, data_dir, remote, s3_server, s3_bucket, kind):
    body = good_members() + header(f"{SUB}/odd", kind, 0) + member(f"{SUB}/after")
    publish(s3_server, s3_bucket, finish(body), **way())
    err = refused(capfd, data_dir, remote, "toy")
    assert f"has type {kind.decode()!r}; only regular files and directories are allowed" in err


@BOTH_WAYS
def test_old_style_regular_file_is_a_file(way, capfd, data_dir, remote, s3_server, s3_bucket):
    publish(
        s3_server,
        s3_bucket,
        finish(good_members() + member(f"{SUB}/old", b"v7", kind=b"\x00")),
        **way((f"{SUB}/old", b"v7")),
    )
    code, _, err = run(capfd, data_dir, remote, "toy")
    assert code == 0, err
    assert (data_dir / SUB / "old").read_bytes() == b"v7"


@BOTH_WAYS
def test_directory_with_data_is_refused(way, capfd, data_dir, remote, s3_server, s3_bucket):
    body = good_members() + header(f"{SUB}/d", b"5", 512) + data_blocks(header(f"{SUB}/x", b"0", 0))
    publish(s3_server, s3_bucket, finish(body), **way())
    assert "a directory with 512 bytes of data" in refused(capfd, data_dir, remote, "toy")


@BOTH_WAYS
def test_symlink_made_by_tarfile_is_refused_with_filters_removed(
    way, capfd, data_dir, remote, s3_server, s3_bucket, monkeypatch
):
    link = tarfile.TarInfo(f"{SUB}/up")
    link.type, link.linkname = tarfile.SYMTYPE, "../../.."
    from tests.hostile import tar_of

    publish(s3_server, s3_bucket, tar_of([(tarfile.TarInfo(SUB), None), (link, None)]), **way())
    monkeypatch.delattr(tarfile, "data_filter")
    err = refused(capfd, data_dir, remote, "toy")
    assert "lacks extraction filters" in err or "only regular files and directories" in err


# ---------------------------------------------------------------- record mismatch


@pytest.mark.parametrize(
    ("target", "changes", "message"),
    [
        ("toy", {"name": "evil", "tarball": "evil-1.0.0.tar.gz", "subdir": "evil/1.0.0"}, "describes evil 1.0.0"),
        ("toy-1.0.0", {"version": "2.0.0", "tarball": "toy-2.0.0.tar.gz", "subdir": "toy/2.0.0"}, "not toy 1.0.0"),
        ("s3", {"version": "2.0.0", "tarball": "toy-2.0.0.tar.gz", "subdir": "toy/2.0.0"}, "not toy 1.0.0"),
        ("toy", {"tarball": "other.tar.gz"}, "tarball 'other.tar.gz' should be 'toy-1.0.0.tar.gz'"),
        ("toy", {"subdir": "toy/2.0.0"}, "subdir 'toy/2.0.0' is not toy/1.0.0"),
        ("toy", {"subdir": "toy/a/b/1.0.0"}, "subdir 'toy/a/b/1.0.0' is not toy/1.0.0"),
        ("toy", {"subdir": ["toy/1.0.0", "toy/1.0.0/1.0.0"]}, "subdir entries 'toy/1.0.0' and 'toy/1.0.0/1.0.0' nest"),
        ("toy", {"subdir": ["toy/1.0.0", "toy/1.0.0"]}, "duplicate subdir entries"),
    ],
)
def test_record_must_match_the_request(capfd, data_dir, remote, s3_server, s3_bucket, target, changes, message):
    publish(s3_server, s3_bucket, finish(good_members()), **changes)
    target = f"s3://{s3_bucket}/{CHECKSUM_KEY}" if target == "s3" else target
    code, out, err = run(capfd, data_dir, remote, target)
    assert (code, out) == (1, "") and message in err, err
    assert not data_dir.exists()  # refused before anything was downloaded


def test_local_checksum_file_must_be_named_for_its_dataset(capfd, tmp_path, data_dir, remote, s3_server, s3_bucket):
    tarball = finish(good_members())
    publish(s3_server, s3_bucket, tarball)
    local = tmp_path / "mnist-3.0.1.json"
    local.write_text(json.dumps(record_for(tarball)))
    code, _, err = run(capfd, data_dir, remote, str(local))
    assert code == 1 and "describes toy 1.0.0, not mnist 3.0.1" in err


def test_multi_directory_install_is_all_or_nothing(capfd, data_dir, remote, s3_server, s3_bucket):
    subs = ["toy/a/1.0.0", "toy/b/1.0.0"]
    body = b"".join(directory(s) + member(f"{s}/new", b"new") for s in subs)
    publish(s3_server, s3_bucket, finish(body), subdir=subs)
    (data_dir / "toy" / "a" / "1.0.0").mkdir(parents=True)
    (data_dir / "toy" / "a" / "1.0.0" / "old").write_text("old")
    (data_dir / "toy" / "b").write_text("a file where a directory must go")  # the second rename fails
    err = refused(capfd, data_dir, remote, "--overwrite", "toy")
    assert f"cannot install into {str(data_dir)!r}" in err


# ---------------------------------------------------------------- interruption


def start_stalled_download(data_dir: Path, bucket: str, proxy, stall_after: int) -> subprocess.Popen:
    """download.py of "toy" through `proxy`, returned once the proxy has stalled after `stall_after` bytes
    (the HEADs and the checksum file, a few KB, pass first) and download.py has a temporary file or
    directory: it is then blocked mid-download, so a signal sent now is not a race."""
    proxy.stall_after(stall_after)
    argv = ["-o", str(data_dir), "--endpoint-url", proxy.endpoint, "-b", bucket, "--no-progress", "toy"]
    proc = start_script("download.py", *argv)
    give_up = time.monotonic() + 120  # a safety net that turns a hang into a failure, not a timing assertion
    while not (
        proxy.sent >= proxy.stall_at
        and data_dir.is_dir()
        and any(p.name.startswith(".dsbuild-tmp-") for p in data_dir.iterdir())
    ):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < give_up, "the download never reached the stall"
        time.sleep(0.01)
    return proc


@BOTH_WAYS
def test_sigkill_leftovers_are_removed_by_the_next_run(
    way, capfd, tmp_path, data_dir, remote, s3_server, s3_bucket, proxy
):
    payload = os.urandom(8 << 20)
    publish(
        s3_server, s3_bucket, finish(good_members() + member(f"{SUB}/shard", payload)), **way((f"{SUB}/shard", payload))
    )
    proc = start_stalled_download(data_dir, s3_bucket, proxy, len(payload) // 2)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    proxy.restore()
    leftovers = sorted(p.name for p in data_dir.iterdir() if p.name.startswith(".dsbuild-tmp-"))
    assert leftovers, "the run finished before it could be killed"
    # Someone else's file with a similar name is not ours to remove.
    (data_dir / ".dsbuild-tmp-notours").write_text("keep")
    code, _, err = run(capfd, data_dir, remote, "-v", "debug", "toy")
    assert code == 0, err
    for name in leftovers:
        assert f"removed {data_dir / name}, left by an interrupted run" in err
    assert sorted(p.name for p in data_dir.iterdir()) == [".dsbuild-tmp-notours", "_locks", "toy", "toy-1.0.0.json"]


def test_pack_removes_leftovers_of_a_killed_pack(tmp_path):
    from dsbuild.leftovers import remove_leftovers
    from tests.publish_helpers import make_built

    make_built(tmp_path)
    hexid = "0" * 32
    planted = [
        f".dsbuild-tmp-{hexid}-toy-1.0.0.tar.gz",
        f".dsbuild-tmp-{hexid}-toy-1.0.0.json",
        f".dsbuild-tmp-{hexid}-toy",
        f"_digests/.dsbuild-tmp-{hexid}-toy-1.0.0.tar.gz.json",
    ]
    kept = [f".dsbuild-tmp-{hexid}-toy_other-1.0.0.tar.gz", f".dsbuild-tmp-{hexid}-toy-1.0.0.tar.gz.keep"]
    (tmp_path / "_digests").mkdir()
    for name in planted + kept:
        (tmp_path / name).write_bytes(b"partial")
    (tmp_path / planted[2]).unlink()
    (tmp_path / planted[2]).mkdir()
    removed = remove_leftovers(tmp_path, "toy")
    assert sorted(str(p.relative_to(tmp_path)) for p in removed) == sorted(planted)
    assert all((tmp_path / name).exists() for name in kept)


# ---------------------------------------------------------------- locks and planted symlinks


def test_lock_file_symlink_is_not_followed(capfd, tmp_path, data_dir, remote, s3_server, s3_bucket):
    publish(s3_server, s3_bucket, finish(good_members()))
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (data_dir / "_locks").mkdir(parents=True)
    (data_dir / "_locks" / "toy.lock").symlink_to(victim)
    code, _, err = run(capfd, data_dir, remote, "toy")
    assert code == 2 and "the lock file" in err and "is a symbolic link; remove it" in err
    assert victim.read_text() == "precious"


def test_lock_dir_symlink_is_refused(capfd, tmp_path, data_dir, remote, s3_server, s3_bucket):
    publish(s3_server, s3_bucket, finish(good_members()))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data_dir.mkdir()
    (data_dir / "_locks").symlink_to(elsewhere)
    code, _, err = run(capfd, data_dir, remote, "toy")
    assert code == 2 and "_locks' is a symbolic link" in err
    assert list(elsewhere.iterdir()) == []


def test_planted_checksum_file_symlink_is_replaced_not_followed(
    capfd, tmp_path, data_dir, remote, s3_server, s3_bucket
):
    publish(s3_server, s3_bucket, finish(good_members()))
    victim = tmp_path / "victim"
    victim.write_text("precious")
    data_dir.mkdir()
    (data_dir / "toy-1.0.0.json").symlink_to(victim)
    code, _, err = run(capfd, data_dir, remote, "toy")
    assert code == 0, err
    assert victim.read_text() == "precious"
    assert not (data_dir / "toy-1.0.0.json").is_symlink()


def test_digest_cache_failure_is_a_warning(tmp_path, capfd):
    from dsbuild.artifact.tarball import pack
    from tests.publish_helpers import make_built

    make_built(tmp_path)
    (tmp_path / "_digests").write_text("a file where the cache dir goes")
    result = pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"])
    assert result.tarball.is_file() and result.record.members == 4
    assert "could not record the digest of toy-1.0.0.tar.gz" in capfd.readouterr().err


# ---------------------------------------------------------------- messages


def test_name_too_long_is_a_message(capfd, data_dir, remote, s3_server, s3_bucket):
    long_name = f"{SUB}/" + "n" * 300
    publish(s3_server, s3_bucket, finish(good_members() + pax({"path": long_name}) + member("p", b"x")))
    err = refused(capfd, data_dir, remote, "toy")
    assert "cannot extract" in err and "File name too long" in err


def test_data_dir_under_a_file_is_a_message(capfd, tmp_path, remote, s3_server, s3_bucket):
    publish(s3_server, s3_bucket, finish(good_members()))
    (tmp_path / "file").write_text("x")
    code, _, err = run(capfd, tmp_path / "file" / "data", remote, "toy")
    assert code == 1 and "cannot create the data dir" in err and "Not a directory" in err
    assert "Traceback" not in err


def test_json_nested_too_deep(capfd, data_dir, remote, s3_server, s3_bucket):
    publish(s3_server, s3_bucket, finish(good_members()), "[" * 100000 + "]" * 100000)
    code, _, err = run(capfd, data_dir, remote, "toy")
    assert code == 1 and "JSON nested deeper than 16 levels" in err and "Traceback" not in err


def test_odd_key_id_and_secret_never_printed(capfd, data_dir, s3_server, s3_bucket, monkeypatch):
    secret = 'Secret/with+odd=chars%0a\tand"quotes'
    monkeypatch.setenv("ARMORY_PRIVATE_S3_ID", "id with spaces\nand newline")
    monkeypatch.setenv("ARMORY_PRIVATE_S3_KEY", secret)
    remote = ["--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "--no-progress"]
    code, out, err = run(capfd, data_dir, remote, "-v", "trace", "toy")
    assert code == 2 and "ARMORY_PRIVATE_S3_ID holds a space, a control or a non-ASCII character" in err
    for leak in (secret, "Signature=", "X-Amz-Signature", "AWS4-HMAC-SHA256 Credential"):
        assert leak not in out + err


@pytest.mark.parametrize("endpoint", ["not a url", "http://127.0.0.1:1", "ftp://x"])
def test_bad_endpoint_is_a_message(capfd, data_dir, s3_bucket, endpoint):
    remote = ["--endpoint-url", endpoint, "-b", s3_bucket, "--no-progress"]
    code, _, err = run(capfd, data_dir, remote, "toy")
    assert code in (1, 2) and "error:" in err and "Traceback" not in err


def test_gzip_compress_roundtrip_helper_is_sane():
    """The raw tar crafted here is what tarfile reads (guards the guards)."""
    raw = gzip.decompress(finish(good_members() + member(f"{SUB}/f", b"abc")))
    import io

    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        assert [(m.name, m.size) for m in tar] == [(SUB, 0), (f"{SUB}/dataset_info.json", 2), (f"{SUB}/f", 3)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sha256", "a" * 64 + "\r\n", "invalid sha256"),
        ("name", "toy\n", "invalid name 'toy\\n'"),
        ("version", "1.0.0\n", "invalid version '1.0.0\\n'"),
        ("version", "\u0661.0.0", "invalid version"),  # an Arabic-Indic digit, which \d would accept
    ],
)
def test_values_with_line_ends_or_unicode_digits_are_refused(
    capfd, data_dir, remote, s3_server, s3_bucket, field, value, message
):
    publish(s3_server, s3_bucket, finish(good_members()), **{field: value})
    code, _, err = run(capfd, data_dir, remote, "toy")
    assert code == 1 and message in err
    assert not data_dir.exists()


@BOTH_WAYS
def test_sigterm_during_download_exits_143_and_leaves_nothing(way, data_dir, s3_bucket, s3_server, s3_creds, proxy):
    """SIGTERM while the server has stalled halfway through the tarball (so the moment is not a race)."""
    payload = os.urandom(8 << 20)
    publish(
        s3_server, s3_bucket, finish(good_members() + member(f"{SUB}/shard", payload)), **way((f"{SUB}/shard", payload))
    )
    proc = start_stalled_download(data_dir, s3_bucket, proxy, len(payload) // 2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    proxy.restore()
    assert proc.returncode == 143, err
    assert "terminated (SIGTERM); nothing was left half-written" in err
    assert sorted(p.name for p in data_dir.iterdir()) == ["_locks"]


def test_bad_region_is_a_message(capfd, data_dir, s3_server, s3_bucket, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us east/1")
    remote = ["--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "--no-progress"]
    code, _, err = run(capfd, data_dir, remote, "toy")
    assert code == 2 and "cannot set up the S3 client: Provided region_name 'us east/1'" in err
    assert "Traceback" not in err and not data_dir.exists()


class StalledObjectServer:
    """An S3 endpoint on 127.0.0.1 that announces `data` whole but sends only its first `sent` bytes, then
    waits with the connection open (a stalled server, not a closed one) until the test ends."""

    def __init__(self, data: bytes, sent: int) -> None:
        import http.server
        import threading

        self.sent = threading.Event()
        self.release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _headers(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()

            def do_HEAD(self) -> None:
                self._headers()

            def do_GET(self) -> None:
                self._headers()
                self.wfile.write(data[:sent])
                self.wfile.flush()
                server.sent.set()
                server.release.wait(120)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def temp_entries(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.iterdir() if p.name.startswith(".dsbuild-tmp-")] if data_dir.is_dir() else []


@BOTH_WAYS
def test_sigterm_while_the_server_stalls_exits_at_once(way, tmp_path, data_dir):
    """The read timeout is 60 s; SIGTERM must not wait for it, whichever thread is blocked on the socket."""
    payload = os.urandom(4 << 20)
    tarball = finish(good_members() + member(f"{SUB}/shard", payload))
    checksum = tmp_path / "toy-1.0.0.json"
    record = record_for(tarball, url="s3://bkt/datasets/toy-1.0.0.tar.gz", **way((f"{SUB}/shard", payload)))
    checksum.write_text(json.dumps(record))
    server = StalledObjectServer(tarball, sent=len(tarball) // 2)
    try:
        argv = ["-o", str(data_dir), "--endpoint-url", server.endpoint, "--public", "--no-progress", str(checksum)]
        proc = start_script("download.py", *argv)

        # Polled, not timed: signal once the server has sent all it will and download.py has begun writing.
        while proc.poll() is None and not (server.sent.is_set() and temp_entries(data_dir)):
            pass
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)  # well under the 60 s read timeout
    finally:
        server.close()
    assert proc.returncode == 143, err
    assert "terminated (SIGTERM); nothing was left half-written" in err
    assert sorted(p.name for p in data_dir.iterdir()) == ["_locks"]
