"""The dataset names the installed TFDS registers, read from its files without importing it.

`tfds.list_builders()` costs seconds and ~700 MB (it imports TensorFlow and every builder module);
`build.py --add-custom` only needs the names, to refuse a custom dataset that would shadow one. TFDS
4.9.10 registers two kinds, and this module reads both the way TFDS finds them:

- `tensorflow_datasets/datasets/<name>/`: every entry of that folder is a dataset package, named by
  its folder (TFDS lists them without importing them);
- legacy builder modules: `_import_legacy_builders()` in `core/registered.py` imports a list of
  packages (`image_classification`, `text`, ...); every concrete builder class defined in a module
  those imports reach registers itself. Here the list is read from `registered.py` with `ast`, the
  imports are followed with `ast`, and a class counts when it derives (by base-class name, through
  any depth) from TFDS's `DatasetBuilder`, does not pass `skip_registration=True`, is not abstract
  (an `abc.abstractmethod` of its own or of a base that it leaves unimplemented), and is not defined
  inside a `with` block (`registered.skip_registration()`). Its name is a literal `name = "..."` in
  the class body, else TFDS's rule: `Builder` takes its module's name, any other class
  `camelcase_to_snakecase` of its own.

`tests/test_add_custom.py` compares the result with `tfds.list_builders()` once. Known differences,
all on the safe side or absent from TFDS 4.9.10: entries of `datasets/` that are not dataset names
(`__pycache__`, files, hidden entries) are skipped, while TFDS would list them too; and a builder
name assigned at run time (not a literal) is not seen.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from dsbuild.log import log
from dsbuild.paths import NAME_RE, camelcase_to_snakecase

PACKAGE = "tensorflow_datasets"
# What TFDS 4.9.10's `_import_legacy_builders` imports; used only if that function cannot be read.
LEGACY_PACKAGES = (
    "audio",
    "graphs",
    "image",
    "image_classification",
    "object_detection",
    "nearest_neighbors",
    "question_answering",
    "d4rl",
    "ranking",
    "recommendation",
    "rl_unplugged",
    "rlds.datasets",
    "robotics",
    "robomimic",
    "structured",
    "summarization",
    "text",
    "text_simplification",
    "time_series",
    "translate",
    "video",
    "vision_language",
)
ROOT_BUILDER = "DatasetBuilder"  # tfds.core.DatasetBuilder: every registered dataset derives from it
BUILDER_MODULE_SUFFIX = "_dataset_builder"
# Modules that define no datasets but import half of TFDS: not followed.
NOT_FOLLOWED = ("core", "public_api", "typing", "testing", "scripts")


@dataclass
class _Class:
    module: str
    name: str
    bases: list[str]  # last component of each base expression (`tfds.core.GeneratorBasedBuilder` -> ...)
    skip_registration: bool
    own_abstract: set[str]
    own_defined: set[str]
    name_attribute: str | None
    in_core: bool
    abstract: set[str] = field(default_factory=set)


def package_dir() -> Path | None:
    """The installed tensorflow_datasets folder, found without importing it (None: not installed)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def registered_names() -> frozenset[str]:
    """Every dataset name the installed TFDS registers (what `tfds.list_builders()` returns)."""
    root = package_dir()
    if root is None:
        return frozenset()
    names = {p.name for p in (root / "datasets").iterdir() if p.is_dir() and NAME_RE.match(p.name)}
    scanner = _Scanner(root)
    for package in _legacy_packages(root):
        scanner.visit(f"{PACKAGE}.{package}")
    scanner.visit_core()
    names.update(scanner.registered())
    return frozenset(names)


def _legacy_packages(root: Path) -> list[str]:
    """The package list of `_import_legacy_builders` in TFDS's registered.py."""
    path = root / "core" / "registered.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        tree = ast.Module(body=[], type_ignores=[])
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "_import_legacy_builders":
            for assign in ast.walk(node):
                if (
                    isinstance(assign, ast.Assign)
                    and isinstance(assign.value, ast.List)
                    and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in assign.value.elts)
                ):
                    return [e.value for e in assign.value.elts]  # type: ignore[attr-defined]
    log.debug("{}: no _import_legacy_builders list found; using TFDS 4.9.10's", path)
    return list(LEGACY_PACKAGES)


