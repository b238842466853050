"""Air-gapped builds: source archives on disk, `build.py -lcs <copy> --manual-dir DIR`, checksums still enforced.

Each builder's `dummy_data/make.py --source-archives DIR` writes source files in the
real download format (same archive type and layout, tiny content) under the file
names of its checksums.tsv. The test gives a copy of the builder folder those
files' sizes and sha256, builds it offline and reads the tarball back.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_script

pytestmark = pytest.mark.integration

# name -> (folder, version dir to load, relative to <name>/, or "" for the only one; split sizes)
AIRGAPPED = {
    "digit": ("datasets", "", {"train": 1350, "test": 150}),
    "german_traffic_sign": ("datasets", "", {"train": 44, "test": 2}),
    # Builder configs, two of them with the legacy subword feature TFDS can only check record by record.
    "librispeech_dev_clean_split": ("datasets", "plain_text/1.1.0", {"train": 2, "validation": 1, "test": 1}),
    "carla_obj_det_dev": ("adversarial", "", {"dev": 2}),
    "apricot_dev": ("adversarial", "", {"frcnn": 2, "retinanet": 1, "ssd": 1}),
}


def make_sources(folder: Path, out: Path) -> list[Path]:
    result = subprocess.run(
        [sys.executable, str(folder / "dummy_data" / "make.py"), "--source-archives", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip(), "make.py --source-archives wrote nothing"
    return sorted(out.iterdir())


def rewrite_checksums(folder: Path, sources: Path) -> None:
    """Keep the real URLs; record the sizes and sha256 of the dummy archives instead."""
    lines = []
    for line in (folder / "checksums.tsv").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        url, _, _, filename = line.split("\t")
        data = (sources / filename).read_bytes()
        lines.append(f"{url}\t{len(data)}\t{hashlib.sha256(data).hexdigest()}\t{filename}")
    (folder / "checksums.tsv").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("name", sorted(AIRGAPPED))
def test_build_from_manual_dir(tmp_path: Path, name: str) -> None:
    category_dir, version_path, splits = AIRGAPPED[name]
    original = ROOT / category_dir / name
    copy = tmp_path / "builders" / name
    shutil.copytree(original, copy, ignore=shutil.ignore_patterns("__pycache__"))
    sources = tmp_path / "sources"
    make_sources(original, sources)  # make.py uses the installed dsbuild.testing writers
    rewrite_checksums(copy, sources)
    data_dir = tmp_path / "data"
    result = run_script("build.py", "-lcs", str(copy), "--manual-dir", str(sources), "-o", str(data_dir))
    assert result.returncode == 0, result.stderr[-3000:]
    tarballs = list(data_dir.glob(f"{name}-*.tar.gz"))
    assert len(tarballs) == 1
    restore = tmp_path / "restore"
    restore.mkdir()
    subprocess.run(["tar", "zxf", str(tarballs[0])], cwd=restore, check=True)

    import tensorflow_datasets as tfds

    version_dir = restore / name / version_path if version_path else next((restore / name).iterdir())
    builder = tfds.builder_from_directory(str(version_dir))
    assert {k: v.num_examples for k, v in builder.info.splits.items()} == splits


def test_source_with_wrong_sha256_is_refused(tmp_path: Path) -> None:
    # The real checksums.tsv: the dummy archive's sha256 cannot match it.
    sources = tmp_path / "sources"
    make_sources(ROOT / "datasets" / "digit", sources)
    data_dir = tmp_path / "data"
    result = run_script("build.py", "-ds", "digit", "--manual-dir", str(sources), "-o", str(data_dir))
    assert result.returncode == 1
    # The preflight refuses it before `tfds build` starts (TFDS itself would raise NonMatchingChecksumError).
    assert "refused from --manual-dir" in result.stderr and "digit-1.0.8.tar.gz" in result.stderr
    assert not list(data_dir.glob("digit-*"))
    assert not (data_dir / "digit" / "1.0.8").exists()
