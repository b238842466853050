"""Apache Beam builds: options collected and checked before any work, the child's hook, the runner summary.

TFDS 4.9.10 splits `--beam_pipeline_options` on commas and ignores what it cannot use, so build.py
never hands it that string: the parent checks the flags here (exit 2 on anything wrong) and the
`tfds build` child installs them directly on the DownloadConfig (`install_child_hook`), after
refusing a builder that would ignore them. Beam is imported only when Beam options were given.
"""

from __future__ import annotations

import ast
import contextlib
import io
import logging
import os
import re
import sys
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsbuild.errors import UsageError

# Exit code of the `tfds build` child that refused a builder which cannot run on Beam (reason in the result file).
BEAM_REFUSED = 87
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Option classes Beam registers only when their runner module is imported.
_RUNNER_OPTION_MODULES = (
    "apache_beam.runners.portability.flink_runner",
    "apache_beam.runners.portability.spark_runner",
)


@dataclass(frozen=True)
class BeamSettings:
    """Checked Beam flags (`--key=value`) and what the summary says about the runner."""

    flags: tuple[str, ...]
    runner: str
    workers: str

    def summary(self) -> str:
        return f"{self.runner}, {self.workers}"


def collect_flags(pipeline_options: str | None, options: Sequence[str]) -> list[str]:
    """Flags from `--beam-pipeline-options K=V,K2=V2` (TFDS's comma form) and repeated `--beam-option K=V`.

    A `--beam-option` value may hold commas. `K` alone is a boolean flag. Raises UsageError on a bad key.
    """
    items = [item for item in (pipeline_options or "").split(",") if item.strip()]
    flags = []
    for item in [*items, *options]:
        key, eq, value = item.strip().removeprefix("--").partition("=")
        if not _KEY_RE.match(key):
            raise UsageError(f"Beam option {item!r} is not KEY=VALUE with KEY like direct_num_workers")
        flags.append(f"--{key}={value}" if eq else f"--{key}")
    return flags


def check_request(flags: Sequence[str], *, max_examples_per_split: int | None) -> BeamSettings | None:
    """The checked settings, or None without flags. UsageError (exit 2) for what a Beam build cannot honour."""
    if not flags:
        return None
    if max_examples_per_split is not None:
        raise UsageError(
            "--max-examples-per-split cannot be used with Beam options: TFDS 4.9.10 ignores it in Beam "
            "pipelines and would build every example; build without Beam to get a subset"
        )
    return describe(flags)


def pipeline_options(flags: Sequence[str]) -> Any:
    """`PipelineOptions(flags)`, every option known (UsageError otherwise); option classes of runners loaded."""
    import importlib

    with _level(logging.getLogger(), logging.ERROR):  # Beam's import warns that GCP's apitools is absent.
        from apache_beam.options.pipeline_options import PipelineOptions

    for module in _RUNNER_OPTION_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    options = PipelineOptions(list(flags))
    stderr = io.StringIO()
    quiet = logging.getLogger("apache_beam.options.pipeline_options")
    try:
        with contextlib.redirect_stderr(stderr), _level(quiet, logging.ERROR):
            known = options.get_all_options()
            everything = options.get_all_options(retain_unknown_options=True)
    except SystemExit:
        lines = [line for line in stderr.getvalue().splitlines() if "error:" in line]
        reason = lines[-1].split("error:", 1)[1].strip() if lines else "not accepted by Beam"
        raise UsageError(f"bad Beam option: {reason}") from None
    unknown = sorted(set(everything) - set(known))
    if unknown:
        raise UsageError(
            f"unknown Beam option(s): {', '.join(unknown)} (Beam {_beam_version()} knows none of them; "
            "check the spelling, e.g. direct_num_workers, direct_running_mode, runner, environment_type)"
        )
    return options


