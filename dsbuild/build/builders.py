"""Turning a local path into a checked builder source, without importing it.

The naming rule is TFDS's own: a file `<snake>.py` defines exactly one
`GeneratorBasedBuilder` subclass `C` with `camelcase_to_snakecase(C) == <snake>`,
next to an `__init__.py`, with a literal `VERSION`. Everything is read with `ast`
so a broken or malicious builder runs no code before `tfds build` is asked to;
every problem found is reported at once.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from dsbuild.build.builder_classes import (
    REQUIRED_METHODS,
    BuilderClass,
    base_name,
    builder_classes,
    literal_config_names,
    registered,
)
from dsbuild.errors import BuilderCheckError, UsageError
from dsbuild.paths import NAME_RE, VERSION_RE, camelcase_to_snakecase

NEW_STYLE_SUFFIX = "_dataset_builder"


@dataclass(frozen=True)
class BuilderSource:
    """A builder file that passed the checks."""

    name: str
    module: Path
    class_name: str
    version: str
    supported_versions: tuple[str, ...] = ()  # SUPPORTED_VERSIONS, besides VERSION
    configs: tuple[str, ...] | None = ()  # BUILDER_CONFIGS names; None when not literal (TFDS checks)

    @property
    def versions(self) -> tuple[str, ...]:
        """Every buildable version, lowest first: VERSION (the default) and SUPPORTED_VERSIONS.

        TFDS itself generates only VERSION and the highest one ("too old" for the rest); the
        `tfds build` child builds an older one by making it the class's VERSION in that process
        only (`dsbuild.build.older_version`).
        """
        return tuple(sorted({self.version, *self.supported_versions}, key=_version_key))

    @property
    def folder(self) -> Path:
        return self.module.parent


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def find_builder_file(path: Path) -> Path:
    """The builder module for a path given with -lcs: the file itself, or the folder's module."""
    if not path.exists():
        raise UsageError(f"{str(path)!r} does not exist: give a builder folder or a builder .py file")
    if path.is_file():
        if path.suffix != ".py":
            raise UsageError(f"{str(path)!r} is not a .py file: give a builder folder or a builder .py file")
        return path
    if not path.is_dir():
        raise UsageError(f"{str(path)!r} is neither a file nor a folder")
    candidates = [path / f"{path.name}{NEW_STYLE_SUFFIX}.py", path / f"{path.name}.py"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    if not NAME_RE.match(path.name):
        valid = valid_name(path.name)
        raise UsageError(
            f"no builder in folder {str(path)!r}, and {path.name!r} is not a valid dataset name (lower_snake_case, "
            f"starting with a letter): rename the folder to {valid} and put {valid}.py (class {_camel(valid)}) in it"
        )
    raise UsageError(
        f"no builder in folder {str(path)!r}: expected {candidates[1].name} "
        f"(or {candidates[0].name}) inside it, named after the folder"
    )


def _literal_version(cls: ast.ClassDef) -> tuple[str | None, str | None]:
    """(version, problem) from `VERSION = tfds.core.Version("1.2.3")` or `VERSION = "1.2.3"`."""
    for stmt in cls.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        if not any(isinstance(t, ast.Name) and t.id == "VERSION" for t in targets) or value is None:
            continue
        if isinstance(value, ast.Call) and base_name(value.func) == "Version" and value.args:
            value = value.args[0]
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            if VERSION_RE.match(value.value):
                return value.value, None
            return None, f"VERSION {value.value!r} of class {cls.name} is not MAJOR.MINOR.PATCH"
        return (
            None,
            f'VERSION of class {cls.name} must be a literal, e.g. VERSION = tfds.core.Version("1.0.0")',
        )
    return None, f'class {cls.name} has no VERSION; add VERSION = tfds.core.Version("1.0.0")'


def _supported_versions(cls: ast.ClassDef) -> tuple[tuple[str, ...], str | None]:
    """(versions, problem) from `SUPPORTED_VERSIONS = [tfds.core.Version("1.0.0"), "2.0.0", ...]`."""
    for stmt in cls.body:
        if not (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "SUPPORTED_VERSIONS" for t in stmt.targets)
        ):
            continue
        if not isinstance(stmt.value, ast.List | ast.Tuple):
            return (), f"SUPPORTED_VERSIONS of class {cls.name} must be a literal list of versions"
        versions: list[str] = []
        for item in stmt.value.elts:
            if isinstance(item, ast.Call) and base_name(item.func) == "Version" and item.args:
                item = item.args[0]
            if not (isinstance(item, ast.Constant) and isinstance(item.value, str) and VERSION_RE.match(item.value)):
                return (), f"SUPPORTED_VERSIONS of class {cls.name} must list literal MAJOR.MINOR.PATCH versions"
            versions.append(item.value)
        return tuple(versions), None
    return (), None


