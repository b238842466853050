"""Write the dummy minicoco data: the extracted trees of the three COCO 2017 zips, tiny and deterministic.

train: 3 images, 2 kept (airplane + person, bus + crowd train); the car-only image is skipped.
validation: 2 images, 1 kept (train, box sticking out of the image: clipped); the person-only one is skipped.
Images carry COCO's extra keys (license, coco_url, ...), which the builder must drop.
"""

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from dsbuild.testing import make

WIDTH, HEIGHT = 16, 12
CATEGORIES = [
    {"supercategory": "person", "id": 1, "name": "person"},
    {"supercategory": "vehicle", "id": 3, "name": "car"},
    {"supercategory": "vehicle", "id": 5, "name": "airplane"},
    {"supercategory": "vehicle", "id": 6, "name": "bus"},
    {"supercategory": "vehicle", "id": 7, "name": "train"},
    {"supercategory": "vehicle", "id": 8, "name": "truck"},
]
# split -> [(image id, [(annotation id, category id, bbox, iscrowd)])]
SPLITS = {
    "train2017": [
        (9, [(101, 5, [1, 2, 8, 5], 0), (102, 1, [0, 0, 4, 10], 0)]),
        (25, [(103, 3, [2, 2, 3, 3], 0)]),
        (30, [(104, 7, [0.5, 1, 10, 6.5], 1), (105, 6, [4, 4, 12, 8], 0)]),
    ],
    "val2017": [
        (139, [(201, 7, [10, 6, 9, 9], 0)]),
        (285, [(202, 1, [3, 3, 4, 4], 0)]),
    ],
}


def _instances(split: str) -> dict:
    images, anns = [], []
    for image_id, objects in SPLITS[split]:
        images.append(
            {
                "license": 1,
                "file_name": f"{image_id:012d}.jpg",
                "coco_url": f"http://images.cocodataset.org/{split}/{image_id:012d}.jpg",
                "height": HEIGHT,
                "width": WIDTH,
                "date_captured": "2013-11-14 11:18:45",
                "flickr_url": "http://farm1.staticflickr.com/1/1.jpg",
                "id": image_id,
            }
        )
        for ann_id, cat, bbox, crowd in objects:
            anns.append(
                {
                    "segmentation": [[bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1], bbox[0], bbox[1] + bbox[3]]],
                    "area": bbox[2] * bbox[3] / 2,
                    "iscrowd": crowd,
                    "image_id": image_id,
                    "bbox": bbox,
                    "category_id": cat,
                    "id": ann_id,
                }
            )
    return {
        "info": {"description": "dummy COCO 2017", "year": 2017},
        "licenses": [{"url": "http://creativecommons.org/licenses/by/2.0/", "id": 1, "name": "CC BY 2.0"}],
        "images": images,
        "annotations": anns,
        "categories": CATEGORIES,
    }


def archives() -> dict[str, dict[str, bytes]]:
    """Archive file name -> {member path: content}."""
    rng = np.random.default_rng(0)
    out: dict[str, dict[str, bytes]] = {"annotations_trainval2017.zip": {}}
    for split, images in SPLITS.items():
        members = out[f"{split}.zip"] = {}
        for image_id, _ in images:
            buf = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)).save(buf, format="JPEG")
            members[f"{split}/{image_id:012d}.jpg"] = buf.getvalue()
        out["annotations_trainval2017.zip"][f"annotations/instances_{split}.json"] = json.dumps(
            _instances(split)
        ).encode()
    return out


if __name__ == "__main__":
    make.main(__doc__, Path(__file__).resolve().parent, archives)
