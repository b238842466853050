"""Deterministic shard bytes: protobuf's deterministic serialization inside TFDS.

Protobuf writes a map field (the `tf.train.Example` feature map) in an order
that changes from process to process, so the same examples give different
shard bytes. TFDS 4.9.x serializes every example it writes, for every file
format and for `--num-processes`, through one method,
`ExampleSerializer.serialize_example`, which calls `SerializeToString()`;
`apply()` replaces it with the same call made with `deterministic=True`.

`apply()` refuses (raises) if that method no longer has the source it was
written against, so a TFDS upgrade that moves the place fails loudly instead
of silently producing unreproducible shards (tests/test_determinism.py pins it).

Other sources of non-determinism in a build, audited for TFDS 4.9.10:
- example order: TFDS sorts examples by a hash of their key with a fixed salt
  (siphash in `core/shuffle.py`), independent of PYTHONHASHSEED;
- shard boundaries: computed from example count and total size only;
- file names: `{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}`, no time or host;
- dataset_info.json / features.json: JSON written with sorted keys by protobuf's
  json_format; no dates, hosts or absolute paths (`moduleName` is the builder
  folder's name and module, so a builder must be built from a folder of the same
  name; `downloadSize` and `downloadChecksums` come from the sources themselves);
- floats: stored as raw IEEE floats in the protos, never formatted as text;
- images/audio: re-encoded by TFDS with libpng/libjpeg/ffmpeg-free encoders that
  are deterministic for one installed version; a different TensorFlow or Pillow
  may change encoded bytes (hence the versions in the provenance).
"""

from __future__ import annotations

import inspect
from typing import Any

# The exact body we patch, as TFDS 4.9.10 writes it (docstring excluded).
EXPECTED_CALL = "return self.get_tf_example(example).SerializeToString()"
_MARK = "_dsbuild_deterministic"


class PatchPointMovedError(RuntimeError):
    """TFDS no longer serializes examples where `apply()` expects it to."""


def _serializer_class() -> Any:
    from tensorflow_datasets.core import example_serializer

    return example_serializer.ExampleSerializer


def check_patch_point() -> None:
    """Raise PatchPointMovedError unless TFDS serializes examples exactly as expected."""
    cls = _serializer_class()
    method = cls.__dict__.get("serialize_example")
    if method is None:
        raise PatchPointMovedError("tensorflow_datasets ExampleSerializer.serialize_example is gone")
    if getattr(method, _MARK, False):
        return
    source = inspect.getsource(method)
    if list(inspect.signature(method).parameters) != ["self", "example"] or EXPECTED_CALL not in source:
        raise PatchPointMovedError(
            "tensorflow_datasets ExampleSerializer.serialize_example changed; builds would not be "
            "reproducible: update dsbuild/build/determinism.py for this TFDS version"
        )


def apply() -> None:
    """Make every example TFDS writes in this process serialize deterministically (idempotent)."""
    check_patch_point()
    cls = _serializer_class()
    if getattr(cls.__dict__["serialize_example"], _MARK, False):
        return

    def serialize_example(self: Any, example: Any) -> bytes:
        return self.get_tf_example(example).SerializeToString(deterministic=True)

    setattr(serialize_example, _MARK, True)
    cls.serialize_example = serialize_example


def is_applied() -> bool:
    return bool(getattr(_serializer_class().__dict__.get("serialize_example"), _MARK, False))
