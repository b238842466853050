"""Import structure: `-h` stays light, the upload workflow stays light, no module imports in a circle."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.helpers import ROOT

HEAVY = {"tensorflow", "tensorflow_datasets", "boto3", "botocore", "armory"}


def imported_top_level(*argv: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run python -X importtime with argv; the top-level packages it imported."""
    result = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, cwd=ROOT)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    return result, imported


@pytest.mark.parametrize(
    ("script", "options"),
    [
        ("build.py", ["--pack-only", "--compression-level"]),
        ("upload.py", ["--checksum-bucket", "--dry-run"]),
        ("download.py", ["--overwrite", "--public"]),
    ],
)
def test_help_imports_nothing_heavy(script: str, options: list[str]) -> None:
    result, imported = imported_top_level(str(ROOT / script), "-h")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout and all(option in result.stdout for option in options)
    assert imported.isdisjoint(HEAVY)


def test_upload_workflow_does_not_load_the_build_pipeline() -> None:
    probe = (
        "import sys, dsbuild.upload; "
        "print(' '.join(m for m in ('dsbuild.pipeline', 'dsbuild.catalog', 'dsbuild.tfds_build', "
        "'tensorflow', 'tensorflow_datasets') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == ""


def _dsbuild_imports(path) -> set[str]:
    """The dsbuild modules a module imports anywhere in its body (function-level imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("dsbuild."))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "dsbuild":
            if node.module == "dsbuild":  # `from dsbuild import s3`
                found.update(f"dsbuild.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
    return found


def test_no_import_circle_in_the_library() -> None:
    package = ROOT / "dsbuild"
    graph = {
        f"dsbuild.{path.stem}": _dsbuild_imports(path)
        for path in package.rglob("*.py")
        if path.name != "__init__.py" and path.parent == package
    }
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if target not in graph:
                continue
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == [], " ; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_sees_a_cycle(tmp_path) -> None:
    (tmp_path / "a.py").write_text("from dsbuild import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from dsbuild.a import x\n")
    assert _dsbuild_imports(tmp_path / "a.py") == {"dsbuild.b"}
    assert _dsbuild_imports(tmp_path / "b.py") == {"dsbuild.a"}
