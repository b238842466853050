"""Generating a supported version older than a builder's VERSION.

TFDS generates only a builder's VERSION and its highest supported version
(`download_and_prepare` calls any other "too old"). A builder folder keeps one
default, its VERSION, and lists older ones in SUPPORTED_VERSIONS; to generate
one of those, the `tfds build` child (and a builder's own test) makes it the
class's VERSION for the time being, the others its SUPPORTED_VERSIONS. The
builder code itself picks its sources and features by `self.version`, so the
result is what that version's own VERSION would have built.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _versions(cls: type[Any]) -> list[Any]:
    return [cls.VERSION, *getattr(cls, "SUPPORTED_VERSIONS", [])]


@contextmanager
def generate_as(cls: type[Any], version: str) -> Iterator[None]:
    """Inside the block, `cls` generates `version` (one of its VERSION and SUPPORTED_VERSIONS)."""
    import tensorflow_datasets as tfds

    saved = {key: cls.__dict__[key] for key in ("VERSION", "SUPPORTED_VERSIONS") if key in cls.__dict__}
    versions = _versions(cls)
    if version not in {str(v) for v in versions}:
        raise ValueError(f"{cls.__name__} does not support version {version}: {', '.join(map(str, versions))}")
    cls.VERSION = tfds.core.Version(version)
    cls.SUPPORTED_VERSIONS = [v for v in versions if str(v) != version]
    try:
        yield
    finally:
        for key in ("VERSION", "SUPPORTED_VERSIONS"):
            if key in saved:
                setattr(cls, key, saved[key])
            else:
                delattr(cls, key)


def builder_class(module: str, name: str) -> type[Any]:
    """The builder class registered as `name` that importing `module` defines."""
    import tensorflow_datasets as tfds

    importlib.import_module(module)
    return tfds.builder_cls(name)
