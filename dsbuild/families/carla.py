"""CARLA object detection: street-level (carla_obj_det_*) and overhead (carla_over_obj_det_*)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families.base import ArchiveFamily
from dsbuild.families.boxes import BoxFormat, to_tfds_bbox
from dsbuild.families.files import load_npy, require_file

CARLA_IMAGE_SHAPE = (960, 1280, 3)
# Keys every CARLA images[] entry keeps (the `images` feature); everything else is dropped or rejected.
CARLA_IMAGE_KEYS = ("id", "file_name", "height", "width")
CARLA_CATEGORY_KEYS = ("id", "name", "supercategory")


def carla_patch_metadata_feature(*, with_max_depth: bool = False) -> tfds.features.FeaturesDict:
    """The `patch_metadata` feature of the CARLA green-screen (adversarial) sets.

    gs_coords: green-screen corners (x, y) in pixels, int32 (4, 2); mask: patch mask image;
    avg_patch_depth: float64 scalar; max_depth_perturb_meters (newer versions only): float64 scalar
    computed by the builder.
    """
    fields: dict[str, tfds.features.FeatureConnector] = {
        "gs_coords": tfds.features.Tensor(shape=(4, 2), dtype=np.int32),
        "mask": tfds.features.Image(shape=CARLA_IMAGE_SHAPE),
        "avg_patch_depth": tfds.features.Tensor(shape=(), dtype=np.float64),
    }
    if with_max_depth:
        fields["max_depth_perturb_meters"] = tfds.features.Tensor(shape=(), dtype=np.float64)
    return tfds.features.FeaturesDict(fields)


def carla_od_features(
    num_classes: int, *, patch_metadata: tfds.features.FeaturesDict | None = None
) -> tfds.features.FeaturesDict:
    """Feature tree shared by the CARLA object-detection builders: [RGB, depth] images and COCO objects."""
    fields: dict[str, Any] = {
        "image": tfds.features.Sequence(tfds.features.Image(shape=CARLA_IMAGE_SHAPE), length=2),
        "images": tfds.features.Sequence(
            tfds.features.FeaturesDict(
                {
                    "file_name": tfds.features.Text(),
                    "height": np.int64,
                    "width": np.int64,
                    "id": np.int64,
                }
            ),
            length=2,
        ),
        "categories": tfds.features.Sequence(
            tfds.features.FeaturesDict(
                {"id": np.int64, "name": tfds.features.Text(), "supercategory": tfds.features.Text()}
            )
        ),
        "objects": tfds.features.Sequence(
            {
                "id": np.int64,
                "image_id": np.int64,
                "area": np.int64,
                "boxes": tfds.features.BBoxFeature(),
                "labels": tfds.features.ClassLabel(num_classes=num_classes),
                "is_crowd": np.bool_,
            }
        ),
    }
    if patch_metadata is not None:
        fields["patch_metadata"] = patch_metadata
    return tfds.features.FeaturesDict(fields)


def load_carla_patch_metadata(
    patch_dir: epath.PathLike,
    stem: str,
    mask_path: epath.PathLike,
    *,
    archive: str,
    max_depth_perturb_meters: float | None = None,
) -> dict[str, Any]:
    """Read `<patch_dir>/<stem>_coords.npy`, `<stem>_avg_depth.npy` and the mask into a `patch_metadata` dict.

    Pass `max_depth_perturb_meters` only for versions whose feature has that field.
    """
    patch_dir = epath.Path(patch_dir)
    meta: dict[str, Any] = {
        "gs_coords": load_npy(patch_dir / f"{stem}_coords.npy", archive, (4, 2), np.int32),
        "mask": require_file(mask_path, archive),
        "avg_patch_depth": load_npy(patch_dir / f"{stem}_avg_depth.npy", archive, (), np.float64),
    }
    if max_depth_perturb_meters is not None:
        meta["max_depth_perturb_meters"] = np.float64(max_depth_perturb_meters)
    return meta


def carla_stem(file_name: str) -> str:
    """Patch-metadata stem of an image: its base name up to the first '.'."""
    return file_name.rsplit("/", 1)[-1].split(".", 1)[0]


def read_carla_kwcoco(
    json_path: epath.PathLike,
    *,
    archive: str,
    box_format: BoxFormat,
    required_drop: Iterable[str] = (),
    optional_drop: Iterable[str] = (),
    crowd_from_annotations: bool = True,
) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], list[dict[str, Any]]]]]:
    """Read a CARLA kwcoco JSON into (categories, [(image_info, objects), ...]).

    Images come sorted by file_name (case-insensitive), objects per image by annotation id. Each
    images[] entry must hold `required_drop` keys (dropped, as the source builders pop them without a
    default), may hold `optional_drop` keys (dropped), and must then hold exactly CARLA_IMAGE_KEYS;
    categories[] entries exactly CARLA_CATEGORY_KEYS. Boxes are converted with `to_tfds_bbox`.
    With `crowd_from_annotations=False` `is_crowd` is always False (train sets have no iscrowd key).
    """
    # Over 60 lines, mostly signature and docstring: the three sections are checked in one readable pass.
    path = require_file(json_path, archive)
    data = json.loads(path.read_text())
    for key in ("images", "annotations", "categories"):
        if key not in data:
            raise ValueError(f"{path}: no {key!r} list in annotation file")

    categories = []
    for cat in data["categories"]:
        if set(cat) != set(CARLA_CATEGORY_KEYS):
            raise ValueError(f"{path}: category {cat} must have exactly the keys {CARLA_CATEGORY_KEYS}")
        categories.append(dict(cat))

    required, optional = list(required_drop), list(optional_drop)
    by_image: dict[int, list[dict[str, Any]]] = {}
    for ann in data["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)

    examples = []
    for img in sorted(data["images"], key=lambda im: im["file_name"].lower()):
        name = img.get("file_name", img.get("id"))
        missing = [k for k in required if k not in img]
        if missing:
            raise ValueError(f"{path}: image {name!r} lacks the keys {missing}")
        info = {k: v for k, v in img.items() if k not in required and k not in optional}
        if set(info) != set(CARLA_IMAGE_KEYS):
            raise ValueError(
                f"{path}: image {name!r} has keys {sorted(info)} besides the dropped ones; "
                f"expected exactly {list(CARLA_IMAGE_KEYS)}"
            )
        objects = [
            {
                "id": ann["id"],
                "image_id": ann["image_id"],
                "area": int(ann["area"]),
                "boxes": to_tfds_bbox(
                    ann["bbox"],
                    height=info["height"],
                    width=info["width"],
                    box_format=box_format,
                    file_name=f"{path} (image {info['file_name']}, annotation {ann['id']})",
                ),
                "labels": ann["category_id"],
                "is_crowd": bool(ann["iscrowd"]) if crowd_from_annotations else False,
            }
            for ann in sorted(by_image.get(img["id"], []), key=lambda a: a["id"])
        ]
        examples.append((info, objects))
    return categories, examples


def carla_train_examples(
    split_dir: epath.PathLike, *, archive: str, dropped_image_keys: Iterable[str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (key, example) for a CARLA train/val split (carla_obj_det_train, carla_over_obj_det_train).

    Layout: `<split>/kwcoco_annotations.json` ([x, y, width, height] boxes, no iscrowd), `rgb/<file_name>`
    and `depth/<file_name>`. Keys run from 1; `images` repeats the image entry for RGB and depth.
    `dropped_image_keys` are removed from images[] entries when present.
    """
    split_dir = epath.Path(split_dir)
    categories, examples = read_carla_kwcoco(
        split_dir / "kwcoco_annotations.json",
        archive=archive,
        box_format="xywh",
        optional_drop=dropped_image_keys,
        crowd_from_annotations=False,  # no iscrowd in the train JSON: always False
    )
    for key, (info, objects) in enumerate(examples, start=1):
        rgb = require_file(split_dir / "rgb" / info["file_name"], archive)
        depth = require_file(split_dir / "depth" / info["file_name"], archive)
        yield (
            key,
            {"image": [rgb, depth], "images": [info, info], "categories": categories, "objects": objects},
        )


