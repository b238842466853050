#!/usr/bin/env python3
"""make_fixture.py: write a deterministic, realistic built TFDS dataset for the benchmarks.

The result looks exactly like what `tfds build` leaves in a data dir:
`<data_dir>/<name>/<version>/` holding `dataset_info.json`, `features.json` and
TFRecord shards `<name>-<split>.tfrecord-NNNNN-of-MMMMM`. Each example is a
serialized `tf.train.Example` with a PNG image, a JPEG frame, one second of raw
int16 audio, a float32 embedding, a label and an id, so the bytes compress the
way a real image/audio dataset does (PNG and JPEG data are already compressed;
audio and floats are partly compressible).

No TensorFlow: the protobuf wire format and the TFRecord framing (length, masked
crc32c of the length, data, masked crc32c of the data) are written here, with a
numpy crc32c. The same arguments always give the same bytes.

    python benchmarks/make_fixture.py /tmp/data --size-mib 256
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

VERSION = "1.0.0"
NUM_CLASSES = 10
# Distinct PNG/JPEG blobs encoded once and reused: encoding is the slow part.
# Reuses are tens of MiB apart, far outside gzip's 32 KiB window, so the
# compression ratio is that of distinct images.
POOL_SIZE = 96
TEST_FRACTION = 0.1


@dataclass(frozen=True)
class Kind:
    """What one kind of fixture holds: its name, features and default sizes."""

    name: str
    image_side: int
    textured: bool  # fine-grained texture (PNG compresses little) rather than a smooth photo-like picture
    frame: bool  # a JPEG frame beside the PNG image
    audio_samples: int
    embedding_size: int
    size_mib: float
    shard_mib: float


KINDS = {
    # The benchmarks' main fixture: ~210 KiB examples, a photo-like PNG and a JPEG frame.
    "mixed": Kind("bench_images", 256, False, True, 16000, 256, 256, 64),
    # Like the dataset of issue 23: textured 320x320 PNGs (most of the bytes), 1 s of raw int16
    # audio, a float32[512] embedding; ~1,750 examples in 5 shards of ~100 MB, ~450 MB in all.
    "textured": Kind("bench_textured", 320, True, False, 16000, 512, 428, 100),
}
MIXED = KINDS["mixed"]
NAME = MIXED.name
DEFAULT_SHARD_MIB = MIXED.shard_mib

# ---------------------------------------------------------------- crc32c

_POLY = 0x82F63B78  # Castagnoli, reflected


def _byte_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(_POLY), table >> 1).astype(np.uint32)
    return table


_T8 = _byte_table()
_T8_LIST = [int(v) for v in _T8]


def _word_table() -> np.ndarray:
    """Two bytes per lookup: entry x is register x pushed through two zero bytes."""
    reg = np.arange(65536, dtype=np.uint32)
    for _ in range(2):
        reg = _T8[reg & 0xFF] ^ (reg >> 8)
    return reg


_T16 = _word_table()
# Vectorised pass: every message is cut into rows of this many bytes, all rows
# of a shard go through the table loop together, then each message's rows are
# chained in Python. Long rows mean few Python steps; short rows waste less padding.
_ROW = 4096


def _zeros_shift_tables(nbytes: int) -> list[list[int]]:
    """Byte tables for 'push the register through `nbytes` zero bytes' (a linear map of 32 bits)."""
    images = []
    for bit in range(32):
        reg = 1 << bit
        for _ in range(nbytes):
            reg = _T8_LIST[reg & 0xFF] ^ (reg >> 8)
        images.append(reg)
    tables = []
    for k in range(4):
        table = [0] * 256
        for value in range(1, 256):
            low = value & -value
            table[value] = table[value ^ low] ^ images[8 * k + low.bit_length() - 1]
        tables.append(table)
    return tables


_SHIFT_ROW = _zeros_shift_tables(_ROW)


def _init_after_zeros() -> list[int]:
    """Entry r: the initial register 0xFFFFFFFF pushed through r zero bytes (r < _ROW)."""
    out, reg = [], 0xFFFFFFFF
    for _ in range(_ROW):
        out.append(reg)
        reg = _T8_LIST[reg & 0xFF] ^ (reg >> 8)
    return out


_INIT_AFTER = _init_after_zeros()


def crc32c(data: bytes) -> int:
    """crc32c of a short byte string (the 8-byte length fields), plain Python."""
    reg = 0xFFFFFFFF
    for byte in data:
        reg = _T8_LIST[(reg ^ byte) & 0xFF] ^ (reg >> 8)
    return reg ^ 0xFFFFFFFF


def crc32c_many(messages: Sequence[bytes]) -> list[int]:
    """crc32c of each message, vectorised with numpy over all their rows at once.

    Each message is split so that only its first row is short; that row is
    zero-padded in front, which a zero-initialised register ignores. The real
    initial value 0xFFFFFFFF is put back per message from `_INIT_AFTER`.
    """
    layout = []  # (first row, rows, length of the short first part)
    rows = 0
    for message in messages:
        head = len(message) % _ROW
        count = len(message) // _ROW + (1 if head else 0)
        layout.append((rows, count, head))
        rows += count
    block = np.zeros((rows, _ROW), dtype=np.uint8)
    for message, (first, count, head) in zip(messages, layout, strict=True):
        flat = np.frombuffer(message, dtype=np.uint8)
        if head:
            block[first, _ROW - head :] = flat[:head]
            first, count = first + 1, count - 1
        block[first : first + count] = flat[head:].reshape(count, _ROW)
    # Column j of the row-major block, as contiguous little-endian 16-bit words.
    words = np.ascontiguousarray(block.view("<u2").T)
    del block
    reg = np.zeros(rows, dtype=np.uint32)
    idx = np.empty(rows, dtype=np.uint32)
    for column in words:
        np.bitwise_xor(reg, column, out=idx)
        np.bitwise_and(idx, 0xFFFF, out=idx)
        np.right_shift(reg, 16, out=reg)
        np.bitwise_xor(reg, _T16[idx], out=reg)
    row_crcs = reg.tolist()
    s0, s1, s2, s3 = _SHIFT_ROW
    out = []
    for first, count, head in layout:
        if count == 0:
            out.append(0)  # crc32c of b""
            continue
        # Register after the first (short or full) row, starting from 0xFFFFFFFF.
        value = (_INIT_AFTER[head] if head else _shift_row(0xFFFFFFFF, s0, s1, s2, s3)) ^ row_crcs[first]
        for row in range(first + 1, first + count):
            value = (
                s0[value & 0xFF] ^ s1[(value >> 8) & 0xFF] ^ s2[(value >> 16) & 0xFF] ^ s3[value >> 24]
            ) ^ row_crcs[row]
        out.append(value ^ 0xFFFFFFFF)
    return out


def _shift_row(value: int, s0: list[int], s1: list[int], s2: list[int], s3: list[int]) -> int:
    return s0[value & 0xFF] ^ s1[(value >> 8) & 0xFF] ^ s2[(value >> 16) & 0xFF] ^ s3[value >> 24]


def masked_crc(crc: int) -> int:
    """TFRecord's masking of a crc32c (so crcs of data holding crcs stay well distributed)."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord_bytes(records: Sequence[bytes]) -> bytes:
    """The records framed as a TFRecord file."""
    crcs = crc32c_many(records)
    parts = []
    for record, crc in zip(records, crcs, strict=True):
        length = struct.pack("<Q", len(record))
        parts += [length, struct.pack("<I", masked_crc(crc32c(length))), record, struct.pack("<I", masked_crc(crc))]
    return b"".join(parts)


