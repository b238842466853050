"""A real S3-compatible server for the tests: SeaweedFS `weed mini` on 127.0.0.1.

Registered for the whole suite from tests/conftest.py. The server itself lives in
`dsbuild.testing.s3` (also `python -m dsbuild.testing.s3` for trying the tools by
hand); here it gets fixed test identities, and the fixtures. The server starts once
per session on free loopback ports in a temporary directory and is stopped by its PID.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from dsbuild.testing import s3 as local_s3
from dsbuild.testing.s3 import PORT_OPTIONS, START_TIMEOUT, STOP_TIMEOUT, free_ports, weed_binary  # noqa: F401

ADMIN_ID = "dsbuild-test-admin"
ADMIN_SECRET = "AdminSecret-do-not-print-7f3a9c"
READER_ID = "dsbuild-test-reader"
READER_SECRET = "ReaderSecret-do-not-print-51be0d"

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


class WeedServer(local_s3.WeedServer):
    """The library's server with the tests' fixed admin and read-only identities."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, admin=(ADMIN_ID, ADMIN_SECRET), reader=(READER_ID, READER_SECRET))


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


@pytest.fixture(scope="module")
def s3_creds_module() -> Iterator[pytest.MonkeyPatch]:
    """`aws_env` + `s3_creds` for a whole module, for module-scoped fixtures that publish once."""
    with pytest.MonkeyPatch.context() as mp:
        for name in AWS_VARIABLES:
            mp.delenv(name, raising=False)
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        mp.setenv("ARMORY_PRIVATE_S3_ID", ADMIN_ID)
        mp.setenv("ARMORY_PRIVATE_S3_KEY", ADMIN_SECRET)
        yield mp


@pytest.fixture
def s3_creds(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The admin identity through armory's variables."""
    monkeypatch.setenv("ARMORY_PRIVATE_S3_ID", ADMIN_ID)
    monkeypatch.setenv("ARMORY_PRIVATE_S3_KEY", ADMIN_SECRET)


@pytest.fixture
def s3_bucket(s3_server: WeedServer) -> Iterator[str]:
    """A fresh, empty bucket for one test, deleted after it: SeaweedFS gives each bucket its own volumes and
    answers InternalError once about 57 buckets hold data, fewer than one worker's share of the tests."""
    name = s3_server.create_bucket()
    yield name
    empty_and_delete(s3_server, name)


def empty_and_delete(server: WeedServer, bucket: str) -> None:
    """Best effort: a test may have stopped the server or broken its bucket on purpose."""
    with contextlib.suppress(Exception):
        client = server.client(retries=0)
        for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        client.delete_bucket(Bucket=bucket)
