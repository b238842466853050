"""scaling.py: run.py's "scaling" section, packing fixtures of growing size, each in its own process.

Rows: seconds per GiB of the largest fixture against the smallest (linear cost) and
their peak RSS (bounded memory); the per-size figures are a table of their own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import make_fixture
from common import (
    GIB,
    MIB,
    PYTHON,
    REPO,
    Fixture,
    Results,
    Row,
    Settings,
    fmt_s,
    fmt_size,
    make,
    run_json,
    say,
    user_compression_level,
)

# Peak RSS comes from the child's own VmHWM: ru_maxrss of a child started by this
# (large) process would report our RSS, which Linux carries over the exec.
PACK_CHILD = """
import json, re, sys, time
from pathlib import Path
from dsbuild.artifact.tarball import write_tarball
root, sub, dest, level = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
result = {}
if sub:
    started = time.perf_counter()
    write_tarball(root, [sub], dest, level)
    result["seconds"] = time.perf_counter() - started
status = Path("/proc/self/status").read_text()
result["rss_mib"] = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024
print(json.dumps(result))
"""


def bench_scaling(main: Fixture | None, pool: make_fixture.Pool, settings: Settings, results: Results) -> None:
    level = user_compression_level()
    dest = settings.work / "scale.tar.gz"
    # The same child with nothing to pack: interpreter + imports, the part of RSS that is not packing.
    idle_rss = run_json([PYTHON, "-c", PACK_CHILD, "-", "", str(dest), str(level)])["rss_mib"]
    rows = []
    for mib in settings.scale_mib:
        if main is not None and abs(main.size / MIB - mib) / mib < 0.05:
            fx = main
        else:
            fx = make(settings.work / f"scale-{mib}", mib, pool)
        os.sync()
        child = run_json([PYTHON, "-c", PACK_CHILD, str(fx.data_dir), fx.subdir, str(dest), str(level)])
        seconds = child["seconds"]
        dest.unlink()
        rows.append((fx.size, seconds, seconds / (fx.size / GIB), child["rss_mib"]))
        say(f"pack {fmt_size(fx.size)}: {fmt_s(seconds)}, {rows[-1][2]:.2f} s/GiB, peak RSS {rows[-1][3]:.0f} MiB")
        if fx is not main:
            shutil.rmtree(fx.data_dir)
    lines = [
        f"Packing scaling (ISA-L level {level}, each in its own process; RSS of the same process "
        f"importing dsbuild and packing nothing: {idle_rss:.0f} MiB):",
        "",
        "| dataset | seconds | s/GiB | peak RSS |",
        "|---:|---:|---:|---:|",
    ]
    lines += [f"| {fmt_size(size)} | {s:.2f} | {per:.2f} | {rss:.0f} MiB |" for size, s, per, rss in rows]
    results.extra.append("\n".join(lines))
    (small, _, small_per, small_rss), (large, _, large_per, large_rss) = rows[0], rows[-1]
    span = f"{fmt_size(large)} vs {fmt_size(small)}"
    per_ratio, rss_ratio = large_per / small_per, large_rss / small_rss
    results.rows.append(
        Row(
            f"pack s/GiB, {span} (linear cost)",
            f"{large_per:.2f} s/GiB",
            f"{small_per:.2f} s/GiB",
            f"{per_ratio:.2f}",
            "≤ 1.3",
            per_ratio <= 1.3,
        )
    )
    results.rows.append(
        Row(
            f"pack peak RSS, {span} (bounded memory)",
            f"{large_rss:.0f} MiB",
            f"{small_rss:.0f} MiB",
            f"{rss_ratio:.2f}",
            "≤ 1.25",
            rss_ratio <= 1.25,
        )
    )


# ---------------------------------------------------------------- the cost model of docs/scale.md

GB = 10**9
# Measured inputs, each with where it comes from (docs/scale.md says how to rerun them).
PACK_S_PER_GIB = 2.48  # README benchmark table: "pack s/GiB", 1 GiB fixture, page cache, 2 cores
EXTRACT_S_PER_GIB = 2.27  # README benchmark table: "verify + extract", 1 GiB: hash + inflate + guarded extract
MD5_MIB_S = 703  # hashlib md5, one core (the ETag check of already-uploaded parts when resuming)
SHA256_MIB_S = 1670  # hashlib sha256, one core (SHA-NI): a resumed download hashes the kept bytes again
BEAM_FIXED_S = 14.0  # README: Beam's fixed cost (worker start-up, gRPC, stage hand-offs)
BEAM_EFFICIENCY = 0.98  # benchmarks/README.md, beam.py: the work alone ran 1.96x faster on 2 workers
TFDS_FIXED_S = 4.5  # benchmarks/README.md, beam.py: in-process build with no work (0 rounds)
LIGHT_MS = 11.3  # benchmarks/README.md, beam.py: CPU per light synthetic example (no media work of its own)
TFDS_EXAMPLE_MS = 6.5  # benchmarks/README.md, beam.py librispeech: 2.6 s for 400 tiny utterances, in-process
# python benchmarks/example_cost.py: the media work of one example, on top of TFDS's own.
CARLA_MS, LIBRISPEECH_MS, UCF101_MS = 416, 14, 243
PART_DEFAULT = 32 * MIB  # dsbuild/remote/s3.py PART_SIZE
CONCURRENCY = 8  # dsbuild/remote/s3.py MAX_CONCURRENCY: parts in flight
MAX_PARTS = 10_000  # S3's limit of parts per multipart upload
LINKS = {"1 Gbit/s": 125 * 10**6, "10 Gbit/s": 1250 * 10**6}  # bytes per second


@dataclass(frozen=True)
class Dataset:
    name: str
    sources: int  # bytes to download (checksums.tsv, or TFDS's url_checksums for TFDS-core builders)
    examples: int  # every split of every config built
    armory_tarball: int  # bytes of the tarball armory publishes (built data, gzip -6)
    cost_ms: float  # CPU per example while building (see docs/scale.md)
    extracted: bool = True  # TFDS extracts the sources (zip/tar.gz) before reading them


def checksums_bytes(name: str) -> int:
    """Total size of a builder's sources, from its checksums.tsv (url, size, sha256, file name)."""
    for category in ("datasets", "adversarial"):
        path = REPO / category / name / "checksums.tsv"
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            return sum(int(line.split("\t")[1]) for line in lines if line.strip() and not line.startswith("#"))
    raise FileNotFoundError(f"no checksums.tsv for {name}")


