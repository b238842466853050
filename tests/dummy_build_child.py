"""Build builder folders from their dummy_data/, the way their own tests do, in one process.

    python -m tests.dummy_build_child OUT_DIR FOLDER...

Each FOLDER's `<name>_test.py` (or `test_<name>.py`) DatasetBuilderTestCase supplies the mocked
download manager (dummy_data/ as the downloaded and extracted sources) and any
narrowing its setUpClass applies; every config is built into OUT_DIR. Examples
are serialized deterministically, as in the `tfds build` child. Prints one line
per folder: its name and seconds.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def build_folder(folder: Path, out_dir: Path) -> None:
    import tensorflow_datasets as tfds

    test_file = f"test_{folder.name}"  # the folder's parent is on PYTHONPATH (set by the caller)
    module = importlib.import_module(f"{folder.name}.{test_file}")
    case_classes = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, tfds.testing.DatasetBuilderTestCase)
        and obj is not tfds.testing.DatasetBuilderTestCase
    ]
    assert case_classes, f"{folder}: no DatasetBuilderTestCase in {test_file}.py"
    for cls in case_classes:  # one per version the folder tests
        _build_case(cls, out_dir)


def _build_case(cls: type, out_dir: Path) -> None:
    cls.setUpClass()
    try:
        case = cls("test_info")
        case.setUp()
        try:
            builder_cls = case.dataset_class
            configs = list(cls.BUILDER_CONFIG_NAMES_TO_TEST or [c.name for c in builder_cls.BUILDER_CONFIGS])

            def make_builder(config: object = None) -> object:  # the test's own, into out_dir
                return builder_cls(data_dir=str(out_dir), config=config, version=cls.VERSION)

            case._make_builder = make_builder
            for config in configs or [None]:
                case._download_and_prepare_as_dataset(make_builder(config))
        finally:
            case.tearDown()
    finally:
        cls.tearDownClass()


def main(argv: list[str]) -> int:
    from dsbuild.build import determinism

    determinism.apply()
    out_dir = Path(argv[0])
    for raw in argv[1:]:
        start = time.monotonic()
        build_folder(Path(raw).resolve(), out_dir)
        print(f"{Path(raw).name} {time.monotonic() - start:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
