"""cli.py: run.py's "cli" section, build.py --pack-only and download.py as whole processes (issue 12, item 8).

Each command runs as a user runs it (start-up, imports and verification included)
against the plain tools: `tar czf` + `sha256sum` for packing, and boto3
`download_file` + `sha256sum` + `tar xzf` for downloading from the test S3 server
(SeaweedFS on 127.0.0.1). Also the peak RSS of build.py --pack-only.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from common import (
    PYTHON,
    REPO,
    Fixture,
    PackOnlySideBySide,
    Results,
    Row,
    Settings,
    alternate,
    fmt_size,
    run,
    run_measured,
    s3_environment,
    s3_server_module,
    speed_row,
)

BOTO3_DOWNLOAD = """
import os, sys, boto3
client = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=os.environ["ARMORY_PRIVATE_S3_ID"],
                      aws_secret_access_key=os.environ["ARMORY_PRIVATE_S3_KEY"])
client.download_file(sys.argv[2], sys.argv[3], sys.argv[4])
"""


def load_cut_proxy() -> Any:
    """tests/cut_proxy.py, loaded by path as s3_server_module loads the server."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dsbuild_bench_cut_proxy", REPO / "tests" / "cut_proxy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_resume(server: Any, bucket: str, fx: Fixture, work: Path, size: int) -> tuple[int, float]:
    """download.py through a loopback proxy that cuts the network at 60 % of the tarball, then again with the
    network back: (bytes the server sent over both runs, seconds of the resumed run)."""
    from urllib.parse import urlparse

    url = urlparse(server.endpoint)
    proxy = load_cut_proxy().CutProxy((url.hostname, url.port))
    dest = work / "resume"
    cmd = [PYTHON, str(REPO / "download.py"), "-o", str(dest), "--endpoint-url", proxy.endpoint, "-b", bucket]
    cmd += ["--prefix", "cli/", "--no-progress", "--resume-above", "0", fx.name]
    try:
        proxy.cut_after(int(0.6 * size))
        cut = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if cut.returncode != 1 or "run the same command again to resume" not in cut.stderr:
            raise RuntimeError(f"the cut download did not keep its bytes: {cut.returncode} {cut.stderr[-2000:]}")
        proxy.restore()
        resumed_t = run(cmd)
    finally:
        proxy.close()
    shutil.rmtree(dest)
    return proxy.sent, resumed_t


def bench_cli(fx: Fixture, settings: Settings, results: Results) -> None:
    """build.py --pack-only and download.py as a user runs them, each a whole process, against the plain tools."""
    from dsbuild.remote.location import RemoteOptions
    from dsbuild.remote.upload import upload

    WeedServer = s3_server_module().WeedServer  # noqa: N806

    work = settings.work / "cli"
    work.mkdir()
    side = PackOnlySideBySide(fx, work)
    tarball = side.tarball

    ours_t, base_t = alternate(side.ours, side.baseline, settings.repeats, "build.py --pack-only")
    results.rows.append(speed_row(f"build.py --pack-only, whole process ({fmt_size(fx.size)})", ours_t, base_t, 8))
    peak = max(m.peak_rss for m in side.measured)
    results.rows.append(Row("build.py --pack-only peak RSS", fmt_size(peak), "-", "-", "≤ 150 MB", peak <= 150 * 10**6))
    side.base_tar.unlink()

    s3_environment(work)
    server = WeedServer(work / "seaweedfs").start()
    try:
        bucket = server.create_bucket("dsbuild-bench-cli")
        options = RemoteOptions(bucket=bucket, endpoint_url=server.endpoint, prefix="cli/", progress=False)
        upload(fx.data_dir, [str(tarball)], options)
        key = options.tarball_key(fx.name, fx.version)

        def download_ours(i: int) -> float:
            dest = work / f"ours-{i}"
            cmd = [PYTHON, str(REPO / "download.py"), "-o", str(dest), "--endpoint-url", server.endpoint]
            elapsed = run_measured([*cmd, "-b", bucket, "--prefix", "cli/", "--no-progress", fx.name]).wall
            shutil.rmtree(dest)
            return elapsed

        def download_base(i: int) -> float:
            dest, staged = work / f"base-{i}", work / f"base-{i}.tar.gz"
            dest.mkdir()
            elapsed = run([PYTHON, "-c", BOTO3_DOWNLOAD, server.endpoint, bucket, key, str(staged)])
            elapsed += run(["sha256sum", str(staged)]) + run(["tar", "xzf", str(staged), "-C", str(dest)])
            shutil.rmtree(dest)
            staged.unlink()
            return elapsed

        ours_t, base_t = alternate(download_ours, download_base, settings.repeats, "download.py")
        fetched, resumed_t = bench_resume(server, bucket, fx, work, tarball.stat().st_size)
    finally:
        server.stop()
    results.rows.append(
        speed_row(
            f"download.py, whole process (vs boto3 + sha256sum + tar xzf, {fmt_size(fx.size)})", ours_t, base_t, 2
        )
    )
    size = tarball.stat().st_size
    results.rows.append(
        Row(
            f"download.py cut at 60 %, run again: bytes fetched over both runs (tarball {fmt_size(size)}; "
            f"baseline: starting over)",
            fmt_size(fetched),
            fmt_size(int(1.6 * size)),
            f"{fetched / size:.2f}× the tarball",
            "≤ 1.5× the tarball",
            fetched <= 1.5 * size,
        )
    )
    results.rows.append(Row("of which: the resumed run, whole process", f"{resumed_t:.2f} s", "-", "-", "-", None))
    tarball.unlink(missing_ok=True)
    side.checksum.unlink(missing_ok=True)
