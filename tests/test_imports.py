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


def test_importing_load_is_free() -> None:
    # TFDS is imported by the call itself, when there is something to open; the logger and boto3 never
    # on an installed load.
    result, imported = imported_top_level("-c", "import dsbuild; from dsbuild import load, load_from_config")
    assert result.returncode == 0, result.stderr[-2000:]
    assert imported.isdisjoint(HEAVY | {"loguru", "tqdm"})


def test_upload_workflow_does_not_load_the_build_pipeline() -> None:
    probe = (
        "import sys, dsbuild.remote.upload; "
        "print(' '.join(m for m in ('dsbuild.build.pipeline', 'dsbuild.build.catalog', 'dsbuild.build.tfds_build', "
        "'tensorflow', 'tensorflow_datasets') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == ""


PACKAGES = ("build", "artifact", "remote", "armory", "card", "families", "testing", "loading")
# Which stages each stage may import ("top": the shared modules directly in dsbuild/). The one-way rule
# of dsbuild/__init__.py: remote may use artifact, artifact never uses remote or build.
ALLOWED = {
    "top": {"top"},
    "artifact": {"top", "artifact"},
    "armory": {"top", "artifact", "armory"},
    "card": {"top", "artifact", "card"},
    "remote": {"top", "artifact", "armory", "remote"},
    "loading": {"top", "artifact", "armory", "remote", "loading"},
    "build": {"top", "artifact", "armory", "card", "remote", "build"},
    "families": {"top", "build", "families"},
    "testing": {"top", "families", "testing"},
}


def _module_name(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in PACKAGES else "top"


def _dsbuild_imports(path) -> set[str]:
    """The dsbuild modules a module imports anywhere in its body (function-level imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("dsbuild."))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "dsbuild":
            if node.module == "dsbuild" or node.module.split(".")[-1] in PACKAGES:  # `from dsbuild.remote import s3`
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
    return found


def _import_graph() -> dict[str, set[str]]:
    return {
        _module_name(path): _dsbuild_imports(path)
        for path in (ROOT / "dsbuild").rglob("*.py")
        if _module_name(path) != "dsbuild"  # the package root only re-exports
    }


def test_no_import_circle_in_the_library() -> None:
    graph = _import_graph()
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


def test_imports_run_one_way_between_stages() -> None:
    wrong = sorted(
        f"{module} ({_stage(module)}) imports {target} ({_stage(target)})"
        for module, targets in _import_graph().items()
        for target in targets
        if _stage(target) not in ALLOWED[_stage(module)]
    )
    assert wrong == []


def test_the_shared_top_level_stays_small() -> None:
    top = sorted(p.stem for p in (ROOT / "dsbuild").glob("*.py") if p.name != "__init__.py")
    assert len(top) <= 15, top


def test_the_checks_see_a_cycle_and_a_wrong_direction(tmp_path) -> None:
    (tmp_path / "a.py").write_text("from dsbuild import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from dsbuild.a import x\n")
    (tmp_path / "c.py").write_text("from dsbuild.remote import s3\n")
    assert _dsbuild_imports(tmp_path / "a.py") == {"dsbuild.b"}
    assert _dsbuild_imports(tmp_path / "b.py") == {"dsbuild.a"}
    assert _dsbuild_imports(tmp_path / "c.py") == {"dsbuild.remote.s3"}
    assert _stage("dsbuild.remote.s3") == "remote" and "remote" not in ALLOWED["artifact"]
    assert _stage("dsbuild.paths") == "top" and _stage("dsbuild.card") == "card"
