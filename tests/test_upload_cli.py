"""upload.py as a user runs it: argv in, exit code and the exact lines out (real S3 server on 127.0.0.1)."""

from __future__ import annotations

import json

import pytest

import upload
from dsbuild.artifact.checksums import read_checksum_file
from tests.publish_helpers import make_tarball
from tests.s3_server import ADMIN_ID, ADMIN_SECRET


def run(capfd, *argv: str) -> tuple[int, str, str]:
    capfd.readouterr()  # drop what the test's own set-up logged
    code = upload.main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


def keys(s3_server, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3_server.client().list_objects_v2(Bucket=bucket).get("Contents", []))


def test_upload_by_name_then_rerun_is_up_to_date(capfd, data_dir, remote, s3_server, s3_bucket):
    packed = make_tarball(data_dir)
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 0, err
    url = f"s3://{s3_bucket}/datasets/toy-1.0.0.tar.gz"
    assert out.splitlines() == [
        f"toy 1.0.0: uploaded toy-1.0.0.tar.gz (2.4 KiB) to {url}".replace(
            "2.4 KiB", f"{packed.record.size / 1024:.1f} KiB"
        ),
        f"  checksum file: s3://{s3_bucket}/datasets/toy-1.0.0.json (uploaded)",
    ]
    assert keys(s3_server, s3_bucket) == ["datasets/toy-1.0.0.json", "datasets/toy-1.0.0.tar.gz"]
    # The published checksum file records the final URL, locally and remotely.
    local = read_checksum_file(packed.checksum_file)
    assert local.url == url and local.sha256 == packed.record.sha256
    body = s3_server.client().get_object(Bucket=s3_bucket, Key="datasets/toy-1.0.0.json")["Body"].read()
    assert json.loads(body) == local.to_json()
    index = json.loads((data_dir / "cached_datasets.json").read_text())
    assert index == {"toy": {**local.index_entry()}}

    code, out, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 0, err
    assert out.splitlines() == [
        f"toy 1.0.0: up to date at {url} (no bytes sent)",
        f"  checksum file: s3://{s3_bucket}/datasets/toy-1.0.0.json (up to date)",
    ]


def test_no_arguments_uploads_every_unpublished_tarball(capfd, data_dir, remote, s3_server, s3_bucket):
    make_tarball(data_dir, "one")
    make_tarball(data_dir, "two", "2.0.1")
    code, out, _ = run(capfd, "-o", str(data_dir), *remote)
    assert code == 0
    results = out.split("\n\nsummary")[0]
    assert [line.split(":")[0] for line in results.splitlines() if not line.startswith(" ")] == [
        "one 1.0.0",
        "two 2.0.1",
    ]
    assert "summary (2 of 2 succeeded):" in out
    code, out, err = run(capfd, "-o", str(data_dir), *remote)
    assert (code, out) == (0, f"nothing to upload: no unpublished tarballs in {data_dir}\n")
    assert "no unpublished tarballs" not in err  # said once, not logged as well


def test_a_conflict_does_not_stop_the_others(capfd, data_dir, remote, s3_server, s3_bucket):
    make_tarball(data_dir, "one", payload=b"first")
    assert run(capfd, "-o", str(data_dir), *remote, "one")[0] == 0
    make_tarball(data_dir, "one", payload=b"changed")  # now differs from what was published
    make_tarball(data_dir, "two", "2.0.1")
    make_tarball(data_dir, "three")
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "one", "two", "three")
    assert code == 1
    assert err.count("already exists and differs from one-1.0.0.tar.gz") == 1
    assert keys(s3_server, s3_bucket) == [
        "datasets/one-1.0.0.json",
        "datasets/one-1.0.0.tar.gz",
        "datasets/three-1.0.0.json",
        "datasets/three-1.0.0.tar.gz",
        "datasets/two-2.0.1.json",
        "datasets/two-2.0.1.tar.gz",
    ]
    summary = out.split("summary (2 of 3 succeeded):\n")[1].splitlines()
    assert [line.split()[:3] for line in summary] == [
        ["one", "1.0.0", "failed"],
        ["two", "2.0.1", "ok"],
        ["three", "1.0.0", "ok"],
    ]


def test_by_path_with_separate_checksum_bucket_and_prefix(capfd, tmp_path, remote, s3_server, s3_bucket):
    other = s3_server.create_bucket()
    packed = make_tarball(tmp_path / "elsewhere")
    code, _, err = run(
        capfd, "-o", str(tmp_path / "data"), *remote, "--checksum-bucket", other, "--prefix", "p/", str(packed.tarball)
    )
    assert code == 0, err
    assert keys(s3_server, s3_bucket) == ["p/toy-1.0.0.tar.gz"]
    assert keys(s3_server, other) == ["p/toy-1.0.0.json"]
    assert read_checksum_file(packed.checksum_file).url == f"s3://{s3_bucket}/p/toy-1.0.0.tar.gz"


def test_missing_checksum_file_is_created(capfd, data_dir, remote, s3_server, s3_bucket):
    packed = make_tarball(data_dir)
    packed.checksum_file.unlink()
    code, _, err = run(capfd, "-o", str(data_dir), *remote, str(packed.tarball))
    assert code == 0, err
    record = read_checksum_file(packed.checksum_file)
    assert (record.sha256, record.subdirs) == (packed.record.sha256, ("toy/1.0.0",))


