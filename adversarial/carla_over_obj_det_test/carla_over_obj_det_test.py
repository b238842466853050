"""carla_over_obj_det_test: CARLA overhead-view RGB + depth test images with a green-screen patch region.

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

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/carla/carla_over_od_test_2.0.0.tar.gz"
_ARCHIVE = "carla_over_od_test_2.0.0.tar.gz"
# attack goal (folder under test/) -> allowed depth perturbation of the patch, metres
_GOALS = {"hallucination": 3.0, "disappearance": 0.03}


class CarlaOverObjDetTest(carla.CarlaOverheadGreenScreenFamily, tfds.core.GeneratorBasedBuilder):
    """CARLA overhead-view green-screen images (test), RGB + depth + patch metadata, 960x1280."""

    VERSION = tfds.core.Version("2.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Eval6 overhead images (one 'test' split, 15 images per older docs)",
        "2.0.0": "Eval7 overhead images; +-0.03 m depth limit on sidewalk/street patches, +-3 m elsewhere",
    }

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict[str, Any]:
        root = epath.Path(dl_manager.download_and_extract(_URL))
        return {f"test_{goal}": self._generate_examples(root / "test" / goal, depth) for goal, depth in _GOALS.items()}

    def _generate_examples(
        self, split_dir: epath.Path, max_depth_perturb_meters: float
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        return carla.carla_overhead_green_screen_examples(
            split_dir, archive=_ARCHIVE, max_depth_perturb_meters=lambda _file_name: max_depth_perturb_meters
        )
