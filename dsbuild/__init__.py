"""dsbuild: build, pack, publish and restore ARMORY datasets with TensorFlow Datasets.

The library is grouped by stage of the pipeline; imports run one way, down this list:

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
