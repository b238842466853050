"""ARMORY scenario configs and download-data configs: which datasets they need, read without armory.

A scenario config (the JSON files of armory-testbed's `scenario_configs/`) names its data by loader:
`"dataset": {"module": "armory.data.datasets", "name": "cifar10", ...}`; an attack with
`"module": "armory.data.adversarial_datasets"` (type "preloaded") names a second one. `armory download
FILE [SCENARIO|list|all]` reads another format, `{"scenario": {NAME: {"dataset_name": [...],
"weights_file": [...]}}}`, whose dataset names are keys of armory's `datasets.SUPPORTED_DATASETS`.

Both resolve here to the `name[/config]:version` the loader passes to TFDS, read from armory-testbed's
loader sources with `ast` (`dsbuild.armory.loaders`): no armory data module, no TensorFlow, no network.
A name that is no function of its module is taken as a dataset name (`NAME`, `NAME:VERSION` or
`NAME/CONFIG:VERSION`): a dataset of your own, published with upload.py.

A config file is input from anyone: its size and nesting are bounded, each quote of it is cut to 200
characters, and every problem in it is a UsageError (exit 2) raised before any work.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsbuild.armory.loaders import (
    LOADER_MODULE_NAMES,
    loader_functions,
    requests_by_loader,
    supported_datasets,
)
from dsbuild.errors import UsageError
from dsbuild.paths import CONFIG_RE
from dsbuild.untrusted import QUOTE_LIMIT, nests_deeper

QUOTE_CHARS = QUOTE_LIMIT  # of any text taken from a config file, in any message
MAX_CONFIG_BYTES = 1 << 20  # armory's largest shipped scenario config is under 4 KiB
MAX_DEPTH = 64  # armory's configs nest 6 deep; a "[[[[..." bomb is refused before json recurses
MAX_PROBLEMS = 20  # listed in one message; the rest are counted
MAX_LISTED_NAMES = 50
CONFIGS_DIR = "scenario_configs"
DISTRIBUTION = "armory-testbed"
BLOCK_DATASET, BLOCK_ATTACK, BLOCK_DOWNLOAD = "dataset", "attack", "dataset_name"
COMMAND_LINE = "command line"
# NAME, NAME:VERSION, NAME-VERSION or NAME/CONFIG:VERSION (TFDS's spelling), for datasets of your own.
_DATASET_NAME_RE = re.compile(
    r"^(?P<name>[a-z][a-z0-9_]*)(?:(?:/(?P<config>[A-Za-z0-9][A-Za-z0-9_.\-]*))?:(?P<version>[0-9]+\.[0-9]+\.[0-9]+)"
    r"|-(?P<dashed>[0-9]+\.[0-9]+\.[0-9]+))?\Z"
)
_SHOWN_RE = re.compile(r"^[A-Za-z0-9_.:/\-]{1,200}\Z")  # a name printed as it is; anything else is quoted


def quote(text: object) -> str:
    """`text` as a quoted string for a message, at most QUOTE_CHARS characters of it."""
    raw = text if isinstance(text, str) else json.dumps(text) if _plain(text) else type(text).__name__
    return repr(raw[:QUOTE_CHARS]) + ("..." if len(raw) > QUOTE_CHARS else "")


def _plain(value: object) -> bool:
    return value is None or isinstance(value, bool | int | float)


@dataclass(frozen=True)
class DatasetRef:
    """A dataset as TFDS is asked for it: `name[/config]:version`."""

    name: str
    version: str | None  # None: a dataset of your own named without a version (the highest published)
    config: str | None = None

    @property
    def label(self) -> str:
        """`NAME VERSION`, and the config when there is one: what download.py prints."""
        text = f"{self.name} {self.version or '(highest published version)'}"
        return f"{text}, config {self.config}" if self.config else text

    @property
    def target(self) -> str:
        """download.py's spelling: NAME-VERSION (or NAME for the highest published version)."""
        return f"{self.name}-{self.version}" if self.version else self.name

    @property
    def subdir(self) -> str | None:
        """Where it is installed under the data dir; None without a version."""
        if self.version is None:
            return None
        return "/".join(p for p in (self.name, self.config, self.version) if p)


