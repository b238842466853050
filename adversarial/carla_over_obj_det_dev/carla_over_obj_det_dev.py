"""carla_over_obj_det_dev: CARLA overhead-view RGB + depth images with a green-screen patch region (dev).

Published description: README.md. Shared definition (features, splits, reading): dsbuild.families.carla.

Uncertain choice: `images[1]` (the depth entry) gets file_name `depth/<file_name>`, the depth path
relative to the split directory, not an absolute path of the machine that built the dataset.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families import carla

_URLS = {
    "1.0.0": "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_over_od_dev_1.0.0.tar.gz",
    "2.0.1": "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_over_od_dev_2.0.1.tar.gz",
}
_SPLIT = "dev"


def _max_depth_perturb_meters(file_name: str) -> float:
    """Master 2.0.1 rule: images whose name starts with '1' allow +-3 m, the others +-0.03 m."""
    return 3.0 if file_name.startswith("1") else 0.03


class CarlaOverObjDetDev(carla.CarlaOverheadGreenScreenFamily, tfds.core.GeneratorBasedBuilder):
    """CARLA overhead-view green-screen images (dev), RGB + depth + patch metadata, 960x1280."""

    # 2.0.1 is what armory-testbed's loader asks for, and the default however the folder is built
    # (-ds, -lcs, `tfds build`); `build.py -ds carla_over_obj_det_dev:1.0.0` builds the Eval6 one.
    VERSION = tfds.core.Version("2.0.1")
    SUPPORTED_VERSIONS = [tfds.core.Version("1.0.0")]
    RELEASE_NOTES = {
        "1.0.0": "Eval6: overhead-perspective images (from CarlaObjDetDev)",
        "2.0.0": "Eval7 overhead images; patches on sidewalk/street limited to +-0.03 m depth perturbation, "
        "elsewhere +-3 m",
        "2.0.1": "Fixed green-screen coordinates in some images (imperfect patch coverage)",
    }

    @property
    def has_max_depth(self) -> bool:
        return self.version >= "2.0.0"

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict[str, Any]:
        url = _URLS[str(self.version)]
        root = epath.Path(dl_manager.download_and_extract(url))
        return {_SPLIT: self._generate_examples(root / _SPLIT, url.rsplit("/", 1)[-1])}

    def _generate_examples(self, split_dir: epath.Path, archive: str) -> Iterator[tuple[int, dict[str, Any]]]:
        return carla.carla_overhead_green_screen_examples(
            split_dir,
            archive=archive,
            max_depth_perturb_meters=_max_depth_perturb_meters if self.has_max_depth else None,
        )
