"""Write the dummy data of carla_over_obj_det_dev: a tiny fake copy of the extracted source archive.

One tree serves both versions (1.0.0 and 2.0.1 archives share the layout), so --source-archives writes
the same content under both archive names. Layout, under dev/: kwcoco_annotations.json, rgb/<f>,
depth/<f>, foreground_mask/<f>, patch_metadata/<stem>_coords.npy (int32 (4, 2)) and
<stem>_avg_depth.npy (float64 scalar). Images are full-size (1280x960, as the feature shape requires)
but flat-coloured, so each PNG is ~5 KB.
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import carla

HERE = Path(__file__).resolve().parent

TREE = "carla_over_od_dev"  # one tree serves both archive names


def files() -> dict[str, bytes]:
    # a name starting with '1' gets max_depth_perturb_meters 3.0 in 2.0.1, the other 0.03
    return carla.overhead_green_screen_files("dev", seed=30, names=["1_000017.png", "3_000042.png"])


if __name__ == "__main__":
    make.main(
        __doc__,
        HERE,
        lambda: dict.fromkeys(["carla_over_od_dev_1.0.0.tar.gz", "carla_over_od_dev_2.0.1.tar.gz"], files()),
        dummy=lambda: {f"{TREE}/{name}": data for name, data in files().items()},
        clear=[TREE],
    )
