"""RESISC-45 (resisc45, resisc45_split, resisc10_poison, resisc45_densenet121_..._adversarial224x224)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

RESISC45_LABELS = (
    "airplane", "airport", "baseball_diamond", "basketball_court", "beach", "bridge", "chaparral",
    "church", "circular_farmland", "cloud", "commercial_area", "dense_residential", "desert", "forest",
    "freeway", "golf_course", "ground_track_field", "harbor", "industrial_area", "intersection", "island",
    "lake", "meadow", "medium_residential", "mobile_home_park", "mountain", "overpass", "palace",
    "parking_lot", "railway", "railway_station", "rectangular_farmland", "river", "roundabout", "runway",
    "sea_ice", "ship", "snowberg", "sparse_residential", "stadium", "storage_tank", "tennis_court",
    "terrace", "thermal_power_station", "wetland",
)  # fmt: skip

RESISC45_CITATION = """\
@article{Cheng_2017,
   title={Remote Sensing Image Scene Classification: Benchmark and State of the Art},
   volume={105},
   ISSN={1558-2256},
   url={http://dx.doi.org/10.1109/JPROC.2017.2675998},
   DOI={10.1109/jproc.2017.2675998},
   number={10},
   journal={Proceedings of the IEEE},
   publisher={Institute of Electrical and Electronics Engineers (IEEE)},
   author={Cheng, Gong and Han, Junwei and Lu, Xiaoqiang},
   year={2017},
   month={Oct},
   pages={1865-1883}
}
"""


def resisc_class_files(
    split_dir: epath.Path, labels: Sequence[str], *, where: str, archive: str
) -> list[tuple[str, epath.Path]]:
    """(label, path) of every .jpg in the class folders `split_dir/<label>/`, sorted by label order then name.

    `where` names `split_dir` inside `archive` in messages. Raises ValueError naming the archive when
    `split_dir` or a class folder is missing or holds no .jpg, or when an unknown class folder is present.
    """
    if not split_dir.is_dir():
        raise ValueError(f"Folder {where}/ is missing from {archive} (looked in {split_dir}).")
    found = {p.name for p in split_dir.iterdir() if p.is_dir()}
    unknown = sorted(found - set(labels))
    if unknown:
        raise ValueError(f"{archive} holds unknown class folder(s) {unknown} under {where}/.")
    items = []
    for label in labels:
        if label not in found:
            raise ValueError(f"Class folder {where}/{label} is missing from {archive}.")
        files = sorted(p for p in (split_dir / label).iterdir() if p.name.endswith(".jpg"))
        if not files:
            raise ValueError(f"Class folder {where}/{label} in {archive} holds no .jpg files.")
        items.extend((label, p) for p in files)
    return items


class ResiscFamily:
    """`_info`, `_split_generators`, `_generate_examples` of resisc45 / resisc45_split / resisc10_poison.

    A builder sets LABELS (the class names, in label order) and implements `split_items(dl_manager)`:
    split -> (label, path) of its 256x256 JPEGs. An example's key is the last KEY_PARTS parts of its
    path (relative, so the order does not depend on where the archive was extracted). WITH_FILENAME
    adds the `filename` feature. Only usable mixed into a `tfds.core.GeneratorBasedBuilder`.
    """

    LABELS: ClassVar[Sequence[str]]
    KEY_PARTS: ClassVar[int] = 3
    WITH_FILENAME: ClassVar[bool] = True
    HOMEPAGE: ClassVar[str | None] = "http://www.escience.cn/people/JunweiHan/NWPU-RESISC45.html"

    def split_items(self, dl_manager: tfds.download.DownloadManager) -> dict[str, list[tuple[str, epath.Path]]]:
        raise NotImplementedError

    def _info(self) -> tfds.core.DatasetInfo:
        features: dict[str, Any] = {
            "image": tfds.features.Image(shape=(256, 256, 3), dtype=np.uint8),
            "label": tfds.features.ClassLabel(names=self.LABELS),
        }
        if self.WITH_FILENAME:
            features["filename"] = tfds.features.Text()
        return self.dataset_info_from_configs(  # type: ignore[attr-defined]  # from the builder base
            features=tfds.features.FeaturesDict(features),
            supervised_keys=("image", "label"),
            homepage=self.HOMEPAGE,
            citation=RESISC45_CITATION,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict[str, Any]:
        return {split: self._generate_examples(items) for split, items in self.split_items(dl_manager).items()}

    def _generate_examples(self, items: list[tuple[str, epath.Path]]) -> Iterator[tuple[str, dict[str, Any]]]:
        for label, path in items:
            key = "/".join(path.parts[-self.KEY_PARTS :])
            example: dict[str, Any] = {"image": path, "label": label}
            if self.WITH_FILENAME:
                example["filename"] = path.name
            yield key, example