def largest_datasets() -> list[Dataset]:
    """The five ARMORY datasets with the largest published tarballs (/work/shared/armory_datasets.json facts)."""
    return [
        # 292,367 utterances (7 splits, one config); armory's tarball stores the audio as int64 samples.
        Dataset(
            "librispeech_full",
            checksums_bytes("librispeech_full"),
            292_367,
            107_515_352_340,
            LIBRISPEECH_MS + TFDS_EXAMPLE_MS,
        ),
        # TFDS core: configs 2014 + 2017 + 2017_panoptic (12 source zips, TFDS url_checksums), 532,740 examples.
        Dataset("coco", 68_256_330_367, 532_740, 87_331_889_854, LIGHT_MS),
        # 13,320 videos decoded into JPEG frames (one config).
        Dataset("ucf101_clean", checksums_bytes("ucf101_clean"), 13_320, 31_827_610_914, UCF101_MS + TFDS_EXAMPLE_MS),
        # TFDS core: two HDF5 files read in place (no extraction), 376,485 examples of float32 tensors.
        Dataset("so2sat", 55_566_178_216, 376_485, 16_609_760_583, LIGHT_MS, extracted=False),
        # 4,800 examples of 2 x 1280x960 images (RGB + depth) re-encoded as PNG.
        Dataset(
            "carla_over_obj_det_train",
            checksums_bytes("carla_over_obj_det_train"),
            4_800,
            14_396_331_191,
            CARLA_MS + TFDS_EXAMPLE_MS,
        ),
    ]


