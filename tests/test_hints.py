"""Printed advice runs as printed (issue 22): each hint is parsed with shlex and run through the same entry
script, against the real S3 server and real data dirs; and the messages around them say what is true."""

from __future__ import annotations

import fcntl
import os
import pty
import shlex
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import build
import download
import upload
from dsbuild.options import forget_run, hint, remember_run
from dsbuild.paths import looks_like_path
from dsbuild.remote import download as download_workflow
from tests.helpers import ROOT
from tests.publish_helpers import make_tarball

SCRIPTS = {"build.py": build, "upload.py": upload, "download.py": download}


def run(capfd, script, *argv: str) -> tuple[int, str, str]:
    capfd.readouterr()
    try:
        code = script.main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capfd.readouterr()
    return code, out, err


def printed_command(text: str, marker: str) -> list[str]:
    """The command after `marker` on its line, split as a shell would."""
    line = next(line for line in text.splitlines() if marker in line)
    return shlex.split(line.split(marker, 1)[1].strip().strip("`"))


def run_as_printed(capfd, argv: list[str]) -> tuple[int, str, str]:
    assert argv[0] == "python" and argv[1] in SCRIPTS, argv
    return run(capfd, SCRIPTS[argv[1]], *argv[2:])


@pytest.fixture(autouse=True)
def no_run_left() -> Iterator[None]:
    yield
    forget_run()  # a test that called remember_run itself leaves no options behind


@pytest.fixture(autouse=True)
def loads(monkeypatch) -> None:
    """The fake datasets here do not load with TFDS: skip only the load check (as test_download_cli does)."""
    monkeypatch.setattr(download_workflow, "verify_built", lambda data_dir, subdirs: None)


@pytest.fixture
def odd_dir(tmp_path) -> Path:
    """A data dir whose name needs quoting: a hint that is not shell-quoted breaks on it."""
    return tmp_path / "my data $HOME 'x'"


@pytest.fixture
def published(tmp_path, remote, capfd) -> None:
    make_tarball(tmp_path / "build", payload=b"published payload")
    assert upload.main(["-o", str(tmp_path / "build"), *remote, "toy"]) == 0


def test_verify_repair_hint_runs_as_printed(capfd, odd_dir, remote, published, s3_server, s3_bucket) -> None:
    assert run(capfd, download, "-o", str(odd_dir), *remote, "toy")[0] == 0
    shard = next((odd_dir / "toy" / "1.0.0").glob("*.tfrecord*"))
    shard.write_bytes(b"changed")
    code, _, err = run(capfd, download, "-o", str(odd_dir), *remote, "--verify", "toy")
    assert code == 1
    argv = printed_command(err, "repair it with:")
    # Every option that chose what was acted on: the data dir, the bucket and the endpoint.
    assert argv == [
        "python",
        "download.py",
        "--overwrite",
        "toy-1.0.0",
        "-o",
        str(odd_dir),
        "-b",
        s3_bucket,
        "--endpoint-url",
        s3_server.endpoint,
    ]
    # A real shell splits the printed line into the same words (the data dir holds a space, $ and quotes).
    line = next(line for line in err.splitlines() if "repair it with:" in line).split("repair it with: ", 1)[1]
    words = subprocess.run(["bash", "-c", f"printf '%s\\0' {line}"], capture_output=True, check=True).stdout
    assert words.decode().split("\0")[:-1] == argv
    code, out, err = run_as_printed(capfd, argv)
    assert code == 0, err
    assert out.startswith("toy 1.0.0: repaired: downloaded again")
    code, out, _ = run(capfd, download, "-o", str(odd_dir), "--verify", "toy")
    assert code == 0 and "all 3 files match" in out


def test_verify_without_a_bucket_repairs_from_where_it_came(
    capfd, data_dir, remote, published, s3_server, s3_bucket, monkeypatch
) -> None:
    """As issue 22 tried it: `download.py -o DIR --verify NAME` names no bucket; the repair must not fall back
    to the default bucket, so it names the published checksum file the installed one records."""
    assert run(capfd, download, "-o", str(data_dir), *remote, "toy")[0] == 0
    next((data_dir / "toy" / "1.0.0").glob("*.tfrecord*")).unlink()
    code, _, err = run(capfd, download, "-o", str(data_dir), "--verify", "toy")
    assert code == 1
    argv = printed_command(err, "repair it with:")
    url = f"s3://{s3_bucket}/datasets/toy-1.0.0.json"
    assert argv == ["python", "download.py", "--overwrite", url, "-o", str(data_dir)]
    assert "add its --endpoint-url to that command" in err  # the record knows the bucket, not the server
    # The endpoint is this machine's setting (AWS_ENDPOINT_URL), as for any download.py run.
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    code, out, err = run_as_printed(capfd, argv)
    assert code == 0, err
    assert out.startswith("toy 1.0.0: repaired")
    assert run(capfd, download, "-o", str(data_dir), "--verify", "toy")[0] == 0


