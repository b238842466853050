"""Writes the dummy xView TFRecords beside this file (data_multires/{train,test}/xview_<split>_t1.record).

Train: two 8x8 chips (one with three objects, one box poking out of the chip; one with none).
Test: one chip with one object. With `--source-archives OUTDIR` writes xview.tar.gz with the same
two record files instead.
"""

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from dsbuild.testing import make


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silences TensorFlow's start-up chatter on fd 2; restored before any traceback is printed."""
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


with quiet_stderr():
    import tensorflow as tf

RECORDS = {
    "train": "data_multires/train/xview_train_t1.record",
    "test": "data_multires/test/xview_test_t1.record",
}
# Per split, per chip: list of (xmin, ymin, xmax, ymax normalised, original xView class id).
CHIPS = {
    "train": [
        [(0.1, 0.2, 0.5, 0.6, 11), (0.5, 0.0, 1.02, 0.25, 94), (0.0, 0.5, 0.25, 1.0, 73)],
        [],
    ],
    "test": [[(0.25, 0.25, 0.75, 0.5, 18)]],
}


def jpeg_bytes(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=50)
    return buf.getvalue()


def example(seed: int, objects: list[tuple[float, float, float, float, int]]) -> bytes:
    """One serialized tf.train.Example with the keys of the real records."""

    def floats(i: int) -> tf.train.Feature:
        return tf.train.Feature(float_list=tf.train.FloatList(value=[o[i] for o in objects]))

    def ints(values: list[int]) -> tf.train.Feature:
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

    feature = {
        "image/height": ints([8]),
        "image/width": ints([8]),
        "image/encoded": tf.train.Feature(bytes_list=tf.train.BytesList(value=[jpeg_bytes(seed)])),
        "image/object/bbox/xmin": floats(0),
        "image/object/bbox/ymin": floats(1),
        "image/object/bbox/xmax": floats(2),
        "image/object/bbox/ymax": floats(3),
        "image/object/class/label": ints([o[4] for o in objects]),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString(
        deterministic=True
    )  # sorted map keys: reproducible files


def records() -> dict[str, bytes]:
    """Relative path -> content of each record file (TFRecordWriter writes only to files: via a temporary one)."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp, quiet_stderr():
        for s, (split, rel) in enumerate(RECORDS.items()):
            path = Path(tmp) / f"{split}.record"
            with tf.io.TFRecordWriter(str(path)) as writer:
                for i, objects in enumerate(CHIPS[split]):
                    writer.write(example(s * 100 + i, objects))
            out[rel] = path.read_bytes()
    return out


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    make.main(__doc__, here, lambda: {"xview.tar.gz": records()}, dummy=records, clear=["data_multires"])
