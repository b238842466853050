"""build.py's version choice, end to end: one default per builder folder (the class's VERSION) however the
folder is named (-ds NAME, -lcs FOLDER, a plain `tfds build FOLDER`), and NAME:VERSION builds an older
supported one, each through a real `tfds build` from dummy source archives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dsbuild.build import pipeline
from dsbuild.build.catalog import load_catalog
from dsbuild.build.pipeline import BuildOptions, build_one
from dsbuild.build.tfds_build import TfdsOptions
from tests.helpers import ROOT
from tests.integration.test_airgapped import make_sources, rewrite_checksums

pytestmark = pytest.mark.integration

NAME = "carla_over_obj_det_dev"
DEFAULT = "2.0.1"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a copy of the builder folder under <root>/adversarial/, its dummy source archives)."""
    tmp = tmp_path_factory.mktemp("versions")
    copy = tmp / "root" / "adversarial" / NAME
    shutil.copytree(ROOT / "adversarial" / NAME, copy, ignore=shutil.ignore_patterns("__pycache__"))
    sources = tmp / "sources"
    make_sources(ROOT / "adversarial" / NAME, sources)
    rewrite_checksums(copy, sources)
    return copy, sources


def _built_versions(data: Path) -> list[str]:
    for info in (data / NAME).glob("*/dataset_info.json"):
        assert json.loads(info.read_text())["version"] == info.parent.name
    return sorted(p.name for p in (data / NAME).iterdir())


@pytest.mark.parametrize(
    ("ds", "lcs", "version"),
    [([NAME], [], DEFAULT), ([f"{NAME}:1.0.0"], [], "1.0.0"), ([], ["FOLDER"], DEFAULT)],
    ids=["-ds NAME", "-ds NAME:1.0.0", "-lcs FOLDER"],
)
def test_build_py_versions(folder: tuple[Path, Path], tmp_path: Path, ds: list[str], lcs: list[str], version: str):
    copy, sources = folder
    catalog = load_catalog(copy.parent.parent)
    (entry,) = pipeline.resolve(catalog, ds, [str(copy) if p == "FOLDER" else p for p in lcs])
    assert entry.version == version
    data = tmp_path / "data"
    outcome = build_one(entry, BuildOptions(data_dir=data, tfds=TfdsOptions(manual_dir=sources)))
    assert outcome.version == version
    assert outcome.tarball == data / f"{NAME}-{version}.tar.gz"
    assert _built_versions(data) == [version]


def test_plain_tfds_build_makes_the_same_default(folder: tuple[Path, Path], tmp_path: Path) -> None:
    """`tfds build FOLDER`, TFDS's own command line with nothing of ours, builds build.py's default."""
    copy, sources = folder
    data = tmp_path / "data"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "tensorflow_datasets.scripts.cli.main", "build", str(copy)),
            *(f"--data_dir={data}", f"--manual_dir={sources}", f"--download_dir={tmp_path / 'dl'}"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert _built_versions(data) == [DEFAULT]
