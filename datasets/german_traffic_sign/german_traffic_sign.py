"""GTSRB, the German Traffic Sign Recognition Benchmark (ARMORY builder, 43 classes).

Source: `german_traffic_sign.tar.gz`, which extracts to
  GTSRB/Final_Training/Images/<CCCCC>/GT-<CCCCC>.csv + *.ppm   (CCCCC = 00000..00042)
  GTSRB/Final_Test/Images/*.ppm
  GTSRB/GT-final_test.csv                                     (directly under GTSRB/)
Each CSV is ';'-separated with one header row (Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;
ClassId): column 0 is the .ppm name relative to the CSV's image folder, column 7 the class id.
Images have varying sizes and are stored as BMP, like ARMORY's builder. ARMORY writes a .bmp next to
each .ppm in the extracted tree; this builder converts in memory instead (same BMP bytes, no writes
into the download directory). `filename` is the .bmp file name; example keys are the relative .bmp
path. All 43 training class folders and every listed image must exist, else a ValueError names the
missing file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import numpy as np
import tensorflow_datasets as tfds
from etils import epath
from PIL import Image

_URL = "https://armory-public-data.s3.us-east-2.amazonaws.com/german-traffic-sign/german_traffic_sign.tar.gz"
_ARCHIVE = "german_traffic_sign.tar.gz"
_NUM_CLASSES = 43

_CITATION = """\
@inproceedings{Stallkamp2011,
  author = {Johannes Stallkamp and Marc Schlipsing and Jan Salmen and Christian Igel},
  title = {The {G}erman {T}raffic {S}ign {R}ecognition {B}enchmark: A multi-class classification competition},
  booktitle = {IEEE International Joint Conference on Neural Networks},
  year = {2011},
  pages = {1453--1460}
}
"""


def read_csv_rows(csv_path: epath.Path, gtsrb: epath.Path) -> list[tuple[str, int]]:
    """(ppm file name, class id) of every data row of one GTSRB annotation CSV."""
    where = f"{csv_path.relative_to(gtsrb.parent)} in {_ARCHIVE}"
    if not csv_path.is_file():
        raise ValueError(f"Annotation file {where} is missing (looked in {csv_path}).")
    rows = list(csv.reader(io.StringIO(csv_path.read_text()), delimiter=";"))
    out = []
    for line_no, row in enumerate(rows[1:], start=2):  # row 1 is the header
        if not row:
            continue
        if len(row) < 8:
            raise ValueError(f"{where}, line {line_no}: expected 8 ';'-separated columns, got {row!r}.")
        out.append((row[0], int(row[7])))
    return out


def ppm_to_bmp(path: epath.Path, gtsrb: epath.Path) -> bytes:
    """BMP bytes of one .ppm image; ValueError naming the file when it is missing."""
    if not path.is_file():
        raise ValueError(f"Image {path.relative_to(gtsrb.parent)} listed in a CSV is missing from {_ARCHIVE}.")
    with path.open("rb") as f, Image.open(f) as img:
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format="BMP")
    return buf.getvalue()


class GermanTrafficSign(tfds.core.GeneratorBasedBuilder):
    """German Traffic Sign Recognition Benchmark, 43 classes, variable-size images."""

    VERSION = tfds.core.Version("3.0.0")
    RELEASE_NOTES = {
        "3.0.0": "GTSRB final training and test sets, images stored as BMP.",
    }

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(None, None, 3), dtype=np.uint8),
                    "label": tfds.features.ClassLabel(names=[str(i) for i in range(_NUM_CLASSES)]),
                    "filename": tfds.features.Text(),
                }
            ),
            supervised_keys=("image", "label"),
            homepage="http://benchmark.ini.rub.de/?section=gtsrb&subsection=dataset",
            citation=_CITATION,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        gtsrb = epath.Path(dl_manager.download_and_extract(_URL)) / "GTSRB"
        train: list[tuple[epath.Path, int]] = []
        for c in range(_NUM_CLASSES):
            class_dir = gtsrb / "Final_Training" / "Images" / f"{c:05d}"
            rows = read_csv_rows(class_dir / f"GT-{c:05d}.csv", gtsrb)
            train.extend((class_dir / name, label) for name, label in rows)
        test_dir = gtsrb / "Final_Test" / "Images"
        test = [(test_dir / name, label) for name, label in read_csv_rows(gtsrb / "GT-final_test.csv", gtsrb)]
        return {
            "train": self._generate_examples(train, gtsrb),
            "test": self._generate_examples(test, gtsrb),
        }

    def _generate_examples(self, items: list[tuple[epath.Path, int]], gtsrb: epath.Path) -> Iterator[tuple[str, dict]]:
        for path, label in items:
            bmp_name = path.with_suffix(".bmp").name
            key = str(path.with_suffix(".bmp").relative_to(gtsrb))
            yield key, {"image": ppm_to_bmp(path, gtsrb), "label": label, "filename": bmp_name}
