"""`build.py --pack-only` and `--card-only`: which built datasets a command line names.

Resolution reads only the catalog entries it is handed and the data dir; it
never imports the build pipeline or the `tfds build` runner. Packing itself is
`dsbuild.artifact.tarball.pack_built`.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dsbuild.artifact.built_dataset import BuiltDataset, find_built, from_directory
from dsbuild.errors import NotBuiltError, UsageError
from dsbuild.options import hint
from dsbuild.paths import dataset_ref, looks_like_path

if TYPE_CHECKING:
    from dsbuild.build.catalog import CatalogEntry


def resolve_pack_targets(
    catalog: Mapping[str, CatalogEntry], data_dir: Path, targets: Sequence[str]
) -> list[BuiltDataset]:
    """Built datasets for --pack-only: a dataset name, NAME:VERSION or NAME-VERSION (in the data dir),
    or a built directory."""
    found: list[BuiltDataset] = []
    for raw in targets:
        ref = dataset_ref(raw)
        if ref is None and not looks_like_path(raw):
            raise UsageError(
                f"{raw!r} is not a dataset name (NAME, NAME:VERSION or NAME-VERSION); to name a built directory, "
                f"write it as a path: {shlex.quote('./' + raw)}"
            )
        if ref is None:  # a path
            found.append(from_directory(Path(raw)))
            continue
        target, version = ref
        if version is None:
            version = catalog[target].version if target in catalog else None
        built = find_built(data_dir, target, version)
        if built is None:
            where = f"{data_dir / target / version}" if version else f"{data_dir / target}"
            # Only catalog names work with -ds; a local builder is built from its folder.
            how = (
                f"`{hint('build.py', '-ds', target)}`"
                if target in catalog
                else f"`{hint('build.py', '-lcs', f'PATH/TO/{target}')}` ({target} is not in the catalog: give its "
                "builder folder)"
            )
            raise NotBuiltError(
                f"{target} is not built in {data_dir} (no {where}): build it first with {how}, "
                "or give the built directory's path"
            )
        found.append(built)
    return found
