#!/usr/bin/env python3
"""example_cost.py: CPU per example of the heavy part of three large builders, for docs/scale.md.

What each builder does to one example that costs more than TFDS's own per-example
work (~6.5 ms, measured by beam.py's librispeech case), on synthetic media of the
real datasets' mean size:
- carla_over_obj_det_train: two 1280x960 PNGs (RGB, depth) decoded and encoded again;
- librispeech_full: one 12.3 s 16 kHz FLAC utterance decoded by ffmpeg to int16 samples;
- ucf101_clean: one 7.2 s 320x240 25 fps video decoded by ffmpeg into JPEG frames (-q:v 2).
CPU is user + system of this process and its ffmpeg children.

    python benchmarks/example_cost.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import io
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from dsbuild.media_tools import ensure_on_path


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def per_call_ms(fn: Callable[[], object], repeats: int) -> float:
    started = cpu_seconds()
    for _ in range(repeats):
        fn()
    return (cpu_seconds() - started) / repeats * 1000


def ffmpeg(*args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["ffmpeg", "-v", "error", "-y", *args], input=stdin, capture_output=True, check=True).stdout


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    parser.add_argument("--repeats", type=int, default=5, help="examples timed per case (default: 5)")
    args = parser.parse_args(argv)
    if not ensure_on_path():
        print("ffmpeg is not available", file=sys.stderr)
        return 1
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:960, :1280].astype(np.float32)
    picture = (128 + 60 * np.sin(xx / 40) + 40 * np.cos(yy / 25))[..., None] + rng.normal(0, 8, (960, 1280, 3))
    png = io.BytesIO()
    Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)).save(png, format="PNG")

    def carla() -> None:
        for _ in range(2):  # RGB and depth
            pixels = np.asarray(Image.open(io.BytesIO(png.getvalue())).convert("RGB"))
            Image.fromarray(pixels).save(io.BytesIO(), format="PNG")

    with tempfile.TemporaryDirectory(prefix="dsbuild-cost-") as tmp:
        work = Path(tmp)
        noise = rng.normal(0, 3000, int(16000 * 12.3)).astype("<i2").tobytes()
        ffmpeg("-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "-", str(work / "u.flac"), stdin=noise)
        source = "testsrc2=size=320x240:rate=25:duration=7.2"
        ffmpeg("-f", "lavfi", "-i", source, "-c:v", "mpeg4", "-q:v", "5", str(work / "v.avi"))
        (work / "frames").mkdir()

        def librispeech() -> None:
            np.frombuffer(ffmpeg("-i", str(work / "u.flac"), "-f", "s16le", "-"), "<i2").astype(np.int64)

        def ucf101() -> None:
            ffmpeg("-i", str(work / "v.avi"), "-q:v", "2", str(work / "frames" / "%05d.jpg"))
            [p.read_bytes() for p in sorted((work / "frames").iterdir())]

        rows = [
            ("carla_over_obj_det_train", "2 x PNG 1280x960 decode + encode", per_call_ms(carla, args.repeats)),
            ("librispeech_full", "12.3 s FLAC decoded by ffmpeg", per_call_ms(librispeech, args.repeats)),
            ("ucf101_clean", "7.2 s 320x240 video to 180 JPEG frames", per_call_ms(ucf101, args.repeats)),
        ]
    print("| builder | work per example | CPU ms |\n|---|---|---:|")
    for name, what, ms in rows:
        print(f"| {name} | {what} | {ms:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
