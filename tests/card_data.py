"""Built datasets written directly for the card tests: no TensorFlow, no `tfds build`, a few hundred ms.

`write_zero_images` leaves what `tfds build` would: `<data_dir>/<name>/<version>/` with
dataset_info.json, features.json and one TFRecord shard of examples holding an all-zero PNG of
any side and a label. The PNG is compressed row by row, so an 8000×8000 one costs this process
a few KB (the zlib stream of 192 MB of zeros is about 190 KB).
"""

from __future__ import annotations

import importlib.util
import json
import struct
import sys
import zlib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _make_fixture() -> ModuleType:
    """benchmarks/make_fixture.py (TFRecord framing and tf.train.Example encoding without TF), by path."""
    spec = importlib.util.spec_from_file_location("card_data_make_fixture", ROOT / "benchmarks" / "make_fixture.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def zero_png(width: int, height: int, channels: int = 3) -> bytes:
    """An 8-bit all-zero PNG (grey or RGB), compressed one row at a time."""
    colour_type = {1: 0, 3: 2}[channels]
    compressor = zlib.compressobj(9)
    row = bytes(1 + width * channels)  # filter byte 0, then the zero pixels
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def write_zero_images(
    data_dir: Path, side: int, count: int = 8, name: str = "zero_images", version: str = "1.0.0"
) -> Path:
    """`count` examples of a side×side all-zero RGB image in one train shard; returns the version dir."""
    mf = _make_fixture()
    png = zero_png(side, side)
    records = [mf.example({"image": mf.bytes_feature(png), "label": mf.int64_feature([i % 2])}) for i in range(count)]
    version_dir = data_dir / name / version
    version_dir.mkdir(parents=True)
    (version_dir / f"{name}-train.tfrecord-00000-of-00001").write_bytes(mf.tfrecord_bytes(records))
    features = {
        "pythonClassName": "tensorflow_datasets.core.features.features_dict.FeaturesDict",
        "featuresDict": {
            "features": {
                "image": {
                    "pythonClassName": "tensorflow_datasets.core.features.image_feature.Image",
                    "image": {"shape": {"dimensions": ["-1", "-1", "3"]}, "dtype": "uint8", "encodingFormat": "png"},
                },
                "label": {
                    "pythonClassName": "tensorflow_datasets.core.features.class_label_feature.ClassLabel",
                    "classLabel": {"numClasses": "2"},
                },
            }
        },
    }
    (version_dir / "features.json").write_text(json.dumps(features, indent=4), encoding="utf-8")
    info = mf.dataset_info_json(name, version, {"train": ([count], sum(map(len, records)))})
    info["description"] = f"{count} all-zero {side}x{side} images."
    (version_dir / "dataset_info.json").write_text(json.dumps(info, indent=2, sort_keys=True), encoding="utf-8")
    return version_dir