def carla_green_screen_examples(
    split_dir: epath.PathLike,
    *,
    archive: str,
    annotation_file: str,
    rgb_dir: str,
    depth_dir: str,
    mask_dir: str,
    patch_dir: str,
    box_format: BoxFormat,
    required_drop: Iterable[str],
    max_depth_perturb_meters: Callable[[str], float] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (index, example) for a CARLA green-screen split (carla_obj_det_dev/test, carla_over_obj_det_*).

    All directory arguments are relative to `split_dir` ("" for the split directory itself). The RGB
    image is `<rgb_dir>/<file_name>`; depth, mask and patch metadata are found by the file's base name
    (`<depth_dir>/<base>`, `<mask_dir>/<base>`, `<patch_dir>/<stem>_coords.npy`, `..._avg_depth.npy`).
    `images` is [RGB entry, depth entry] where the depth entry's file_name is `<depth_dir>/<base>`.
    `max_depth_perturb_meters` maps the image file_name to that field, for versions that have it.
    """
    split_dir = epath.Path(split_dir)
    categories, examples = read_carla_kwcoco(
        split_dir / annotation_file, archive=archive, box_format=box_format, required_drop=required_drop
    )
    for index, (info, objects) in enumerate(examples):
        base = info["file_name"].rsplit("/", 1)[-1]
        depth_name = f"{depth_dir}/{base}" if depth_dir else base
        yield (
            index,
            {
                "image": [
                    require_file(split_dir / rgb_dir / info["file_name"], archive),
                    require_file(split_dir / depth_name, archive),
                ],
                "images": [info, {**info, "file_name": depth_name}],
                "categories": categories,
                "objects": objects,
                "patch_metadata": load_carla_patch_metadata(
                    split_dir / patch_dir,
                    carla_stem(base),
                    split_dir / mask_dir / base,
                    archive=archive,
                    max_depth_perturb_meters=(
                        None if max_depth_perturb_meters is None else max_depth_perturb_meters(info["file_name"])
                    ),
                ),
            },
        )


# images[] keys armory's green-screen builders pop without a default: each entry must carry them.
CARLA_STREET_REQUIRED_IMAGE_KEYS = ("date_captured", "license", "coco_url", "flickr_url", "video_id", "frame_index")
CARLA_OVERHEAD_REQUIRED_IMAGE_KEYS = ("date_captured", "license", "coco_url", "flickr_url")


def carla_street_green_screen_examples(
    split_dir: epath.PathLike, *, archive: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """carla_green_screen_examples for the street-level layout (carla_obj_det_dev/test): `_out/` holds
    the annotations, `sensor.camera.depth.2/`, `foreground_mask/` and `patch_metadata/`; boxes are xyxy."""
    return carla_green_screen_examples(
        split_dir,
        archive=archive,
        annotation_file="_out/kwcoco_annotations_without_patch_and_sans_tiny_objects.json",
        rgb_dir="",
        depth_dir="_out/sensor.camera.depth.2",
        mask_dir="_out/foreground_mask",
        patch_dir="_out/patch_metadata",
        box_format="xyxy",
        required_drop=CARLA_STREET_REQUIRED_IMAGE_KEYS,
    )


def carla_overhead_green_screen_examples(
    split_dir: epath.PathLike, *, archive: str, max_depth_perturb_meters: Callable[[str], float] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """carla_green_screen_examples for the overhead layout (carla_over_obj_det_dev/test):
    `kwcoco_annotations.json`, `rgb/`, `depth/`, `foreground_mask/`, `patch_metadata/`; boxes are xywh."""
    return carla_green_screen_examples(
        split_dir,
        archive=archive,
        annotation_file="kwcoco_annotations.json",
        rgb_dir="rgb",
        depth_dir="depth",
        mask_dir="foreground_mask",
        patch_dir="patch_metadata",
        box_format="xywh",
        required_drop=CARLA_OVERHEAD_REQUIRED_IMAGE_KEYS,
        max_depth_perturb_meters=max_depth_perturb_meters,
    )


class CarlaSplitDirFamily(ArchiveFamily):
    """A CARLA builder reading one archive whose top folders are its SPLITS: each split's generator
    gets `<extract dir>/<split>`. A family subclass implements `features()` and `_generate_examples`."""

    HOMEPAGE = "https://carla.org"

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict[str, Any]:
        root = epath.Path(dl_manager.download_and_extract(self.URL))
        return {split: self._generate_examples(root / split) for split in self.SPLITS}  # type: ignore[attr-defined]


class CarlaStreetGreenScreenFamily(CarlaSplitDirFamily):
    """carla_obj_det_dev / carla_obj_det_test: a builder sets VERSION, RELEASE_NOTES, URL and SPLITS
    (one split: the archive's top folder). Layout: `carla_street_green_screen_examples`."""

    def features(self) -> tfds.features.FeaturesDict:
        return carla_od_features(num_classes=5, patch_metadata=carla_patch_metadata_feature())

    def _generate_examples(self, split_dir: epath.Path) -> Iterator[tuple[int, dict[str, Any]]]:
        return carla_street_green_screen_examples(split_dir, archive=self.archive)


class CarlaTrainFamily(CarlaSplitDirFamily):
    """carla_obj_det_train / carla_over_obj_det_train: splits `train` and `val`, layout
    `carla_train_examples`. A builder sets VERSION, RELEASE_NOTES, URL, NUM_CLASSES (ClassLabel size)
    and DROPPED_IMAGE_KEYS (removed from images[] entries when present)."""

    SPLITS = ("train", "val")
    NUM_CLASSES: ClassVar[int]
    DROPPED_IMAGE_KEYS: ClassVar[tuple[str, ...]]

    def features(self) -> tfds.features.FeaturesDict:
        return carla_od_features(num_classes=self.NUM_CLASSES)

    def _generate_examples(self, split_dir: epath.Path) -> Iterator[tuple[int, dict[str, Any]]]:
        return carla_train_examples(split_dir, archive=self.archive, dropped_image_keys=self.DROPPED_IMAGE_KEYS)


class CarlaOverheadGreenScreenFamily(ArchiveFamily):
    """carla_over_obj_det_dev / carla_over_obj_det_test: features (3 classes; patch metadata with
    `max_depth_perturb_meters` where `has_max_depth`) and homepage. Their split layouts and depth rules
    differ, so each builder keeps its own `_split_generators` / `_generate_examples` (reading with
    `carla_overhead_green_screen_examples`)."""

    HOMEPAGE = "https://carla.org"

    @property
    def has_max_depth(self) -> bool:
        """True; a builder whose versions differ in that field overrides this."""
        return True

    def features(self) -> tfds.features.FeaturesDict:
        patch_metadata = carla_patch_metadata_feature(with_max_depth=self.has_max_depth)
        return carla_od_features(num_classes=3, patch_metadata=patch_metadata)
