"""Write the dummy data of carla_over_obj_det_test: a tiny fake copy of the extracted source archive.

    python dummy_data/make.py                          # (re)write dummy_data/carla_over_od_test_2.0.0/
    python dummy_data/make.py --source-archives DIR    # write DIR/<archive> (real .tar.gz form) only

Layout, under test/hallucination/ and test/disappearance/: kwcoco_annotations.json, rgb/<f>,
depth/<f>, foreground_mask/<f>, patch_metadata/<stem>_coords.npy (int32 (4, 2)) and
<stem>_avg_depth.npy (float64 scalar). Images are full-size (1280x960, as the feature shape requires)
but flat-coloured, so each PNG is ~5 KB.
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
ARCHIVES = ("carla_over_od_test_2.0.0.tar.gz",)
TREE = HERE / "carla_over_od_test_2.0.0"
SEEDS = {"hallucination": 40, "disappearance": 41}
H, W = 960, 1280
CATEGORIES = [
    {"id": 1, "name": "pedestrian", "supercategory": "pedestrian"},
    {"id": 2, "name": "vehicle", "supercategory": "vehicle"},
]
# Keys armory's builder pops without a default: every images[] entry must have them.
EXTRA_IMAGE_KEYS = {"date_captured": "", "license": 0, "coco_url": "", "flickr_url": ""}


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def scene(rng: np.random.Generator, box: tuple[int, int, int, int] | None = None) -> Image.Image:
    """Flat random colour with one rectangle (random colour, or white on black for a mask)."""
    if box is not None:
        img = Image.new("RGB", (W, H), (0, 0, 0))
        ImageDraw.Draw(img).rectangle(box, fill=(255, 255, 255))
        return img
    img = Image.new("RGB", (W, H), tuple(int(c) for c in rng.integers(0, 256, 3)))
    x, y = int(rng.integers(0, W - 200)), int(rng.integers(0, H - 200))
    ImageDraw.Draw(img).rectangle([x, y, x + 199, y + 199], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return img


def npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def make_files() -> dict[str, bytes]:
    """Relative path -> content of every file in the extracted archive."""
    return {**goal_files("hallucination", 2), **goal_files("disappearance", 1)}


def goal_files(goal: str, n_images: int) -> dict[str, bytes]:
    """Files of test/<goal>/ with `n_images` images (ids 1..n)."""
    rng = np.random.default_rng(SEEDS[goal])
    images = [  # listed unsorted: the builder sorts by file_name
        {"id": 2, "file_name": f"{goal[0]}_000042.png", "height": H, "width": W, **EXTRA_IMAGE_KEYS},
        {"id": 1, "file_name": f"{goal[0]}_000017.png", "height": H, "width": W, **EXTRA_IMAGE_KEYS},
    ][2 - n_images :]
    annotations = [  # boxes are [x, y, width, height] pixels
        {"id": 5, "image_id": 1, "area": 19200, "bbox": [160, 80, 160, 120], "category_id": 1, "iscrowd": 0},
        # partly outside the image: clipped to xmax=1
        {"id": 4, "image_id": 1, "area": 96000.0, "bbox": [1040, 400, 400, 240], "category_id": 2, "iscrowd": 1},
        {"id": 6, "image_id": 2, "area": 14400, "bbox": [0, 0, 120, 120], "category_id": 2, "iscrowd": 0},
    ]
    annotations = [a for a in annotations if a["image_id"] <= n_images]
    out = f"test/{goal}"
    files = {
        f"{out}/kwcoco_annotations.json": json.dumps(
            {"images": images, "annotations": annotations, "categories": CATEGORIES}, indent=1
        ).encode()
    }
    for k, img in enumerate(sorted(images, key=lambda im: im["id"])):
        base = img["file_name"].rsplit("/", 1)[-1]
        stem = base.split(".", 1)[0]
        x, y = 400 + 100 * k, 300
        corners = np.array([[x, y], [x + 299, y], [x + 299, y + 199], [x, y + 199]], dtype=np.int32)
        files[f"{out}/rgb/{base}"] = png(scene(rng))
        files[f"{out}/depth/{base}"] = png(scene(rng))
        files[f"{out}/foreground_mask/{base}"] = png(scene(rng, (x, y, x + 299, y + 199)))
        files[f"{out}/patch_metadata/{stem}_coords.npy"] = npy(corners)
        files[f"{out}/patch_metadata/{stem}_avg_depth.npy"] = npy(np.array(12.5 + k, dtype=np.float64))
    return files


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
        for archive in ARCHIVES:
            out = args.source_archives / archive
            write_tar_gz(files, out)
            print(out)
        return
    shutil.rmtree(TREE, ignore_errors=True)
    for name, data in files.items():
        (TREE / name).parent.mkdir(parents=True, exist_ok=True)
        (TREE / name).write_bytes(data)


if __name__ == "__main__":
    main()