# ---------------------------------------------------------------- tf.train.Example


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _entry(key: str, feature: bytes) -> bytes:
    # Features.feature is map<string, Feature>: each entry is {1: key, 2: value}.
    return _field(1, _field(1, key.encode()) + _field(2, feature))


def bytes_feature(value: bytes) -> bytes:
    return _field(1, _field(1, value))  # Feature.bytes_list { value }


def float_feature(values: np.ndarray) -> bytes:
    return _field(2, _field(1, values.astype("<f4").tobytes()))  # Feature.float_list, packed


def int64_feature(values: Sequence[int]) -> bytes:
    return _field(3, _field(1, b"".join(_varint(v) for v in values)))  # Feature.int64_list, packed


def example(features: dict[str, bytes]) -> bytes:
    """A serialized tf.train.Example from already-encoded Feature messages."""
    return _field(1, b"".join(_entry(key, value) for key, value in features.items()))


# ---------------------------------------------------------------- content


def _picture(rng: np.random.Generator, side: int) -> np.ndarray:
    """A photo-like image: smooth colour gradients, a few soft blobs, sensor noise."""
    yy, xx = np.mgrid[:side, :side].astype(np.float32) / side
    image = np.empty((side, side, 3), dtype=np.float32)
    for c in range(3):
        a, b, phase = rng.uniform(-1, 1, 3)
        image[..., c] = 128 + 60 * np.sin(3 * (a * xx + b * yy) + 6 * phase)
    for _ in range(4):
        cy, cx, radius = rng.uniform(0, 1, 3)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (0.02 + 0.05 * radius))
        image += blob[..., None] * rng.uniform(-70, 70, 3)
    image += rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def _texture(rng: np.random.Generator, side: int) -> np.ndarray:
    """A textured image (fabric, foliage, gravel): wave patterns under fine-grained correlated noise.

    PNG keeps ~70 % of the raw bytes, as on real photographs stored as PNG.
    """
    yy, xx = np.mgrid[:side, :side].astype(np.float32)
    image = np.full((side, side, 3), 128, dtype=np.float32)
    for c in range(3):
        for _ in range(3):
            fx, fy, phase = rng.uniform(0.02, 0.4), rng.uniform(0.02, 0.4), rng.uniform(0, 2 * np.pi)
            image[..., c] += 25 * np.sin(fx * xx + fy * yy + phase)
    grain = rng.normal(0, 1, image.shape).astype(np.float32)
    image += 6 * (grain + np.roll(grain, 1, 0) + np.roll(grain, 1, 1))
    return np.clip(image, 0, 255).astype(np.uint8)


