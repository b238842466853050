"""The supported datasets.

Two kinds: the armory builder folders found in `datasets/` (standard) and
`adversarial/`, read with `ast` through `dsbuild.builders`; and the TFDS-core
datasets armory uses, built by TFDS's own builders at the version the pinned
TFDS builds. The facts (versions, armory's published versions) were copied from
armory's dataset records; nothing here reads them at run time.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from dsbuild.builders import BuilderSource, check_builder_file, find_builder_file
from dsbuild.errors import BuilderCheckError, CatalogError, InvalidNameError, UnknownDatasetError, UsageError
from dsbuild.paths import check_name

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CATEGORY_DIRS = {"standard": "datasets", "adversarial": "adversarial"}
TFDS_CORE = "tfds-core"


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    category: str  # "tfds-core", "standard" or "adversarial"
    version: str  # the version this project builds
    armory_version: str  # the version armory publishes
    source: BuilderSource | None = None  # None: built by TFDS's own registered builder
    problems: tuple[str, ...] = ()  # a builder folder that fails the checks: reported when it is asked for

    @property
    def tfds_target(self) -> str:
        """What `tfds build` is given: the builder folder, or the registered name."""
        return str(self.source.folder) if self.source else self.name


# name -> (version TFDS 4.9.10 builds, version armory publishes). A test checks the
# first against the installed TFDS, so an upgrade that changes one is caught.
TFDS_CORE_DATASETS: dict[str, tuple[str, str]] = {
    "mnist": ("3.0.1", "3.0.1"),
    "cifar10": ("3.0.2", "3.0.2"),
    "cifar100": ("3.0.2", "3.0.2"),
    "imagenette": ("1.0.0", "1.0.0"),
    "so2sat": ("2.1.0", "2.1.0"),
    "coco": ("1.1.0", "1.1.0"),
    "speech_commands": ("0.0.3", "0.0.2"),
    "librispeech": ("2.1.2", "2.1.0"),
    "ucf101": ("2.0.0", "2.0.0"),
}


def scan_builder_folders(root: Path = PROJECT_ROOT) -> dict[str, CatalogEntry]:
    """Every builder folder under datasets/ and adversarial/, checked.

    A folder that fails the checks stays in the catalog with its problems, so it
    is reported when asked for without blocking the others; two folders with one
    name are an error at once.
    """
    entries: dict[str, CatalogEntry] = {}
    for category, dirname in CATEGORY_DIRS.items():
        base = root / dirname
        if not base.is_dir():
            continue
        for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
            try:
                source = check_builder_file(find_builder_file(folder))
            except (BuilderCheckError, UsageError) as exc:
                problems = tuple(exc.problems) if isinstance(exc, BuilderCheckError) else (str(exc),)
                entries.setdefault(folder.name, CatalogEntry(folder.name, category, "?", "?", None, problems))
                continue
            if source.name in entries:
                other = entries[source.name].source
                raise CatalogError(
                    f"dataset name {source.name!r} is defined twice: {other.folder if other else '?'} "
                    f"and {source.folder}; names must be unique across datasets/ and adversarial/"
                )
            entries[source.name] = CatalogEntry(source.name, category, source.version, source.version, source)
    return entries


def load_catalog(root: Path = PROJECT_ROOT) -> dict[str, CatalogEntry]:
    """All supported datasets by name; armory's folders shadow TFDS-core builders of the same name."""
    catalog = {
        name: CatalogEntry(name, TFDS_CORE, version, armory_version)
        for name, (version, armory_version) in TFDS_CORE_DATASETS.items()
    }
    catalog.update(scan_builder_folders(root))
    return dict(sorted(catalog.items()))


def lookup(catalog: dict[str, CatalogEntry], name: str) -> CatalogEntry:
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