def check_builder_file(module: Path) -> BuilderSource:
    """Check one builder module; raise BuilderCheckError listing every problem."""
    where = str(module)
    stem = module.stem
    expected = stem.removesuffix(NEW_STYLE_SUFFIX) if stem.endswith(NEW_STYLE_SUFFIX) else stem
    if stem.endswith(NEW_STYLE_SUFFIX) and expected != module.parent.name:
        expected = module.parent.name
    problems: list[str] = []
    if not NAME_RE.match(expected):
        # The fix names a valid name, and the checks below give advice for that name, never the invalid one.
        invalid, expected = expected, valid_name(expected)
        folder = module.parent
        rename = (
            f"rename the folder to {expected} and the file to {expected}.py"
            if folder.name == invalid
            else f"rename the file to {expected}.py"
        )
        problems.append(
            f"{where}: dataset name {invalid!r} is not valid (lower_snake_case, starting with a letter): {rename}"
        )
    if not (module.parent / "__init__.py").is_file():
        problems.append(f"{where}: no __init__.py beside it; create an empty {module.parent / '__init__.py'}")
    try:
        tree = ast.parse(module.read_bytes(), filename=where)
    except SyntaxError as exc:
        problems.append(f"{where}:{exc.lineno}: syntax error: {exc.msg}; fix the file")
        raise BuilderCheckError(problems) from None
    except OSError as exc:
        raise UsageError(f"cannot read {where}: {exc.strerror}") from None

    found = builder_classes(tree)
    classes = registered(found)
    version: str | None = None
    supported: tuple[str, ...] = ()
    class_name = ""
    configs: tuple[str, ...] | None = None
    tfds_file = _file_tfds_imports(module.parent)
    if tfds_file != module:
        problems.append(_not_the_imported_file(module, tfds_file, classes))
    if not classes:
        problems.append(
            f"{where}: no tfds.core.GeneratorBasedBuilder subclass; define one named "
            f"{_camel(expected)} (the class name TFDS maps to {expected!r})"
        )
    elif len(classes) > 1:
        problems.append(_too_many(where, module, expected, classes))
    else:
        cls = classes[0]
        class_name = cls.name
        # New-style `<name>_dataset_builder.py` files may call the class `Builder`.
        new_style_builder = stem.endswith(NEW_STYLE_SUFFIX) and cls.name == "Builder"
        snake = cls.registered_name or camelcase_to_snakecase(cls.name)
        if not new_style_builder and snake != expected:
            problems.append(
                f"{where}:{cls.node.lineno}: class {cls.name} is registered by TFDS as {snake!r}, "
                f"not {expected!r}; {_rename_fix(tree, cls.name, expected, module, snake)}"
            )
        version, problem = _literal_version(cls.node)
        if problem:
            problems.append(f"{where}:{cls.node.lineno}: {problem}")
        supported, problem = _supported_versions(cls.node)
        if problem:
            problems.append(f"{where}:{cls.node.lineno}: {problem}")
        literal = literal_config_names(cls.node)
        configs = tuple(literal) if literal is not None else None
    if problems:
        raise BuilderCheckError(problems)
    assert version is not None
    return BuilderSource(
        name=expected,
        module=module,
        class_name=class_name,
        version=version,
        supported_versions=supported,
        configs=configs,
    )


