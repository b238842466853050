"""Which classes of a builder module TFDS will register, and their literal configs, read with `ast`.

TFDS registers every concrete `DatasetBuilder` subclass defined in the module,
subclasses of builder classes from the same file included; `tfds build` then
refuses a module with more than one. A class is abstract (not registered) when
one of the methods TFDS requires is still missing; that can only be seen when
every base is in the file (an imported mixin may supply them), so a class with
imported non-builder bases counts as concrete.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

BUILDER_BASES = frozenset({"GeneratorBasedBuilder", "BeamBasedBuilder", "DatasetBuilder"})
REQUIRED_METHODS = ("_info", "_split_generators", "_generate_examples")
HARMLESS_BASES = frozenset({"object", "ABC", "Generic", "Protocol"})


def base_name(node: ast.expr) -> str:
    """`tfds.core.GeneratorBasedBuilder` -> `GeneratorBasedBuilder`; subscripts and calls give ''."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


@dataclass(frozen=True)
class BuilderClass:
    node: ast.ClassDef
    local_bases: tuple[str, ...]  # builder classes of the same file it derives from
    abstract: bool  # visibly abstract: TFDS will not register it

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def registered_name(self) -> str | None:
        """A literal `name = "..."` in the class body (TFDS uses it instead of the class name)."""
        value = _class_assignment(self.node, "name")
        if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
            return value.value
        return None


def _class_assignment(cls: ast.ClassDef, target: str) -> ast.expr | None:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == target for t in stmt.targets):
            return stmt.value
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == target:
            return stmt.value
    return None


def _methods(cls: ast.ClassDef) -> tuple[set[str], set[str]]:
    """(methods defined, methods decorated @abstractmethod) in the class body."""
    defined, abstract = set(), set()
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            defined.add(stmt.name)
            if any(base_name(d) == "abstractmethod" for d in stmt.decorator_list):
                abstract.add(stmt.name)
    return defined, abstract


def _visibly_abstract(cls: ast.ClassDef, classes: dict[str, ast.ClassDef]) -> bool:
    """True when every base is known (same file or a builder base) and a required method is missing."""
    provided: set[str] = set()
    pending, seen = [cls], set()
    still_abstract: set[str] = set()
    while pending:
        node = pending.pop()
        if node.name in seen:
            continue
        seen.add(node.name)
        defined, abstract = _methods(node)
        provided |= defined - abstract
        if node is cls:
            still_abstract = abstract
        for base in node.bases:
            name = base_name(base)
            if isinstance(base, ast.Name) and name in classes:
                pending.append(classes[name])
            elif name not in BUILDER_BASES and name not in HARMLESS_BASES:
                return False  # an imported mixin may define anything
    return bool(still_abstract) or any(m not in provided for m in REQUIRED_METHODS)


def builder_classes(tree: ast.Module) -> list[BuilderClass]:
    """The top-level classes TFDS would see as builders, in file order."""
    all_classes: dict[str, ast.ClassDef] = {}
    builders: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        all_classes[node.name] = node
        local = tuple(b.id for b in node.bases if isinstance(b, ast.Name) and b.id in builders)
        if local or any(base_name(b) in BUILDER_BASES for b in node.bases):
            builders[node.name] = local
    return [
        BuilderClass(all_classes[name], local, _visibly_abstract(all_classes[name], all_classes))
        for name, local in builders.items()
    ]


def registered(classes: list[BuilderClass]) -> list[BuilderClass]:
    """The classes TFDS will register: a visibly abstract class that is a base of another is not."""
    bases = {b for c in classes for b in c.local_bases}
    return [c for c in classes if not (c.abstract and c.name in bases)]


def literal_config_names(cls: ast.ClassDef) -> list[str] | None:
    """Names in `BUILDER_CONFIGS = [Config(name="a", ...), ...]`; [] without configs; None if not literal."""
    value = _class_assignment(cls, "BUILDER_CONFIGS")
    if value is None:  # none here: inherited from a base we cannot read, or no configs at all
        return [] if all(base_name(b) in BUILDER_BASES for b in cls.bases) else None
    if not isinstance(value, ast.List | ast.Tuple):
        return None
    names = []
    for item in value.elts:
        if not isinstance(item, ast.Call):
            return None
        name_node = next((k.value for k in item.keywords if k.arg == "name"), None)
        if name_node is None and item.args:
            name_node = item.args[0]  # BuilderConfig's first field is `name`
        if not (isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)):
            return None
        names.append(name_node.value)
    return names
