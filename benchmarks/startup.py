"""startup.py: run.py's "startup" section, `python X.py -h` of each entry script.

Wall time of build.py, upload.py and download.py's help against `python -c pass`,
and whether `-X importtime` shows TensorFlow, TFDS, boto3 or botocore.
"""

from __future__ import annotations

import re
import statistics
import subprocess

from common import PYTHON, REPO, Results, Row, Settings, fmt_s, run, say

HEAVY_MODULES = ("tensorflow", "tensorflow_datasets", "boto3", "botocore")


def heavy_imports(script: str) -> list[str]:
    """Top-level heavy packages the script imports for -h (from -X importtime)."""
    proc = subprocess.run(
        [PYTHON, "-X", "importtime", script, "-h"], cwd=REPO, capture_output=True, text=True, check=True
    )
    found = {m.group(1) for m in re.finditer(r"\|\s+([\w.]+)\s*$", proc.stderr, re.MULTILINE)}
    return sorted({name.split(".")[0] for name in found} & set(HEAVY_MODULES))


def bench_startup(settings: Settings, results: Results) -> None:
    floor = statistics.median(run([PYTHON, "-c", "pass"]) for _ in range(settings.startup_runs))
    for script in ("build.py", "upload.py", "download.py"):
        times = [run([PYTHON, script, "-h"], cwd=REPO) for _ in range(settings.startup_runs)]
        t = statistics.median(times)
        heavy = heavy_imports(script)
        ours = fmt_s(t) + (f" (imports {', '.join(heavy)})" if heavy else "")
        results.rows.append(
            Row(
                f"`python {script} -h` (baseline: python -c pass)",
                ours,
                fmt_s(floor),
                f"{t / floor:.1f}×",
                "< 0.3 s, no TF/TFDS/boto3",
                t < 0.3 and not heavy,
            )
        )
        say(f"{script} -h: {fmt_s(t)}")
