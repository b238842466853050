"""Shared pytest fixtures."""

# The real S3 server (SeaweedFS) and its fixtures, for the whole suite.
from tests.s3_server import aws_env, s3_bucket, s3_creds, s3_server  # noqa: F401
