"""Shared by the Beam tests: a builder copy with dummy sources, decoded examples.

Isolated runs (network namespace, clean environment) come from dsbuild.testing.netns, which the
benchmarks use too.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from dsbuild.testing.netns import LOOPBACK_UP, NETNS, clean_env, netns_available
from tests.helpers import ROOT

__all__ = ["LOOPBACK_UP", "NETNS", "clean_env", "netns_available"]


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
