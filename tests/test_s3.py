"""dsbuild.remote.s3 against a real S3 server (SeaweedFS on 127.0.0.1), plus Stubber for faults it cannot make."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.response import StreamingBody
from botocore.stub import Stubber

from dsbuild.errors import ChecksumError, RemoteAccessError, RemoteConflictError, RemoteError, RemoteNotFoundError
from dsbuild.remote import s3, s3_transfer
from tests.publish_helpers import make_tarball, tree
from tests.s3_server import ADMIN_ID, WeedServer

MiB = 1024 * 1024
# The smallest parts S3 allows, so multipart is exercised with small files.
SMALL_PARTS = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2)


def write_random(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def count_calls(client, *operations: str) -> list[str]:
    """Record the named S3 operations the client sends (to prove that no bytes were sent)."""
    seen: list[str] = []
    for op in operations:
        client.meta.events.register(f"before-call.s3.{op}", lambda model, **kw: seen.append(model.name))
    return seen


@pytest.fixture
def client(s3_server: WeedServer, s3_creds: None):
    return s3.make_client(s3_server.endpoint)


@pytest.mark.parametrize("size", [0, 1000, 12 * MiB])
def test_local_digest_equals_the_checksum_the_server_reports(client, s3_bucket, tmp_path, size):
    path = write_random(tmp_path / "blob.bin", size)
    digest = s3_transfer.digest_for_upload(path, SMALL_PARTS)
    assert s3_transfer.upload_file(
        client, path, s3_bucket, "k/blob.bin", digest, config=SMALL_PARTS, progress=False
    ) == (s3_transfer.UPLOADED)
    remote = s3.head(client, s3_bucket, "k/blob.bin")
    assert remote == s3.RemoteObject(size=size, sha256=digest.sha256, s3_checksum=digest.s3_checksum)
    assert digest.s3_checksum.endswith("-3") == (size == 12 * MiB)  # composite over 3 parts
    assert client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_a_packed_tarball_is_not_read_again_to_upload(client, s3_bucket, tmp_path, monkeypatch):
    import builtins

    from dsbuild.artifact.tarball import pack
    from dsbuild.paths import DIGEST_CACHE_DIR

    (tmp_path / "toy" / "1.0.0").mkdir(parents=True)
    write_random(tmp_path / "toy" / "1.0.0" / "shard", 12 * MiB)
    tarball = pack(tmp_path, "toy", "1.0.0", ["toy/1.0.0"]).tarball
    real_open = builtins.open

    def no_reading_the_tarball(file, *args, **kwargs):
        # read_regular opens a descriptor it got from os.open: only paths can be the tarball
        assert not isinstance(file, (str, Path)) or Path(file) != tarball, "the tarball was read again"
        return real_open(file, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(builtins, "open", no_reading_the_tarball)
        remembered = s3_transfer.digest_for_upload(tarball, SMALL_PARTS)
    (tmp_path / DIGEST_CACHE_DIR / f"{tarball.name}.json").unlink()
    read = s3_transfer.digest_for_upload(tarball, SMALL_PARTS)
    assert (remembered.size, remembered.sha256, remembered.s3_checksum) == (read.size, read.sha256, None)
    # Uploaded multipart with only the whole-file sha256 known: still verified, and stored as the re-read says.
    s3_transfer.upload_file(client, tarball, s3_bucket, "k/toy.tar.gz", remembered, config=SMALL_PARTS, progress=False)
    assert s3.head(client, s3_bucket, "k/toy.tar.gz") == s3.RemoteObject(read.size, read.sha256, read.s3_checksum)


def test_identical_object_is_up_to_date_and_sends_no_bytes(client, s3_bucket, tmp_path):
    path = write_random(tmp_path / "a.bin", 6 * MiB)
    digest = s3_transfer.digest_for_upload(path, SMALL_PARTS)
    s3_transfer.upload_file(client, path, s3_bucket, "a.bin", digest, config=SMALL_PARTS, progress=False)
    sent = count_calls(client, "PutObject", "UploadPart", "CreateMultipartUpload")
    status = s3_transfer.upload_file(client, path, s3_bucket, "a.bin", digest, config=SMALL_PARTS, progress=False)
    assert status == s3_transfer.UP_TO_DATE
    assert sent == []


def test_different_object_is_refused_without_force_and_replaced_with_it(client, s3_bucket, tmp_path):
    first = write_random(tmp_path / "first.bin", 1000)
    second = write_random(tmp_path / "second.bin", 1000)
    s3_transfer.upload_file(client, first, s3_bucket, "x.bin", s3_transfer.digest_for_upload(first), progress=False)
    new = s3_transfer.digest_for_upload(second)
    with pytest.raises(RemoteConflictError, match=r"s3://.*/x\.bin already exists and differs .*pass --force"):
        s3_transfer.upload_file(client, second, s3_bucket, "x.bin", new, progress=False)
    assert s3.head(client, s3_bucket, "x.bin").sha256 == s3_transfer.digest_for_upload(first).sha256
    assert (
        s3_transfer.upload_file(client, second, s3_bucket, "x.bin", new, force=True, progress=False)
        == s3_transfer.UPLOADED
    )
    assert s3.head(client, s3_bucket, "x.bin").sha256 == new.sha256


def test_checksum_mismatch_after_upload_deletes_the_object(client, s3_bucket, tmp_path):
    path = write_random(tmp_path / "c.bin", 1000)
    digest = s3_transfer.digest_for_upload(path)
    # As if the server had stored other bytes: its checksum will not be the one expected.
    lying = s3_transfer.LocalDigest(digest.size, digest.sha256, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    with pytest.raises(ChecksumError, match=r"upload verification of s3://.*c\.bin failed: its SHA256 .*deleted it"):
        s3_transfer.upload_file(client, path, s3_bucket, "c.bin", lying, progress=False)
    assert s3.head(client, s3_bucket, "c.bin") is None


def test_wrong_secret_is_one_line_and_never_shown(s3_server, s3_bucket, aws_env, monkeypatch, tmp_path, capfd):
    secret = "Wrong-Secret-Value-0123456789"
    monkeypatch.setenv("ARMORY_PRIVATE_S3_ID", ADMIN_ID)
    monkeypatch.setenv("ARMORY_PRIVATE_S3_KEY", secret)
    client = s3.make_client(s3_server.endpoint)
    path = write_random(tmp_path / "d.bin", 100)
    with pytest.raises(RemoteAccessError) as info:
        s3.check_bucket(client, s3_bucket)
        s3_transfer.upload_file(client, path, s3_bucket, "d.bin", s3_transfer.digest_for_upload(path), progress=False)
    message = str(info.value)
    assert "\n" not in message
    assert "ARMORY_PRIVATE_S3_KEY" in message
    out, err = capfd.readouterr()
    assert secret not in message + out + err


def test_no_credentials_at_all(s3_server, s3_bucket, aws_env):
    client = s3.make_client(s3_server.endpoint)
    with pytest.raises(RemoteAccessError, match="no S3 credentials found; set ARMORY_PRIVATE_S3_ID and"):
        s3.check_bucket(client, s3_bucket)


def test_missing_bucket_is_reported_and_never_created(s3_server, client):
    with pytest.raises(RemoteNotFoundError, match=r"bucket 'no-such-bucket-x' does not exist .*never created"):
        s3.check_bucket(client, "no-such-bucket-x")
    names = [b["Name"] for b in s3_server.client().list_buckets()["Buckets"]]
    assert "no-such-bucket-x" not in names


def test_download_verifies_and_keeps_a_good_file(client, s3_bucket, tmp_path):
    path = write_random(tmp_path / "e.bin", 3 * MiB)
    digest = s3_transfer.digest_for_upload(path)
    s3_transfer.upload_file(client, path, s3_bucket, "e.bin", digest, progress=False)
    dest = tmp_path / "got.bin"
    s3_transfer.download_file(client, s3_bucket, "e.bin", dest, digest.size, digest.sha256, progress=False)
    assert dest.read_bytes() == path.read_bytes()


def test_download_with_wrong_sha256_is_deleted(client, s3_bucket, tmp_path):
    path = write_random(tmp_path / "f.bin", 5000)
    digest = s3_transfer.digest_for_upload(path)
    s3_transfer.upload_file(client, path, s3_bucket, "f.bin", digest, progress=False)
    dest = tmp_path / "got.bin"
    with pytest.raises(ChecksumError, match=r"sha256 of s3://.*f\.bin is .* but its checksum file says 0{64}"):
        s3_transfer.download_file(client, s3_bucket, "f.bin", dest, digest.size, "0" * 64, progress=False)
    assert not dest.exists()


def test_download_of_wrong_size_fetches_nothing(client, s3_bucket, tmp_path):
    path = write_random(tmp_path / "g.bin", 5000)
    digest = s3_transfer.digest_for_upload(path)
    s3_transfer.upload_file(client, path, s3_bucket, "g.bin", digest, progress=False)
    sent = count_calls(client, "GetObject")
    dest = tmp_path / "got.bin"
    with pytest.raises(ChecksumError, match="is 5000 bytes but its checksum file says 6000"):
        s3_transfer.download_file(client, s3_bucket, "g.bin", dest, 6000, digest.sha256, progress=False)
    assert sent == [] and not dest.exists()


def test_a_cut_stream_resumes_where_it_stopped_and_fails_when_it_makes_no_progress(tmp_path, aws_env):
    client = s3.make_client("http://127.0.0.1:9")  # never contacted: the stubber answers
    full = 1000
    stubber = Stubber(client)
    stubber.add_response("head_object", {"ContentLength": full}, {"Bucket": "bkt", "Key": "t.bin"})
    body = StreamingBody(io.BytesIO(b"x" * 400), full)  # the connection closes early
    stubber.add_response("get_object", {"Body": body, "ContentLength": full}, {"Bucket": "bkt", "Key": "t.bin"})
    # Reconnected from byte 400, not from 0; this one breaks before a byte: two cuts in a row end it.
    resumed = {"Body": StreamingBody(io.BytesIO(b""), 600), "ContentLength": 600, "ContentRange": "bytes 400-999/1000"}
    stubber.add_response("get_object", resumed, {"Bucket": "bkt", "Key": "t.bin", "Range": "bytes=400-"})
    dest = tmp_path / "t.bin"
    with stubber, pytest.raises(RemoteError, match=r"download of s3://bkt/t\.bin was cut short 2 times in a row"):
        s3_transfer.download_file(client, "bkt", "t.bin", dest, full, "0" * 64, progress=False)
    stubber.assert_no_pending_responses()
    assert not dest.exists()


def stubbed_object(data: bytes, bodies: list[tuple[bytes, int]]) -> tuple[s3.Client, Stubber]:
    """A client whose HEAD says len(data) and whose GETs send each (bytes, Content-Length) of `bodies` in turn,
    each after the first a Range request from where the one before stopped."""
    client = s3.make_client("http://127.0.0.1:9")  # never contacted: the stubber answers
    stubber = Stubber(client)
    stubber.add_response("head_object", {"ContentLength": len(data)}, {"Bucket": "bkt", "Key": "t.tar.gz"})
    offset = 0
    for sent, length in bodies:
        body = StreamingBody(io.BytesIO(sent), length)
        response, params = {"Body": body, "ContentLength": length}, {"Bucket": "bkt", "Key": "t.tar.gz"}
        if offset:
            response["ContentRange"] = f"bytes {offset}-{len(data) - 1}/{len(data)}"
            params["Range"] = f"bytes={offset}-"
        stubber.add_response("get_object", response, params)
        offset += len(sent)
    return client, stubber


def stream_into(data_dir: Path, record):
    from dsbuild.artifact.extract import extract_stream, extraction_limits

    def extract(stream: s3_transfer.ObjectStream) -> None:
        limits = extraction_limits(record, record.size)
        extract_stream(stream, "s3://bkt/t.tar.gz", data_dir, record.subdirs, limits=limits, expected=record)

    return extract


def test_a_stream_cut_short_is_resumed_from_where_it_stopped(tmp_path, aws_env):
    packed = make_tarball(tmp_path / "build", payload=os.urandom(300_000))
    data = packed.tarball.read_bytes()
    half = len(data) // 2
    client, stubber = stubbed_object(data, [(data[:half], len(data)), (data[half:], len(data) - half)])
    with stubber:
        s3_transfer.read_object(
            client, "bkt", "t.tar.gz", len(data), stream_into(tmp_path / "data", packed.record), progress=False
        )
    stubber.assert_no_pending_responses()
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["toy"]  # installed once; no staging dir left
    assert tree(tmp_path / "data" / "toy") == tree(tmp_path / "build" / "toy")


def test_a_server_sending_more_than_the_checksum_file_says_is_cut_off(tmp_path, aws_env):
    """HEAD agrees with the checksum file, GET does not: reading stops at the listed size, nothing installed."""
    packed = make_tarball(tmp_path / "build", payload=os.urandom(3000))
    data = packed.tarball.read_bytes()
    longer = data + os.urandom(1 << 20)
    client, stubber = stubbed_object(data, [(longer, len(longer))])
    with stubber, pytest.raises(ChecksumError, match=f"sends more than the {len(data)} bytes its checksum file says"):
        s3_transfer.read_object(
            client, "bkt", "t.tar.gz", len(data), stream_into(tmp_path / "data", packed.record), progress=False
        )
    assert tree(tmp_path / "data") == {}


def test_failed_multipart_upload_is_aborted(tmp_path, aws_env):
    """A part that fails for good: this run's own multipart upload is aborted, and no other."""
    from types import SimpleNamespace

    client = s3.make_client("http://127.0.0.1:9")  # never contacted: the handler below answers
    path = write_random(tmp_path / "m.bin", 11 * MiB)
    digest = s3_transfer.digest_for_upload(path, SMALL_PARTS)
    aborted: list[str] = []
    ok = SimpleNamespace(status_code=200, headers={})

    def respond(model, params, **kwargs):
        op = model.name
        if op == "HeadObject":
            return SimpleNamespace(status_code=404, headers={}), {"Error": {"Code": "404", "Message": "Not Found"}}
        if op == "CreateMultipartUpload":
            return ok, {"UploadId": "u1", "Bucket": "bkt", "Key": "m.bin"}
        if op == "UploadPart":
            return SimpleNamespace(status_code=500, headers={}), {"Error": {"Code": "InternalError", "Message": "x"}}
        if op == "AbortMultipartUpload":
            aborted.append(params["query_string"]["uploadId"])
            return ok, {}
        raise AssertionError(f"unexpected {op}")

    client.meta.events.register("before-call.s3", respond)
    with pytest.raises(RemoteError, match=r"upload of m\.bin to s3://bkt/m\.bin failed: .* answered InternalError"):
        s3_transfer.upload_file(client, path, "bkt", "m.bin", digest, config=SMALL_PARTS, progress=False)
    # Aborted once, by UploadId; never listed, so never another process's upload.
    assert aborted == ["u1"]
    assert not (tmp_path / "_uploads" / "m.bin.json").exists()  # nothing left to resume


