"""The supported datasets.

Two kinds: the armory builder folders found in `datasets/` (standard) and
`adversarial/`, read with `ast` through `dsbuild.build.builders`; and the TFDS-core
datasets armory uses, built by TFDS's own builders at the version the pinned
TFDS builds.

Each entry can build one or more versions (a builder's VERSION plus its
SUPPORTED_VERSIONS). The default is the class's VERSION, so `-ds NAME`, `-lcs
FOLDER` and a plain `tfds build FOLDER` build the same version; the version the
installed armory-testbed's loader requests is read from its files at run time
(`dsbuild.armory.loaders`) and shown beside it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from pathlib import Path

from dsbuild.build.builders import BuilderSource, check_builder_file, find_builder_file
from dsbuild.errors import BuilderCheckError, CatalogError, InvalidNameError, UnknownDatasetError, UsageError
from dsbuild.paths import check_name, split_name_version

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # dsbuild/build/catalog.py -> the repository
CATEGORY_DIRS = {"standard": "datasets", "adversarial": "adversarial"}
TFDS_CORE = "tfds-core"


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    category: str  # "tfds-core", "standard" or "adversarial"
    version: str  # the version this entry builds: the default, or the one asked for with NAME:VERSION
    armory_version: str | None  # what armory-testbed's loader requests; None: no loader for it
    source: BuilderSource | None = None  # None: built by TFDS's own registered builder
    problems: tuple[str, ...] = ()  # a builder folder that fails the checks: reported when it is asked for
    versions: tuple[str, ...] = ()  # every buildable version (empty: just `version`)
    armory_config: str | None = None  # the config armory-testbed's loader requests, if it names one

    @property
    def default_config(self) -> str | None:
        """The config built without --config: armory's for a TFDS-core dataset (TFDS would build every
        config, e.g. all of coco's 63 GiB for the 2017 one armory reads); None: the builder's own choice."""
        return self.armory_config if self.category == TFDS_CORE else None

    @property
    def buildable(self) -> tuple[str, ...]:
        return self.versions or (self.version,)

    @property
    def default(self) -> str:
        """The builder's VERSION (what `tfds build FOLDER` builds); TFDS core: the version TFDS builds."""
        return self.source.version if self.source else self.version

    @property
    def needs_version_argument(self) -> bool:
        """True when `tfds build` must be asked for `version` by name (it is not the builder's VERSION)."""
        return self.source is not None and self.version != self.source.version

    @property
    def tfds_target(self) -> str:
        """What `tfds build` is given: the builder folder, or the registered name."""
        return str(self.source.folder) if self.source else self.name


# name -> the version TFDS 4.9.10 builds. A test checks it against the installed
# TFDS, so an upgrade that changes one is caught. armory's versions are read at run time.
TFDS_CORE_DATASETS: dict[str, str] = {
    "mnist": "3.0.1",
    "cifar10": "3.0.2",
    "cifar100": "3.0.2",
    "imagenette": "1.0.0",
    "so2sat": "2.1.0",
    "coco": "1.1.0",
    "speech_commands": "0.0.3",
    "librispeech": "2.1.2",
    "ucf101": "2.0.0",
}


def _armory_versions() -> dict[str, str]:
    from dsbuild.armory.loaders import loader_requests

    return {name: request.version for name, request in loader_requests().items()}


def _folder_entry(source: BuilderSource, category: str, armory_version: str | None) -> CatalogEntry:
    return CatalogEntry(source.name, category, source.version, armory_version, source, versions=source.versions)


def scan_builder_folders(root: Path = PROJECT_ROOT) -> dict[str, CatalogEntry]:
    """Every builder folder under datasets/ and adversarial/, checked.

    A folder that fails the checks stays in the catalog with its problems, so it
    is reported when asked for without blocking the others; two folders with one
    name are an error at once.
    """
    entries: dict[str, CatalogEntry] = {}
    armory = _armory_versions()
    for category, dirname in CATEGORY_DIRS.items():
        base = root / dirname
        if not base.is_dir():
            continue
        for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
            try:
                source = check_builder_file(find_builder_file(folder))
            except (BuilderCheckError, UsageError) as exc:
                problems = tuple(exc.problems) if isinstance(exc, BuilderCheckError) else (str(exc),)
                entries.setdefault(folder.name, CatalogEntry(folder.name, category, "?", None, None, problems))
                continue
            if source.name in entries:
                other = entries[source.name].source
                raise CatalogError(
                    f"dataset name {source.name!r} is defined twice: {other.folder if other else '?'} "
                    f"and {source.folder}; names must be unique across datasets/ and adversarial/"
                )
            entries[source.name] = _folder_entry(source, category, armory.get(source.name))
    return entries


def load_catalog(root: Path = PROJECT_ROOT) -> dict[str, CatalogEntry]:
    """All supported datasets by name; armory's folders shadow TFDS-core builders of the same name."""
    from dsbuild.armory.loaders import loader_requests

    requests = loader_requests()
    catalog = {
        name: CatalogEntry(
            name,
            TFDS_CORE,
            version,
            requests[name].version if name in requests else None,
            armory_config=requests[name].config if name in requests else None,
        )
        for name, version in TFDS_CORE_DATASETS.items()
    }
    catalog.update(scan_builder_folders(root))
    return dict(sorted(catalog.items()))


def lookup(catalog: dict[str, CatalogEntry], name: str) -> CatalogEntry:
    """The entry for `NAME`, `NAME:VERSION` or `NAME-VERSION`; an unbuildable version is a UsageError."""
    name, version = split_name_version(name)
    entry = _lookup_name(catalog, name)
    if version is None or version == entry.version:
        return entry
    if version not in entry.buildable:
        raise UsageError(
            f"{name} has no version {version}: the supported versions are {', '.join(entry.buildable)} "
            f"(default {entry.default}; see `python build.py --list`)"
        )
    return replace(entry, version=version)


def _lookup_name(catalog: dict[str, CatalogEntry], name: str) -> CatalogEntry:
    if name not in catalog and name.lower() != name:
        # A case mistake (-ds Digit): suggest the real name rather than only reject the spelling.
        close = difflib.get_close_matches(name.lower(), catalog, n=3, cutoff=0.6)
        if close:
            raise InvalidNameError(
                f"invalid dataset name {name!r} (names are lower-case): did you mean {', '.join(close)}?"
            )
    check_name(name)
    if name in catalog:
        entry = catalog[name]
        if entry.problems:
            raise BuilderCheckError(list(entry.problems))
        return entry
    close = difflib.get_close_matches(name, catalog, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise UnknownDatasetError(
        f"unknown dataset {name!r}: {hint}run `python build.py --list` for the supported datasets, "
        "or build your own builder folder with -lcs PATH"
    )
