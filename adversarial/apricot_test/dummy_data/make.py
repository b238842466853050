"""Write the dummy APRICOT test data: the extracted tree of apricot_test.tar.gz, tiny and deterministic.

    python make.py                          # (re)write dummy_data/apricot_test/APRICOT/...
    python make.py --source-archives OUTDIR # write OUTDIR/apricot_test.tar.gz (real download form)

Images: 4 JPEGs of 16x12. Splits: frcnn 2 (ids 1, 4), retinanet 1 (id 2), ssd 1 (id 3). Image 4 has two
patches (frcnn first by annotation id, then ssd) to exercise the split rule; image 3 has a box sticking
out of the image (clipped) and category 90, the largest id the 91-class ClassLabel accepts.
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
HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / f"apricot_{PARTITION}"
ARCHIVE = f"apricot_{PARTITION}.tar.gz"
WIDTH, HEIGHT = 16, 12
MODELS = [
    ("frcnn", "resnet50", "faster_rcnn_resnet50_coco_2018_01_28"),
    ("retinanet", "resnet50", "ssd_resnet50_v1_fpn_shared_box_predictor_640x640_coco14_sync_2018_07_03"),
    ("ssd", "mobilenetv1", "ssd_mobilenet_v1_coco_2018_01_28"),
]
TARGETS = [52, 26, 43, 16, 84, 72, 77, 0, 63, 32]


def patches() -> list[dict]:
    """The 60 APRICOT patches: id = 20*adv_model + 10*is_square + (k-1)."""
    out = []
    for model in range(3):
        for square in (False, True):
            for k in range(1, 11):
                prefix = ("fr", "rr", "sm")[model]
                out.append(
                    {
                        "adv_model": model,
                        "adv_target": TARGETS[k - 1],
                        "id": 20 * model + 10 * square + k - 1,
                        "is_circle": not square,
                        "is_square": square,
                        "name": f"{prefix}{'s' if square else 'c'}{k}",
                    }
                )
    return out


def annotations() -> dict:
    images = [{"id": i, "file_name": f"img_{i:04d}.jpg", "height": HEIGHT, "width": WIDTH} for i in (1, 2, 3, 4)]
    anns = [
        # id, image_id, category_id, bbox, extra optional keys
        (1, 1, 12, [2, 2, 6, 5], {"patch_id": 3, "is_warped": True, "angle": [0, 1, 2]}),
        (2, 1, 1, [0, 0, 16, 12], {}),
        (3, 2, 12, [4, 3, 5, 5], {"patch_id": 25, "is_warped": False, "angle": [2, 2, 0]}),
        (4, 3, 12, [10, 8, 10, 10], {"patch_id": 57}),
        (5, 3, 90, [1.5, 1, 3, 2.5], {"patch_id": -1}),
        (6, 4, 12, [3, 3, 4, 4], {"patch_id": 10}),
        (7, 4, 12, [8, 6, 4, 4], {"patch_id": 45}),
    ]
    return {
        "info": {"description": "dummy APRICOT", "version": "1.1"},
        "images": images,
        "categories": [
            {"id": 1, "name": "person", "supercategory": "person"},
            {"id": 3, "name": "car", "supercategory": "vehicle"},
            {"id": 12, "name": "adversarial patch", "supercategory": "adversarial patch"},
            {"id": 80, "name": "toaster", "supercategory": "appliance"},
            {"id": 90, "name": "toothbrush", "supercategory": "indoor"},
        ],
        "models": [
            {
                "classifier": c,
                "id": i,
                "model": m,
                "url": f"http://download.tensorflow.org/models/object_detection/{u}.tar.gz",
            }
            for i, (m, c, u) in enumerate(MODELS)
        ],
        "patches": patches(),
        "annotations": [
            {
                "id": a,
                "image_id": im,
                "area": round(b[2] * b[3]),
                "bbox": b,
                "category_id": cat,
                "iscrowd": 0,
                **extra,
            }
            for a, im, cat, b, extra in anns
        ],
    }


def files() -> dict[str, bytes]:
    """Archive-relative path -> content."""
    rng = np.random.default_rng(0)
    data = annotations()
    out = {f"APRICOT/Annotations/apricot_{PARTITION}_all_annotations.json": json.dumps(data, indent=1).encode()}
    for img in data["images"]:
        buf = io.BytesIO()
        pixels = rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(buf, format="JPEG", quality=90)
        out[f"APRICOT/Images/{PARTITION}/{img['file_name']}"] = buf.getvalue()
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
