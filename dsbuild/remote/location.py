"""Where published datasets live: bucket, checksum bucket, key prefix and endpoint, as upload.py and download.py take them."""

from __future__ import annotations

from dataclasses import dataclass

from dsbuild.defaults import DEFAULT_PREFIX, PRIVATE_BUCKET, PUBLIC_BUCKET
from dsbuild.paths import checksum_file_name, tarball_name


@dataclass(frozen=True)
class RemoteOptions:
    bucket: str | None = None  # None: armory's private (or, with public, public) bucket
    checksum_bucket: str | None = None  # None: the same bucket
    prefix: str = DEFAULT_PREFIX
    endpoint_url: str | None = None
    public: bool = False
    progress: bool = True

    @property
    def tarball_bucket(self) -> str:
        return self.bucket or (PUBLIC_BUCKET if self.public else PRIVATE_BUCKET)

    @property
    def index_bucket(self) -> str:
        return self.checksum_bucket or self.tarball_bucket

    def tarball_key(self, name: str, version: str) -> str:
        return f"{self.prefix}{tarball_name(name, version)}"

    def checksum_key(self, name: str, version: str) -> str:
        return f"{self.prefix}{checksum_file_name(name, version)}"
