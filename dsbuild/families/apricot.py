"""APRICOT (apricot_dev, apricot_test)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families.base import ArchiveFamily
from dsbuild.families.coco import (
    coco_annotations_by_image,
    coco_label,
    coco_object,
    coco_records,
    coco_section,
    load_coco_json,
)
from dsbuild.families.files import require_file

# Armory's preprocessing replaces the raw patch label with this value; the builder keeps raw labels.
APRICOT_ADV_PATCH_MAGIC_NUMBER_LABEL_ID = -10
APRICOT_PATCH_CATEGORY_ID = 12
# adv_model id -> split name (also the `model` field of models[]).
APRICOT_MODELS = ("frcnn", "retinanet", "ssd")
APRICOT_NUM_PATCHES = 60
APRICOT_IMAGE_KEYS = ("file_name", "height", "width", "id")
APRICOT_CATEGORY_KEYS = ("id", "name", "supercategory")
APRICOT_MODEL_KEYS = ("classifier", "id", "model", "url")
APRICOT_PATCH_KEYS = ("adv_model", "adv_target", "id", "is_circle", "is_square", "name")


def apricot_features(num_classes: int) -> tfds.features.FeaturesDict:
    """Feature tree of the APRICOT builders; only the ClassLabel size differs between dev and test."""
    return tfds.features.FeaturesDict(
        {
            "image": tfds.features.Image(shape=(None, None, 3), encoding_format="jpeg"),
            "images": tfds.features.Sequence(
                {"file_name": tfds.features.Text(), "height": np.int64, "width": np.int64, "id": np.int64}
            ),
            "categories": tfds.features.Sequence(
                {"id": np.int64, "name": tfds.features.Text(), "supercategory": tfds.features.Text()}
            ),
            "models": tfds.features.Sequence(
                {
                    "classifier": tfds.features.Text(),
                    "id": np.int64,
                    "model": tfds.features.Text(),
                    "url": tfds.features.Text(),
                }
            ),
            "patches": tfds.features.Sequence(
                {
                    "adv_model": np.int64,
                    "adv_target": np.int64,
                    "id": np.int64,
                    "is_circle": np.bool_,
                    "is_square": np.bool_,
                    "name": tfds.features.Text(),
                }
            ),
            "objects": tfds.features.Sequence(
                {
                    "id": np.int64,
                    "image_id": np.int64,
                    "area": np.int64,
                    "boxes": tfds.features.BBoxFeature(),
                    "labels": tfds.features.ClassLabel(num_classes=num_classes),
                    "is_crowd": np.bool_,
                    "is_warped": np.bool_,
                    "angle": tfds.features.Tensor(shape=(3,), dtype=np.int64),
                    "patch_id": np.int64,
                }
            ),
        }
    )


def apricot_patch_model(patch_id: int, where: str) -> str:
    """Split (attacked model) of an APRICOT patch: ids are 20*adv_model + 10*is_square + (k-1)."""
    if not 0 <= patch_id < APRICOT_NUM_PATCHES:
        raise ValueError(f"{where}: patch_id {patch_id} is not one of the {APRICOT_NUM_PATCHES} patches")
    return APRICOT_MODELS[patch_id // 20]


def apricot_examples(
    root: epath.PathLike, partition: str, split: str, *, num_classes: int, archive: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (image id, example) of one APRICOT split from the extracted archive at `root`.

    Reads APRICOT/Annotations/apricot_<partition>_all_annotations.json and
    APRICOT/Images/<partition>/<file_name>. An image belongs to the split of the first (by annotation
    id) of its annotations with a patch_id; an image without one is an error.
    """
    if split not in APRICOT_MODELS:
        raise ValueError(f"unknown APRICOT split {split!r}; expected one of {APRICOT_MODELS}")
    base = epath.Path(root) / "APRICOT"
    json_path = base / "Annotations" / f"apricot_{partition}_all_annotations.json"
    data = load_coco_json(json_path, archive)
    src = str(json_path)
    images = coco_records(data, "images", APRICOT_IMAGE_KEYS, src)
    categories = coco_records(data, "categories", APRICOT_CATEGORY_KEYS, src)
    models = coco_records(data, "models", APRICOT_MODEL_KEYS, src)
    patches = coco_records(data, "patches", APRICOT_PATCH_KEYS, src)
    by_image = coco_annotations_by_image(coco_section(data, "annotations", src), src)

    for info in sorted(images, key=lambda im: im["id"]):
        name = info["file_name"]
        anns = by_image.get(info["id"], [])
        patch_ids = [a["patch_id"] for a in anns if a.get("patch_id", -1) != -1]
        if not patch_ids:
            raise ValueError(f"{src}: image {name!r} has no annotation with a patch_id, so it has no split")
        if apricot_patch_model(patch_ids[0], f"{src}: image {name!r}") != split:
            continue
        objects = []
        for ann in anns:
            where = f"{src}: image {name!r}, annotation {ann['id']}"
            obj = coco_object(ann, height=info["height"], width=info["width"], where=where)
            obj["labels"] = coco_label(ann["category_id"], num_classes, where)
            # Optional APRICOT fields, with the defaults of the source builder.
            obj["is_warped"] = bool(ann.get("is_warped", False))
            obj["angle"] = np.asarray(ann.get("angle", [-1, -1, -1]), dtype=np.int64)
            obj["patch_id"] = int(ann.get("patch_id", -1))
            objects.append(obj)
        image_path = require_file(base / "Images" / partition / name, archive)
        example = {"image": image_path, "images": images, "categories": categories, "models": models}
        yield info["id"], {**example, "patches": patches, "objects": objects}


APRICOT_CITATION = """\
@article{braunegg2019apricot,
  title={APRICOT: A Dataset of Physical Adversarial Attacks on Object Detection},
  author={Braunegg, A. and Chakraborty, Amartya and Krumdick, Michael and Lape, Nicole and Leary, Sara
          and Manville, Keith and Merkhofer, Elizabeth and Strickhart, Laura and Walmer, Matthew},
  journal={arXiv preprint arXiv:1912.08166},
  year={2019}
}
"""


class ApricotFamily(ArchiveFamily):
    """apricot_dev / apricot_test: a builder sets VERSION, RELEASE_NOTES, URL, PARTITION and NUM_CLASSES.

    Splits are the attacked models (see `apricot_examples`).
    """

    PARTITION: ClassVar[str]
    NUM_CLASSES: ClassVar[int]
    SPLITS = APRICOT_MODELS
    HOMEPAGE = "https://arxiv.org/abs/1912.08166"
    CITATION = APRICOT_CITATION

    def features(self) -> tfds.features.FeaturesDict:
        return apricot_features(self.NUM_CLASSES)

    def _generate_examples(self, root: epath.Path, split: str) -> Iterator[tuple[int, dict[str, Any]]]:
        yield from apricot_examples(root, self.PARTITION, split, num_classes=self.NUM_CLASSES, archive=self.archive)
