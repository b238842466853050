"""carla_obj_det_train: synthetic CARLA street-level object detection with paired RGB and depth images.

Source archive `carla_od_train_val_2.0.0_dataset.tar.gz` holds, per split (`train`, `val`):
`<split>/kwcoco_annotations.json` (COCO-style, boxes `[x, y, width, height]` in pixels) and the
960x1280 PNG images `<split>/rgb/<file_name>` and `<split>/depth/<file_name>`.

Each example is one RGB image with its depth image: `image` is [RGB, depth], `images` repeats the
image's annotation entry for both, `objects` are its boxes (normalised, clipped) sorted by annotation
id, `categories` is the file's category list. Category ids: 1 pedestrian, 2 vehicles, 3 trafficlight;
the ClassLabel has 5 slots as in armory.

Annotation keys: images[] entries may carry license/flickr_url/coco_url and the misspelled
`data_captured` key, which armory's builder removes; we also remove `date_captured` (the evident
intent of that typo; the real JSON has neither), then each entry must hold exactly
id/file_name/height/width.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families import carla

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_od_train_val_2.0.0_dataset.tar.gz"
_ARCHIVE = "carla_od_train_val_2.0.0_dataset.tar.gz"
_DROPPED_IMAGE_KEYS = ("license", "flickr_url", "coco_url", "data_captured", "date_captured")


class CarlaObjDetTrain(tfds.core.GeneratorBasedBuilder):
    """CARLA street-level object detection (train/val), RGB + depth, 960x1280."""

    VERSION = tfds.core.Version("2.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.0.1": "Fixed RGB/depth image pairing",
        "2.0.0": "Eval5: higher resolution, HD textures, accurate annotations",
    }

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=carla.carla_od_features(num_classes=5),
            supervised_keys=None,
            homepage="https://carla.org",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict[str, Any]:
        root = epath.Path(dl_manager.download_and_extract(_URL))
        return {split: self._generate_examples(root / split) for split in ("train", "val")}

    def _generate_examples(self, split_dir: epath.Path) -> Iterator[tuple[int, dict[str, Any]]]:
        return carla.carla_train_examples(split_dir, archive=_ARCHIVE, dropped_image_keys=_DROPPED_IMAGE_KEYS)
