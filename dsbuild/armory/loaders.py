"""What the installed armory-testbed asks for, read from its files without importing it.

armory-testbed's loaders (`armory/data/datasets.py`, `adversarial_datasets.py`)
request each dataset as a literal `"<name>[/<config>]:<version>"` passed to
`_generator_from_tfds`, and it ships its original builder classes under
`armory/data/`. Importing either pulls in TensorFlow, so both are read with `ast`:
`build.py --list` stays fast, and an armory-testbed upgrade that changes a
requested version shows up at the next run instead of being hand-copied.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dsbuild.paths import camelcase_to_snakecase

LOADER_MODULES = ("datasets.py", "adversarial_datasets.py")
LOADER_FUNCTION = "_generator_from_tfds"
BUILDER_BASES = {"GeneratorBasedBuilder", "BeamBasedBuilder"}
CHECKSUMS_SUBDIR = "cached_s3_checksums"
# "<name>[/<config>]:<version>", armory's own spelling (datasets._parse_dataset_name).
_REQUEST_RE = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)(?:/(?P<config>[A-Za-z0-9_.\-]+))?:(?P<version>\d+\.\d+\.\d+)$")


@dataclass(frozen=True)
class LoaderRequest:
    """One dataset as an armory-testbed loader asks TFDS for it."""

    name: str
    config: str | None
    version: str
    loader: str  # the loader function's name, e.g. "carla_over_obj_det_dev"


@dataclass(frozen=True)
class ArmoryBuilder:
    """One of armory-testbed's original builder classes."""

    name: str  # the name TFDS registers it under
    module: str  # importable module, e.g. "armory.data.adversarial.dapricot_dev"
    path: Path
    class_name: str
    version: str | None


def armory_data_dir() -> Path | None:
    """`armory/data` of the installed armory-testbed, found without importing armory; None if absent."""
    spec = importlib.util.find_spec("armory")
    if spec is None or not spec.submodule_search_locations:
        return None
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    return data if data.is_dir() else None


def default_checksums_dir() -> Path | None:
    """armory-testbed's `cached_s3_checksums/`, where its loaders look for published tarballs."""
    data = armory_data_dir()
    return data / CHECKSUMS_SUBDIR if data is not None and (data / CHECKSUMS_SUBDIR).is_dir() else None


def _string_arg(call: ast.Call) -> str | None:
    first = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "dataset_name"), None)
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def parse_loader_requests(source: str, filename: str = "<loader>") -> list[LoaderRequest]:
    """Every literal dataset request in one loader module's source, in file order."""
    found: list[LoaderRequest] = []
    tree = ast.parse(source, filename=filename)
    for func in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        for node in ast.walk(func):
            if isinstance(node, ast.Call) and _called_name(node) == LOADER_FUNCTION:
                raw = _string_arg(node)
                match = _REQUEST_RE.match(raw or "")
                if match:
                    found.append(LoaderRequest(match["name"], match["config"], match["version"], func.name))
    return found


@cache
def loader_requests(data_dir: Path | None = None) -> dict[str, LoaderRequest]:
    """Dataset name -> what armory-testbed's loaders request; empty when armory-testbed is not installed.

    Two loaders asking for one name at different versions would be ambiguous; the
    first in file order wins, which is also the one armory's docs list first.
    """
    data_dir = data_dir or armory_data_dir()
    requests: dict[str, LoaderRequest] = {}
    if data_dir is None:
        return requests
    for module in LOADER_MODULES:
        path = data_dir / module
        if path.is_file():
            for request in parse_loader_requests(path.read_text(encoding="utf-8"), str(path)):
                requests.setdefault(request.name, request)
    return requests


def _literal_version(cls: ast.ClassDef) -> str | None:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "VERSION" for t in stmt.targets):
            value = stmt.value
            if isinstance(value, ast.Call) and value.args:
                value = value.args[0]
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    return None


@cache
def builder_classes(data_dir: Path | None = None) -> dict[str, ArmoryBuilder]:
    """Registered name -> armory-testbed's original builder class, read with `ast`."""
    data_dir = data_dir or armory_data_dir()
    found: dict[str, ArmoryBuilder] = {}
    if data_dir is None:
        return found
    for path in sorted(data_dir.glob("*/*.py")):
        tree = ast.parse(path.read_bytes(), filename=str(path))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            bases = {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in cls.bases}
            name = camelcase_to_snakecase(cls.name)
            # ucf101_clean subclasses TFDS's Ucf101, so its file name is the other clue.
            if bases & BUILDER_BASES or name == path.stem:
                module = ".".join(("armory", "data", *path.relative_to(data_dir).with_suffix("").parts))
                found[name] = ArmoryBuilder(name, module, path, cls.name, _literal_version(cls))
    return found


# The modules a scenario config's `dataset` (or preloaded `attack`) block may name, and their source files.
LOADER_MODULE_NAMES = {
    "armory.data.datasets": "datasets.py",
    "armory.data.adversarial_datasets": "adversarial_datasets.py",
}


@cache
def requests_by_loader(data_dir: Path | None = None) -> dict[tuple[str, str], LoaderRequest]:
    """(loader module, loader function name) -> what that loader requests, e.g.
    ("armory.data.adversarial_datasets", "carla_multi_object_tracking_dev") -> carla_mot_dev 1.0.1.

    Loader names are not dataset names: `resisc45` loads `resisc45_split`. Empty when
    armory-testbed is not installed.
    """
    data_dir = data_dir or armory_data_dir()
    found: dict[tuple[str, str], LoaderRequest] = {}
    if data_dir is None:
        return found
    for module, file_name in LOADER_MODULE_NAMES.items():
        path = data_dir / file_name
        if path.is_file():
            for request in parse_loader_requests(path.read_text(encoding="utf-8"), str(path)):
                found.setdefault((module, request.loader), request)
    return found


@cache
def loader_functions(data_dir: Path | None = None) -> dict[str, frozenset[str]]:
    """Loader module -> the names of the functions it defines at top level.

    A scenario config's `dataset.name` is looked up with `getattr(module, name)`: a name
    defined there but absent from `requests_by_loader` is a function that asks TFDS for no
    literal dataset (a helper, or a loader that builds its data another way).
    """
    data_dir = data_dir or armory_data_dir()
    found: dict[str, frozenset[str]] = {}
    if data_dir is None:
        return found
    for module, file_name in LOADER_MODULE_NAMES.items():
        path = data_dir / file_name
        if path.is_file():
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found[module] = frozenset(n.name for n in tree.body if isinstance(n, ast.FunctionDef))
    return found


SUPPORTED_DATASETS = "SUPPORTED_DATASETS"


@cache
def supported_datasets(data_dir: Path | None = None) -> dict[str, str]:
    """armory-testbed's `datasets.SUPPORTED_DATASETS`: the names `armory download` accepts in a
    download-data config's `dataset_name` -> the loader function (in armory.data.datasets) it calls."""
    data_dir = data_dir or armory_data_dir()
    path = data_dir / LOADER_MODULE_NAMES["armory.data.datasets"] if data_dir else None
    if path is None or not path.is_file():
        return {}
    found: dict[str, str] = {}
    for stmt in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == SUPPORTED_DATASETS for t in targets) and isinstance(
            stmt.value, ast.Dict
        ):
            for key, value in zip(stmt.value.keys, stmt.value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(value, ast.Name):
                    found[key.value] = value.id
    return found
