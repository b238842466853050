"""armory-testbed's own builder classes read what we build.

For every builder folder whose dataset armory-testbed ships a builder class for
(found by reading its sources, `dsbuild.armory.loaders.builder_classes`): one
child process builds ours from the folders' dummy data at the version build.py
builds by default (armory-testbed's requested one); a second child process,
importing only ARMORY's classes, opens that data dir with
`tfds.builder(name, data_dir=D)` and decodes every example of every split. The
versions, split sizes and features (keys, dtypes, shapes) must be equal, or the
difference must be one of the documented exceptions below, which are asserted
exactly (an exception that goes away, or changes, fails the test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dsbuild.armory.loaders import builder_classes
from dsbuild.build.catalog import load_catalog
from tests.helpers import ROOT

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent

# Deliberate differences, one line each with why (README "Using the datasets with ARMORY" lists them too).
# name -> {"features": {path: (ours, armory's)}} and/or {"read_error": substring of ARMORY's class's error}.
EXCEPTIONS: dict[str, dict] = {
    "digit": {
        # armory's tfdsv4 publication has the speaker as `user`; armory-testbed 0.19.2's class does not
        # declare it and reads ours fine (TFDS parses only declared features).
        "features": {"user": (["string", []], None)},
    },
    "dapricot_dev": {
        # ARMORY's class declares fixed-length (3) camera sequences of ragged objects, which TFDS 4.9.10
        # cannot decode ("ragged_flat_values" indexing); ours declares the length open so TFDS can read it.
        "read_error": "ragged_flat_values",
    },
    "dapricot_test": {"read_error": "ragged_flat_values"},
    "ucf101_clean": {
        # ARMORY's class calls tfds.core.get_tfds_path, which TFDS 4.9.10 no longer has: it cannot be
        # constructed at all (with any data); ours loads with tfds.builder_from_directory.
        "read_error": "get_tfds_path",
    },
}


def _env() -> dict[str, str]:
    # datasets/ and adversarial/ too: build_ours.py imports each folder as the package `tfds build` makes of it.
    parts = (str(ROOT), str(ROOT / "datasets"), str(ROOT / "adversarial"), os.environ.get("PYTHONPATH"))
    path = os.pathsep.join(p for p in parts if p)
    return {**os.environ, "PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "2"}


def _run(script: str, *args: str, log: Path) -> None:
    with open(log, "w") as out:
        result = subprocess.run(
            [sys.executable, str(HERE / script), *args], stdout=out, stderr=subprocess.STDOUT, env=_env(), timeout=900
        )
    assert result.returncode == 0, log.read_text()[-4000:]


def checked_datasets() -> dict[str, str]:
    """Our builder folder (with its default version) for each dataset armory-testbed has a class for."""
    armory = builder_classes()
    return {
        name: f"{entry.source.folder}:{entry.default}"
        for name, entry in load_catalog().items()
        if entry.source is not None and name in armory
    }


def compare(ours: list[dict], armory: list[dict]) -> dict:
    """The differences for one dataset: features by path, read errors, versions, splits."""
    found: dict = {}
    for mine, theirs in zip(ours, armory, strict=True):
        if "error" in theirs:
            found["read_error"] = theirs["error"]
            continue
        for key in ("version", "splits", "config"):
            if mine[key] != theirs[key]:
                found[key] = (mine[key], theirs[key])
        if theirs["decoded"] != mine["splits"]:
            found["decoded"] = (mine["splits"], theirs["decoded"])
        paths = sorted(set(mine["features"]) | set(theirs["features"]))
        diff = {p: (mine["features"].get(p), theirs["features"].get(p)) for p in paths}
        diff = {p: v for p, v in diff.items() if v[0] != v[1]}
        if diff:
            found["features"] = diff
    return found


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    work = tmp_path_factory.mktemp("armory_compat")
    data = work / "data"
    datasets = checked_datasets()
    _run("build_ours.py", str(data), str(work / "ours.json"), *datasets.values(), log=work / "build.log")
    ours = json.loads((work / "ours.json").read_text())
    armory = builder_classes()
    wanted = {name: {"module": armory[name].module, "configs": [d["config"] for d in ours[name]]} for name in ours}
    (work / "wanted.json").write_text(json.dumps(wanted))
    _run("read_with_armory.py", str(data), str(work / "wanted.json"), str(work / "armory.json"), log=work / "read.log")
    theirs = json.loads((work / "armory.json").read_text())
    return {name: compare(ours[name], theirs[name]) for name in ours}


def test_every_dataset_with_an_armory_class_is_checked() -> None:
    names = set(checked_datasets())
    assert len(names) >= 25, sorted(names)
    assert {"dapricot_dev", "carla_over_obj_det_dev", "digit", "minicoco"} <= names


def test_armory_classes_read_ours(results: dict[str, dict]) -> None:
    unexpected = {}
    for name, found in results.items():
        expected = EXCEPTIONS.get(name, {})
        if "read_error" in expected:
            if expected["read_error"] not in found.get("read_error", ""):
                unexpected[name] = found or "ARMORY's class now reads it: remove the exception"
            continue
        wanted = {k: {p: list(v) for p, v in e.items()} if k == "features" else e for k, e in expected.items()}
        got = {k: {p: list(v) for p, v in f.items()} if k == "features" else f for k, f in found.items()}
        if got != wanted:
            unexpected[name] = {"found": got, "documented": wanted}
    assert unexpected == {}
    table = "\n".join(
        f"{name} | {'no (documented)' if 'read_error' in f else 'yes'} | {'none' if not f else 'documented exception'}"
        for name, f in sorted(results.items())
    )
    print(f"\ndataset | ARMORY class reads ours | differences\n{table}\nchecked: {len(results)}")
