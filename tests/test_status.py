"""`upload.py --status` against the real S3 server: one bucket holding a dataset in each state.

Everything is built once per module (fake built datasets packed for real, uploaded with the real
workflow); each test runs upload.py's main in-process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from dsbuild.armory import checksum_lines
from dsbuild.artifact.checksums import INDEX_FILE_NAME
from dsbuild.artifact.provenance import BuildInputs, collect
from dsbuild.artifact.tarball import pack
from dsbuild.remote import status as status_module
from dsbuild.remote.location import RemoteOptions
from dsbuild.remote.upload import upload
from tests.helpers import load_script, run_main
from tests.publish_helpers import make_built
from tests.s3_server import ADMIN_ID, ADMIN_SECRET

UPLOAD = load_script("upload.py")


@dataclass(frozen=True)
class Bucket:
    endpoint: str
    bucket: str
    data_dir: Path
    armory_dir: Path

    def argv(self, *extra: str) -> list[str]:
        return [
            "--status",
            "-o",
            str(self.data_dir),
            "--endpoint-url",
            self.endpoint,
            "-b",
            self.bucket,
            "--armory-checksums-dir",
            str(self.armory_dir),
            *extra,
        ]


def _pack(data_dir: Path, name: str, payload: bytes, provenance: bool = True) -> None:
    make_built(data_dir, name, "1.0.0", payload)
    inputs = BuildInputs(name, "1.0.0", None, None, None, 1, None, ("build.py", "-ds", name))
    pack(data_dir, name, "1.0.0", [f"{name}/1.0.0"], provenance=collect(inputs) if provenance else None)


@pytest.fixture(scope="module")
def states(s3_server, s3_creds_module, tmp_path_factory: pytest.TempPathFactory) -> Bucket:
    """fresh: up to date everywhere; newer: rebuilt after publishing; remote: published from another machine;
    stale: index entry edited; armoryd: armory's line names other bytes; noprov: packed without provenance."""
    root = tmp_path_factory.mktemp("status")
    data_dir, elsewhere, armory_dir = root / "data", root / "elsewhere", root / "armory"
    bucket = s3_server.create_bucket()
    options = RemoteOptions(bucket=bucket, endpoint_url=s3_server.endpoint, progress=False)
    for name in ("fresh", "newer", "stale", "armoryd"):
        _pack(data_dir, name, name.encode() * 300)
    _pack(data_dir, "noprov", b"noprov" * 300, provenance=False)
    _pack(elsewhere, "remote", b"remote" * 300)
    results = upload(data_dir, [], options) + upload(elsewhere, [], options)
    assert sorted(r.status for r in results) == ["uploaded"] * 6
    # armory's lines: right for all but armoryd (its line names other bytes).
    for r in results:
        if r.name != "remote":
            sha = "0" * 64 if r.name == "armoryd" else r.sha256
            bucket_, key = r.tarball_url[5:].split("/", 1)
            checksum_lines.write(armory_dir, checksum_lines.ArmoryChecksum(r.name, bucket_, key, r.size, sha))
    index_path = data_dir / INDEX_FILE_NAME
    index = json.loads(index_path.read_text())
    index["stale"]["sha256"] = "f" * 64
    index_path.write_text(json.dumps(index))
    _pack(data_dir, "newer", b"rebuilt" * 300)  # a newer local build of a published version
    s3_server.client().put_object(Bucket=bucket, Key="datasets/fresh-1.0.0.card.html", Body=b"<p>card</p>")
    return Bucket(s3_server.endpoint, bucket, data_dir, armory_dir)


EXPECTED = {
    # name: (tarball, published, index, armory, provenance, card, disagrees)
    "armoryd": (True, "same", "same", "differs", True, False, True),
    "fresh": (True, "same", "same", "same", True, True, False),
    "newer": (True, "differs", "same", "same", True, False, True),
    "noprov": (True, "same", "same", "same", False, False, False),
    "remote": (False, "yes", "-", "-", True, False, False),
    "stale": (True, "same", "stale", "same", True, False, True),
}


def test_json_has_one_right_row_per_state(states: Bucket, capsys) -> None:
    code, out, err = run_main(UPLOAD, states.argv("--json"), capsys)
    assert code == 1, err
    report = json.loads(out)
    assert report["agrees"] is False and report["unknown"] == []
    rows = {r["name"]: r for r in report["rows"]}
    assert sorted(rows) == sorted(EXPECTED)
    for name, (tarball, published, index, armory, provenance, card, disagrees) in EXPECTED.items():
        row = rows[name]
        got = (row["tarball"], row["published"], row["index"], row["armory"], row["provenance"], row["card"])
        assert got == (tarball, published, index, armory, provenance, card), name
        assert bool(row["problems"]) is disagrees, (name, row["problems"])
        assert row["version"] == "1.0.0" and row["built"] is (name != "remote")
        assert row["published_size"] > 0 and len(row["published_sha256"]) == 64
    assert rows["newer"]["tarball_sha256"] != rows["newer"]["published_sha256"]