def test_an_install_from_armory_lines_is_verified_file_by_file_and_repaired_from_the_lines(
    capfd, tmp_path, odd_dir, s3_server, s3_bucket, s3_creds
) -> None:
    """Armory's lines give a tarball's size and sha256, no file list, under armory's own key names
    (`mnist/mnist_3.0.1.tar.gz`): the install records what the verified tarball held, so --verify compares
    every file, and its repair reads the lines again (no checksum file of ours is beside such a tarball)."""
    packed = make_tarball(tmp_path / "build", name="mnist", version="3.0.1", payload=b"armory's bytes")
    key = "mnist/mnist_3.0.1.tar.gz"
    s3_server.client().put_object(Bucket=s3_bucket, Key=key, Body=packed.tarball.read_bytes())
    s3_server.allow_anonymous_reads(s3_bucket)  # armory's lines are read anonymously
    lines = tmp_path / "lines"
    lines.mkdir()
    (lines / "mnist.txt").write_text(f"{s3_bucket} {key} {packed.record.size} {packed.record.sha256}\n")
    armory = ["--armory-checksums", str(lines), "--endpoint-url", s3_server.endpoint, "--no-progress"]
    code, out, err = run(capfd, download, "mnist", "-o", str(odd_dir), *armory)
    assert code == 0 and out.startswith("mnist 3.0.1: downloaded"), err
    code, out, err = run(capfd, download, "-o", str(odd_dir), "--verify", "mnist")
    assert code == 0 and "all 3 files match" in out, err

    next((odd_dir / "mnist" / "3.0.1").glob("*.tfrecord*")).write_bytes(b"changed")
    code, _, err = run(capfd, download, "-o", str(odd_dir), "--verify", "mnist")
    assert code == 1 and "changed: " in err
    # Without the lines' location in this run: armory-testbed's own lines, and the endpoint note.
    assert printed_command(err, "repair it with:") == [
        "python",
        "download.py",
        "--overwrite",
        "mnist",
        "--armory-checksums",
        "-o",
        str(odd_dir),
    ]
    assert "add its --endpoint-url to that command" in err
    # With them, the printed command repairs it as printed.
    code, _, err = run(capfd, download, "-o", str(odd_dir), "--verify", "mnist", *armory)
    assert code == 1
    argv = printed_command(err, "repair it with:")
    assert argv[:4] == ["python", "download.py", "--overwrite", "mnist"] and "-b" not in argv
    assert argv[-2:] == ["--armory-checksums", str(lines)]
    code, out, err = run_as_printed(capfd, argv)
    assert code == 0 and out.startswith("mnist 3.0.1: repaired: downloaded again"), err
    code, out, err = run(capfd, download, "-o", str(odd_dir), "--verify", "mnist")
    assert code == 0 and "all 3 files match" in out, err


def test_kept_it_hint_of_a_plain_download_runs_as_printed(capfd, odd_dir, remote, published) -> None:
    assert run(capfd, download, "-o", str(odd_dir), *remote, "toy")[0] == 0
    next((odd_dir / "toy" / "1.0.0").glob("*.tfrecord*")).write_bytes(b"changed")
    code, _, err = run(capfd, download, "-o", str(odd_dir), *remote, "toy")
    assert code == 1
    code, out, err = run_as_printed(capfd, printed_command(err, "pass --overwrite to repair it (download it again):"))
    assert code == 0, err
    assert out.startswith("toy 1.0.0: repaired")


def test_build_hints_carry_the_data_dir_and_parse_as_build_py_arguments(capfd, odd_dir) -> None:
    code, _, err = run(capfd, build, "--pack-only", "mnist", "-o", str(odd_dir))
    assert code == 2
    argv = printed_command(err.replace("`, ", "\n"), "build it first with")
    assert argv == ["python", "build.py", "-ds", "mnist", "-o", str(odd_dir)]
    args = build.make_parser().parse_args(argv[2:])  # building mnist needs the network: parse, do not run
    assert (args.dataset, args.output_directory) == (["mnist"], str(odd_dir))