@dataclass(frozen=True)
class Resolution:
    """One dataset a config needs: resolved to a `DatasetRef`, or the reason it cannot be."""

    source: str  # the config file (and the scenario of a download-data config)
    block: str  # "dataset", "attack" or "dataset_name"
    module: str | None  # the loader module, None when either may hold the loader
    loader: str  # the name as the config writes it (quoted and cut to QUOTE_CHARS unless plain)
    dataset: DatasetRef | None
    reason: str = ""  # why `dataset` is None
    custom: bool = False  # `loader` is no loader: it was read as a dataset name
    hint: str = ""  # for a custom name: the loader names close to it, in case it is a typo

    @property
    def loader_label(self) -> str:
        return f"{self.module}.{self.loader}" if self.module else self.loader

    @property
    def origin(self) -> str:
        """What the config wrote, as download.py prints it: `loader MODULE.NAME` or `dataset name NAME`."""
        return f"dataset name {self.loader}" if self.custom else f"loader {self.loader_label}"


def _custom_ref(text: str) -> DatasetRef | None:
    match = _DATASET_NAME_RE.match(text) if len(text) <= QUOTE_CHARS else None
    if match is None:
        return None
    config = match["config"]
    if config is not None and (".." in config or not CONFIG_RE.match(config)):
        return None
    return DatasetRef(match["name"], match["version"] or match["dashed"], config)


def resolve(source: str, block: str, module: str | None, name: str, data_dir: Path | None = None) -> Resolution:
    """What loader `name` of `module` (None: either loader module) asks TFDS for."""
    requests = requests_by_loader(data_dir)
    functions = loader_functions(data_dir)
    modules = [module] if module else list(LOADER_MODULE_NAMES)
    shown = _shown(name)
    for candidate in modules:
        request = requests.get((candidate, name))
        if request is not None:
            return Resolution(
                source, block, candidate, shown, DatasetRef(request.name, request.version, request.config)
            )
    for candidate in modules:
        if name in functions.get(candidate, frozenset()):
            return Resolution(
                source,
                block,
                candidate,
                shown,
                None,
                f"{candidate}.{shown} asks TFDS for no dataset by name (it is a helper, or a loader that gets its "
                "data another way): there is nothing download.py can fetch for it",
            )
    loaders = sorted({loader for (found, loader) in requests if found in modules})
    close = difflib.get_close_matches(shown, loaders, n=3, cutoff=0.6)
    where = module or "armory-testbed's loader modules"
    elsewhere = [m for m in LOADER_MODULE_NAMES if m not in modules and (m, name) in requests]
    if elsewhere:
        close = [f"module {elsewhere[0]}, which has it"]
    hint = f"no loader {quote(name)} in {where}" + (f" (did you mean {', '.join(close)}?)" if close else "")
    ref = _custom_ref(name)
    if ref is not None:
        return Resolution(source, block, module, shown, ref, custom=True, hint=hint)
    return Resolution(
        source,
        block,
        module,
        shown,
        None,
        f"{hint}, and it is not a dataset name either (NAME, NAME:VERSION or NAME/CONFIG:VERSION)",
    )


# ---------------------------------------------------------------- reading files


