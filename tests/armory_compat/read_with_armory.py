"""Child process: read a data dir of ours with armory-testbed's own builder classes only.

    python read_with_armory.py DATA_DIR IN_JSON OUT_JSON

IN_JSON lists, per dataset, the armory module holding its class and the configs
to read. For each: import ARMORY's module (never ours: names register once per
process), `tfds.builder(name, data_dir=DATA_DIR)`, decode every example of every
split, and describe what ARMORY's class sees. A failure is recorded, not raised,
so one dataset does not hide the others.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from pathlib import Path

import tensorflow_datasets as tfds

from tests.armory_compat.describe import describe


def read(name: str, module: str, config: str | None, data_dir: Path) -> dict:
    importlib.import_module(module)
    builder = tfds.builder(f"{name}/{config}" if config else name, data_dir=str(data_dir))
    decoded = {}
    for split in builder.info.splits:
        count = 0
        for _ in tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False)):
            count += 1
        decoded[split] = count
    return {**describe(builder), "decoded": dict(sorted(decoded.items())), "module": type(builder).__module__}


def main(argv: list[str]) -> int:
    data_dir, wanted, out = Path(argv[0]), json.loads(Path(argv[1]).read_text()), Path(argv[2])
    result: dict[str, list] = {}
    for name, spec in wanted.items():
        result[name] = []
        for config in spec["configs"]:
            try:
                result[name].append(read(name, spec["module"], config, data_dir))
            except Exception as exc:
                last = traceback.format_exception_only(exc)[-1].strip()
                result[name].append({"config": config, "error": last[:2000]})
    out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
