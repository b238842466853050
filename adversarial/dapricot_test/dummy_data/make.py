"""Write the dummy D-APRICOT test data: the extracted tree of dapricot_test.tar.gz, tiny and deterministic.

    python make.py                          # (re)write dummy_data/dapricot_test/test/...
    python make.py --source-archives OUTDIR # write OUTDIR/dapricot_test.tar.gz (real download form)

All 12 test scenes of the real archive are present, one 16x12 JPEG per scene and camera. Splits: large 4, medium 4, small 4. Scene 15 camera 3 has an annotation without
segmentation before the green screen and a box sticking out of the image (clipped).
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

PARTITION = "test"
# scene -> [(shape token, height token, distance token)] of its photos (same for the 3 cameras).
SCENES = {
    "02": [("stp", "50", "dist5")],
    "03": [("pxg", "50", "dist10")],
    "04": [("spd", "50", "dist15")],
    "05": [("stp", "100", "dist10")],
    "07": [("pxg", "100", "dist15")],
    "08": [("spd", "100", "dist5")],
    "09": [("stp", "50", "dist15")],
    "10": [("pxg", "50", "dist5")],
    "11": [("spd", "50", "dist10")],
    "12": [("stp", "100", "dist5")],
    "13": [("pxg", "100", "dist10")],
    "15": [("SPD", "100", "dist15")],
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
        if scene == "15" and camera == 3:
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
