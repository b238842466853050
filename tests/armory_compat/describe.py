"""What the compatibility suite compares: a builder's version, config, splits and features (keys, dtypes, shapes)."""

from __future__ import annotations

from typing import Any


def _flatten(info: Any, prefix: str, out: dict[str, list]) -> None:
    if isinstance(info, dict):
        for key in sorted(info):
            _flatten(info[key], f"{prefix}/{key}" if prefix else key, out)
    elif isinstance(info, list | tuple) and not hasattr(info, "shape"):
        for index, item in enumerate(info):
            _flatten(item, f"{prefix}[{index}]", out)
    else:
        dtype = getattr(info.dtype, "name", str(info.dtype))
        out[prefix] = [dtype, [d if d is None else int(d) for d in info.shape]]


def feature_signature(features: Any) -> dict[str, list]:
    """Every leaf feature as path -> [dtype, shape]; a sequence adds its (possibly open) length to the shape."""
    out: dict[str, list] = {}
    _flatten(features.get_tensor_info(), "", out)
    return out


def describe(builder: Any) -> dict[str, Any]:
    info = builder.info
    return {
        "name": builder.name,
        "config": builder.builder_config.name if builder.builder_config else None,
        "version": str(builder.version),
        "splits": {name: split.num_examples for name, split in sorted(info.splits.items())},
        "features": feature_signature(info.features),
    }