def _file_tfds_imports(folder: Path) -> Path:
    """The module `tfds build FOLDER` imports (build.py always gives TFDS the folder)."""
    new_style = folder / f"{folder.name}{NEW_STYLE_SUFFIX}.py"
    return new_style if new_style.is_file() else folder / f"{folder.name}.py"


def _free_folder_fix(module: Path, name: str) -> str:
    """`move it to NAME/NAME.py`, or how to pick a name when that folder is taken."""
    target = module.parent.parent / name
    if target.exists():
        return f"move it into a new folder named after its dataset ({target} is taken, so rename the class first)"
    return f"move it to {target / (name + '.py')} with an empty __init__.py beside it"


def _not_the_imported_file(module: Path, tfds_file: Path, classes: list[BuilderClass]) -> str:
    name = camelcase_to_snakecase(classes[0].name) if len(classes) == 1 else module.stem
    if len(classes) == 1 and classes[0].registered_name:
        name = classes[0].registered_name
    fixes = [_free_folder_fix(module, name)]
    if name == module.parent.name and not tfds_file.exists():
        fixes.insert(0, f"rename it to {tfds_file.name}")
    return (
        f"{module}: build.py gives TFDS the folder {module.parent}, and TFDS imports {tfds_file.name} from it, "
        f"not {module.name}; {' or '.join(fixes)}"
    )


def _too_many(where: str, module: Path, expected: str, classes: list[BuilderClass]) -> str:
    names = ", ".join(c.name for c in classes)
    head = f"{where}: {len(classes)} builder classes ({names}); keep exactly one builder per file"
    bases = [c for c in classes if any(c.name in other.local_bases for other in classes)]
    if bases:
        subs = [c.name for c in classes if c not in bases]
        sub = subs[0] if subs else "Sub"
        base = bases[0].name
        return (
            f"{head}: TFDS registers the base class {base} as a builder too; move {base} into another module as a "
            f"plain mixin (no builder class among its bases) and declare "
            f"`class {sub}({base}, tfds.core.GeneratorBasedBuilder)`, or leave one of "
            f"{', '.join(REQUIRED_METHODS)} undefined in {base} so that TFDS sees it as abstract"
        )
    keep = [c for c in classes if (c.registered_name or camelcase_to_snakecase(c.name)) == expected]
    others = [c for c in classes if c not in keep]
    moves = "; ".join(
        f"{c.name}: {_free_folder_fix(module, c.registered_name or camelcase_to_snakecase(c.name))}"
        for c in (others if keep else classes[1:])
    )
    return f"{head}: keep {(keep or classes)[0].name} here and move the others out ({moves})"


def _rename_fix(tree: ast.Module, class_name: str, expected: str, module: Path, snake: str) -> str:
    """A fix that works: a class name TFDS maps to `expected` and nothing else in the file uses."""
    camel = _camel(expected)
    taken = {n.name for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)} - {class_name}
    if camelcase_to_snakecase(camel) == expected and camel not in taken:
        fix = f"rename the class to {camel}"
    else:
        fix = f'add `name = "{expected}"` to class {class_name}'
    return f"{fix} or {_free_folder_fix(module, snake)}"


def valid_name(name: str) -> str:
    """A valid dataset name close to `name`: TFDS's snake case of it, other characters as '_'."""
    snake = re.sub(r"[^a-z0-9_]+", "_", camelcase_to_snakecase(name.strip())).strip("_")
    snake = re.sub(r"_+", "_", snake)
    return snake if NAME_RE.match(snake) else f"ds_{snake}".rstrip("_")


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def check_builder_path(path: Path) -> BuilderSource:
    """Resolve a -lcs path (file or folder) and check it."""
    path = path.expanduser().absolute()
    return check_builder_file(find_builder_file(path))


def check_config_defined(source: BuilderSource, config: str) -> None:
    """UsageError when the builder's literal BUILDER_CONFIGS lacks `config` (None: left to TFDS)."""
    if source.configs is None or config in source.configs:
        return
    if not source.configs:
        raise UsageError(f"--config {config}: {source.module} defines no BUILDER_CONFIGS; build it without --config")
    raise UsageError(
        f"--config {config}: {source.module} defines only {', '.join(source.configs)}; "
        f"give one of them, or leave --config out to build them all"
    )
