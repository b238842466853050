"""Loading: the consumer's side — a dataset name (or a scenario's `dataset` block) to loaded data.

`installed` finds `<data_dir>/<name>[/<config>]/<version>/` and chooses the version; `api` opens it
with TFDS's read-only `builder_from_directory` (no builder code, no sources), fetching what is
missing exactly as download.py does. May import `artifact`, `armory` and `remote` (only when
something must be fetched: an installed dataset loads without boto3 or any network request);
never `build`. `from dsbuild import load, load_from_config` is the public entry.
"""
