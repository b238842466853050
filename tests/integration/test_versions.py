"""build.py's version choice, end to end: the default is armory-testbed's requested version, NAME:VERSION
builds another supported one, each through a real `tfds build` child from dummy source archives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dsbuild.build.catalog import load_catalog, lookup
from dsbuild.build.pipeline import BuildOptions, build_one
from dsbuild.build.tfds_build import TfdsOptions
from tests.helpers import ROOT
from tests.integration.test_airgapped import make_sources, rewrite_checksums

pytestmark = pytest.mark.integration

NAME = "carla_over_obj_det_dev"


@pytest.mark.parametrize(("asked", "version"), [(NAME, "2.0.1"), (f"{NAME}:1.0.0", "1.0.0")])
def test_default_and_named_versions_build(tmp_path: Path, asked: str, version: str) -> None:
    copy = tmp_path / "root" / "adversarial" / NAME
    shutil.copytree(ROOT / "adversarial" / NAME, copy, ignore=shutil.ignore_patterns("__pycache__"))
    sources = tmp_path / "sources"
    make_sources(ROOT / "adversarial" / NAME, sources)
    rewrite_checksums(copy, sources)
    entry = lookup(load_catalog(tmp_path / "root"), asked)
    assert entry.version == version
    data = tmp_path / "data"
    options = BuildOptions(data_dir=data, tfds=TfdsOptions(manual_dir=sources))
    outcome = build_one(entry, options)
    assert outcome.version == version
    assert outcome.tarball == data / f"{NAME}-{version}.tar.gz"
    info = json.loads((data / NAME / version / "dataset_info.json").read_text())
    assert info["version"] == version
    assert sorted(p.name for p in (data / NAME).iterdir()) == [version]
