"""`upload.py --card`: cards beside the tarballs and `datasets/index.html`, against the real S3 server.

One real build (examples/tiny_shapes, with its card) per module, plus small fake datasets published by
a second "maintainer"; upload.py's main runs in-process. One test opens the page in headless Chromium
over HTTP from the S3 server and follows its links.
"""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

from dsbuild.card import catalog as card_tools
from dsbuild.card.catalog import valid_summary
from dsbuild.remote import catalog as remote_catalog
from dsbuild.remote.location import RemoteOptions
from dsbuild.remote.upload import upload
from tests.helpers import EXAMPLE, load_script, run_main, run_script, screenshot_in_chromium
from tests.publish_helpers import make_tarball

pytestmark = pytest.mark.integration

UPLOAD = load_script("upload.py")
CONSOLE = re.compile(r"CONSOLE|Uncaught|SyntaxError|Refused|ERR_", re.IGNORECASE)
HOSTILE = "<script>alert(1)</script>"


@dataclass(frozen=True)
class Setup:
    server: object
    bucket: str
    mine: Path  # maintainer A's data dir: tiny_shapes, built for real
    theirs: Path  # maintainer B's: a fake dataset "other"

    def argv(self, data_dir: Path, *extra: str) -> list[str]:
        return ["--card", "-o", str(data_dir), "--endpoint-url", self.server.endpoint, "-b", self.bucket, *extra]

    def options(self) -> RemoteOptions:
        return RemoteOptions(bucket=self.bucket, endpoint_url=self.server.endpoint, progress=False)

    def get(self, key: str) -> dict:
        return self.server.client().get_object(Bucket=self.bucket, Key=key)

    def page(self) -> bytes:
        return self.get("datasets/index.html")["Body"].read()


@pytest.fixture(scope="module")
def setup(s3_server, s3_creds_module, tmp_path_factory: pytest.TempPathFactory) -> Setup:
    root = tmp_path_factory.mktemp("catalog")
    mine, theirs = root / "mine", root / "theirs"
    built = run_script("build.py", "-lcs", str(EXAMPLE), "-o", str(mine))  # no card: --card writes it
    assert built.returncode == 0, built.stderr[-3000:]
    make_tarball(theirs, "other", "2.0.0")
    (theirs / "other-2.0.0.card.html").write_text("<!DOCTYPE html><title>other</title><p>card of other</p>")
    s = Setup(s3_server, s3_server.create_bucket(), mine, theirs)
    assert all(r.error is None for r in upload(mine, [], s.options()) + upload(theirs, [], s.options()))
    return s


def test_each_maintainer_keeps_the_others_rows(setup: Setup, capsys) -> None:
    assert not (setup.mine / "tiny_shapes-1.0.0.card.html").exists()
    code, out, err = run_main(UPLOAD, setup.argv(setup.theirs), capsys)
    assert code == 0, err
    assert "other 2.0.0: card s3://" in out and "(2 dataset(s))" in out
    code, out, err = run_main(UPLOAD, setup.argv(setup.mine), capsys)
    assert code == 0, err
    assert f"tiny_shapes 1.0.0: card s3://{setup.bucket}/datasets/tiny_shapes-1.0.0.card.html (uploaded)" in out
    page = setup.page().decode()
    assert page.count("<section ") == 2
    assert '<a href="other-2.0.0.card.html">' in page and '<a href="tiny_shapes-1.0.0.card.html">' in page
    # tiny_shapes: examples per split and features from its card summary; the download and ARMORY commands.
    assert (
        "train: 48, test: 12" in page and "image: Image 16x16x3 uint8" in page and "label: ClassLabel 3 classes" in page
    )
    assert f"python download.py tiny_shapes:1.0.0 -b {setup.bucket}" in page
    assert "builder source " in page and "tensorflow_datasets " in page
    assert "<script" not in page.lower() and "http" not in page.split("<body>")[0]
    card = setup.get("datasets/tiny_shapes-1.0.0.card.html")
    assert card["ContentType"] == "text/html; charset=utf-8"
    assert card["Body"].read() == (setup.mine / "tiny_shapes-1.0.0.card.html").read_bytes()
    assert setup.get("datasets/index.html")["ContentType"] == "text/html; charset=utf-8"
    assert setup.get("datasets/tiny_shapes-1.0.0.card.json")["ContentType"] == "application/json"


def test_same_bucket_gives_the_same_bytes(setup: Setup, capsys) -> None:
    run_main(UPLOAD, setup.argv(setup.mine), capsys)
    first = setup.page()
    code, out, _ = run_main(UPLOAD, setup.argv(setup.mine), capsys)
    assert code == 0 and "(up to date)" in out
    assert setup.page() == first
    client = setup.server.client()
    listing = remote_catalog.list_published(client, setup.options())
    again = remote_catalog.render_page(client, setup.options(), listing, card_tools)
    assert again.encode() == first


