"""Test mixin for builders whose tests edit a fresh copy of the committed dummy data."""

from __future__ import annotations

import json
import pathlib
import shutil
import tempfile
from collections.abc import Callable
from typing import Any


class CopiedDummyData:
    """Test mixin: `self.root` is a fresh copy of the folder `DUMMY`; `examples(split)` runs the builder on it.

    Use before a TestCase in the bases: `class T(CopiedDummyData, tfds.testing.TestCase)`.
    """

    DUMMY: pathlib.Path
    BUILDER: type

    def setUp(self):
        super().setUp()
        from etils import epath

        self.root = epath.Path(tempfile.mkdtemp())
        shutil.copytree(self.DUMMY, self.root, dirs_exist_ok=True)

    def tearDown(self):
        shutil.rmtree(self.root)
        super().tearDown()

    def examples(self, split: str) -> dict[int, dict]:
        builder = self.BUILDER(data_dir=str(self.root / "data"))
        return dict(builder._generate_examples(self.root, split))

    def edit_json(self, path: pathlib.Path, fn: Callable[[Any], None]) -> None:
        data = json.loads(path.read_text())
        fn(data)
        path.write_text(json.dumps(data))
