"""Issue 21 items 5 and 10: hostile metadata, records and numbers get a one-line message, never a traceback.

One table, each case through the real entry point in this process (download.py against the real S3 test
server, upload.py, build.py --pack-only / --check), asserting the exit code, one line on stderr naming the
fault, no "Traceback", and nothing installed or left under a temporary name. The parsers below them are
one bounded JSON loader and one ASCII-number parser (dsbuild.untrusted), tested directly at the end.
"""

from __future__ import annotations

import errno
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dsbuild.paths import TEMP_MARK
from dsbuild.untrusted import (
    MAX_DIGITS,
    UntrustedInputError,
    loads_json,
    parse_decimal,
    quote,
)
from tests.helpers import load_script, run_main
from tests.hostile import SUB, directory, finish, member, publish, record_for
from tests.publish_helpers import make_tarball
from tests.test_records import GOOD_KEYS, example, make_dataset

download = load_script("download.py")
upload = load_script("upload.py")
build = load_script("build.py")

DEEP = "[" * 100_000 + "]" * 100_000
FEATURES = b'{"featuresDict": {"features": {}}}'


@pytest.fixture(scope="module")
def s3_bucket(s3_server) -> str:
    return s3_server.create_bucket()


def metadata_tarball(info: str, features: bytes = FEATURES) -> tuple[bytes, dict]:
    """A tarball of dataset_info.json (raw text: JSON's Infinity is allowed here) and features.json, no shard."""
    files = ((f"{SUB}/dataset_info.json", info.encode()), (f"{SUB}/features.json", features))
    tarball = finish(directory(SUB) + b"".join(member(p, d) for p, d in files))
    listed = {p: {"size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for p, d in files}
    return tarball, {"files": listed}


def split(**fields: object) -> str:
    return json.dumps({"name": "toy", "splits": [{"name": "train", **fields}]})


# (id, dataset_info.json text, features.json, expected words in the message)
METADATA_CASES = [
    ("shardLengths-abc", split(shardLengths=["abc"]), FEATURES, "invalid shard length 'abc'"),
    ("shardLengths-Infinity", split(shardLengths=[1]).replace("[1]", "[Infinity]"), FEATURES, "Infinity is not"),
    ("shardLengths-1e400", split(shardLengths=[1]).replace("[1]", "[1e400]"), FEATURES, "too large"),
    ("shardLengths-huge", split(shardLengths=[10**30]), FEATURES, "digits"),
    ("splits-not-a-list", json.dumps({"name": "toy", "splits": "train"}), FEATURES, "splits must be a list"),
    ("template-not-a-string", split(shardLengths=["1"], filepathTemplate=5), FEATURES, "invalid filepathTemplate 5"),
    ("split-name-not-a-string", json.dumps({"splits": [{"name": ["x"]}]}), FEATURES, "invalid split name"),
    ("deep-features", split(shardLengths=[]), b"[" * 5000 + b"]" * 5000, "nested deeper than"),
    ("features-not-an-object", split(shardLengths=[]), b'{"featuresDict": 5}', "malformed featuresDict"),
    ("info-not-an-object", "[1, 2]", FEATURES, "is not a JSON object"),
]


@pytest.mark.parametrize(
    ("info", "features", "words"), [c[1:] for c in METADATA_CASES], ids=[c[0] for c in METADATA_CASES]
)
def test_hostile_metadata_in_a_tarball(info, features, words, capsys, data_dir, remote, s3_server, s3_bucket) -> None:
    tarball, files = metadata_tarball(info, features)
    publish(s3_server, s3_bucket, tarball, **files)
    err = refused(capsys, download, ["-o", str(data_dir), *remote, "toy"], data_dir)
    assert words in err


# (id, changes to the published checksum file, or its raw text; expected words)
RECORD_CASES: list[tuple[str, Callable[[bytes], dict | str], str]] = [
    (
        "size-10^400",
        lambda t: json.dumps(record_for(t)).replace(f'"size": {len(t)}', '"size": 1' + "0" * 400),
        "digits",
    ),
    (
        "size-5000-digits",
        lambda t: json.dumps(record_for(t)).replace(f'"size": {len(t)}', '"size": ' + "9" * 5000),
        "digits",
    ),
    ("size-1e400", lambda t: json.dumps(record_for(t)).replace(f'"size": {len(t)}', '"size": 1e400'), "too large"),
    ("size-absurd", lambda t: record_for(t, size=1 << 60), "absurd size"),
    ("deep-record", lambda t: DEEP, "nested deeper than"),
    ("long-version", lambda t: record_for(t, version="1" * 10_000), "invalid version '111"),
    ("long-subdir", lambda t: record_for(t, subdir="toy/" + "x" * 10_000), "subdir 'toy/xxx"),
    ("long-tarball", lambda t: record_for(t, tarball="y" * 10_000), "tarball 'yyy"),
    ("long-url", lambda t: record_for(t, url="s3://" + "u" * 10_000), "invalid url"),
]


@pytest.mark.parametrize(("change", "words"), [c[1:] for c in RECORD_CASES], ids=[c[0] for c in RECORD_CASES])
def test_hostile_published_record(change, words, capsys, data_dir, remote, s3_server, s3_bucket) -> None:
    tarball, _ = metadata_tarball(split(shardLengths=[]))
    publish(s3_server, s3_bucket, tarball, change(tarball))
    err = refused(capsys, download, ["-o", str(data_dir), *remote, "toy"], data_dir)
    assert words in err and "malformed checksum file" in err
    assert len(err) < 600  # 10 KB values are cut to 200 characters


ARMORY_SHA = "a" * 64
ARMORY_CASES = [
    ("size-10^400", "1" + "0" * 400, "at most 20 ASCII digits"),
    ("size-3900-digits", "9" * 3900, "at most 20 ASCII digits"),  # a line holds at most 4096 bytes
    ("superscript", "3³", "invalid size '3³'"),
    ("full-width", "１２３", "invalid size '１２３'"),
    ("absurd", str(1 << 60), "absurd size"),
]


@pytest.mark.parametrize(("size", "words"), [c[1:] for c in ARMORY_CASES], ids=[c[0] for c in ARMORY_CASES])
def test_hostile_armory_line(size, words, capsys, tmp_path, data_dir) -> None:
    (tmp_path / "toy.txt").write_text(f"armory-public-data datasets/toy-1.0.0.tar.gz {size} {ARMORY_SHA}\n")
    err = refused(capsys, download, ["-o", str(data_dir), "--armory-checksums", str(tmp_path), "toy"], data_dir)
    assert words in err and "malformed armory checksum file" in err


def test_a_100000_deep_check_target(capsys, tmp_path, data_dir) -> None:
    target = tmp_path / "toy-1.0.0.json"
    target.write_text(DEEP)
    err = refused(capsys, build, ["-o", str(data_dir), "--check", str(target)], data_dir)
    assert "nested deeper than 16 levels" in err


def test_the_index_being_a_directory_after_an_upload(capsys, data_dir, s3_server, s3_creds) -> None:
    make_tarball(data_dir)
    (data_dir / "cached_datasets.json").mkdir()
    remote = ["--endpoint-url", s3_server.endpoint, "-b", s3_server.create_bucket(), "--no-progress"]
    code, _, err = run_main(upload, ["-o", str(data_dir), *remote, "toy"], capsys)
    one_line(code, err)
    assert "cached_datasets.json' is a directory, not a regular file" in err and "(fix or delete it)" in err
    assert not any(TEMP_MARK in p.name for p in data_dir.rglob("*"))


def test_the_checksum_file_path_being_a_directory_after_a_download(
    capsys, data_dir, remote, s3_server, s3_bucket
) -> None:
    tarball, files = metadata_tarball(split(shardLengths=[]))
    publish(s3_server, s3_bucket, tarball, **files)
    (data_dir / "toy-1.0.0.json").mkdir(parents=True)
    code, _, err = run_main(download, ["-o", str(data_dir), *remote, "toy"], capsys)
    one_line(code, err)
    assert "toy-1.0.0.json': a directory is in its place" in err
    assert not any(TEMP_MARK in p.name for p in data_dir.rglob("*"))


def test_no_space_while_writing_the_checksum_file(capsys, monkeypatch, tmp_path) -> None:
    data_dir = tmp_path / "data"
    make_dataset(data_dir, [[example(GOOD_KEYS)]])
    before = sorted(p.name for p in data_dir.iterdir())

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("dsbuild.artifact.checksums.os.fsync", full)
    code, _, err = run_main(build, ["-o", str(data_dir), "--pack-only", "toy"], capsys)
    one_line(code, err)
    assert "No space left on device; free some space and run again" in err
    assert sorted(p.name for p in data_dir.iterdir() if p.name not in ("_locks", "_digests")) == before  # no tarball


def test_a_planted_temp_name_that_is_a_directory(capsys, tmp_path) -> None:
    data_dir = tmp_path / "data"
    make_dataset(data_dir, [[example(GOOD_KEYS)]])
    planted = data_dir / f"{TEMP_MARK}{'0' * 32}-toy-1.0.0.tar.gz"
    (planted / "inside").mkdir(parents=True)
    code, _, err = run_main(build, ["-o", str(data_dir), "--pack-only", "toy"], capsys)
    assert code == 0 and "Traceback" not in err, err
    assert (data_dir / "toy-1.0.0.tar.gz").is_file() and not planted.exists()


# ---------------------------------------------------------------- helpers


def one_line(code: int, err: str) -> None:
    """Exit 1 and one error line (info lines such as "packing ..." may come before it)."""
    assert code == 1, err
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error: ")]) == 1, err


def refused(capsys, script, argv: list[str], data_dir: Path) -> str:
    """Run an entry script in this process; expect exit 1 or 2, one line, nothing installed; return stderr."""
    capsys.readouterr()
    code, out, err = run_main(script, argv, capsys)
    assert code in (1, 2), err
    assert "Traceback" not in err and out == ""
    assert len(err.strip().splitlines()) == 1, err
    installed = [p for p in data_dir.rglob("*") if p.is_file() and "_locks" not in p.parts] if data_dir.exists() else []
    assert installed == [], installed
    return err


# ---------------------------------------------------------------- the parsers themselves


@pytest.mark.parametrize(
    "text", ["", "-1", "+1", "1.0", " 1", "1 ", "3³", "１２３", "٣", "1_000", "9" * (MAX_DIGITS + 1)]
)
def test_parse_decimal_takes_ascii_digits_only(text: str) -> None:
    with pytest.raises(UntrustedInputError):
        parse_decimal(text, "size")


def test_parse_decimal_bounds_and_accepts() -> None:
    assert parse_decimal("0042", "size") == 42
    assert parse_decimal("9" * MAX_DIGITS, "size") == int("9" * MAX_DIGITS)
    with pytest.raises(UntrustedInputError, match="absurd size 11"):
        parse_decimal("11", "size", maximum=10)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("NaN", "NaN is not a JSON number"),
        ("-Infinity", "-Infinity is not"),
        ("1e400", "too large"),
        ("1" * 5000, "5000 digits"),
        ("[" * 65 + "]" * 65, "nested deeper than 64"),
        ('"\\ud800', "not JSON"),
        (b"\xff", "not UTF-8"),
    ],
)
def test_loads_json_refuses_what_would_recurse_overflow_or_lie(text, words) -> None:
    with pytest.raises(UntrustedInputError, match=words):
        loads_json(text)


