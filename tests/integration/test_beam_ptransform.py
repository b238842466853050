"""Issue 22 item 8: Beam the TFDS way. A builder whose _generate_examples returns a `beam.PTransform`
(TFDS's documented pattern; no marker of ours) builds with Beam options and, without them, on TFDS's
default runner as `tfds build` would; a builder that cannot use Beam is refused by reading its source,
before Beam is imported or any child starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dsbuild.build.beam import source_uses_beam
from dsbuild.build.catalog import load_catalog
from tests.helpers import EXAMPLE, run_script

pytestmark = pytest.mark.integration

PTRANSFORM = """
    def _generate_examples(self, split: str):
        beam = tfds.core.lazy_imports.apache_beam
        return beam.Create(list(range(SPLIT_SIZES[split]))) | beam.Map(_example, split)


def _example(i: int, split: str) -> tuple[str, dict]:
    rng = np.random.default_rng(SPLIT_SEEDS[split] * 1000 + i)
    label = CLASSES[i % len(CLASSES)]
    return f"{split}_{i:04d}", {"image": _draw(label, rng), "label": label}
"""


def ptransform_builder(root: Path) -> Path:
    """tiny_shapes whose _generate_examples returns a beam.PTransform (one example per element)."""
    folder = root / EXAMPLE.name
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    module = folder / f"{EXAMPLE.name}.py"
    text = module.read_text(encoding="utf-8")
    start = text.index("    def _generate_examples")
    module.write_text(text[:start].rstrip("\n") + "\n" + PTRANSFORM, encoding="utf-8")
    return folder


def test_beam_builders_are_found_by_reading_their_source(tmp_path: Path) -> None:
    found = {
        name
        for name, e in load_catalog().items()
        if e.source and source_uses_beam(e.source.module, e.source.class_name)
    }
    assert found == {
        "librispeech_full",
        "librispeech_dev_clean_split",
        "librispeech_dev_test",
        "ucf101_clean",
        "carla_video_tracking_dev",
        "carla_video_tracking_test",
    }
    assert source_uses_beam(EXAMPLE / "tiny_shapes.py", "TinyShapes") is False
    assert source_uses_beam(ptransform_builder(tmp_path) / "tiny_shapes.py", "TinyShapes") is True


def test_a_builder_that_cannot_use_beam_is_refused_in_the_parent(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = run_script("build.py", "-lcs", str(EXAMPLE), "-o", str(data_dir), "--beam-option", "direct_num_workers=2")
    assert result.returncode == 2, result.stderr
    assert "tiny_shapes cannot run on Apache Beam (tiny_shapes.py: class TinyShapes generates in one process" in (
        result.stderr
    )
    assert "tfds output:" not in result.stderr  # no `tfds build` child was started
    assert "apitools" not in result.stderr  # Beam was not even imported
    assert not data_dir.exists()


@pytest.mark.parametrize("beam_options", [["--beam-option", "direct_running_mode=in_memory"], []])
def test_a_ptransform_builder_builds_with_and_without_beam_options(tmp_path: Path, beam_options: list[str]) -> None:
    folder = ptransform_builder(tmp_path / "src")
    data_dir = tmp_path / "data"
    result = run_script("build.py", "-lcs", str(folder), "-o", str(data_dir), *beam_options)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "apitools" not in result.stderr  # Beam's import warnings stay out of the console
    assert "tiny_shapes 1.0.0: packed" in result.stdout
    if beam_options:
        assert "generated on:  Apache Beam DirectRunner (its FnApiRunner), in_memory, 1 worker" in result.stdout
    logs = "".join(p.read_text(errors="replace") for p in (data_dir / "_logs").glob("*.log"))
    assert "using BeamWriter" in logs  # TFDS generated the splits through Beam either way