@contextlib.contextmanager
def _beam_logging_to_debug() -> Iterator[None]:
    """Beam logs warnings at import through the root logger ("apitools not found ..."), which Python
    prints on stderr when nothing handles them: while Beam is imported here, they go to our debug log."""
    from dsbuild.log import log

    class ToDebug(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            log.debug("Apache Beam: {}", record.getMessage())

    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = [ToDebug()]
    try:
        yield
    finally:
        root.handlers = saved


def describe(flags: Sequence[str]) -> BeamSettings:
    """Check `flags` and say which runner will run and with how many workers."""
    with _beam_logging_to_debug():
        return _describe(flags)


def _describe(flags: Sequence[str]) -> BeamSettings:
    from apache_beam.options.pipeline_options import DirectOptions, PortableOptions, StandardOptions

    options = pipeline_options(flags)
    runner = options.view_as(StandardOptions).runner or "DirectRunner"
    if runner.rsplit(".", 1)[-1] == "DirectRunner":
        # Beam 2.77's DirectRunner first tries Prism, which downloads a binary from GitHub (no good
        # air-gapped), serves workers on all interfaces and ignores direct_num_workers; its fallback,
        # the FnApiRunner, is what honours direct_running_mode, so it is named directly.
        flags = [*(flag for flag in flags if not flag.startswith("--runner=")), "--runner=FnApiRunner"]
        runner = "DirectRunner (its FnApiRunner)"
    if runner.endswith(("DirectRunner", "FnApiRunner", "(its FnApiRunner)")):
        direct = options.view_as(DirectOptions)
        count = direct.direct_num_workers or os.cpu_count() or 1
        mode = direct.direct_running_mode
        workers = f"{mode}, {count} worker{'s' if count != 1 else ''}"
        if mode == "in_memory":
            workers = "in_memory, 1 worker (set direct_running_mode=multi_processing to use more)"
    else:
        portable = options.view_as(PortableOptions)
        env = portable.environment_type or "DOCKER"
        where = f" at {portable.environment_config}" if portable.environment_config else ""
        parallelism = portable.sdk_worker_parallelism
        workers = f"{env} environment{where}, workers started by the runner (sdk_worker_parallelism={parallelism})"
    return BeamSettings(tuple(flags), runner, workers)


@contextlib.contextmanager
def _level(logger: logging.Logger, level: int) -> Iterator[None]:
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _beam_version() -> str:
    import apache_beam

    return apache_beam.__version__


def worker_env(target: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The `tfds build` child's environment, so Beam workers it starts import the builder and dsbuild.

    TFDS imports a builder folder `<parent>/<name>` as package `<name>` with `<parent>` on sys.path
    for the import only; worker processes start fresh, so `<parent>` and this project's root go on
    PYTHONPATH. A registered dataset name (no folder) needs only the project root.
    """
    env = dict(os.environ if environ is None else environ)
    project_root = str(Path(__file__).resolve().parents[2])  # the directory holding dsbuild/
    parts = [str(Path(target).parent)] if os.sep in target else []
    parts.append(project_root)
    if env.get("PYTHONPATH"):
        parts.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))
    return env


# Bases that say "Beam" by name, and the builder methods whose Beam use makes a Beam dataset.
_BEAM_BASES = frozenset({"BeamBasedBuilder", "BeamCapable"})
_GENERATING_METHODS = frozenset({"_generate_examples", "_split_generators", "_build_pcollection"})
_TFDS_BASES = frozenset({"GeneratorBasedBuilder", "DatasetBuilder", "object", "ABC"})


def _mentions_beam(node: ast.AST) -> bool:
    """`beam`, `apache_beam` or `lazy_imports.apache_beam` anywhere under `node`."""
    return any(
        (isinstance(n, ast.Name) and n.id in ("beam", "apache_beam"))
        or (isinstance(n, ast.Attribute) and n.attr == "apache_beam")
        or (isinstance(n, ast.alias) and n.name.split(".")[0] == "apache_beam")
        for n in ast.walk(node)
    )


class _Module:
    """One parsed module: its classes, and where its imported names come from (for bases)."""

    def __init__(self, path: Path) -> None:
        tree = ast.parse(path.read_bytes(), filename=str(path))
        self.classes = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
        self.imports: dict[str, str] = {}  # local name -> dotted module or module.Class
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else ""

    def resolve(self, base: ast.expr, depth: int) -> tuple[ast.ClassDef, _Module] | None:
        """The class a base names, in this file or in one of this project's modules (read, not imported)."""
        if isinstance(base, ast.Name) and base.id in self.classes:
            return self.classes[base.id], self
        dotted = ""
        if isinstance(base, ast.Name):
            dotted = self.imports.get(base.id, "")
        elif isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
            module = self.imports.get(base.value.id, "")
            dotted = f"{module}.{base.attr}" if module else ""
        module_name, _, class_name = dotted.rpartition(".")
        if depth > 3 or not module_name.startswith("dsbuild."):
            return None
        path = Path(__file__).resolve().parents[2].joinpath(*module_name.split(".")).with_suffix(".py")
        if not path.is_file():
            return None
        other = _Module(path)
        return (other.classes[class_name], other) if class_name in other.classes else None


def class_uses_beam(cls: ast.ClassDef, module: _Module, depth: int = 0) -> bool | None:
    """True: TFDS would generate `cls` on Beam (a Beam base or marker, or a generating method that builds
    a `beam.PTransform`); False: it cannot; None: a base from elsewhere decides (the child finds out)."""
    if any(_base(b) in _BEAM_BASES for b in cls.bases):
        return True
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(getattr(t, "id", "") == "BEAM_CAPABLE" for t in stmt.targets):
            return bool(isinstance(stmt.value, ast.Constant) and stmt.value.value)
        if isinstance(stmt, ast.FunctionDef) and stmt.name in _GENERATING_METHODS and _mentions_beam(stmt):
            return True
    verdict: bool | None = False
    for base in cls.bases:
        name = _base(base)
        if name in _TFDS_BASES:
            continue
        resolved = module.resolve(base, depth)
        found = None
        if resolved is not None and resolved[0] is not cls:
            found = class_uses_beam(resolved[0], resolved[1], depth + 1)
        if found:
            return True
        if found is None:
            verdict = None
    return verdict


def _base(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def source_uses_beam(module: Path, class_name: str) -> bool | None:
    """class_uses_beam for the builder class `class_name` of a builder file, read with `ast` (nothing imported)."""
    parsed = _Module(module)
    return class_uses_beam(parsed.classes[class_name], parsed) if class_name in parsed.classes else None


def refuse_if_not_beam(name: str, module: Path, class_name: str) -> None:
    """UsageError, in the parent before any child starts, for a builder that visibly cannot use Beam."""
    if source_uses_beam(module, class_name) is False:
        raise UsageError(
            f"{name} cannot run on Apache Beam ({module.name}: class {class_name} generates in one process: its "
            "_generate_examples returns no beam.PTransform and it derives from no Beam builder; TFDS would "
            "ignore the Beam options): build it without Beam options"
        )


def is_beam_capable(builder_cls: type) -> bool:
    """In the child: what TFDS generates on Beam. A legacy BeamBasedBuilder, the BEAM_CAPABLE marker
    (dsbuild.families.beam_support.BeamCapable), or a class whose generating methods build a
    `beam.PTransform` (TFDS's documented way), in its own source or a base's."""
    import inspect

    import tensorflow_datasets as tfds

    if getattr(builder_cls, "BEAM_CAPABLE", False) or issubclass(builder_cls, tfds.core.BeamBasedBuilder):
        return True
    for klass in builder_cls.__mro__:
        if klass.__module__.startswith(("tensorflow_datasets.", "builtins", "abc")):
            continue
        try:
            node = ast.parse(textwrap.dedent(inspect.getsource(klass))).body[0]
        except (OSError, TypeError, SyntaxError, IndexError):
            continue
        if isinstance(node, ast.ClassDef) and any(
            isinstance(stmt, ast.FunctionDef) and stmt.name in _GENERATING_METHODS and _mentions_beam(stmt)
            for stmt in node.body
        ):
            return True
    return False


def install_child_hook(flags: Sequence[str], result: Path) -> None:
    """In the `tfds build` child: give every builder TFDS prepares these Beam options, or refuse it.

    Wraps `cli_utils.download_and_prepare`, the one call TFDS's CLI makes per builder. A builder that
    cannot use Beam exits the child with BEAM_REFUSED before generating anything (reason in `result`).
    The builder's own module is pickled by value, so remote workers need only the image (TFDS, dsbuild).
    """
    import tensorflow_datasets as tfds
    from apache_beam.internal.cloudpickle import cloudpickle
    from tensorflow_datasets.scripts.cli import cli_utils

    original = cli_utils.download_and_prepare

    def download_and_prepare(*, builder: Any, download_config: Any, **kwargs: Any) -> None:
        cls = type(builder)
        if not is_beam_capable(cls):
            result.write_text(
                f"{builder.name} cannot run on Apache Beam ({cls.__module__}.{cls.__name__} generates in one "
                "process; TFDS would ignore the Beam options): build it without Beam options",
                encoding="utf-8",
            )
            raise SystemExit(BEAM_REFUSED)
        module = sys.modules.get(cls.__module__)
        if module is not None and not cls.__module__.startswith(("tensorflow_datasets.", "dsbuild.")):
            cloudpickle.register_pickle_by_value(module)
        download_config = download_config or tfds.download.DownloadConfig()
        download_config.beam_options = pipeline_options(flags)
        kwargs["beam_pipeline_options"] = None
        original(builder=builder, download_config=download_config, **kwargs)

    cli_utils.download_and_prepare = download_and_prepare
