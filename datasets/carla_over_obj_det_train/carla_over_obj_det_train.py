"""carla_over_obj_det_train: synthetic CARLA object detection from overhead viewpoints, RGB + depth.

Source archive `carla_over_od_train_val_1.0.0.tar.gz` holds, per split (`train`, `val`):
`<split>/kwcoco_annotations.json` (COCO-style, boxes `[x, y, width, height]` in pixels) and the
960x1280 PNG images `<split>/rgb/<file_name>` and `<split>/depth/<file_name>` (depth RGB-encoded as
by CARLA's depth camera).

Each example is one RGB image with its depth image: `image` is [RGB, depth], `images` repeats the
image's annotation entry for both, `objects` are its boxes (normalised, clipped) sorted by annotation
id, `categories` is the file's category list. Category ids: 1 pedestrian, 2 vehicles; the ClassLabel
has 3 slots as in armory.

Annotation keys: license/flickr_url/coco_url/date_captured are removed from images[] entries when
present; each entry must then hold exactly id/file_name/height/width.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families import carla

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_over_od_train_val_1.0.0.tar.gz"
_ARCHIVE = "carla_over_od_train_val_1.0.0.tar.gz"
_DROPPED_IMAGE_KEYS = ("license", "flickr_url", "coco_url", "date_captured")


class CarlaOverObjDetTrain(tfds.core.GeneratorBasedBuilder):
    """CARLA overhead-view object detection (train/val), RGB + depth, 960x1280."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Eval6: overhead-perspective images (migrated from carla_obj_det_train)"}

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=carla.carla_od_features(num_classes=3),
            supervised_keys=None,
            homepage="https://carla.org",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict[str, Any]:
        root = epath.Path(dl_manager.download_and_extract(_URL))
        return {split: self._generate_examples(root / split) for split in ("train", "val")}

    def _generate_examples(self, split_dir: epath.Path) -> Iterator[tuple[int, dict[str, Any]]]:
        return carla.carla_train_examples(split_dir, archive=_ARCHIVE, dropped_image_keys=_DROPPED_IMAGE_KEYS)