def test_dry_run_touches_nothing(capfd, data_dir, remote, s3_server, s3_bucket):
    packed = make_tarball(data_dir)
    packed.checksum_file.unlink()
    code, out, _ = run(capfd, "-o", str(data_dir), *remote, "--dry-run")
    assert code == 0
    size = packed.record.size / 1024
    assert out == (
        f"would upload {packed.tarball} ({size:.1f} KiB) to s3://{s3_bucket}/datasets/toy-1.0.0.tar.gz, "
        f"checksum file to s3://{s3_bucket}/datasets/toy-1.0.0.json\n"
    )
    assert keys(s3_server, s3_bucket) == []
    # As packing left it (its digest cache included): the dry run wrote nothing.
    assert sorted(p.name for p in data_dir.iterdir()) == ["_digests", "toy", "toy-1.0.0.tar.gz"]


def test_tarball_disagreeing_with_its_checksum_file_is_never_published(capfd, data_dir, remote, s3_server, s3_bucket):
    packed = make_tarball(data_dir)
    record = json.loads(packed.checksum_file.read_text())
    record["sha256"] = "f" * 64
    packed.checksum_file.write_text(json.dumps(record))
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 1 and out == ""
    assert f"error: {str(packed.tarball)!r} does not match its checksum file" in err
    assert "not publishing it" in err
    assert keys(s3_server, s3_bucket) == []


def test_remote_that_differs_needs_force(capfd, data_dir, remote, s3_server, s3_bucket):
    make_tarball(data_dir, payload=b"first")
    assert run(capfd, "-o", str(data_dir), *remote, "toy")[0] == 0
    packed = make_tarball(data_dir, payload=b"second")
    code, _, err = run(capfd, "-o", str(data_dir), *remote, "toy")
    assert code == 1
    assert "already exists and differs from toy-1.0.0.tar.gz" in err and "pass --force to replace it" in err
    code, _, err = run(capfd, "-o", str(data_dir), *remote, "--force", "toy")
    assert code == 0, err
    head = s3_server.client().head_object(Bucket=s3_bucket, Key="datasets/toy-1.0.0.tar.gz")
    assert head["Metadata"]["sha256"] == packed.record.sha256


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["nope"], 2, "error: no tarball of 'nope' in {data} (nope-<version>.tar.gz); build it first with build.py"),
        (["missing/x.tar.gz"], 2, "error: 'missing/x.tar.gz' is neither a dataset name nor an existing tarball"),
        (["-b", "no-such-bucket-y"], 2, "error: bucket 'no-such-bucket-y' does not exist at http://127.0.0.1:"),
    ],
)
def test_bad_input(capfd, data_dir, remote, argv, code, message):
    make_tarball(data_dir)
    got, _, err = run(capfd, "-o", str(data_dir), *remote, *argv)
    assert got == code
    assert message.format(data=data_dir) in err
    assert len(err.strip().splitlines()) == 1


def test_wrong_secret_is_one_line_and_never_printed_even_at_trace(
    capfd, data_dir, s3_server, s3_bucket, aws_env, monkeypatch
):
    secret = "Wrong-But-Secret-abcdef123456"
    monkeypatch.setenv("ARMORY_PRIVATE_S3_ID", ADMIN_ID)
    monkeypatch.setenv("ARMORY_PRIVATE_S3_KEY", secret)
    make_tarball(data_dir)
    code, out, err = run(
        capfd, "-o", str(data_dir), "--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "-v", "trace", "toy"
    )
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and "access denied" in errors[0] and "ARMORY_PRIVATE_S3_KEY" in errors[0]
    assert secret not in out + err and ADMIN_SECRET not in out + err


def test_no_credentials(capfd, data_dir, s3_server, s3_bucket, aws_env):
    make_tarball(data_dir)
    code, _, err = run(capfd, "-o", str(data_dir), "--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "toy")
    assert code == 1
    assert "no S3 credentials found; set ARMORY_PRIVATE_S3_ID and ARMORY_PRIVATE_S3_KEY" in err


def test_endpoint_from_aws_endpoint_url(capfd, data_dir, s3_server, s3_bucket, s3_creds, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    make_tarball(data_dir)
    code, _, err = run(capfd, "-o", str(data_dir), "-b", s3_bucket, "--no-progress", "toy")
    assert code == 0, err


def test_no_progress_bar_on_a_non_terminal(capfd, data_dir, s3_server, s3_bucket, s3_creds):
    # The bar on a terminal: tests/test_hints.py::test_progress_bar_on_a_terminal_only.
    make_tarball(data_dir)
    code, _, err = run(capfd, "-o", str(data_dir), "--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "toy")
    assert code == 0
    assert "100%" not in err and "B/s]" not in err


def test_dry_run_of_a_built_directory_does_not_pack(capfd, data_dir, remote, s3_server, s3_bucket):
    from tests.publish_helpers import make_built

    version_dir = make_built(data_dir)
    code, out, err = run(capfd, "-o", str(data_dir), *remote, "--dry-run", str(version_dir))
    assert code == 0, err
    assert out == (
        f"would pack {data_dir / 'toy-1.0.0.tar.gz'}, then upload it to s3://{s3_bucket}/datasets/toy-1.0.0.tar.gz, "
        f"checksum file to s3://{s3_bucket}/datasets/toy-1.0.0.json\n"
    )
    assert sorted(p.name for p in data_dir.iterdir()) == ["toy"]
