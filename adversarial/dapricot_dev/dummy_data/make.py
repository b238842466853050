"""Write the dummy D-APRICOT dev data: the extracted tree of dapricot_dev.tar.gz, tiny and deterministic.

    python make.py                          # (re)write dummy_data/dapricot_dev/dev/...
    python make.py --source-archives OUTDIR # write OUTDIR/dapricot_dev.tar.gz (real download form)

Every scene has the same scenes x cameras layout as the real archive, with 16x12 JPEGs. Splits:
large 2 (scene 01 stp dist5, scene 14 stp dist5), medium 1 (scene 06 pxg), small 1 (scene 01 spd).
Scene 14 camera 3 has an annotation without segmentation before the green screen (first segmented
annotation wins) and a box sticking out of the image (clipped).
"""

import argparse
import gzip
import io
import json
import pathlib
import shutil
import tarfile

import numpy as np
from PIL import Image

PARTITION = "dev"
# scene -> [(shape token, height token, distance token)] of its photos (same for the 3 cameras).
SCENES = {
    "01": [("stp", "50", "dist5"), ("spd", "100", "dist15")],
    "06": [("pxg", "50", "dist10")],
    "14": [("STP", "100", "dist5")],
}
HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / f"dapricot_{PARTITION}"
ARCHIVE = f"dapricot_{PARTITION}.tar.gz"
HEIGHT, WIDTH = 16, 12
CATEGORY = {"stp": 12, "pxg": 26, "spd": 29}
POLYGON = {  # green-screen outline (x, y) in pixels
    "stp": [3.4, 2, 7, 2, 9, 4, 9, 7.5, 7, 10, 3.6, 10, 2, 7.5, 2, 4],
    "pxg": [6, 2, 10, 6, 6, 10, 2, 6],
    "spd": [2, 3, 10, 3, 10, 9, 2, 9],
}


def _csv(rng: np.random.Generator) -> bytes:
    rows = rng.uniform(0, 255, (24, 3))
    return "".join(",".join(f"{v:.4f}" for v in row) + "\n" for row in rows).encode()


def _jpeg(rng: np.random.Generator) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()


def _labels(scene: str, camera: int, rng: np.random.Generator, out: dict[str, bytes]) -> dict:
    images, anns = [], []
    for i, (shape, height, dist) in enumerate(SCENES[scene], start=1):
        name = f"scene_{int(scene)}_camera_{camera}_{shape}_{height}_{dist}.JPG"
        out[f"{PARTITION}/scene_{scene}/camera_{camera}/{name}"] = _jpeg(rng)
        image_id = 100 * int(scene) + i
        images.append({"id": image_id, "file_name": name, "height": HEIGHT, "width": WIDTH})
        poly = POLYGON[shape.lower()]
        xs, ys = poly[0::2], poly[1::2]
        bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        ann = {"image_id": image_id, "category_id": CATEGORY[shape.lower()], "iscrowd": 0}
        if scene == "14" and camera == 3:
            anns.append({**ann, "id": 10 * image_id, "area": 9, "bbox": [9, 13, 6, 6], "segmentation": []})
        anns.append(
            {**ann, "id": 10 * image_id + 1, "area": round(bbox[2] * bbox[3]), "bbox": bbox, "segmentation": [poly]}
        )
    return {
        "images": images,
        "categories": [{"id": 12, "name": "octagon"}, {"id": 26, "name": "diamond"}, {"id": 29, "name": "rect"}],
        "annotations": anns,
    }


def files() -> dict[str, bytes]:
    """Archive-relative path -> content."""
    rng = np.random.default_rng(0)
    out = {f"{PARTITION}/annotations/xrite_passport_colors_sRGB-GMB-2005.csv": _csv(rng)}
    for scene in SCENES:
        for camera in (1, 2, 3):
            labels = _labels(scene, camera, rng, out)
            out[f"{PARTITION}/annotations/labels_scene_{scene}_camera_{camera}.json"] = json.dumps(labels).encode()
            out[f"{PARTITION}/annotations/scene_{scene}_camera_{camera}_CC_values.csv"] = _csv(rng)
    return out


def write_tree() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    for rel, content in files().items():
        path = OUT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def write_archive(outdir: pathlib.Path) -> None:
    """A .tar.gz with fixed metadata, so the same content gives the same bytes."""
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / ARCHIVE
    with gzip.GzipFile(path, "wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for rel, content in sorted(files().items()):
            info = tarfile.TarInfo(rel)
            info.size, info.mode, info.mtime = len(content), 0o644, 0
            tar.addfile(info, io.BytesIO(content))
    print(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-archives", type=pathlib.Path, metavar="OUTDIR")
    args = parser.parse_args()
    if args.source_archives:
        write_archive(args.source_archives)
    else:
        write_tree()
