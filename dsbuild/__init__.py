"""dsbuild: build, pack, publish and restore ARMORY datasets with TensorFlow Datasets.

The library is grouped by stage of the pipeline; imports run one way, down this list (`loading`
and `build` never import each other):

- `loading/`   the consumer's API: `load` and `load_from_config`, local first, else fetched
- `build/`     builder source → `tfds build` → verified build (catalog, checks, preflight, the child, Beam)
- `remote/`    S3: the client, verified transfers, the upload and download workflows
- `armory/`    ARMORY's own formats: what its loaders request, its checksum lines
- `card/`      dataset cards, from a built dataset
- `artifact/`  what a build leaves and a download restores: built-dataset checks, TFRecords, the
               tarball, its checksum file, guarded extraction, installed-file comparison, provenance
- top level    shared by every stage: errors, log, paths, lock, leftovers, options, defaults, sizes, entry,
               batch, native_stderr, media_tools

`families/` (code the builder folders import) and `testing/` (their dummy data and test mixins) are
installed with the package so a builder folder copied anywhere still builds and tests.
`tests/test_imports.py` holds the direction rules. Nothing heavy is imported here: the entry scripts'
`-h` must answer instantly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load", "load_from_config"]


def __getattr__(name: str) -> Any:
    # `from dsbuild import load` imports the loading code only when asked for: `import dsbuild` stays free.
    if name in __all__:
        from dsbuild.loading import api

        return getattr(api, name)
    raise AttributeError(f"module 'dsbuild' has no attribute {name!r}")
