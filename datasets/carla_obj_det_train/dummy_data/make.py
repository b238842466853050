"""Write the dummy data of carla_obj_det_train: a tiny fake copy of the extracted source archive.

    python dummy_data/make.py                          # (re)write dummy_data/<archive stem>/
    python dummy_data/make.py --source-archives DIR    # write DIR/<archive> (real .tar.gz form) only

Layout as in the real archive: <split>/kwcoco_annotations.json, <split>/rgb/<f>, <split>/depth/<f>.
Images are full-size (1280x960, as the feature shape requires) but flat-coloured, so each PNG is ~5 KB.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
ARCHIVE = "carla_od_train_val_2.0.0_dataset.tar.gz"
TREE = HERE / "carla_od_train_val_2.0.0_dataset"
H, W = 960, 1280
CATEGORIES = [
    {"id": 1, "name": "pedestrian", "supercategory": "pedestrian"},
    {"id": 2, "name": "vehicle", "supercategory": "vehicle"},
    {"id": 3, "name": "trafficlight", "supercategory": "trafficlight"},
]


def png(rng: np.random.Generator) -> bytes:
    """A flat random colour with one random rectangle: tiny when compressed, distinct per file."""
    img = Image.new("RGB", (W, H), tuple(int(c) for c in rng.integers(0, 256, 3)))
    x, y = int(rng.integers(0, W - 200)), int(rng.integers(0, H - 200))
    ImageDraw.Draw(img).rectangle([x, y, x + 199, y + 199], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def split_files(split: str, images: list[dict], annotations: list[dict], seed: int) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    files = {
        f"{split}/kwcoco_annotations.json": json.dumps(
            {"images": images, "annotations": annotations, "categories": CATEGORIES}, indent=1
        ).encode()
    }
    for img in images:
        files[f"{split}/rgb/{img['file_name']}"] = png(rng)
        files[f"{split}/depth/{img['file_name']}"] = png(rng)
    return files


def make_files() -> dict[str, bytes]:
    """Relative path -> content of every file in the extracted archive."""
    base = {"height": H, "width": W}
    train_images = [  # listed unsorted: the builder sorts by file_name, case-insensitively
        {"id": 7, "file_name": "B_000200.png", **base, "license": 0, "data_captured": "2022"},
        {"id": 3, "file_name": "a_000100.png", **base, "coco_url": "", "flickr_url": ""},
    ]
    train_ann = [
        {"id": 12, "image_id": 3, "area": 40, "bbox": [160, 80, 320, 200], "category_id": 1},
        # partly outside the image: clipped to xmax=1
        {"id": 11, "image_id": 3, "area": 60.0, "bbox": [1040, 400, 400, 240], "category_id": 2},
        {"id": 13, "image_id": 7, "area": 9, "bbox": [0, 0, 120, 120], "category_id": 3},
    ]
    val_images = [{"id": 1, "file_name": "c_000300.png", **base, "date_captured": "2022"}]
    val_ann = [{"id": 1, "image_id": 1, "area": 24, "bbox": [320, 480, 240, 160], "category_id": 2}]
    return {**split_files("train", train_images, train_ann, 0), **split_files("val", val_images, val_ann, 1)}


def write_tar_gz(files: dict[str, bytes], out: Path) -> None:
    """Reproducible .tar.gz (sorted members, fixed metadata, gzip mtime 0)."""
    with (
        out.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            tar.addfile(info, io.BytesIO(files[name]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-archives", metavar="OUTDIR", type=Path)
    args = parser.parse_args()
    files = make_files()
    if args.source_archives:
        args.source_archives.mkdir(parents=True, exist_ok=True)
        out = args.source_archives / ARCHIVE
        write_tar_gz(files, out)
        print(out)
        return
    shutil.rmtree(TREE, ignore_errors=True)
    for name, data in files.items():
        (TREE / name).parent.mkdir(parents=True, exist_ok=True)
        (TREE / name).write_bytes(data)


if __name__ == "__main__":
    main()
