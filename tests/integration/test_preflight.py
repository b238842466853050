"""Preflight: a build whose sources cannot be reached fails in seconds with the offline recipe."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dsbuild.build import preflight
from tests.helpers import EXAMPLE, ROOT

PAYLOAD = b"source bytes\n" * 100


@pytest.fixture
def silent_host() -> Iterator[str]:
    """A TCP port on 127.0.0.1 that accepts connections (the kernel does) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"127.0.0.1:{server.getsockname()[1]}"


def builder_with_source(tmp_path: Path, url: str) -> Path:
    folder = tmp_path / "src" / EXAMPLE.name
    shutil.copytree(EXAMPLE, folder)
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    (folder / "checksums.tsv").write_text(f"{url}\t{len(PAYLOAD)}\t{sha}\tsource.bin\n", encoding="utf-8")
    return folder


def build(folder: Path, data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(ROOT / "build.py"), "-lcs", str(folder), "-o", str(data_dir), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=30)


@pytest.mark.parametrize("kind", ["unresolvable", "silent"])
def test_unreachable_source_fails_fast_with_the_manual_dir_hint(tmp_path: Path, kind: str, silent_host: str) -> None:
    host = "sources.example.invalid" if kind == "unresolvable" else silent_host
    folder = builder_with_source(tmp_path, f"http://{host}/data/source.bin")
    data_dir = tmp_path / "out"
    out = build(folder, data_dir)  # timeout=30: TimeoutExpired fails the test
    assert out.returncode == 1, out.stderr
    assert "source.bin" in out.stderr and str(len(PAYLOAD)) in out.stderr
    assert hashlib.sha256(PAYLOAD).hexdigest() in out.stderr
    assert f"python build.py -lcs {folder} -o {data_dir} --manual-dir DIR" in out.stderr
    assert not data_dir.exists()  # nothing left behind


def test_dry_run_finds_a_verified_file_in_the_manual_dir(tmp_path: Path, silent_host: str) -> None:
    folder = builder_with_source(tmp_path, f"http://{silent_host}/data/source.bin")
    manual = tmp_path / "manual"
    manual.mkdir()
    (manual / "source.bin").write_bytes(PAYLOAD)
    out = build(folder, tmp_path / "out", "--dry-run", "--manual-dir", str(manual))
    assert out.returncode == 0, out.stderr
    assert f"present: {manual / 'source.bin'}" in out.stdout
    assert "does not answer" not in out.stdout  # nothing missing: no host asked
    assert not (tmp_path / "out").exists()


def test_a_file_with_the_wrong_bytes_is_not_present(tmp_path: Path) -> None:
    f = preflight.SourceFile("http://h/x", len(PAYLOAD), hashlib.sha256(PAYLOAD).hexdigest(), "x")
    (tmp_path / "x").write_bytes(PAYLOAD[:-1] + b"?")
    assert preflight.find_present([f], tmp_path / "downloads", tmp_path) == {}
    (tmp_path / "x").write_bytes(PAYLOAD)
    assert preflight.find_present([f], tmp_path / "downloads", tmp_path) == {"http://h/x": tmp_path / "x"}


@pytest.mark.parametrize("status", [405, 403, 404, 500])
def test_a_host_that_refuses_head_still_counts_as_reachable(status: int) -> None:
    class RefuseHead(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RefuseHead)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host = f"127.0.0.1:{server.server_address[1]}"
        assert preflight.check_hosts({host: f"http://{host}/data/source.bin?x=1"}, budget=5) == {}
    finally:
        server.shutdown()
        server.server_close()


def test_a_closed_port_counts_as_unreachable() -> None:
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{probe.getsockname()[1]}"
    down = preflight.check_hosts({host: f"http://{host}/x"}, budget=5)
    assert "ConnectionRefusedError" in down[host]


def tfds_new_style_builder(tmp_path: Path, url: str = "https://todo-data-url") -> Path:
    """tiny_shapes made to look like a fresh `tfds new` builder: a comments-only checksums.tsv and a
    placeholder download URL in _split_generators (its homepage URL is not a download)."""
    folder = tmp_path / "src" / EXAMPLE.name
    shutil.copytree(EXAMPLE, folder)
    module = folder / f"{EXAMPLE.name}.py"
    text = module.read_text(encoding="utf-8")
    text = text.replace(
        "        return {split: self._generate_examples(split) for split in SPLIT_SIZES}",
        f"        dl_manager.download_and_extract({url!r})\n"
        "        return {split: self._generate_examples(split) for split in SPLIT_SIZES}",
    )
    module.write_text(text, encoding="utf-8")
    (folder / "checksums.tsv").write_text("# TODO(tiny_shapes): If your dataset downloads files, then the checksums\n")
    return folder


def test_source_urls_are_the_download_literals_only(tmp_path: Path) -> None:
    folder = tfds_new_style_builder(tmp_path)
    assert preflight.source_urls(folder / f"{EXAMPLE.name}.py") == ["https://todo-data-url"]
    assert preflight.source_urls(EXAMPLE / f"{EXAMPLE.name}.py") == []  # homepage= and docstrings left out


def test_tfds_new_builder_plan_is_unknown_and_its_invented_host_fails_fast(tmp_path: Path) -> None:
    """Issue 22 item 4: a comments-only checksums.tsv is "plan unknown", not "downloads nothing"; the host of
    the URL in the builder's source is probed, so the build is refused in seconds with nothing left."""
    folder = tfds_new_style_builder(tmp_path)
    data_dir = tmp_path / "out"
    dry = build(folder, data_dir, "--dry-run")  # timeout=30: TimeoutExpired fails the test
    assert dry.returncode == 0, dry.stderr
    assert (
        f"tiny_shapes 1.0.0: the plan is unknown: {folder / 'checksums.tsv'} lists no files (only comments"
        in dry.stdout
    )
    assert "downloads nothing" not in dry.stdout
    assert "URLs in its source: https://todo-data-url" in dry.stdout
    assert "host todo-data-url does not answer" in dry.stdout
    assert "not counted, plan unknown: tiny_shapes" in dry.stdout  # the totals say what they leave out

    out = build(folder, data_dir)
    assert out.returncode == 1, out.stderr
    assert "its downloads are not listed" in out.stderr and "todo-data-url:" in out.stderr
    assert "tfds output:" not in out.stderr  # refused before any `tfds build` child
    assert not data_dir.exists()  # no download dir, no temporary directories


def test_a_failed_download_leaves_no_temporary_directory(tmp_path: Path) -> None:
    """The host answers (preflight passes) but the file is missing (404): TFDS fails at once, and the
    `<file>.tmp.<uuid>` directory it downloaded into is removed with the partial build."""

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self.do_HEAD()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        folder = tfds_new_style_builder(tmp_path, f"http://127.0.0.1:{server.server_address[1]}/missing.bin")
        data_dir = tmp_path / "out"
        cmd = [sys.executable, str(ROOT / "build.py"), "-lcs", str(folder), "-o", str(data_dir)]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    finally:
        server.shutdown()
        server.server_close()
    assert out.returncode == 1, out.stderr
    assert "HTTP code: 404" in out.stderr
    (log,) = (data_dir / "_logs").glob("build-tiny_shapes-*.log")
    assert ".tmp." in log.read_text()  # TFDS did start a download into a temporary directory
    assert [p for p in data_dir.rglob("*") if ".tmp." in p.name] == []
    assert not (data_dir / "tiny_shapes").exists()