def test_table_names_each_disagreement(states: Bucket, capsys) -> None:
    code, out, _ = run_main(UPLOAD, states.argv(), capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["NAME", "VERSION", "BUILT", "TARBALL"]
    assert "newer 1.0.0: the local tarball differs from the published one" in out
    assert "stale 1.0.0: cached_datasets.json's entry differs from the published checksum file" in out
    assert "armoryd 1.0.0: armory's line names" in out
    assert lines[-1] == "6 dataset(s), 3 disagreeing, 0 source(s) unknown"


@pytest.mark.parametrize(("names", "code"), [(["fresh"], 0), (["noprov", "remote:1.0.0"], 0), (["stale"], 1)])
def test_exit_code_follows_the_named_rows(states: Bucket, capsys, names: list[str], code: int) -> None:
    got, out, err = run_main(UPLOAD, states.argv(*names), capsys)
    assert got == code, out + err
    assert len(out.splitlines()) == 1 + len(names) + (code == 1) + 1  # header, rows, problems, summary


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["nosuch"], "nosuch: not in "),
        (["../x"], "'../x' is not a dataset name"),
        (["--card"], "--status does not combine with --card"),
        (["--dry-run"], "--status does not combine with --dry-run"),
    ],
)
def test_bad_usage_is_exit_2(states: Bucket, capsys, extra: list[str], message: str) -> None:
    code, _, err = run_main(UPLOAD, states.argv(*extra), capsys)
    assert code == 2 and message in err and "Traceback" not in err


def test_json_without_status_is_bad_usage(capsys) -> None:
    code, _, err = run_main(UPLOAD, ["--json"], capsys)
    assert code == 2 and "--json goes with --status" in err


def test_unreachable_bucket_still_prints_the_local_columns(states: Bucket, s3_creds_module, capsys) -> None:
    s3_creds_module.delenv("ARMORY_PRIVATE_S3_ID")
    s3_creds_module.delenv("ARMORY_PRIVATE_S3_KEY")
    try:
        code, out, err = run_main(UPLOAD, states.argv("--json"), capsys)
    finally:
        s3_creds_module.setenv("ARMORY_PRIVATE_S3_ID", ADMIN_ID)
        s3_creds_module.setenv("ARMORY_PRIVATE_S3_KEY", ADMIN_SECRET)
    assert code == 1, err
    report = json.loads(out)
    assert len(report["unknown"]) == 1 and "no S3 credentials found" in report["unknown"][0]
    rows = {r["name"]: r for r in report["rows"]}
    assert "remote" not in rows  # known only to the bucket
    assert rows["fresh"]["published"] == "?" and rows["fresh"]["card"] is None
    assert rows["fresh"]["tarball"] is True and len(rows["fresh"]["tarball_sha256"]) == 64
    # The local checksum file knows its URL: the index and armory columns are still compared.
    assert (rows["stale"]["index"], rows["armoryd"]["armory"], rows["fresh"]["index"]) == ("stale", "differs", "same")


def test_changed_builder_source_is_a_disagreement(states: Bucket, tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / "datasets" / "srcchg"
    folder.mkdir(parents=True)
    (folder / "srcchg.py").write_text("VERSION = '1.0.0'\n")
    data_dir = tmp_path / "data"
    make_built(data_dir, "srcchg", "1.0.0")
    inputs = BuildInputs("srcchg", "1.0.0", folder, None, None, 1, None, ("build.py",))
    pack(data_dir, "srcchg", "1.0.0", ["srcchg/1.0.0"], provenance=collect(inputs))
    monkeypatch.setattr(status_module, "PROJECT_ROOT", tmp_path)
    argv = [*states.argv("srcchg", "--json")]
    argv[argv.index(str(states.data_dir))] = str(data_dir)
    code, out, _ = run_main(UPLOAD, argv, capsys)
    assert code == 1 and json.loads(out)["rows"][0]["source_changed"] is False  # only: not published
    (folder / "srcchg.py").write_text("VERSION = '1.0.0'  # edited\n")
    code, out, _ = run_main(UPLOAD, argv, capsys)
    row = json.loads(out)["rows"][0]
    assert code == 1 and row["source_changed"] is True
    assert row["problems"][0] == "the builder source srcchg/ changed since this build: rebuild it"


def test_malformed_local_checksum_file_is_a_disagreement(states: Bucket, tmp_path: Path, capsys) -> None:
    data_dir = tmp_path / "data"
    make_built(data_dir, "broken", "1.0.0")
    (data_dir / "broken-1.0.0.json").write_text("[[[[")
    argv = [*states.argv("broken", "--json")]
    argv[argv.index(str(states.data_dir))] = str(data_dir)
    code, out, _ = run_main(UPLOAD, argv, capsys)
    row = json.loads(out)["rows"][0]
    assert code == 1 and (row["built"], row["tarball"], row["published"]) == (True, False, "-")
    assert row["problems"] == [
        f"malformed checksum file {str(data_dir / 'broken-1.0.0.json')!r}: not JSON "
        "(Expecting value: line 1 column 5 (char 4)): repack it (build.py --pack-only)"
    ]


def test_one_listing_and_no_tarball_read(states: Bucket) -> None:
    from dsbuild.remote import s3

    client = s3.make_client(states.endpoint)
    calls: list[tuple[str, str]] = []
    client.meta.events.register(
        "provide-client-params.s3.*", lambda params, model, **_: calls.append((model.name, params.get("Key", "")))
    )
    options = RemoteOptions(bucket=states.bucket, endpoint_url=states.endpoint)
    report = status_module.status(states.data_dir, [], options, states.armory_dir, client=client)
    assert len(report.rows) == 6
    assert [c for c in calls if c[0] == "ListObjectsV2"] == [("ListObjectsV2", "")]
    gets = sorted(key for op, key in calls if op == "GetObject")
    assert gets == sorted(f"datasets/{n}-1.0.0.json" for n in EXPECTED)  # the checksum files, nothing else
    assert {op for op, _ in calls} == {"ListObjectsV2", "GetObject"}  # no HEAD needed: every tarball has one
