"""Round trip through a real S3 server: build → upload.py → delete → download.py → same examples.

Every step runs the entry scripts as child processes, as a user would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.helpers import EXAMPLE, ROOT

NAME, VERSION = "tiny_shapes", "1.0.0"
TARBALL_KEY = f"datasets/{NAME}-{VERSION}.tar.gz"

# Every example of every split of two data dirs, compared feature by feature.
COMPARE = """
import sys
import numpy as np
import tensorflow_datasets as tfds

def examples(version_dir):
    builder = tfds.builder_from_directory(version_dir)
    out = {}
    for split in sorted(builder.info.splits):
        rows = list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))
        out[split] = rows
    return out

a, b = examples(sys.argv[1]), examples(sys.argv[2])
assert a.keys() == b.keys(), (a.keys(), b.keys())
count = 0
for split in a:
    assert len(a[split]) == len(b[split]) > 0, split
    for x, y in zip(a[split], b[split]):
        assert x.keys() == y.keys()
        for key in x:
            assert np.array_equal(np.asarray(x[key]), np.asarray(y[key])), (split, key)
        count += 1
print(f"equal: {count} examples")
"""


def run(*argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.integration
@pytest.mark.skipif(not (ROOT / "build.py").exists() or not EXAMPLE.is_dir(), reason="the build pipeline is absent")
def test_build_upload_delete_download_round_trip(tmp_path, s3_server, s3_bucket, s3_creds):
    data = tmp_path / "data"
    built = run("build.py", "-lcs", str(EXAMPLE), "-o", str(data))
    assert built.returncode == 0, built.stderr[-3000:]
    assert (data / f"{NAME}-{VERSION}.tar.gz").is_file()

    remote = ["--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "--no-progress"]
    uploaded = run("upload.py", "-o", str(data), *remote)
    assert uploaded.returncode == 0, uploaded.stderr
    assert f"{NAME} {VERSION}: uploaded {NAME}-{VERSION}.tar.gz" in uploaded.stdout
    admin = s3_server.client()
    first = admin.head_object(Bucket=s3_bucket, Key=TARBALL_KEY)

    # "Delete the local data dir": keep it aside only as the reference to compare with.
    reference = tmp_path / "reference"
    shutil.move(data, reference)
    downloaded = run("download.py", "-o", str(data), *remote, NAME)
    assert downloaded.returncode == 0, downloaded.stderr
    assert downloaded.stdout.startswith(f"{NAME} {VERSION}: downloaded (")
    compared = run("-c", COMPARE, str(reference / NAME / VERSION), str(data / NAME / VERSION))
    assert compared.returncode == 0, compared.stderr[-3000:]
    assert compared.stdout.startswith("equal: ")

    # Re-running sends no bytes: by name from the original dir, and by the restored built
    # directory, which is packed again and, being reproducible, hashes the same.
    again = run("upload.py", "-o", str(reference), *remote, NAME)
    assert again.returncode == 0, again.stderr
    assert f"{NAME} {VERSION}: up to date at s3://{s3_bucket}/{TARBALL_KEY} (no bytes sent)" in again.stdout
    repacked = run("upload.py", "-o", str(data), *remote, str(data / NAME / VERSION))
    assert repacked.returncode == 0, repacked.stderr
    assert "(no bytes sent)" in repacked.stdout
    last = admin.head_object(Bucket=s3_bucket, Key=TARBALL_KEY)
    assert (last["LastModified"], last["ETag"]) == (first["LastModified"], first["ETag"])

    present = run("download.py", "-o", str(data), *remote, "--card", NAME)
    assert present.returncode == 0, present.stderr
    assert "already present" in present.stdout
    # --card: the dataset card, with the checksum file's sha256, beside the downloaded dataset.
    card = (data / f"{NAME}-{VERSION}.card.html").read_text(encoding="utf-8")
    record = json.loads((data / f"{NAME}-{VERSION}.json").read_text())
    assert record["sha256"] in card and 'class="picture"' in card
