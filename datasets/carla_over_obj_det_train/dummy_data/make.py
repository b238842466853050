"""Write the dummy data of carla_over_obj_det_train: a tiny fake copy of the extracted source archive.

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
        carla.train_val_files(2, image_b_keys={"date_captured": "2022"}, val_keys={}),
        archives=["carla_over_od_train_val_1.0.0.tar.gz"],
        tree=HERE / "carla_over_od_train_val_1.0.0",
    )
