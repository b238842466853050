"""xView overhead-imagery object detection, as chips prepared by ARMORY (62 object classes).

Source: `xview.tar.gz`, which extracts to `data_multires/{train,test}/xview_<split>_t1.record`,
TFRecord files of tf.train.Example chips (200/300/400/500 px square) with keys
`image/height`, `image/width`, `image/encoded` (JPEG bytes, stored unchanged),
`image/object/bbox/{xmin,ymin,xmax,ymax}` (already normalised to [0, 1]) and
`image/object/class/label` (original xView class ids, mapped to sequential labels 1..62;
ClassLabel has 63 slots and 0 is unused). Boxes are reordered to TFDS's [ymin, xmin, ymax, xmax]
and clipped to [0, 1]; a box entirely outside the chip, an inverted box or an unknown class id is a
ValueError naming the record file and record index.

Derived fields: `image_id` is the record's running index within its split and `objects/id` a running
object counter across the split; both start at 0 (uncertain: the facts say "running" without a start
value; 0 matches a plain enumerate). `area` = int(width*(xmax-xmin)*height*(ymax-ymin)) from the
stored (unclipped) coordinates; `is_crowd` is always False. Example keys are the `image_id`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families.boxes import to_tfds_bbox

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/xview/xview.tar.gz"
_ARCHIVE = "xview.tar.gz"
_RECORDS = {
    "train": "data_multires/train/xview_train_t1.record",
    "test": "data_multires/test/xview_test_t1.record",
}
_BOX_KEYS = ("xmin", "ymin", "xmax", "ymax")

_LABEL_MAP = {  # original xView class id -> sequential label (1..62); 0 is unused
    11: 1,  # Fixed-wing Aircraft
    12: 2,  # Small Aircraft
    13: 3,  # Cargo Plane
    15: 4,  # Helicopter
    17: 5,  # Passenger Vehicle
    18: 6,  # Small Car
    19: 7,  # Bus
    20: 8,  # Pickup Truck
    21: 9,  # Utility Truck
    23: 10,  # Truck
    24: 11,  # Cargo Truck
    25: 12,  # Truck w/Box
    26: 13,  # Truck Tractor
    27: 14,  # Trailer
    28: 15,  # Truck w/Flatbed
    29: 16,  # Truck w/Liquid
    32: 17,  # Crane Truck
    33: 18,  # Railway Vehicle
    34: 19,  # Passenger Car
    35: 20,  # Cargo Car
    36: 21,  # Flat Car
    37: 22,  # Tank Car
    38: 23,  # Locomotive
    40: 24,  # Maritime Vessel
    41: 25,  # Motorboat
    42: 26,  # Sailboat
    44: 27,  # Tugboat
    45: 28,  # Barge
    47: 29,  # Fishing Vessel
    49: 30,  # Ferry
    50: 31,  # Yacht
    51: 32,  # Container Ship
    52: 33,  # Oil Tanker
    53: 34,  # Engineering Vehicle
    54: 35,  # Tower Crane
    55: 36,  # Container Crane
    56: 37,  # Reach Stacker
    57: 38,  # Straddle Carrier
    59: 39,  # Mobile Crane
    60: 40,  # Dump Truck
    61: 41,  # Haul Truck
    62: 42,  # Scraper/Tractor
    63: 43,  # Front Loader/Bulldozer
    64: 44,  # Excavator
    65: 45,  # Cement Mixer
    66: 46,  # Ground Grader
    71: 47,  # Hut/Tent
    72: 48,  # Shed
    73: 49,  # Building
    74: 50,  # Aircraft Hanger
    75: 51,  # Unknown1
    76: 52,  # Damaged Building
    77: 53,  # Facility
    79: 54,  # Construction Site
    82: 55,  # Unknown2
    83: 56,  # Vehicle Lot
    84: 57,  # Helipad
    86: 58,  # Storage Tank
    89: 59,  # Shipping Container Lot
    91: 60,  # Shipping Container
    93: 61,  # Pylon
    94: 62,  # Tower
}

_CITATION = """\
@article{lam2018xview,
  title={xView: Objects in Context in Overhead Imagery},
  author={Lam, Darius and Kuzma, Richard and McGee, Kevin and Dooley, Samuel and Laielli, Michael
          and Klaric, Matthew and Bulatov, Yaroslav and McCord, Brendan},
  journal={arXiv preprint arXiv:1802.07856},
  year={2018}
}
"""


def _single(feature: tf.train.Feature, kind: str, key: str, where: str) -> Any:
    values = getattr(feature, kind).value
    if len(values) != 1:
        raise ValueError(f"{where}: feature {key!r} should hold exactly one value, holds {len(values)}.")
    return values[0]


def parse_record(raw: bytes, where: str) -> dict[str, Any]:
    """The chip of one serialized tf.train.Example: height, width, JPEG bytes and its objects.

    `objects` is a list of (box, original class id) with box = (xmin, ymin, xmax, ymax) as stored.
    """
    feature = tf.train.Example.FromString(raw).features.feature
    needed = ["image/height", "image/width", "image/encoded", "image/object/class/label"]
    needed += [f"image/object/bbox/{k}" for k in _BOX_KEYS]
    missing = [k for k in needed if k not in feature]
    if missing:
        raise ValueError(f"{where}: missing feature(s) {missing}.")
    coords = [list(feature[f"image/object/bbox/{k}"].float_list.value) for k in _BOX_KEYS]
    labels = list(feature["image/object/class/label"].int64_list.value)
    if any(len(c) != len(labels) for c in coords):
        raise ValueError(
            f"{where}: {len(labels)} labels but box coordinate lists of lengths {[len(c) for c in coords]}."
        )
    return {
        "height": int(_single(feature["image/height"], "int64_list", "image/height", where)),
        "width": int(_single(feature["image/width"], "int64_list", "image/width", where)),
        "jpeg": _single(feature["image/encoded"], "bytes_list", "image/encoded", where),
        "objects": [(box, int(label)) for box, label in zip(zip(*coords, strict=True), labels, strict=True)],
    }


def make_object(
    box: tuple[float, float, float, float], original_label: int, chip: dict[str, Any], where: str
) -> dict[str, Any]:
    """TFDS `objects` entry (without the ids) for one stored, normalised box and original class id."""
    if original_label not in _LABEL_MAP:
        raise ValueError(f"{where}: unknown xView class id {original_label}.")
    xmin, ymin, xmax, ymax = (float(v) for v in box)
    bbox = to_tfds_bbox(
        [xmin, ymin, xmax, ymax], height=1.0, width=1.0, box_format="xyxy", file_name=f"{where} (normalised box)"
    )
    area = int(chip["width"] * (xmax - xmin) * chip["height"] * (ymax - ymin))
    return {"area": area, "boxes": bbox, "labels": _LABEL_MAP[original_label], "is_crowd": False}


class Xview(tfds.core.GeneratorBasedBuilder):
    """xView chips with COCO-style object annotations (62 classes)."""

    VERSION = tfds.core.Version("1.0.1")
    RELEASE_NOTES = {
        "1.0.1": "ARMORY's xView chips (200-500 px) from TFRecords, labels mapped to 1..62.",
    }

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(None, None, 3), dtype=np.uint8, encoding_format="jpeg"),
                    "objects": tfds.features.Sequence(
                        {
                            "id": tfds.features.Tensor(shape=(), dtype=np.int64),
                            "image_id": tfds.features.Tensor(shape=(), dtype=np.int64),
                            "area": tfds.features.Tensor(shape=(), dtype=np.int64),
                            "boxes": tfds.features.BBoxFeature(),
                            "labels": tfds.features.ClassLabel(num_classes=63),
                            "is_crowd": tfds.features.Tensor(shape=(), dtype=np.bool_),
                        }
                    ),
                }
            ),
            supervised_keys=None,
            homepage="http://xviewdataset.org/",
            citation=_CITATION,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        root = epath.Path(dl_manager.download_and_extract(_URL))
        paths = {}
        for split, rel in _RECORDS.items():
            paths[split] = root / rel
            if not paths[split].is_file():
                raise ValueError(f"{rel} is missing from {_ARCHIVE} (looked in {paths[split]}).")
        return {split: self._generate_examples(paths[split], _RECORDS[split]) for split in _RECORDS}

    def _generate_examples(self, path: epath.Path, rel: str) -> Iterator[tuple[int, dict]]:
        object_id = 0
        for image_id, raw in enumerate(tf.data.TFRecordDataset(str(path)).as_numpy_iterator()):
            where = f"{rel}, record {image_id}"
            chip = parse_record(raw, where)
            objects = []
            for box, label in chip["objects"]:
                objects.append({"id": object_id, "image_id": image_id, **make_object(box, label, chip, where)})
                object_id += 1
            yield image_id, {"image": chip["jpeg"], "objects": objects}
