"""Child process: build our builder folders from their dummy data into one data dir, and describe them.

    python build_ours.py DATA_DIR OUT_JSON FOLDER[:VERSION] ...

Each folder is built the way its own test builds it (the folder's
`tfds.testing.DatasetBuilderTestCase`, with TFDS's download manager answered
from `dummy_data/`), every builder config, at VERSION (default: the class's).
Only our classes are imported here: dataset names register once per process,
and ARMORY's classes of the same names are read in another process.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import tensorflow_datasets as tfds

from tests.armory_compat.describe import describe


def _test_class(folder: Path, version: str | None) -> type:
    module = importlib.import_module(f"{folder.name}.test_{folder.name}")
    cases = [
        c
        for c in vars(module).values()
        if isinstance(c, type) and issubclass(c, tfds.testing.DatasetBuilderTestCase) and c.DATASET_CLASS is not None
    ]
    for case in cases:
        if str(case.VERSION or case.DATASET_CLASS.VERSION) == (version or str(case.DATASET_CLASS.VERSION)):
            return case
    raise SystemExit(f"{folder}: no DatasetBuilderTestCase builds version {version}")


def build(folder: Path, version: str | None, data_dir: Path) -> list[dict]:
    case_cls = _test_class(folder, version)
    case_cls.setUpClass()
    case = case_cls("test_download_and_prepare_as_dataset")
    case.setUp()
    case.tmp_dir = str(data_dir)  # the test case builds, then reloads, in its tmp_dir: make that ours
    try:
        configs = list(
            case_cls.BUILDER_CONFIG_NAMES_TO_TEST or [c.name for c in case_cls.DATASET_CLASS.BUILDER_CONFIGS]
        )
        described = []
        for config in configs or [None]:
            builder = case._make_builder(config=config)
            case._download_and_prepare_as_dataset(builder)
            described.append(describe(builder))
        return described
    finally:
        case.tearDown()
        case_cls.tearDownClass()


def main(argv: list[str]) -> int:
    data_dir, out = Path(argv[0]), Path(argv[1])
    result = {}
    for spec in argv[2:]:
        folder, _, version = spec.partition(":")
        result[Path(folder).name] = build(Path(folder), version or None, data_dir)
    out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
