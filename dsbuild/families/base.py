"""The plain mixin behind twin builders (apricot_dev/test, carla_mot_dev/test, ...).

TFDS's own family pattern (imagenet2012/imagenet_common.py): the shared definition lives in a class
that is not a builder, so TFDS does not register it, and each builder file holds one
`class X(Family, tfds.core.GeneratorBasedBuilder)` with only what differs (VERSION, RELEASE_NOTES,
URL, partition). The description is not here: `dataset_info_from_configs` reads it from the builder
folder's README.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

import tensorflow_datasets as tfds
from etils import epath


class ArchiveFamily:
    """`_info`, `_split_generators` and `_generate_examples` of a builder that reads one source archive.

    A family subclass sets HOMEPAGE, CITATION and SPLITS and implements `features()` and
    `_generate_examples(root, split)` (or overrides `_split_generators` where its generator takes
    other arguments); the builder sets URL (its archive's base name names it in messages). Only
    usable mixed into a `tfds.core.GeneratorBasedBuilder`, which provides `dataset_info_from_configs`.
    """

    URL: ClassVar[str]
    SPLITS: ClassVar[tuple[str, ...]]
    HOMEPAGE: ClassVar[str | None] = None
    CITATION: ClassVar[str | None] = None

    @property
    def archive(self) -> str:
        """Base name of the source archive, as messages name it."""
        return self.URL.rsplit("/", 1)[-1]

    def features(self) -> tfds.features.FeaturesDict:
        raise NotImplementedError

    def metadata(self) -> tfds.core.MetadataDict | None:
        """`info.metadata`; None unless the family declares some."""
        return None

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(  # type: ignore[attr-defined]  # from the builder base
            features=self.features(),
            supervised_keys=None,
            homepage=self.HOMEPAGE,
            citation=self.CITATION,
            metadata=self.metadata(),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict[str, Any]:
        root = epath.Path(dl_manager.download_and_extract(self.URL))
        return {split: self._generate_examples(root, split) for split in self.SPLITS}  # type: ignore[attr-defined]
