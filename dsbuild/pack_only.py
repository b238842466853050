"""`build.py --pack-only` (and upload.py given a built directory): verify and pack a dataset built before.

Resolution reads only the catalog entries it is handed and the data dir; it
never imports the build pipeline or the `tfds build` runner.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dsbuild.archive import PackResult, pack, remove_leftovers, remove_stale_temp_files
from dsbuild.built_dataset import BuiltDataset, check_structure, find_built, from_directory
from dsbuild.defaults import DEFAULT_COMPRESSION_LEVEL
from dsbuild.errors import NotBuiltError
from dsbuild.lock import dataset_lock
from dsbuild.paths import dataset_ref, tarball_name
from dsbuild.records import verify_built

if TYPE_CHECKING:
    from dsbuild.catalog import CatalogEntry


def resolve_pack_targets(
    catalog: Mapping[str, CatalogEntry], data_dir: Path, targets: Sequence[str]
) -> list[BuiltDataset]:
    """Built datasets for --pack-only: a dataset name, NAME:VERSION or NAME-VERSION (in the data dir),
    or a built directory."""
    found: list[BuiltDataset] = []
    for raw in targets:
        ref = dataset_ref(raw)
        if ref is None:  # not a dataset name, so a directory
            found.append(from_directory(Path(raw)))
            continue
        target, version = ref
        if version is None:
            version = catalog[target].version if target in catalog else None
        built = find_built(data_dir, target, version)
        if built is None:
            where = f"{data_dir / target / version}" if version else f"{data_dir / target}"
            out = shlex.quote(str(data_dir))
            # Only catalog names work with -ds; a local builder is built from its folder.
            how = (
                f"`python build.py -ds {target} -o {out}`"
                if target in catalog
                else f"`python build.py -lcs PATH/TO/{target} -o {out}` ({target} is not in the catalog: give its "
                "builder folder)"
            )
            raise NotBuiltError(
                f"{target} is not built in {data_dir} (no {where}): build it first with {how}, "
                "or give the built directory's path"
            )
        found.append(built)
    return found


def pack_built(
    built: BuiltDataset, verify_all: bool = False, compresslevel: int = DEFAULT_COMPRESSION_LEVEL
) -> PackResult:
    """Verify and pack a dataset built elsewhere (e.g. by a plain `tfds build`)."""
    with dataset_lock(built.data_dir, built.name):
        remove_stale_temp_files(built.data_dir / tarball_name(built.name, built.version))
        remove_leftovers(built.data_dir, built.name)
        check_structure(built)
        verify_built(built.data_dir, built.subdirs, all_examples=verify_all)  # TensorFlow only for verify_all
        return pack(built.data_dir, built.name, built.version, built.subdirs, compresslevel=compresslevel)
