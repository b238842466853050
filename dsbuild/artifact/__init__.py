"""The artefact: what a build leaves in the data dir and what a download restores there.

Built-dataset structure, TFRecord verification without TensorFlow, the reproducible tarball, the tar
guard and safe extraction, the checksum file (and its provenance record), installed-file comparison.
Imports only the shared top-level modules: never `build`, `remote`, `armory` or `card`.
"""
