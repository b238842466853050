"""Write the dummy data of carla_obj_det_train: a tiny fake copy of the extracted source archive.

    python dummy_data/make.py                          # (re)write dummy_data/<archive stem>/
    python dummy_data/make.py --source-archives DIR    # write DIR/<archive> (real .tar.gz form) only

Layout as in the real archive: <split>/kwcoco_annotations.json, <split>/rgb/<f>, <split>/depth/<f>.
Images are full-size (1280x960, as the feature shape requires) but flat-coloured, so each PNG is ~5 KB.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.dummy_sources import carla

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    carla.main(
        __doc__,
        carla.train_val_files(3, image_b_keys={"data_captured": "2022"}, val_keys={"date_captured": "2022"}),
        archives=["carla_od_train_val_2.0.0_dataset.tar.gz"],
        tree=HERE / "carla_od_train_val_2.0.0_dataset",
    )