def read_json(path: Path, what: str) -> Any:
    """The JSON in `path`, or a UsageError naming the file and what is wrong with it."""
    shown = quote(str(path))
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"{what} {shown} does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"{what} {shown} is a directory; give the .json file") from None
    except OSError as exc:
        raise UsageError(f"cannot read {what} {shown}: {exc.strerror or type(exc).__name__}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise UsageError(f"{what} {shown} is larger than {MAX_CONFIG_BYTES} bytes: not a config file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} {shown} is not UTF-8 text (byte {exc.start})") from None
    if nests_deeper(text, MAX_DEPTH):
        raise UsageError(f"{what} {shown} nests deeper than {MAX_DEPTH} levels: not a config file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what} {shown} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # the bracket count above should stop this first; never a traceback
        raise UsageError(f"{what} {shown} nests too deeply: not a config file") from None


def _raise_all(problems: Sequence[str]) -> None:
    if not problems:
        return
    shown = [f"  - {p}" for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"  - and {len(problems) - MAX_PROBLEMS} more")
    raise UsageError(f"{len(problems)} problem(s) in the config files; nothing was done:\n" + "\n".join(shown))


def _loader_block(block: dict[str, Any], where: str, problems: list[str]) -> tuple[str, str] | None:
    """(module, name) of a `dataset` (or preloaded `attack`) block, or None after adding its problem."""
    module, name = block.get("module"), block.get("name")
    if module not in LOADER_MODULE_NAMES:
        known = " or ".join(LOADER_MODULE_NAMES)
        problems.append(
            f"{where}.module is {quote(module)}, not {known}: download.py fetches only what armory-testbed's "
            'loaders load; for a dataset of your own, name it there ("module": "armory.data.datasets", '
            '"name": "NAME:VERSION") or run `python download.py NAME`'
        )
        return None
    if not isinstance(name, str) or not name:
        problems.append(f'{where}.name is {quote(name)}, not a loader name (e.g. "cifar10")')
        return None
    return module, name


def scenario_loaders(path: Path, problems: list[str]) -> list[tuple[str, str, str]]:
    """(block, module, name) of each dataset the scenario config at `path` loads; problems are added."""
    shown = quote(str(path))
    try:
        data = read_json(path, "scenario config")
    except UsageError as exc:
        problems.append(str(exc))
        return []
    if not isinstance(data, dict):
        problems.append(f"scenario config {shown} is a JSON {type(data).__name__}, not an object")
        return []
    dataset = data.get("dataset")
    if not isinstance(dataset, dict):
        what = 'has no "dataset" block' if dataset is None else 'has a "dataset" that is not an object'
        problems.append(f"scenario config {shown} {what}: ARMORY scenario configs name their data there")
        return []
    found: list[tuple[str, str, str]] = []
    loader = _loader_block(dataset, f'{shown}: "dataset"', problems)
    if loader is not None:
        found.append((BLOCK_DATASET, *loader))
    attack = data.get("attack")
    # An attack names a dataset when it loads from armory's data modules ("type": "preloaded").
    if isinstance(attack, dict) and (attack.get("type") == "preloaded" or attack.get("module") in LOADER_MODULE_NAMES):
        loader = _loader_block(attack, f'{shown}: "attack" (preloaded)', problems)
        if loader is not None:
            found.append((BLOCK_ATTACK, *loader))
    return found


def _require_armory(data_dir: Path | None) -> None:
    if not requests_by_loader(data_dir):
        raise UsageError(
            "armory-testbed is not installed here, and its loader sources are what turns a config's loader "
            "names into datasets: pip install armory-testbed (0.19.2), or name the datasets: download.py NAME"
        )


@dataclass(frozen=True)
class ConfigNeeds:
    """The datasets one config (or one scenario of a download-data config) needs, in its order."""

    source: str
    resolutions: tuple[Resolution, ...]


def resolve_scenarios(paths: Iterable[Path], data_dir: Path | None = None) -> list[ConfigNeeds]:
    """Every scenario config read and resolved; all problems in one UsageError, before any work."""
    _require_armory(data_dir)
    problems: list[str] = []
    read = [(path, scenario_loaders(path, problems)) for path in paths]
    _raise_all(problems)
    return [
        ConfigNeeds(
            str(path), tuple(resolve(str(path), block, module, name, data_dir) for block, module, name in loaders)
        )
        for path, loaders in read
    ]


# ---------------------------------------------------------------- armory download's config


def read_download_config(path: Path) -> dict[str, list[str]]:
    """Scenario name -> its `dataset_name` list, from a download-data config, validated whole."""
    shown = quote(str(path))
    data = read_json(path, "download-data config")
    # armory's own checks (armory.data.utils._read_validate_scenario_config), then what it indexes.
    if not isinstance(data, dict) or "scenario" not in data:
        raise UsageError(f'download-data config {shown} has no "scenario" object: {{"scenario": {{NAME: ...}}}}')
    scenarios = data["scenario"]
    if not isinstance(scenarios, dict):
        raise UsageError(f'download-data config {shown}: "scenario" is not an object of scenario names')
    problems: list[str] = []
    found: dict[str, list[str]] = {}
    for name, entry in scenarios.items():
        names = entry.get("dataset_name") if isinstance(entry, dict) else None
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            problems.append(
                f'{shown}: scenario {quote(name)} has no "dataset_name" list of dataset names (it holds {quote(names)})'
            )
            continue
        found[name] = names
    _raise_all(problems)
    return found


def scenario_names_line(scenarios: Iterable[str]) -> str:
    names = [quote(n) for n in scenarios]
    more = f" and {len(names) - MAX_LISTED_NAMES} more" if len(names) > MAX_LISTED_NAMES else ""
    return ", ".join(names[:MAX_LISTED_NAMES]) + more if names else "(none)"


def scenario_list_lines(path: Path) -> list[str]:
    """`--download-config FILE list`: each scenario and the dataset names it lists (armory lists the names)."""
    scenarios = read_download_config(path)
    lines = [
        f"{_shown(name)}: {', '.join(_shown(d) for d in datasets) or '(no datasets)'}"
        for name, datasets in scenarios.items()
    ]
    return lines or [f"{quote(str(path))}: no scenarios"]


def _shown(text: str) -> str:
    return text if _SHOWN_RE.match(text) else quote(text)


def select_scenarios(scenarios: dict[str, list[str]], which: str, path: Path) -> list[str]:
    """`all`: every scenario, in file order; else the one named (armory's semantics); `list` is the caller's."""
    if which == "all":
        return list(scenarios)
    if which in scenarios:
        return [which]
    raise UsageError(
        f"download-data config {quote(str(path))} has no scenario {quote(which)}; its scenarios are "
        f"{scenario_names_line(scenarios)} (or give list, or all)"
    )


def resolve_download_config(path: Path, which: str = "all", data_dir: Path | None = None) -> list[ConfigNeeds]:
    """The datasets of scenario `which` (or `all`) of a download-data config, resolved.

    Each name is a key of armory's `SUPPORTED_DATASETS` (the loader it calls), else any loader of
    that name in either loader module, else a dataset name of your own.
    """
    _require_armory(data_dir)
    scenarios = read_download_config(path)
    supported = supported_datasets(data_dir)
    found = []
    for scenario in select_scenarios(scenarios, which, path):
        source = f"{path} (scenario {quote(scenario)})"
        needs = []
        for name in scenarios[scenario]:
            if name in supported:
                resolution = resolve(source, BLOCK_DOWNLOAD, "armory.data.datasets", supported[name], data_dir)
            else:
                resolution = resolve(source, BLOCK_DOWNLOAD, None, name, data_dir)
            needs.append(resolution)
        found.append(ConfigNeeds(source, tuple(needs)))
    return found


def named_datasets(targets: Iterable[str]) -> ConfigNeeds:
    """Dataset names given beside configs (NAME, NAME:VERSION, NAME-VERSION): datasets, never loaders."""
    found = []
    for target in targets:
        ref = _custom_ref(target)
        if ref is None:
            raise UsageError(
                f"{quote(target)}: with --scenario, --download-config or --dry-run, name datasets as NAME, "
                "NAME:VERSION or NAME-VERSION (not checksum file paths or s3:// URLs)"
            )
        found.append(Resolution(COMMAND_LINE, "name", None, target, ref, custom=True))
    return ConfigNeeds(COMMAND_LINE, tuple(found))


# ---------------------------------------------------------------- armory's shipped configs


def shipped_scenario_configs() -> list[Path]:
    """Every scenario config the installed armory-testbed ships (its `scenario_configs/**/*.json`)."""
    from importlib import metadata

    try:
        files = metadata.distribution(DISTRIBUTION).files or []
    except metadata.PackageNotFoundError:
        return []
    found = [f for f in files if f.parts[:1] == (CONFIGS_DIR,) and f.suffix == ".json"]
    return sorted(Path(str(f.locate())) for f in found)