def _encode(image: np.ndarray, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "PNG":
        Image.fromarray(image).save(out, format="PNG")
    else:
        Image.fromarray(image).save(out, format="JPEG", quality=90)
    return out.getvalue()


@dataclass(frozen=True)
class Pool:
    pngs: list[bytes]
    jpegs: list[bytes]  # empty when the kind has no frame
    kind: Kind = MIXED

    @classmethod
    def make(cls, seed: int, size: int, kind: Kind = MIXED) -> Pool:
        rng = np.random.default_rng([seed, 0])
        draw = _texture if kind.textured else _picture
        pictures = [draw(rng, kind.image_side) for _ in range(size)]
        jpegs = [_encode(p[::-1], "JPEG") for p in pictures] if kind.frame else []
        return cls([_encode(p, "PNG") for p in pictures], jpegs, kind)

    def example_size(self) -> int:
        average_image = (sum(map(len, self.pngs)) + sum(map(len, self.jpegs))) / len(self.pngs)
        return int(average_image) + 2 * self.kind.audio_samples + 4 * self.kind.embedding_size + 100


def _audio(rng: np.random.Generator, count: int, samples: int) -> np.ndarray:
    """Speech-like int16 audio: a few drifting tones plus noise (partly compressible, like real audio)."""
    t = np.arange(samples, dtype=np.float32) / samples
    freqs = rng.uniform(80, 2000, (count, 3, 1)).astype(np.float32)
    tones = np.sin(2 * np.pi * freqs * (t + 0.3 * t * t)).sum(axis=1) * 6000
    noise = rng.normal(0, 300, (count, samples)).astype(np.float32)
    return np.clip(tones + noise, -32768, 32767).astype("<i2")


def _split_examples(
    pool: Pool, rng: np.random.Generator, split: str, start: int, count: int, order: np.ndarray
) -> list[bytes]:
    kind = pool.kind
    audio = _audio(rng, count, kind.audio_samples)
    embeddings = rng.normal(0, 1, (count, kind.embedding_size)).astype(np.float32)
    labels = rng.integers(0, NUM_CLASSES, count)
    records = []
    for i in range(count):
        pick = int(order[(start + i) % len(order)])
        features = {
            "id": bytes_feature(f"{split}_{start + i:07d}".encode()),
            "image": bytes_feature(pool.pngs[pick]),
        }
        if kind.frame:
            features["frame"] = bytes_feature(pool.jpegs[(pick + start + i) % len(pool.jpegs)])
        features |= {
            "audio": bytes_feature(audio[i].tobytes()),
            "embedding": float_feature(embeddings[i]),
            "label": int64_feature([int(labels[i])]),
        }
        records.append(example(features))
    return records


# ---------------------------------------------------------------- metadata


def _image_json(fmt: str, side: int) -> dict:
    return {
        "pythonClassName": "tensorflow_datasets.core.features.image_feature.Image",
        "image": {
            "shape": {"dimensions": [str(side), str(side), "3"]},
            "dtype": "uint8",
            "encodingFormat": fmt,
        },
    }


def features_json(kind: Kind = MIXED) -> dict:
    """features.json as TFDS writes it for this FeaturesDict."""
    features: dict[str, dict] = {
        "id": {"pythonClassName": "tensorflow_datasets.core.features.text_feature.Text", "text": {}},
        "image": _image_json("png", kind.image_side),
    }
    if kind.frame:
        features["frame"] = _image_json("jpeg", kind.image_side)
    features |= {
        "audio": {
            "pythonClassName": "tensorflow_datasets.core.features.audio_feature.Audio",
            "audio": {
                "shape": {"dimensions": [str(kind.audio_samples)]},
                "dtype": "int16",
                "sampleRate": "16000",
                "encoding": "BYTES",
            },
        },
        "embedding": {
            "pythonClassName": "tensorflow_datasets.core.features.tensor_feature.Tensor",
            "tensor": {"shape": {"dimensions": [str(kind.embedding_size)]}, "dtype": "float32", "encoding": "none"},
        },
        "label": {
            "pythonClassName": "tensorflow_datasets.core.features.class_label_feature.ClassLabel",
            "classLabel": {"numClasses": str(NUM_CLASSES)},
        },
    }
    return {
        "featuresDict": {"features": features},
        "pythonClassName": "tensorflow_datasets.core.features.features_dict.FeaturesDict",
    }


def dataset_info_json(name: str, version: str, splits: dict[str, tuple[list[int], int]]) -> dict:
    return {
        "description": "Synthetic image/audio dataset for the dsbuild benchmarks.",
        "fileFormat": "tfrecord",
        "moduleName": f"{name}.{name}",
        "name": name,
        "releaseNotes": {version: "Benchmark fixture."},
        "splits": [
            {
                "filepathTemplate": "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}",
                "name": split,
                "numBytes": str(num_bytes),
                "shardLengths": [str(n) for n in lengths],
            }
            for split, (lengths, num_bytes) in splits.items()
        ],
        "supervisedKeys": {"tuple": {"items": [{"featureKey": "image"}, {"featureKey": "label"}]}},
        "version": version,
    }


# ---------------------------------------------------------------- the dataset


def _shard_lengths(total: int, per_shard: int) -> list[int]:
    shards = max(1, -(-total // per_shard))
    base, extra = divmod(total, shards)
    return [base + (1 if i < extra else 0) for i in range(shards)]


def make_fixture(
    data_dir: Path,
    size_mib: float | None = None,
    *,
    name: str | None = None,
    version: str = VERSION,
    seed: int = 0,
    shard_mib: float | None = None,
    pool: Pool | None = None,
    kind: Kind = MIXED,
) -> Path:
    """Write the dataset (about `size_mib` MiB of shards) and return its version directory.

    An existing version directory is replaced. Pass the same `pool` to several
    calls to skip re-encoding the images; its kind is then the fixture's.
    """
    pool = pool or Pool.make(seed, POOL_SIZE, kind)
    kind = pool.kind
    name = name or kind.name
    size_mib = kind.size_mib if size_mib is None else size_mib
    shard_mib = kind.shard_mib if shard_mib is None else shard_mib
    per_example = pool.example_size()
    total = max(2, round(size_mib * 2**20 / per_example))
    per_shard = max(1, round(shard_mib * 2**20 / per_example))
    test = max(1, round(total * TEST_FRACTION))
    version_dir = data_dir / name / version
    if version_dir.exists():
        for old in version_dir.iterdir():
            old.unlink()
    version_dir.mkdir(parents=True, exist_ok=True)
    # A fixed permutation, so neighbouring examples do not share an image.
    order = np.random.default_rng([seed, 1]).permutation(len(pool.pngs))
    splits: dict[str, tuple[list[int], int]] = {}
    for split_index, (split, count) in enumerate((("train", total - test), ("test", test))):
        lengths = _shard_lengths(count, per_shard)
        start, num_bytes = 0, 0
        for shard, length in enumerate(lengths):
            rng = np.random.default_rng([seed, 2, split_index, shard])
            records = _split_examples(pool, rng, split, start, length, order)
            num_bytes += sum(map(len, records))
            path = version_dir / f"{name}-{split}.tfrecord-{shard:05d}-of-{len(lengths):05d}"
            path.write_bytes(tfrecord_bytes(records))
            start += length
        splits[split] = (lengths, num_bytes)
    (version_dir / "features.json").write_text(json.dumps(features_json(kind), indent=4), encoding="utf-8")
    info = dataset_info_json(name, version, splits)
    (version_dir / "dataset_info.json").write_text(json.dumps(info, indent=2, sort_keys=True), encoding="utf-8")
    return version_dir


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    parser.add_argument("data_dir", type=Path, help="the data dir; the dataset goes into <data_dir>/<name>/<version>/")
    parser.add_argument(
        "--kind",
        choices=sorted(KINDS),
        default="mixed",
        help="mixed: PNG + JPEG + audio, 64 MiB shards (default); textured: issue 23's dataset, ~450 MB of "
        "textured PNGs, audio and embeddings in 5 shards",
    )
    parser.add_argument("--size-mib", type=float, help="approximate size of the shards (default: 256; textured: 428)")
    parser.add_argument("--name", help="dataset name (default: bench_images; textured: bench_textured)")
    parser.add_argument("--version", default=VERSION, help=f"dataset version (default: {VERSION})")
    parser.add_argument("--seed", type=int, default=0, help="seed of all content (default: 0)")
    parser.add_argument("--shard-mib", type=float, help="shard size (default: 64; textured: 100)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    version_dir = make_fixture(
        args.data_dir,
        args.size_mib,
        name=args.name,
        version=args.version,
        seed=args.seed,
        shard_mib=args.shard_mib,
        kind=KINDS[args.kind],
    )
    size = tree_size(version_dir)
    print(f"wrote {version_dir} ({size / 2**20:.1f} MiB) in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
