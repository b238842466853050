"""Shared pytest fixtures and collection rules."""

from __future__ import annotations

import pytest

# The real S3 server (SeaweedFS) and its fixtures, for the whole suite.
from tests.s3_server import aws_env, s3_bucket, s3_creds, s3_server  # noqa: F401


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tf.test.TestCase has a helper method named `test_session`, which pytest would
    # collect and TensorFlow then skips as "Not a test": it is not one, so drop it.
    items[:] = [item for item in items if item.name != "test_session"]
