"""Shared by the Beam tests and benchmarks: a builder copy with dummy sources, isolated runs, decoded examples.

Beam's FnApiRunner and worker pool serve gRPC on every interface (`[::]:0`; worker_pool_main has no
bind flag), so every Beam run here happens in a fresh network namespace (`unshare -rn`) that has
only a loopback interface: nothing Beam opens is reachable from outside this machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import ROOT

NETNS = ["unshare", "--user", "--map-root-user", "--net", "--"]
# Brings up the namespace's loopback, then runs "$@".
LOOPBACK_UP = ["sh", "-c", 'ip link set lo up && exec "$@"', "sh"]


def netns_available() -> bool:
    """Whether this machine lets an unprivileged user make a network namespace with a loopback."""
    try:
        return subprocess.run([*NETNS, *LOOPBACK_UP, "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def prepare_builder(name: str, category: str, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of builder folder `name` (checksums of its dummy sources) and the sources dir, as air-gapped."""
    from tests.integration.test_airgapped import make_sources, rewrite_checksums

    original = ROOT / category / name
    copy = tmp_path / "builders" / name
    shutil.copytree(original, copy, ignore=shutil.ignore_patterns("__pycache__"))
    sources = tmp_path / "sources"
    make_sources(original, sources)
    rewrite_checksums(copy, sources)
    return copy, sources


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment without PYTHONPATH (workers must not need one from the user), venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env.update(extra)
    return env


def build_command(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "build.py"), *args]


def decoded_examples(version_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Every split's examples of a built version dir, decoded to numpy, in file order."""
    import tensorflow_datasets as tfds

    builder = tfds.builder_from_directory(str(version_dir))
    return {
        split: list(tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)))
        for split in sorted(builder.info.splits)
    }


def assert_same_examples(left: dict[str, list[dict[str, Any]]], right: dict[str, list[dict[str, Any]]]) -> None:

    assert sorted(left) == sorted(right)
    for split in left:
        assert len(left[split]) == len(right[split]), split
        for a, b in zip(left[split], right[split], strict=True):
            _assert_equal(a, b, split)


def _assert_equal(a: Any, b: Any, where: str) -> None:
    import numpy as np

    if isinstance(a, dict):
        assert sorted(a) == sorted(b), where
        for key in a:
            _assert_equal(a[key], b[key], f"{where}/{key}")
    else:
        assert np.array_equal(np.asarray(a), np.asarray(b)), where
