#!/usr/bin/env python3
"""Benchmark: the cost of deterministic serialization, side by side in one run.

Builds one CPU-heavy builder (many examples, each a PNG-encoded image and 24
scalar features, so the feature map protobuf orders is large) through the real
`tfds build` child (dsbuild.build.tfds_child) with and without deterministic
serialization, alternating ABBA, and prints the median of each and their ratio
(goal: <= 1.05). Exits 1 if the goal is not met.

    python benchmarks/determinism.py [--examples 20000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.05

BUILDER = '''"""bench_serialize: many examples with a large feature map (benchmark only)."""

import numpy as np
import tensorflow_datasets as tfds

EXAMPLES = {examples}
SCALARS = [f"s{{i:02d}}" for i in range(24)]


class BenchSerialize(tfds.core.GeneratorBasedBuilder):
    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        features = {{"image": tfds.features.Image(shape=(32, 32, 3)), "label": tfds.features.ClassLabel(num_classes=10)}}
        features.update({{name: tfds.features.Scalar(dtype=np.float32) for name in SCALARS}})
        return self.dataset_info_from_configs(features=tfds.features.FeaturesDict(features))

    def _split_generators(self, dl_manager):
        return {{"train": self._generate_examples()}}

    def _generate_examples(self):
        rng = np.random.default_rng(0)
        for i in range(EXAMPLES):
            example = {{"image": rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), "label": i % 10}}
            example.update({{name: float(i) / (j + 1) for j, name in enumerate(SCALARS)}})
            yield i, example
'''


def write_builder(root: Path, examples: int) -> Path:
    folder = root / "bench_serialize"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "bench_serialize.py").write_text(BUILDER.format(examples=examples))
    return folder


def build(folder: Path, data_dir: Path, deterministic: bool) -> float:
    shutil.rmtree(data_dir, ignore_errors=True)
    result = data_dir.parent / f"{data_dir.name}.result"
    request = {
        "data_dir": str(data_dir),
        "name": folder.name,
        "version": "1.0.0",
        "all_examples": False,
        "result": str(result),
        "deterministic": deterministic,
    }
    cmd = [sys.executable, "-m", "dsbuild.build.tfds_child", "--verify", json.dumps(request), "--"]
    cmd += ["build", str(folder), "--data_dir", str(data_dir)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    start = time.monotonic()
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=20000, help="examples in the builder (default: 20000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side (default: 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dsbuild-bench-det-") as tmp:
        folder = write_builder(Path(tmp), args.examples)
        times: dict[bool, list[float]] = {True: [], False: []}
        for i in range(args.repeats):
            for deterministic in (True, False) if i % 2 == 0 else (False, True):  # ABBA
                seconds = build(folder, Path(tmp) / "data", deterministic)
                times[deterministic].append(seconds)
                print(f"  {'deterministic' if deterministic else 'plain':<13} {seconds:6.2f} s", file=sys.stderr)
    on, off = statistics.median(times[True]), statistics.median(times[False])
    ratio = on / off
    print("| build of bench_serialize | deterministic | plain | ratio | goal | result |")
    print("|---|---|---|---|---|---|")
    ok = ratio <= GOAL
    print(
        f"| {args.examples} examples | {on:.2f} s | {off:.2f} s | {ratio:.3f}x | <= {GOAL}x | {'met' if ok else 'NOT met'} |"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