def part_size(size: int) -> int:
    """max(the default, ceil(size / 10,000) rounded up to a MiB): under S3's 10,000 parts up to 5 TB."""
    per_part = -(-size // MAX_PARTS)
    return max(PART_DEFAULT, -(-per_part // MIB) * MIB)


def fmt_time(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def fmt_gb(size: float) -> str:
    return f"{size / GB:.1f} GB"


def cost_model(workers: Sequence[int] = (2, 8, 32)) -> str:
    """The tables of docs/scale.md, computed from the inputs above."""
    rows = largest_datasets()
    out = [
        "| dataset | sources | examples | extracted | built | tarball | disk at peak | parts × part size |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for d in rows:
        extracted = d.sources if d.extracted else 0
        built = tarball = d.armory_tarball  # gzip keeps already-compressed media at ~1.00 (README: 1.004)
        part = part_size(tarball)
        parts = -(-tarball // part)
        peak = d.sources + extracted + built + tarball
        out.append(
            f"| {d.name} | {fmt_gb(d.sources)} | {d.examples:,} | {fmt_gb(extracted)} | {fmt_gb(built)} | "
            f"{fmt_gb(tarball)} | {fmt_gb(peak)} | {parts:,} × {part // MIB} MiB |"
        )
    link = LINKS["1 Gbit/s"]
    out += [
        "",
        "| dataset | download sources | build, 1 core (TFDS) | build, Beam on 2 cores | "
        + " | ".join(f"build, Beam × {w} workers" for w in workers[1:])
        + f" | pack (2 cores) | upload | bottleneck at 2 cores; at {workers[-1]} workers |",
        "|---|---:|---:|---:|" + "---:|" * (len(workers) - 1) + "---:|---:|---|",
    ]
    for d in rows:
        fetch = d.sources / link
        work = d.examples * d.cost_ms / 1000
        one_core = TFDS_FIXED_S + work
        beam = [BEAM_FIXED_S + work / (w * BEAM_EFFICIENCY) for w in workers]
        pack_s = d.armory_tarball / GIB * PACK_S_PER_GIB
        upload = d.armory_tarball / link

        def slowest(build: float, fetch: float = fetch, pack_s: float = pack_s, upload: float = upload) -> str:
            stages = {"download": fetch, "build": build, "pack": pack_s, "upload": upload}
            return max(stages, key=stages.__getitem__)

        out.append(
            f"| {d.name} | {fmt_time(fetch)} | {fmt_time(one_core)} | "
            + " | ".join(fmt_time(b) for b in beam)
            + f" | {fmt_time(pack_s)} | {fmt_time(upload)} | {slowest(beam[0])}; {slowest(beam[-1])} |"
        )
    out += [
        "",
        "| dataset | upload 1 Gbit/s | upload 10 Gbit/s | download + install 1 Gbit/s | "
        "download + install 10 Gbit/s | upload cut at 99 %, rerun: without resume; with | "
        "download cut at 99 %, rerun: without resume; with |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for d in rows:
        tarball = d.armory_tarball
        local = tarball / GIB * EXTRACT_S_PER_GIB  # hash + inflate + extract, in one pass beside the transfer
        up = {k: tarball / v for k, v in LINKS.items()}
        down = {k: max(tarball / v, local) for k, v in LINKS.items()}
        part = part_size(tarball)
        # Resume: check the parts already sent (MD5 of their local bytes), resend what was in flight.
        resume_up = 0.99 * tarball / (MD5_MIB_S * MIB) + CONCURRENCY * part / link
        # Resume: fetch the last 1 %, hash the whole file again, extract it locally.
        resume_down = 0.01 * tarball / link + tarball / (SHA256_MIB_S * MIB) + local
        out.append(
            f"| {d.name} | {fmt_time(up['1 Gbit/s'])} | {fmt_time(up['10 Gbit/s'])} | "
            f"{fmt_time(down['1 Gbit/s'])} | {fmt_time(down['10 Gbit/s'])} | "
            f"{fmt_time(up['1 Gbit/s'])}; {fmt_time(resume_up)} | "
            f"{fmt_time(down['1 Gbit/s'])}; {fmt_time(resume_down)} |"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Print docs/scale.md's cost model of the five largest ARMORY datasets (arithmetic only)."
    )
    parser.parse_args(argv)
    print(cost_model())
    return 0


if __name__ == "__main__":
    sys.exit(main())
