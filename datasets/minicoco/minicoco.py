"""minicoco: COCO 2017 object detection restricted to airplane, bus and train.

Only annotations of COCO categories 5 (airplane), 6 (bus) and 7 (train) are kept, labelled 0, 1, 2 in
that order (the order of the kept categories in the annotation file, checked against the declared
names); images with no kept annotation are skipped. Boxes are COCO [x, y, w, h] pixels converted to
TFDS's normalised [ymin, xmin, ymax, xmax]. Examples are keyed by file name.
"""

import numpy as np
import tensorflow_datasets as tfds

from dsbuild.families import coco, files

_URLS = {
    "train_images": "http://images.cocodataset.org/zips/train2017.zip",
    "val_images": "http://images.cocodataset.org/zips/val2017.zip",
    "annotations": "http://images.cocodataset.org/annotations/annotations_trainval2017.zip",
}
_ANNOTATIONS_ARCHIVE = "annotations_trainval2017.zip"
# COCO category id -> label name, in label order.
KEPT_CATEGORIES = {5: "airplane", 6: "bus", 7: "train"}
IMAGE_KEYS = ("id", "file_name", "height", "width")

_CITATION = """\
@article{DBLP:journals/corr/LinMBHPRDZ14,
  author    = {Tsung{-}Yi Lin and Michael Maire and Serge J. Belongie and Lubomir D. Bourdev and
               Ross B. Girshick and James Hays and Pietro Perona and Deva Ramanan and
               Piotr Doll{\\'{a}}r and C. Lawrence Zitnick},
  title     = {Microsoft {COCO:} Common Objects in Context},
  journal   = {CoRR},
  volume    = {abs/1405.0312},
  year      = {2014},
  url       = {http://arxiv.org/abs/1405.0312},
}
"""


class Minicoco(tfds.core.GeneratorBasedBuilder):
    """COCO 2017 with only airplane, bus and train objects."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release (armory master; the only version)."}
    BUILDER_CONFIGS = [
        tfds.core.BuilderConfig(name="2017", description="COCO 2017: train from train2017, validation from val2017.")
    ]

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(None, None, 3), encoding_format="jpeg"),
                    "image/filename": tfds.features.Text(),
                    "image/id": np.int64,
                    "objects": tfds.features.Sequence(
                        {
                            "id": np.int64,
                            "area": np.int64,
                            "bbox": tfds.features.BBoxFeature(),
                            "label": tfds.features.ClassLabel(names=list(KEPT_CATEGORIES.values())),
                            "is_crowd": np.bool_,
                        }
                    ),
                }
            ),
            supervised_keys=None,
            homepage="http://cocodataset.org/#home",
            citation=_CITATION,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        paths = dl_manager.download_and_extract(_URLS)
        annotations = tfds.core.Path(paths["annotations"]) / "annotations"
        return {
            "train": self._generate_examples(
                tfds.core.Path(paths["train_images"]) / "train2017",
                annotations / "instances_train2017.json",
                "train2017.zip",
            ),
            "validation": self._generate_examples(
                tfds.core.Path(paths["val_images"]) / "val2017",
                annotations / "instances_val2017.json",
                "val2017.zip",
            ),
        }

    def _generate_examples(self, image_dir: tfds.core.Path, annotation_path: tfds.core.Path, image_archive: str):
        data = coco.load_coco_json(annotation_path, _ANNOTATIONS_ARCHIVE)
        src = str(annotation_path)
        kept = [c for c in coco.coco_section(data, "categories", src) if c.get("id") in KEPT_CATEGORIES]
        names = [c.get("name") for c in kept]
        if names != list(KEPT_CATEGORIES.values()):
            raise ValueError(f"{src}: categories {list(KEPT_CATEGORIES)} are {names}, expected airplane, bus, train")
        label_of = {c["id"]: i for i, c in enumerate(kept)}
        by_image = coco.coco_annotations_by_image(coco.coco_section(data, "annotations", src), src)

        for info in coco.coco_records(data, "images", IMAGE_KEYS, src):
            name = info["file_name"]
            anns = [a for a in by_image.get(info["id"], []) if a.get("category_id") in label_of]
            if not anns:
                continue  # no airplane, bus or train: not part of minicoco
            objects = []
            for ann in anns:
                where = f"{src}: image {name!r}, annotation {ann['id']}"
                obj = coco.coco_object(ann, height=info["height"], width=info["width"], where=where)
                objects.append(
                    {
                        "id": obj["id"],
                        "area": obj["area"],
                        "bbox": obj["boxes"],
                        "label": label_of[ann["category_id"]],
                        "is_crowd": obj["is_crowd"],
                    }
                )
            yield (
                name,
                {
                    "image": files.require_file(image_dir / name, image_archive),
                    "image/filename": name,
                    "image/id": info["id"],
                    "objects": objects,
                },
            )