def test_loads_json_reads_ordinary_json_and_brackets_in_strings() -> None:
    assert loads_json('{"a": [1, 2.5, "[[[[", null, true]}', max_depth=2) == {"a": [1, 2.5, "[[[[", None, True]}


def test_quote_cuts_to_200_characters_and_says_how_long() -> None:
    assert quote("x" * 10) == repr("x" * 10)
    shown = quote("x" * 10_000)
    assert len(shown) < 230 and shown.endswith("... (10002 characters)")


def test_a_published_provenance_is_shown_cut_and_capped() -> None:
    from dsbuild.artifact.provenance import MAX_SHOWN_DIFFERENCES, side_by_side

    local = {"tools": {f"t{i}": "1" for i in range(100)}}
    remote = {"tools": {f"t{i}": "2" + "x" * 500 for i in range(100)}}
    shown = side_by_side(local, remote).splitlines()
    assert len(shown) == MAX_SHOWN_DIFFERENCES + 1 and shown[-1] == "  ... and 80 more"
    assert all(len(line) < 400 for line in shown)


def test_hostile_features_keys_are_cut_in_the_message(tmp_path: Path) -> None:
    from dsbuild.artifact.records import verify_built
    from dsbuild.errors import VerificationError

    make_dataset(tmp_path, [[example([f"k{i}" * 50 for i in range(1000)])]])
    with pytest.raises(VerificationError) as caught:
        verify_built(tmp_path, ["toy/1.0.0"])
    assert "has features" in str(caught.value) and len(str(caught.value)) < 1000


def test_a_checksum_file_that_is_a_fifo_is_never_opened(tmp_path: Path) -> None:
    import os

    from dsbuild.artifact.checksums import read_checksum_file
    from dsbuild.errors import ChecksumError

    os.mkfifo(tmp_path / "toy-1.0.0.json")
    with pytest.raises(ChecksumError, match="is a FIFO, not a regular file"):
        read_checksum_file(tmp_path / "toy-1.0.0.json")  # a hang here would be the bug
