"""Write the dummy data of carla_obj_det_train: a tiny fake copy of the extracted source archive.

Layout as in the real archive: <split>/kwcoco_annotations.json, <split>/rgb/<f>, <split>/depth/<f>.
Images are full-size (1280x960, as the feature shape requires) but flat-coloured, so each PNG is ~5 KB.
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import carla

HERE = Path(__file__).resolve().parent


def files() -> dict[str, bytes]:
    return carla.train_val_files(3, image_b_keys={"data_captured": "2022"}, val_keys={"date_captured": "2022"})


if __name__ == "__main__":
    make.main(__doc__, HERE, lambda: {"carla_od_train_val_2.0.0_dataset.tar.gz": files()})
