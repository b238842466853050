"""Write the dummy data of carla_obj_det_test: a tiny fake copy of the extracted source archive.

Layout and sizes: `street_green_screen_files` in dsbuild/testing/dummy/carla.py.
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import carla

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    make.main(__doc__, HERE, lambda: {"carla_od_test_2.0.0.tar.gz": carla.street_green_screen_files("test", seed=20)})
