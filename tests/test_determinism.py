"""Deterministic serialization: the TFDS place it patches is pinned, and the bytes agree across processes."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT

# Serializes one 24-feature example through TFDS's own ExampleSerializer; prints its hex.
_CHILD = """
import sys
import numpy as np
from dsbuild.build import determinism
from tensorflow_datasets.core import example_serializer
from tensorflow_datasets.core.features import TensorInfo
if sys.argv[1] == "patched":
    determinism.apply()
specs = {f"f{i}": TensorInfo(shape=(), dtype=np.int64) for i in range(24)}
serializer = example_serializer.ExampleSerializer(specs)
print(serializer.serialize_example({k: i for i, k in enumerate(specs)}).hex())
"""


def serialize_in_child(mode: str, seed: int) -> str:
    env = {**os.environ, "PYTHONHASHSEED": str(seed), "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, env=env, check=True, cwd=ROOT
    )
    return result.stdout.strip()


def test_the_patched_tfds_method_is_where_we_expect_it() -> None:
    """Fails on a TFDS upgrade that moves or changes how examples are serialized."""
    from tensorflow_datasets.core import example_serializer, writer

    from dsbuild.build import determinism

    method = example_serializer.ExampleSerializer.__dict__["serialize_example"]
    if not determinism.is_applied():
        assert determinism.EXPECTED_CALL in inspect.getsource(method)
        assert list(inspect.signature(method).parameters) == ["self", "example"]
    determinism.check_patch_point()
    # The writers reach the serializer only through that method.
    writer_source = inspect.getsource(writer)
    assert "self._serializer.serialize_example(" in writer_source
    assert "SerializeToString" not in writer_source


def test_a_moved_patch_point_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from tensorflow_datasets.core import example_serializer

    from dsbuild.build import determinism

    def serialize_example(self, example):  # another body, as a future TFDS might have
        return self.get_tf_example(example).SerializePartialToString()

    monkeypatch.setattr(example_serializer.ExampleSerializer, "serialize_example", serialize_example)
    with pytest.raises(determinism.PatchPointMovedError, match=r"update dsbuild/build/determinism\.py"):
        determinism.apply()


def test_patched_serialization_is_the_same_bytes_in_every_process() -> None:
    patched = {serialize_in_child("patched", seed) for seed in (1, 2, 3)}
    assert len(patched) == 1
    # Same content: the plain serialization parses to the same example.
    from tensorflow.core.example import example_pb2

    plain = example_pb2.Example.FromString(bytes.fromhex(serialize_in_child("plain", 4)))
    assert plain == example_pb2.Example.FromString(bytes.fromhex(patched.pop()))
