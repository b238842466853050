"""UCF101 test videos as 112x112 frame sequences, clean and attacked against the MARS model.

505 videos (5 per class): the clean frames, a whole-video perturbation attack (label = the clean
label) and a regional patch attack targeted at the next class (label = (i + 1) % 101 for clean label i).

Source archive layout (after extraction):
  data/clean/<Label>/<videoname>/*.jpg
  data/adversarial_perturbation/<Label>/<videoname>/*.png
  data/adversarial_patch/<Label>/<videoname>/*.png
The label folders of data/clean, sorted case-insensitively, must be exactly the 101 UCF101 class names
(TFDS's `video/ucf101_labels.txt`); video names come from data/clean, sorted, and each video's frames
are sorted by file name. Frames are stored as their source files (JPEG clean, PNG adversarial).
"""

from __future__ import annotations

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families.files import require_file

_URL = (
    "https://armory-public-data.s3.us-east-2.amazonaws.com/ucf101-adv/"
    "ucf101_mars_perturbation_and_patch_adversarial_112x112.tar.gz"
)
_ARCHIVE = _URL.rsplit("/", 1)[1]
_KINDS = {"clean": "*.jpg", "adversarial_perturbation": "*.png", "adversarial_patch": "*.png"}
_CITATION = """\
@article{soomro2012ucf101,
  title={{UCF101}: A Dataset of 101 Human Actions Classes From Videos in The Wild},
  author={Soomro, Khurram and Zamir, Amir Roshan and Shah, Mubarak},
  journal={arXiv preprint arXiv:1212.0402},
  year={2012}
}
"""


def check_label_folders(clean_dir: epath.Path, names: list[str]) -> None:
    """Raise ValueError unless the label folders, sorted case-insensitively, are exactly `names`."""
    found = sorted((p.name for p in require_file(clean_dir, _ARCHIVE).iterdir() if p.is_dir()), key=str.lower)
    if found != names:
        missing = sorted(set(names) - set(found))
        extra = sorted(set(found) - set(names))
        raise ValueError(
            f"{clean_dir}: label folders in {_ARCHIVE} must be the 101 UCF101 classes; "
            f"missing {missing}, unexpected {extra}"
        )


def frames(video_dir: epath.Path, pattern: str) -> list[str]:
    """Sorted frame files of one video; an empty or missing video is an error."""
    paths = sorted(require_file(video_dir, _ARCHIVE).glob(pattern))
    if not paths:
        raise ValueError(f"{video_dir}: no {pattern} frames in {_ARCHIVE}")
    return [str(p) for p in paths]


class Ucf101MarsPerturbationAndPatchAdversarial112x112(tfds.core.GeneratorBasedBuilder):
    """UCF101 MARS perturbation and patch adversarial videos, 112x112."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {"1.1.0": "Version used by ARMORY."}

    def _info(self) -> tfds.core.DatasetInfo:
        video = tfds.features.Video(shape=(None, 112, 112, 3), encoding_format=None)
        label = tfds.features.ClassLabel(names_file=tfds.core.tfds_path("video/ucf101_labels.txt"))
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "videos": tfds.features.FeaturesDict({kind: video for kind in _KINDS}),
                    "labels": tfds.features.FeaturesDict({kind: label for kind in _KINDS}),
                    "videoname": tfds.features.Text(),
                }
            ),
            supervised_keys=("videos", "labels"),
            homepage="https://www.crcv.ucf.edu/data/UCF101.php",
            citation=_CITATION,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        path = dl_manager.download_and_extract(_URL)
        return {"adversarial": self._generate_examples(data_dir=epath.Path(path) / "data")}

    def _generate_examples(self, data_dir):
        names = self.info.features["labels"]["clean"].names
        check_label_folders(data_dir / "clean", names)
        for i, label in enumerate(names):
            videos = sorted(p.name for p in (data_dir / "clean" / label).iterdir() if p.is_dir())
            for video in videos:
                yield (
                    video,
                    {
                        "videos": {
                            kind: frames(data_dir / kind / label / video, pattern) for kind, pattern in _KINDS.items()
                        },
                        "labels": {
                            "clean": i,
                            "adversarial_perturbation": i,
                            # The patch attack targets the next class.
                            "adversarial_patch": (i + 1) % len(names),
                        },
                        "videoname": video,
                    },
                )
