"""tiny_shapes: a small image-classification dataset generated in code.

It needs no download, so it builds offline in seconds: the README quick start
and the tests use it to exercise the whole pipeline. Each example is a 16x16 RGB
image of a filled square, circle or cross in a colour drawn from a fixed seed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import tensorflow_datasets as tfds

SIZE = 16
CLASSES = ["square", "circle", "cross"]
SPLIT_SIZES = {"train": 48, "test": 12}
SPLIT_SEEDS = {"train": 0, "test": 1}


def _draw(shape: str, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[:SIZE, :SIZE]
    centre = SIZE / 2 - 0.5
    if shape == "square":
        mask = (abs(yy - centre) < 5) & (abs(xx - centre) < 5)
    elif shape == "circle":
        mask = (yy - centre) ** 2 + (xx - centre) ** 2 < 30
    else:
        mask = (abs(yy - centre) < 2) | (abs(xx - centre) < 2)
    image = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    image[mask] = rng.integers(64, 256, size=3, dtype=np.uint8)
    return image


class TinyShapes(tfds.core.GeneratorBasedBuilder):
    """Tiny generated shapes, for offline demos and tests."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description=__doc__,
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(SIZE, SIZE, 3), encoding_format="png"),
                    "label": tfds.features.ClassLabel(names=CLASSES),
                }
            ),
            supervised_keys=("image", "label"),
            homepage="https://github.com/twosixlabs/armory",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        return {split: self._generate_examples(split) for split in SPLIT_SIZES}

    def _generate_examples(self, split: str) -> Iterator[tuple[str, dict]]:
        rng = np.random.default_rng(SPLIT_SEEDS[split])
        for i in range(SPLIT_SIZES[split]):
            label = CLASSES[i % len(CLASSES)]
            yield f"{split}_{i:04d}", {"image": _draw(label, rng), "label": label}