def test_a_concurrent_publication_is_not_lost(setup: Setup, tmp_path: Path, capsys, monkeypatch) -> None:
    # Maintainer C publishes "late" right after A wrote the page from an older listing: A renders again.
    late_dir = tmp_path / "late"
    make_tarball(late_dir, "late", "1.0.0")
    real_put = remote_catalog.put_bytes
    published: list[str] = []

    def put_then_publish(client, bucket, key, data, content_type, public):
        written = real_put(client, bucket, key, data, content_type, public)
        if key.endswith("index.html") and not published:
            published.extend(r.name for r in upload(late_dir, [], setup.options()))
        return written

    monkeypatch.setattr(remote_catalog, "put_bytes", put_then_publish)
    code, _, err = run_main(UPLOAD, setup.argv(setup.mine, "--public"), capsys)
    assert code == 0 and published == ["late"], err
    page = setup.page().decode()
    assert '<section id="late-1.0.0">' in page and page.count("<section ") == 3


def test_hostile_bucket_contents_are_escaped(setup: Setup, tmp_path: Path, capsys) -> None:
    client = setup.server.client()
    make_tarball(tmp_path, "hostile", "1.0.0")
    assert upload(tmp_path, [], setup.options())[0].error is None
    summary = {
        "format": 1,
        "name": "hostile",
        "version": "1.0.0",
        "description": HOSTILE,
        "splits": [{"name": HOSTILE, "config": None, "examples": 3}],
        "features": [f"x: {HOSTILE}", '"><img src=x onerror=alert(1)>'],
    }
    client.put_object(Bucket=setup.bucket, Key="datasets/hostile-1.0.0.card.json", Body=json.dumps(summary).encode())
    client.put_object(Bucket=setup.bucket, Key=f"datasets/{HOSTILE}-1.0.0.json", Body=b"{}")  # not a dataset key
    client.put_object(Bucket=setup.bucket, Key="datasets/broken-1.0.0.json", Body=b"[[[[")  # malformed: left off
    client.put_object(Bucket=setup.bucket, Key="datasets/broken-1.0.0.tar.gz", Body=b"x")
    code, _, err = run_main(UPLOAD, setup.argv(setup.mine), capsys)
    assert code == 0, err
    assert "broken 1.0.0: left off the catalog" in err
    page = setup.page().decode()
    assert "<script" not in page.lower() and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert '<section id="hostile-1.0.0">' in page and "broken" not in page.split("<body>")[1].split("</table>")[0]
    for key in ("datasets/hostile-1.0.0.card.json", f"datasets/{HOSTILE}-1.0.0.json", "datasets/broken-1.0.0.json"):
        client.delete_object(Bucket=setup.bucket, Key=key)
    client.delete_object(Bucket=setup.bucket, Key="datasets/broken-1.0.0.tar.gz")


@pytest.mark.parametrize(
    "summary",
    [
        None,
        [],
        {"name": "x", "version": "1.0.0", "description": "", "splits": [], "features": []},  # another dataset
        {"name": "d", "version": "1.0.0", "description": "a" * 5000, "splits": [], "features": []},
        {"name": "d", "version": "1.0.0", "description": "", "splits": [{"name": "t", "examples": -1}], "features": []},
        {"name": "d", "version": "1.0.0", "description": "", "splits": [], "features": [{"a": 1}]},
    ],
)
def test_malformed_summaries_are_unknown(summary: object) -> None:
    assert valid_summary(summary, "d", "1.0.0") is None


def test_card_of_an_unpublished_dataset_is_refused(setup: Setup, tmp_path: Path, capsys) -> None:
    make_tarball(tmp_path, "unpub", "1.0.0")
    (tmp_path / "unpub-1.0.0.card.html").write_text("<p>x</p>")
    code, out, err = run_main(UPLOAD, setup.argv(tmp_path, "unpub"), capsys)
    assert code == 1 and "unpub 1.0.0: not published in s3://" in err and "catalog: s3://" in out


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [v or "" for k, v in attrs if tag == "a" and k == "href"]


def test_page_opens_in_headless_chromium_and_links_resolve(setup: Setup, tmp_path: Path, capsys) -> None:
    for maintainer in (setup.theirs, setup.mine):  # both cards there, whichever tests ran before
        run_main(UPLOAD, setup.argv(maintainer), capsys)
    setup.server.allow_anonymous_reads(setup.bucket)
    url = f"{setup.server.endpoint}/{setup.bucket}/datasets/index.html"
    shot = tmp_path / "catalog.png"
    result = screenshot_in_chromium(url, shot, tmp_path / "profile", "1000,900")
    assert result.returncode == 0 and shot.stat().st_size > 0, result.stderr[-3000:]
    assert not CONSOLE.search(result.stderr), result.stderr[-3000:]
    links = Links()
    links.feed(setup.page().decode())
    cards = sorted({h for h in links.hrefs if not h.startswith("#")})
    assert cards == ["other-2.0.0.card.html", "tiny_shapes-1.0.0.card.html"]  # the others have no card
    for href in cards:
        with urllib.request.urlopen(urljoin(url, href), timeout=10) as response:  # anonymous, over HTTP
            assert response.status == 200 and response.headers["Content-Type"] == "text/html; charset=utf-8"
            local = setup.mine / href if (setup.mine / href).exists() else setup.theirs / href
            assert response.read() == local.read_bytes()
    anchors = {h[1:] for h in links.hrefs if h.startswith("#")}
    assert anchors and all(f'<section id="{a}">' in setup.page().decode() for a in anchors)
