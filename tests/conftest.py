"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.cut_proxy import CutProxy

# The real S3 server (SeaweedFS) and its fixtures, for the whole suite.
from tests.s3_server import aws_env, s3_bucket, s3_creds, s3_creds_module, s3_server  # noqa: F401


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data dir that does not exist yet (the scripts create it)."""
    return tmp_path / "data"


@pytest.fixture
def remote(s3_server, s3_bucket, s3_creds) -> list[str]:  # noqa: F811 - pytest fixtures by name
    """The options that point upload.py and download.py at the test server and bucket."""
    return ["--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "--no-progress"]


@pytest.fixture
def proxy(s3_server):  # noqa: F811 - pytest fixtures by name
    """A loopback proxy in front of the test server that can cut or stall the network mid-transfer."""
    url = urlparse(s3_server.endpoint)
    proxy = CutProxy((url.hostname, url.port))
    yield proxy
    proxy.close()
