"""carla_over_obj_det_test: CARLA overhead-view RGB + depth test images with a green-screen patch region.

Two splits, one per attack goal: `test_hallucination` and `test_disappearance`. Source archive
`carla_over_od_test_2.0.0.tar.gz` holds, for each goal `<g>` in (hallucination, disappearance),
`test/<g>/kwcoco_annotations.json` (COCO-style, boxes `[x, y, width, height]` in pixels) and, for each
bare `file_name`, `test/<g>/rgb/<file_name>`, `test/<g>/depth/<file_name>` (CARLA RGB-encoded depth),
`test/<g>/foreground_mask/<file_name>` (patch mask), `test/<g>/patch_metadata/<stem>_coords.npy`
(int32 (4, 2) green-screen corners) and `<stem>_avg_depth.npy` (float64 scalar); `<stem>` is
file_name up to its first '.'.

`patch_metadata/max_depth_perturb_meters` is set per split: 3.0 m for hallucination, 0.03 m for
disappearance. images[] entries must carry date_captured, license, coco_url and flickr_url (removed,
as armory's builder pops them) and otherwise exactly id/file_name/height/width. Category ids:
1 pedestrian, 2 vehicles; the ClassLabel has 3 slots as in armory. Only armory master has this
builder (version 2.0.0); 1.0.0 was never published as a source archive.

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


class CarlaOverObjDetTest(tfds.core.GeneratorBasedBuilder):
    """CARLA overhead-view green-screen images (test), RGB + depth + patch metadata, 960x1280."""

    VERSION = tfds.core.Version("2.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Eval6 overhead images (one 'test' split, 15 images per older docs)",
        "2.0.0": "Eval7 overhead images; +-0.03 m depth limit on sidewalk/street patches, +-3 m elsewhere",
    }

    def _info(self) -> tfds.core.DatasetInfo:
        patch_metadata = carla.carla_patch_metadata_feature(with_max_depth=True)
        return self.dataset_info_from_configs(
            features=carla.carla_od_features(num_classes=3, patch_metadata=patch_metadata),
            supervised_keys=None,
            homepage="https://carla.org",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict[str, Any]:
        root = epath.Path(dl_manager.download_and_extract(_URL))
        return {f"test_{goal}": self._generate_examples(root / "test" / goal, depth) for goal, depth in _GOALS.items()}

    def _generate_examples(
        self, split_dir: epath.Path, max_depth_perturb_meters: float
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        return carla.carla_overhead_green_screen_examples(
            split_dir, archive=_ARCHIVE, max_depth_perturb_meters=lambda _file_name: max_depth_perturb_meters
        )
