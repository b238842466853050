"""UCF101 action recognition, re-extracted with ffmpeg `-q:v 2` (high-quality JPEG frames).

Same source files, configs, splits and labels as TFDS's `ucf101` builder (13,320 YouTube clips of 101
actions, three official train/test splits); the only difference is that ffmpeg writes every frame as a
high-quality JPEG (`-q:v 2`), which leaves fewer compression artifacts. ARMORY uses config `ucf101_1`.

Source layout (after extraction):
  UCF101_videos.zip -> UCF101/v_<Class>_g<GG>_c<CC>.avi (flat)
  UCF101TrainTestSplits-RecognitionTask.zip -> ucfTrainTestlist/{train,test}list0{1,2,3}.txt
Each list line is `<Class>/v_<Class>_gXX_cYY.avi [index]`; the label is the directory part and
`HandStandPushups` in file names is rewritten to `HandstandPushups` (the spelling in the zip).

Choices where this builder deliberately differs from ARMORY's:
* ffmpeg arguments of `ucf101_1_256`: ARMORY's code passes ('-q:v2', '-vf', 'scale=256x256') because of
  an adjacent string-literal concatenation, which ffmpeg rejects ("Expected number for q:v2 but found:
  -vf"), so that config could not be built. Here it gets the evidently intended
  ('-q:v', '2', '-vf', 'scale=256x256').
* A listed video missing from the video zip is an error naming the file (TFDS logs and skips it). Each
  official split lists every one of the 13,320 videos exactly once, so a complete download is unaffected;
  only a damaged one is refused instead of silently building a partial dataset.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families.beam_support import BeamCapable
from dsbuild.families.files import require_file

_VIDEOS_URL = "https://storage.googleapis.com/thumos14_files/UCF101_videos.zip"
_SPLITS_URL = "https://www.crcv.ucf.edu/data/UCF101/UCF101TrainTestSplits-RecognitionTask.zip"
_VIDEOS_ARCHIVE = "UCF101_videos.zip"
_SPLITS_ARCHIVE = "UCF101TrainTestSplits-RecognitionTask.zip"
_CITATION = """\
@article{DBLP:journals/corr/abs-1212-0402,
  author    = {Khurram Soomro and Amir Roshan Zamir and Mubarak Shah},
  title     = {{UCF101:} {A} Dataset of 101 Human Actions Classes From Videos in The Wild},
  journal   = {CoRR},
  volume    = {abs/1212.0402},
  year      = {2012},
  url       = {http://arxiv.org/abs/1212.0402}
}
"""


@dataclasses.dataclass(eq=False)
class Ucf101CleanConfig(tfds.core.BuilderConfig):
    """Which official split to use and an optional ffmpeg resize (height x width)."""

    split_number: int = 1
    height: int | None = None
    width: int | None = None

    @property
    def ffmpeg_extra_args(self) -> list[str]:
        args = ["-q:v", "2"]
        if self.height is not None:
            args += ["-vf", f"scale={self.height}x{self.width}"]
        return args


def read_split_list(list_path: epath.Path, videos_dir: epath.Path) -> list[tuple[str, epath.Path, str]]:
    """(example key, video path, label name) for each line of one split list, sorted like TFDS."""
    examples = []
    for line in sorted(require_file(list_path, _SPLITS_ARCHIVE).read_text().splitlines()):
        if not line.strip():
            continue
        # Train lists add a class index after a space; only the path is used.
        label, name = line.split()[0].split("/")
        name = name.replace("HandStandPushups", "HandstandPushups")
        examples.append((name, require_file(videos_dir / name, _VIDEOS_ARCHIVE), label))
    return examples


def ucf101_example(unit: tuple[str, str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """The one (key, example) of `unit` = (key, video path, label); the Video feature's ffmpeg decodes the
    file when the example is encoded (on a Beam worker, there). Module level: workers run it by name."""
    key, video_path, label = unit
    yield key, {"video": video_path, "label": label}


class Ucf101Clean(BeamCapable, tfds.core.GeneratorBasedBuilder):
    """UCF101 with high-quality (`-q:v 2`) JPEG frames; with Beam options one unit of work is one video."""

    VERSION = tfds.core.Version("2.0.0")
    RELEASE_NOTES = {"2.0.0": "Inherits TFDS Ucf101 configs and version (new split API)."}
    BUILDER_CONFIGS = [
        Ucf101CleanConfig(
            name="ucf101_1_256",
            description="256x256 UCF101 with action recognition split #1.",
            split_number=1,
            height=256,
            width=256,
        ),
        Ucf101CleanConfig(name="ucf101_1", description="UCF101 with action recognition split #1.", split_number=1),
        Ucf101CleanConfig(name="ucf101_2", description="UCF101 with action recognition split #2.", split_number=2),
        Ucf101CleanConfig(name="ucf101_3", description="UCF101 with action recognition split #3.", split_number=3),
    ]

    def _info(self) -> tfds.core.DatasetInfo:
        config = self.builder_config
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "video": tfds.features.Video(
                        shape=(None, config.height, config.width, 3),
                        encoding_format="jpeg",
                        ffmpeg_extra_args=config.ffmpeg_extra_args,
                    ),
                    "label": tfds.features.ClassLabel(names_file=tfds.core.tfds_path("video/ucf101_labels.txt")),
                }
            ),
            supervised_keys=None,
            homepage="https://www.crcv.ucf.edu/data/UCF101.php",
            citation=_CITATION,
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        paths = dl_manager.download_and_extract({"videos": _VIDEOS_URL, "splits": _SPLITS_URL})
        videos_dir = epath.Path(paths["videos"]) / "UCF101"
        lists_dir = epath.Path(paths["splits"]) / "ucfTrainTestlist"
        number = self.builder_config.split_number
        return {
            split: self._generate_examples(list_path=lists_dir / f"{split}list{number:02d}.txt", videos_dir=videos_dir)
            for split in ("train", "test")
        }

    def _generate_examples(self, list_path, videos_dir):
        """A generator in-process, a Beam PTransform with Beam options (see BeamCapable)."""
        units = [(key, str(path), label) for key, path, label in read_split_list(list_path, videos_dir)]
        return self.split_examples(units, ucf101_example)
