"""Small fake built datasets and tarballs for the upload/download/extract tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dsbuild.artifact.tarball import PackResult, pack


def make_built(data_dir: Path, name: str = "toy", version: str = "1.0.0", payload: bytes = b"") -> Path:
    """A directory shaped like a TFDS build (not loadable by TFDS; tests stub the load check)."""
    version_dir = data_dir / name / version
    version_dir.mkdir(parents=True, exist_ok=True)
    (version_dir / "dataset_info.json").write_text(json.dumps({"name": name, "version": version}))
    (version_dir / "features.json").write_text("{}")
    (version_dir / f"{name}-train.tfrecord-00000-of-00001").write_bytes(payload or os.urandom(2048))
    return version_dir


def make_tarball(data_dir: Path, name: str = "toy", version: str = "1.0.0", payload: bytes = b"") -> PackResult:
    make_built(data_dir, name, version, payload)
    return pack(data_dir, name, version, [f"{name}/{version}"])


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under `root` with its content (None for directories), for before/after comparisons."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}