def test_offline_build_hint_repeats_data_dir_config_and_download_dir(tmp_path) -> None:
    from dsbuild.build.catalog import load_catalog, lookup
    from dsbuild.build.preflight import rebuild_command

    entry = lookup(load_catalog(), "carla_over_obj_det_dev:1.0.0")
    argv = ["-ds", "x", "-o", str(tmp_path / "o d"), "--config", "c1", "--download-dir", str(tmp_path / "dl")]
    remember_run(build.make_parser().parse_args(argv))
    words = shlex.split(rebuild_command(entry))
    assert words == ["python", "build.py", "-ds", "carla_over_obj_det_dev:1.0.0", *argv[2:]]
    parsed = build.make_parser().parse_args(words[2:])
    assert (parsed.dataset, parsed.output_directory, parsed.config) == (
        ["carla_over_obj_det_dev:1.0.0"],
        str(tmp_path / "o d"),
        "c1",
    )


def test_armory_copy_hint_puts_the_name_before_the_optional_value() -> None:
    # --armory-checksums takes an optional DIR_OR_FILE: written before the name it would swallow it.
    remember_run(download.make_parser().parse_args(["--scenario", "s.json", "-o", "/d"]))
    words = shlex.split(hint("download.py", "mnist", "--armory-checksums", remote=False))
    parsed = download.make_parser().parse_args(words[2:])
    assert (parsed.targets, parsed.armory_checksums, parsed.output_directory) == (["mnist"], "", "/d")


def test_hint_repeats_only_the_options_the_target_script_takes(monkeypatch) -> None:
    args = download.make_parser().parse_args(
        ["-o", "rel dir", "-b", "bkt", "--endpoint-url", "http://127.0.0.1:1", "--public", "--prefix", "p/", "x"]
    )
    remember_run(args)
    here = os.path.abspath("rel dir")
    assert shlex.split(hint("download.py", "--overwrite", "x-1.0.0")) == [
        "python",
        "download.py",
        "--overwrite",
        "x-1.0.0",
        "-o",
        here,
        "-b",
        "bkt",
        "--endpoint-url",
        "http://127.0.0.1:1",
        "--prefix",
        "p/",
        "--public",
    ]
    assert shlex.split(hint("build.py", "-ds", "x")) == ["python", "build.py", "-ds", "x", "-o", here]
    # The script as the user reached it: a hint from ./tools/download.py names ./tools/build.py.
    monkeypatch.setattr(sys, "argv", ["./tools/download.py"])
    assert hint("build.py", "-ds", "x").startswith("python ./tools/build.py -ds x")
    remember_run(download.make_parser().parse_args(["x"]))
    assert hint("download.py", "x") == "python ./tools/download.py x"
    monkeypatch.chdir(ROOT)  # the scripts in the current directory: their bare names
    monkeypatch.setattr(sys, "argv", [str(ROOT / "download.py")])
    assert hint("download.py", "x") == "python download.py x"


@pytest.mark.parametrize(
    ("text", "is_path"),
    [
        ("toy", False),
        ("toy-1.0.0", False),
        ("MyData", False),
        ("./toy", True),
        ("out/toy/1.0.0", True),
        ("/abs", True),
        ("~/x", True),
        ("toy-1.0.0.tar.gz", True),
        ("toy-1.0.0.json", True),
    ],
)
def test_a_path_must_look_like_a_path(text: str, is_path: bool) -> None:
    assert looks_like_path(text) is is_path


def test_upload_name_is_a_name_even_beside_a_folder_of_that_name(
    capfd, tmp_path, data_dir, remote, s3_bucket, monkeypatch
) -> None:
    make_tarball(data_dir)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "toy").mkdir()  # the builder folder, named after its dataset
    code, out, err = run(capfd, upload, "-o", str(data_dir), *remote, "toy")
    assert code == 0, err
    assert out.startswith("toy 1.0.0: uploaded toy-1.0.0.tar.gz") and f"s3://{s3_bucket}/" in out
    code, _, err = run(capfd, upload, "-o", str(data_dir), *remote, "./toy")  # as a path: the folder
    assert code == 2 and "is not a built dataset" in err
    (tmp_path / "MyToy").mkdir()
    code, _, err = run(capfd, upload, "-o", str(data_dir), *remote, "MyToy")
    assert code == 2
    assert err.strip().splitlines() == [
        "error: 'MyToy' is not a dataset name (NAME, NAME:VERSION or NAME-VERSION); to name a directory or "
        "tarball, write it as a path: ./MyToy"
    ]


