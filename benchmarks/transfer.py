"""transfer.py: run.py's "extract" and "upload" sections, moving a packed tarball.

extract: verify + extract (`extract_tarball(expected=)`) against `sha256sum` + `tar xzf`.
upload: `dsbuild.remote.upload.upload` against bare boto3 `upload_file` with the best
TransferConfig of a part size × threads grid (the grid is a table of its own), on the
test S3 server (SeaweedFS on 127.0.0.1); and the hashing pass alone.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from common import (
    MIB,
    Fixture,
    Results,
    Row,
    Settings,
    alternate,
    fmt_s,
    fmt_size,
    run,
    s3_environment,
    s3_server_module,
    say,
    speed_row,
)
from pack import Packed

if TYPE_CHECKING:
    from tests.s3_server import WeedServer


# ---------------------------------------------------------------- verify + extract


def checked_tree_equal(a: Path, b: Path) -> None:
    """Both extractions must give the same files with the same sizes (cheap sanity check)."""
    sizes = [{str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()} for root in (a, b)]
    if sizes[0] != sizes[1]:
        raise RuntimeError(f"extractions differ: {a} vs {b}")


def bench_extract(fx: Fixture, packed: Packed, settings: Settings, results: Results) -> None:
    from dsbuild.artifact.checksums import ChecksumRecord
    from dsbuild.artifact.extract import extract_tarball

    work = settings.work / "extract"
    work.mkdir()
    record = ChecksumRecord(fx.name, fx.version, packed.size, packed.sha256, fx.subdirs)

    def ours(i: int) -> float:
        dest = work / f"ours-{i}"
        started = time.perf_counter()
        extract_tarball(packed.tarball, dest, fx.subdirs, expected=record)
        return time.perf_counter() - started

    def baseline(i: int) -> float:
        dest = work / f"base-{i}"
        dest.mkdir()
        return run(["sha256sum", str(packed.tarball)]) + run(["tar", "xzf", str(packed.tarball), "-C", str(dest)])

    ours_t, base_t = alternate(ours, baseline, settings.repeats, "verify + extract")
    checked_tree_equal(work / "ours-0", work / "base-0")
    results.rows.append(speed_row("verify + extract (extract_tarball(expected=))", ours_t, base_t, 4))
    shutil.rmtree(work)


# ---------------------------------------------------------------- upload


def bench_upload(fx: Fixture, packed: Packed, settings: Settings, results: Results) -> None:
    from boto3.s3.transfer import TransferConfig

    from dsbuild.artifact.tarball import pack
    from dsbuild.log import configure
    from dsbuild.remote import s3, s3_transfer
    from dsbuild.remote.location import RemoteOptions
    from dsbuild.remote.upload import upload

    WeedServer = s3_server_module().WeedServer  # noqa: N806

    configure("warning")
    work = settings.work / "upload"
    (work / "data").mkdir(parents=True)
    s3_environment(work)
    # As a user does it: build.py packs (tarball, checksum file and the digest taken while
    # packing, which lets upload.py skip reading the tarball again), then upload.py uploads.
    tarball = pack(fx.data_dir, fx.name, fx.version, fx.subdirs, out_dir=work).tarball
    server = WeedServer(work / "seaweedfs").start()
    try:
        bucket = server.create_bucket("dsbuild-bench")
        client = server.client()

        def bare(config: TransferConfig, key: str) -> float:
            started = time.perf_counter()
            server.client().upload_file(str(tarball), bucket, key, Config=config)
            elapsed = time.perf_counter() - started
            client.delete_object(Bucket=bucket, Key=key)
            compact(server)
            return elapsed

        grid: dict[tuple[int, int], float] = {}
        for part in settings.part_mib:
            for conc in settings.concurrency:
                config = TransferConfig(
                    multipart_threshold=part * MIB, multipart_chunksize=part * MIB, max_concurrency=conc
                )
                times = []
                for _ in range(settings.grid_repeats):
                    os.sync()
                    times.append(bare(config, f"grid/{part}-{conc}"))
                grid[part, conc] = packed.size / MIB / statistics.median(times)
                say(f"boto3 upload_file, {part} MiB parts × {conc} threads: {grid[part, conc]:.0f} MiB/s")
        best_part, best_conc = max(grid, key=grid.__getitem__)
        best = TransferConfig(
            multipart_threshold=best_part * MIB, multipart_chunksize=best_part * MIB, max_concurrency=best_conc
        )

        def ours(i: int) -> float:
            options = RemoteOptions(bucket=bucket, endpoint_url=server.endpoint, prefix=f"ours-{i}/", progress=False)
            started = time.perf_counter()
            statuses = [r.status for r in upload(work / "data", [str(tarball)], options)]
            elapsed = time.perf_counter() - started
            if statuses != [s3_transfer.UPLOADED]:
                raise RuntimeError(f"dsbuild.remote.upload.upload reported {statuses}, expected one upload")
            for key in s3.list_keys(client, bucket, f"ours-{i}/"):
                client.delete_object(Bucket=bucket, Key=key)
            compact(server)
            return elapsed

        ours_t, base_t = alternate(ours, lambda i: bare(best, f"base-{i}"), settings.repeats, "upload")
        started = time.perf_counter()
        s3_transfer.digest_for_upload(tarball)
        hashing = time.perf_counter() - started
    finally:
        server.stop()
    o, b = packed.size / MIB / statistics.median(ours_t), packed.size / MIB / statistics.median(base_t)
    results.rows.append(
        Row(
            f"upload {fmt_size(packed.size)} (dsbuild.remote.upload vs boto3 {best_part} MiB × {best_conc})",
            f"{o:.0f} MiB/s",
            f"{b:.0f} MiB/s",
            f"{o / b:.2f}×",
            "≥ 0.9× the throughput",
            o / b >= 0.9,
        )
    )
    results.rows.append(
        Row(
            "of which: digest_for_upload (tarball unchanged since packed: not read)",
            fmt_s(hashing),
            "-",
            "-",
            "-",
            None,
        )
    )
    current = (s3.PART_SIZE // MIB, s3.MAX_CONCURRENCY)
    results.extra.append(grid_table(grid, settings, (best_part, best_conc), current))


def compact(server: WeedServer) -> None:
    """Reclaim deleted objects' space now: keeps disk use at one tarball, and every upload on a compact store."""
    url = f"http://127.0.0.1:{server.ports['master.port']}/vol/vacuum?garbageThreshold=0.01"
    with urllib.request.urlopen(url, timeout=300) as response:
        response.read()


def grid_table(
    grid: dict[tuple[int, int], float], settings: Settings, best: tuple[int, int], current: tuple[int, int]
) -> str:
    lines = [
        f"boto3 `upload_file` of the tarball to the test server, MiB/s, median of {settings.grid_repeats} "
        "(**best**; dsbuild.remote.s3 now uses "
        f"{current[0]} MiB parts × {current[1]} threads):",
        "",
        "| part size | " + " | ".join(f"{c} threads" for c in settings.concurrency) + " |",
        "|---|" + "---:|" * len(settings.concurrency),
    ]
    for part in settings.part_mib:
        cells = []
        for conc in settings.concurrency:
            value = f"{grid[part, conc]:.0f}"
            cells.append(f"**{value}**" if (part, conc) == best else value)
        lines.append(f"| {part} MiB | " + " | ".join(cells) + " |")
    return "\n".join(lines)
