"""Every builder's published description comes from its folder's README.md and holds no review notes.

TFDS's `dataset_info_from_configs` reads README.md next to the builder module; review notes ("the
facts", uncertain choices, dummy-data budgets) belong in the module docstring, never in dataset_info.
The DatasetInfo of every builder is made in one child process (TFDS registers builders by name, so
each module is imported once, away from the test process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import ROOT

FOLDERS = sorted(
    p for top in ("datasets", "adversarial") for p in (ROOT / top).iterdir() if (p / "__init__.py").exists()
)
FORBIDDEN = ("facts", "dummy", "uncertain")

_CHILD = """
import importlib, json, sys, tempfile
import tensorflow_datasets as tfds
out = {}
with tempfile.TemporaryDirectory() as tmp:
    for folder in sys.argv[1:]:
        name = folder.rsplit("/", 1)[1]
        module = importlib.import_module(f"{name}.{name}")  # as `tfds build <folder>` imports it
        (cls,) = [c for c in vars(module).values()
                  if isinstance(c, type) and issubclass(c, tfds.core.GeneratorBasedBuilder) and c.__module__ == module.__name__]
        out[name] = cls(data_dir=tmp).info.description
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def descriptions() -> dict[str, str]:
    # datasets/ and adversarial/ on the child's path, so each folder imports as the package `tfds build` makes of it.
    path = os.pathsep.join([str(ROOT / "datasets"), str(ROOT / "adversarial"), os.environ.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *map(str, FOLDERS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_builder_folder_is_checked() -> None:
    assert len(FOLDERS) >= 30


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_description_comes_from_readme_and_has_no_review_notes(folder: Path, descriptions: dict[str, str]) -> None:
    description = descriptions[folder.name]
    assert description.strip(), f"{folder.name}: empty description"
    readme = folder / "README.md"
    assert readme.is_file(), f"{folder.name}: no README.md"
    # TFDS publishes the README dedented and stripped.
    assert description == textwrap.dedent(readme.read_text(encoding="utf-8")).strip()
    for word in FORBIDDEN:
        assert word not in description.lower(), f"{folder.name}: published description mentions {word!r}"
