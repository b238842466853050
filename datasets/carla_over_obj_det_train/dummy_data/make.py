"""Write the dummy data of carla_over_obj_det_train: a tiny fake copy of the extracted source archive.

Layout as in the real archive: <split>/kwcoco_annotations.json, <split>/rgb/<f>, <split>/depth/<f>.
Images are full-size (1280x960, as the feature shape requires) but flat-coloured, so each PNG is ~5 KB.
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import carla

HERE = Path(__file__).resolve().parent


def files() -> dict[str, bytes]:
    return carla.train_val_files(2, image_b_keys={"date_captured": "2022"}, val_keys={})


if __name__ == "__main__":
    make.main(__doc__, HERE, lambda: {"carla_over_od_train_val_1.0.0.tar.gz": files()})