def test_parse_s3_url():
    assert s3.parse_s3_url("s3://my-bucket/datasets/a-1.0.0.json") == ("my-bucket", "datasets/a-1.0.0.json")
    for bad in ("http://x/y", "s3://bucket", "s3:///key", "s3://UPPER/key"):
        with pytest.raises(RemoteError, match="is not an S3 URL"):
            s3.parse_s3_url(bad)


@pytest.mark.parametrize(
    ("size", "part"),
    [
        (0, 32 * MiB),
        (1, 32 * MiB),
        (100 * 1024**3, 32 * MiB),  # 100 GiB: 3,200 parts of the measured best size
        (320_000 * MiB + 1, 33 * MiB),  # just over 10,000 parts of 32 MiB: one MiB more
        (s3.MAX_OBJECT_SIZE, 525 * MiB),  # 5 TiB: 9,987 parts
    ],
)
def test_part_size_keeps_any_object_within_s3_limits(size, part):
    chosen = s3.part_size_for(size)
    assert chosen == part
    assert s3.MIN_PART_SIZE <= chosen <= s3.MAX_PART_SIZE and chosen % MiB == 0
    assert -(-size // chosen) <= s3.MAX_PARTS


def test_part_size_never_under_the_minimum_and_refuses_over_5_tib():
    assert s3.part_size_for(10 * MiB, preferred=1024) == 5 * MiB
    for size in range(0, s3.MAX_OBJECT_SIZE + 1, s3.MAX_OBJECT_SIZE // 997):
        assert -(-size // s3.part_size_for(size)) <= s3.MAX_PARTS
    with pytest.raises(s3.UsageError, match="larger than S3's limit"):
        s3.part_size_for(s3.MAX_OBJECT_SIZE + 1)


def test_credentials_are_cut_from_every_message():
    from dsbuild.log import add_secret

    add_secret("MY-SESSION-TOKEN-abc123\r")
    add_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    text = (
        "Invalid header value b'MY-SESSION-TOKEN-abc123\\r'; secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY; "
        "headers {'Authorization': 'AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=abc', "
        "'X-Amz-Security-Token': 'OTHER-TOKEN'}"
    )
    cut = s3.redact(text)
    for secret in ("MY-SESSION-TOKEN", "wJalrXUtnFEMI", "AKIA", "Signature=abc", "OTHER-TOKEN"):
        assert secret not in cut, cut