def test_armory_checksums_on_a_private_bucket_does_not_say_drop_public(
    capfd, tmp_path, data_dir, remote, s3_server, s3_bucket
) -> None:
    build_dir, lines = tmp_path / "build", tmp_path / "lines"
    make_tarball(build_dir)
    assert upload.main(["-o", str(build_dir), *remote, "toy", "--armory-checksums-dir", str(lines)]) == 0
    endpoint = ["--endpoint-url", s3_server.endpoint, "--no-progress"]
    code, _, err = run(capfd, download, "toy", "--armory-checksums", str(lines), "-o", str(data_dir), *endpoint)
    assert code == 1
    assert "--public" not in err.replace("upload.py --public", "")
    assert "access denied" in err and "--armory-checksums always reads anonymously" in err
    # Asked for by --public, the advice is to drop it.
    code, _, err = run(capfd, download, "--public", "-b", s3_bucket, "-o", str(data_dir), *endpoint, "toy")
    assert code == 1 and "drop --public to send your credentials" in err


def test_a_missing_bucket_is_bad_input(capfd, data_dir, s3_server, s3_creds) -> None:
    remote = ["--endpoint-url", s3_server.endpoint, "-b", "no-such-bucket-w", "--no-progress"]
    code, _, err = run(capfd, download, "-o", str(data_dir), *remote, "toy-1.0.0")
    assert code == 2 and "the bucket does not exist" in err and "check -b/--bucket" in err


def test_upload_says_up_to_date_once(capfd, data_dir, remote) -> None:
    make_tarball(data_dir)
    assert run(capfd, upload, "-o", str(data_dir), *remote, "toy")[0] == 0
    code, out, err = run(capfd, upload, "-o", str(data_dir), *remote, "toy")
    assert code == 0
    assert (out + err).count("up to date at") == 1 and "is up to date" not in err


def _stderr_through_pty(argv: list[str]) -> tuple[int, str]:
    """Run a script with a terminal as its stderr (as a user at a console has)."""
    master, slave = pty.openpty()
    # A real console's size: tqdm draws nothing on a terminal 0 columns wide.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed its side
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    result = subprocess.run(
        [sys.executable, str(ROOT / argv[0]), *argv[1:]],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        cwd=ROOT,
        timeout=300,
    )
    os.close(slave)
    reader.join(timeout=30)
    os.close(master)
    return result.returncode, b"".join(chunks).decode(errors="replace")


def test_progress_bar_on_a_terminal_only(capfd, data_dir, s3_server, s3_bucket, s3_creds) -> None:
    make_tarball(data_dir)
    code, err = _stderr_through_pty(
        ["upload.py", "-o", str(data_dir), "--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "toy"]
    )
    assert code == 0, err
    assert "toy-1.0.0.tar.gz: 100%" in err and "B/s]" in err
    # The same upload with stderr captured (not a terminal): no bar.
    make_tarball(data_dir, "two")
    code, _, err = run(capfd, upload, "-o", str(data_dir), "--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "two")
    assert code == 0 and "100%" not in err and "B/s]" not in err


def test_conftest_reports_what_it_drops_as_deselected(tmp_path) -> None:
    (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    (tmp_path / "test_x.py").write_text(
        "class TestCase:\n    def test_session(self):\n        pass\n\n    def test_real(self):\n        pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 deselected" in result.stdout


def test_pack_only_takes_the_same_rule(capfd, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "MyToy").mkdir()
    code, _, err = run(capfd, build, "--pack-only", "MyToy", "-o", str(tmp_path / "data"))
    assert code == 2
    assert "error: 'MyToy' is not a dataset name (NAME, NAME:VERSION or NAME-VERSION); to name a built " in err
    assert "write it as a path: ./MyToy" in err
    code, _, err = run(capfd, build, "--pack-only", "./MyToy", "-o", str(tmp_path / "data"))
    assert code == 2 and "is not a built dataset" in err