def _last_component(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_abstractmethod(decorator: ast.expr) -> bool:
    return _last_component(decorator) == "abstractmethod"


def _class_definitions(body: list[ast.stmt]) -> Iterator[ast.ClassDef]:
    """Classes a module defines when imported: top level, and inside if/try, never inside `with` (which
    TFDS uses for `registered.skip_registration()`)."""
    for node in body:
        if isinstance(node, ast.ClassDef):
            yield node
        elif isinstance(node, ast.If):
            yield from _class_definitions(node.body)
            yield from _class_definitions(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _class_definitions(block)


class _Scanner:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen: set[str] = set()
        self.classes: list[_Class] = []

    def _file(self, module: str) -> Path | None:
        path = self.root.joinpath(*module.split(".")[1:])
        for candidate in (path / "__init__.py", path.with_suffix(".py")):
            if candidate.is_file():
                return candidate
        return None

    def visit(self, module: str, follow: bool = True) -> None:
        """Read `module` and, with `follow`, every tensorflow_datasets module it imports."""
        if module in self.seen:
            return
        self.seen.add(module)
        path = self._file(module)
        if path is None:
            return
        try:
            tree = ast.parse(path.read_bytes())
        except (OSError, SyntaxError, ValueError):
            return  # TFDS would fail to import it too, registering nothing from it
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        in_core = module.split(".")[1:2] == ["core"]
        for node in _class_definitions(tree.body):
            self.classes.append(self._read_class(module, node, in_core))
        if not follow:
            return
        for target in self._imports(tree, package):
            if target.split(".")[1:2] and target.split(".")[1] not in NOT_FOLLOWED:
                self.visit(target)

    def visit_core(self) -> None:
        """Read TFDS's own builder base classes, so subclasses of them are recognised.

        Only where TFDS defines them: core/community holds look-alike mocks of the same names.
        """
        core = self.root / "core"
        paths = [core / "dataset_builder.py", *sorted((core / "dataset_builders").rglob("*.py"))]
        for path in paths:
            if path.name.endswith("_test.py") or not path.is_file():
                continue
            parts = path.relative_to(self.root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            self.visit(".".join((PACKAGE, *parts)), follow=False)

    @staticmethod
    def _imports(tree: ast.Module, package: str) -> Iterator[str]:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                yield from (a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*parent, base] if base else parent)
                if base.split(".")[0] != PACKAGE:
                    continue
                yield base
                # `from pkg import module` imports a submodule when one has that name.
                yield from (f"{base}.{a.name}" for a in node.names if a.name != "*")

    @staticmethod
    def _read_class(module: str, node: ast.ClassDef, in_core: bool) -> _Class:
        own_abstract: set[str] = set()
        own_defined: set[str] = set()
        name_attribute = None
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if any(_is_abstractmethod(d) for d in statement.decorator_list):
                    own_abstract.add(statement.name)
                else:
                    own_defined.add(statement.name)
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        own_defined.add(target.id)
                        value = statement.value
                        if target.id == "name" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                            name_attribute = value.value
        skip = any(
            k.arg == "skip_registration" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        )
        bases = [b for b in (_last_component(base) for base in node.bases) if b is not None]
        return _Class(module, node.name, bases, skip, own_abstract, own_defined, name_attribute, in_core)

    def registered(self) -> set[str]:
        """Names of the concrete, registering builder classes outside core/."""
        by_name: dict[str, list[_Class]] = {}
        for cls in self.classes:
            by_name.setdefault(cls.name, []).append(cls)
        builders = {ROOT_BUILDER}
        changed = True
        while changed:  # a fixed point over base-class names: builders of builders of ...
            changed = False
            for cls in self.classes:
                if cls.name not in builders and any(b in builders for b in cls.bases):
                    builders.add(cls.name)
                    changed = True
        changed = True
        while changed:  # abstract methods left unimplemented, inherited through the same names
            changed = False
            for cls in self.classes:
                inherited = {m for b in cls.bases for other in by_name.get(b, ()) for m in other.abstract}
                abstract = (cls.own_abstract | inherited) - cls.own_defined
                if abstract - cls.abstract:
                    cls.abstract |= abstract
                    changed = True
        names = set()
        for cls in self.classes:
            if cls.in_core or cls.skip_registration or cls.abstract or cls.name not in builders:
                continue
            if cls.name == ROOT_BUILDER:
                continue
            names.add(self._dataset_name(cls))
        return names

    @staticmethod
    def _dataset_name(cls: _Class) -> str:
        if cls.name_attribute:
            return cls.name_attribute
        if cls.name == "Builder":  # TFDS's rule for config-based builders
            module = cls.module.rpartition(".")[2]
            if module.endswith(BUILDER_MODULE_SUFFIX):
                return module[: -len(BUILDER_MODULE_SUFFIX)]
            return cls.module.split(".")[-2]
        return camelcase_to_snakecase(cls.name)
