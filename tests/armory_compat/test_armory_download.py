"""armory-testbed's checksum lines, both ways, against the real test S3 server.

upload.py publishes our tarball and writes armory-testbed's line; armory's own
`download_verify_dataset_cache` (only its URL pointed at the test server)
downloads, verifies and extracts it, and the dataset loads. download.py
--armory-checksums reads the same line and installs the same dataset.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dsbuild.armory.checksum_lines import parse_line
from tests.armory_compat.test_armory_reads_ours import _env
from tests.helpers import EXAMPLE, ROOT, run_script

pytestmark = pytest.mark.integration

NAME, VERSION = "tiny_shapes", "1.0.0"
LOADS = """
import sys
import tensorflow_datasets as tfds
builder = tfds.builder_from_directory(sys.argv[1])
print(sum(1 for split in builder.info.splits for _ in builder.as_dataset(split=split)))
"""


def _loads(version_dir: Path) -> int:
    result = subprocess.run(
        [sys.executable, "-c", LOADS, str(version_dir)], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return int(result.stdout.split()[-1])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("built")
    result = run_script("build.py", "-lcs", str(EXAMPLE), "-o", str(data))
    assert result.returncode == 0, result.stderr[-3000:]
    return data


def test_armory_downloads_what_upload_publishes(built, tmp_path, s3_server, s3_bucket, s3_creds) -> None:
    s3_server.allow_anonymous_reads(s3_bucket)  # armory reads its public bucket anonymously
    lines = tmp_path / "cached_s3_checksums"
    remote = ["--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "--no-progress"]
    uploaded = run_script("upload.py", "-o", str(built), *remote, "--armory-checksums-dir", str(lines))
    assert uploaded.returncode == 0, uploaded.stderr[-3000:]
    line = (lines / f"{NAME}.txt").read_text()
    tarball = built / f"{NAME}-{VERSION}.tar.gz"
    assert line == f"{s3_bucket} datasets/{NAME}-{VERSION}.tar.gz {tarball.stat().st_size} {_sha256(tarball)}\n"
    assert f"armory checksum line: {lines / f'{NAME}.txt'}" in uploaded.stdout

    dataset_dir = tmp_path / "armory_datasets"
    fetched = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests/armory_compat/armory_fetch.py"),
            s3_server.endpoint,
            *(str(lines),),
            str(dataset_dir),
            NAME,
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert fetched.returncode == 0, fetched.stderr[-3000:]
    # armory extracted the one top directory and merged it into its dataset dir: where its loaders look.
    assert _loads(dataset_dir / NAME / VERSION) > 0
    assert (dataset_dir / "cache" / f"{NAME}-{VERSION}.tar.gz").is_file()

    # The same line, read by download.py (anonymous), installs the same dataset.
    ours = tmp_path / "ours"
    downloaded = run_script(
        "download.py", NAME, "--armory-checksums", str(lines), "-o", str(ours), "--endpoint-url", s3_server.endpoint
    )
    assert downloaded.returncode == 0, downloaded.stderr[-3000:]
    assert f"{NAME} {VERSION}: downloaded" in downloaded.stdout
    assert sorted(p.name for p in (ours / NAME / VERSION).iterdir()) == sorted(
        p.name for p in (dataset_dir / NAME / VERSION).iterdir()
    )
    again = run_script(
        "download.py", NAME, "--armory-checksums", str(lines), "-o", str(ours), "--endpoint-url", s3_server.endpoint
    )
    assert again.returncode == 0 and "already present" in again.stdout, again.stderr[-2000:]


def test_a_tampered_line_is_refused_before_extraction(built, tmp_path, s3_server, s3_bucket, s3_creds) -> None:
    s3_server.allow_anonymous_reads(s3_bucket)
    lines = tmp_path / "lines"
    remote = ["--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "--no-progress"]
    published = run_script("upload.py", NAME, "-o", str(built), *remote, "--armory-checksums-dir", str(lines))
    assert published.returncode == 0, published.stderr[-2000:]
    good = parse_line((lines / f"{NAME}.txt").read_text(), NAME, "test")
    (lines / f"{NAME}.txt").write_text(f"{good.bucket} {good.key} {good.size} {'0' * 64}\n")
    out = tmp_path / "out"
    result = run_script(
        "download.py", NAME, "--armory-checksums", str(lines), "-o", str(out), "--endpoint-url", s3_server.endpoint
    )
    assert result.returncode == 1
    assert "sha256" in result.stderr
    assert not (out / NAME).exists()


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
