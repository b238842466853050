"""Child process: armory-testbed's own download code fetches one of our publications.

    python armory_fetch.py ENDPOINT CHECKSUMS_DIR DATASET_DIR NAME

Runs `armory.data.utils.download_verify_dataset_cache` unchanged except for the
URL it builds (`https://BUCKET.s3.us-east-2.amazonaws.com/KEY`), which is
pointed at ENDPOINT (path-style, as the test server serves it).
"""

from __future__ import annotations

import sys

from armory.data import utils


def main(argv: list[str]) -> int:
    endpoint, checksums_dir, dataset_dir, name = argv
    original = utils.download_requests
    prefix = ".s3.us-east-2.amazonaws.com/"

    def to_endpoint(url: str, dirpath: str, filename: str) -> None:
        bucket, key = url.removeprefix("https://").split(prefix, 1)
        original(f"{endpoint}/{bucket}/{key}", dirpath, filename)

    utils.download_requests = to_endpoint
    utils.add_checksums_dir(checksums_dir)
    utils.download_verify_dataset_cache(dataset_dir=dataset_dir, checksum_file=f"{name}.txt", name=name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
