"""ARMORY's own formats, read from the installed armory-testbed without importing its data modules.

`loaders`: the `name[/config]:version` each of its loaders requests and its original builder
classes; `checksum_lines`: its `cached_s3_checksums/<name>.txt` lines; `scenarios`: scenario and
download-data configs resolved to the datasets they load. May import `artifact`; never `build` or
`remote`.
"""
