"""Building: from a builder name or folder to a verified `<data_dir>/<name>/<version>/`.

The catalog of supported datasets, `ast` checks of builder sources, the preflight plan, the one
place that starts `tfds build` and the child that runs it, Beam, deterministic shards, live progress,
`--check` rebuilds, the pipeline that ties them together, and `--add-custom` (a build made elsewhere
by `tfds build`, brought into the data dir; TFDS's registered names read from its files). May import
every other stage (it packs with `artifact`, reads ARMORY's versions from `armory`, fetches a published
record with `remote`); nothing outside `build` imports it, except the builder families (`determinism`).
"""
