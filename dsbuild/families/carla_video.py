"""CARLA video tracking (carla_video_tracking_*) and multi-object tracking (carla_mot_*)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import PIL.Image
import tensorflow_datasets as tfds
from etils import epath

from dsbuild.families.base import ArchiveFamily
from dsbuild.families.beam_support import BeamCapable
from dsbuild.families.carla import CARLA_IMAGE_SHAPE
from dsbuild.families.files import load_int64_npy, require_file

CARLA_VIDEO_SHAPE = (None, *CARLA_IMAGE_SHAPE)
CARLA_CITATION = """
@inproceedings{Dosovitskiy17,
  title = {{CARLA}: {An} Open Urban Driving Simulator},
  author = {Alexey Dosovitskiy and German Ros and Felipe Codevilla and Antonio Lopez and Vladlen Koltun},
  booktitle = {Proceedings of the 1st Annual Conference on Robot Learning},
  pages = {1--16},
  year = {2017}
}
"""
MOT_ANNOTATION_COLUMNS = 9


def carla_video_tracking_features() -> tfds.features.FeaturesDict:
    """Features of carla_video_tracking_dev/test 2.0.0: RGB video, one [x1, y1, x2, y2] pixel box per frame
    and the green-screen corners plus per-frame patch masks (a uint8 Tensor, not a Video)."""
    return tfds.features.FeaturesDict(
        {
            "video": tfds.features.Video(shape=CARLA_VIDEO_SHAPE, encoding_format="png"),
            "bboxes": tfds.features.Sequence(tfds.features.Tensor(shape=(4,), dtype=np.int64)),
            "patch_metadata": tfds.features.FeaturesDict(
                {
                    "gs_coords": tfds.features.Tensor(shape=(None, 4, 2), dtype=np.int64),
                    "masks": tfds.features.Tensor(shape=CARLA_VIDEO_SHAPE, dtype=np.uint8),
                }
            ),
        }
    )


def carla_mot_features() -> tfds.features.FeaturesDict:
    """Features of carla_mot_dev/test 1.0.1: RGB video, its name, MOT rows (N, 9) and patch metadata."""
    return tfds.features.FeaturesDict(
        {
            "video": tfds.features.Video(shape=CARLA_VIDEO_SHAPE, encoding_format="png"),
            "video_name": tfds.features.Text(),
            "annotations": tfds.features.Tensor(shape=(None, MOT_ANNOTATION_COLUMNS), dtype=np.float32),
            "patch_metadata": tfds.features.FeaturesDict(
                {
                    "gs_coords": tfds.features.Tensor(shape=(None, 4, 2), dtype=np.int64),
                    "masks": tfds.features.Video(shape=CARLA_VIDEO_SHAPE, encoding_format="png"),
                }
            ),
        }
    )


def read_patch_mask(path: epath.PathLike, archive: str) -> np.ndarray:
    """Read a video-tracking patch mask PNG as uint8 (H, W, 3): pure white (255, 255, 255) pixels become 1,
    all others keep their value (0 in the real data)."""
    p = require_file(path, archive)
    with p.open("rb") as f:
        mask = np.array(PIL.Image.open(f).convert("RGB"), dtype=np.uint8)
    mask[np.all(mask == 255, axis=-1)] = 1
    return mask


def read_mot_instances(path: epath.PathLike, archive: str) -> np.ndarray:
    """Read a MOT `instances.txt` (whitespace-separated rows: timestep (1-based), object_id, left, top,
    width, height, confidence, class_id, visibility) as float32 (N, 9); an empty file gives (0, 9)."""
    p = require_file(path, archive)
    text = p.read_text()
    if not text.strip():
        return np.zeros((0, MOT_ANNOTATION_COLUMNS), np.float32)
    try:
        rows = np.loadtxt(text.splitlines(), dtype=np.float32, ndmin=2)
    except ValueError as e:
        raise ValueError(f"{p}: not a whitespace-separated table of numbers ({e})") from e
    if rows.shape[1] != MOT_ANNOTATION_COLUMNS:
        raise ValueError(f"{p}: expected {MOT_ANNOTATION_COLUMNS} columns per row, got {rows.shape[1]}")
    return rows


def _video_dirs(split_dir: epath.PathLike, archive: str) -> list[epath.Path]:
    """Every entry of the split folder, sorted; each must be a video directory."""
    d = epath.Path(split_dir)
    if not d.is_dir():
        raise FileNotFoundError(f"{d}: folder missing from source archive {archive!r}")
    entries = sorted(d.iterdir(), key=lambda p: p.name)
    if not entries:
        raise FileNotFoundError(f"{d}: no video folders in source archive {archive!r}")
    for e in entries:
        if not e.is_dir():
            raise ValueError(f"{e}: expected only video folders in {d.name}/ of archive {archive!r}")
    return entries


def carla_video_tracking_example(unit: tuple[int, str], archive: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield the one (video index, example) of `unit` = (index, video folder) holding `{<frame>.png,
    <frame>_mask.png, gt_boxes.npy, gs_coords.npy}`. Frames are the sorted non-mask PNGs, paired in order
    with the sorted masks; a mask whose name does not contain its frame's stem is an error. Module level:
    a Beam worker runs it on one video."""
    index, folder = unit
    video_dir = epath.Path(folder)
    pngs = sorted((p for p in video_dir.iterdir() if p.name.endswith(".png")), key=lambda p: p.name)
    masks = [p for p in pngs if p.name.endswith("_mask.png")]
    frames = [p for p in pngs if not p.name.endswith("_mask.png")]
    if not frames:
        raise FileNotFoundError(f"{video_dir}: no frame PNGs in source archive {archive!r}")
    if len(masks) != len(frames):
        raise ValueError(f"{video_dir}: {len(frames)} frames but {len(masks)} *_mask.png files")
    for frame, mask in zip(frames, masks, strict=True):
        if frame.stem not in mask.name:
            raise ValueError(f"{video_dir}: mask {mask.name} does not belong to frame {frame.name}")
    yield (
        index,
        {
            "video": [str(p) for p in frames],
            "bboxes": load_int64_npy(video_dir / "gt_boxes.npy", archive, (None, 4)),
            "patch_metadata": {
                "gs_coords": load_int64_npy(video_dir / "gs_coords.npy", archive, (None, 4, 2)),
                "masks": np.stack([read_patch_mask(m, archive) for m in masks]),
            },
        },
    )


def carla_video_units(split_dir: epath.PathLike, archive: str) -> list[tuple[int, str]]:
    """(video index, video folder) for every video folder of the split, sorted by name."""
    return [(index, str(d)) for index, d in enumerate(_video_dirs(split_dir, archive))]


def carla_video_tracking_examples(split_dir: epath.PathLike, archive: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (video index, example) for every video of the split in order (see `carla_video_tracking_example`)."""
    for unit in carla_video_units(split_dir, archive):
        yield from carla_video_tracking_example(unit, archive)


def carla_mot_examples(split_dir: epath.PathLike, archive: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (video index, example) for `<split>/<video>/{rgb/*.png, foreground_mask/*.png,
    patch_metadata/*.npy, instances.txt}`; the three frame folders must hold the same sorted base names."""
    for index, video_dir in enumerate(_video_dirs(split_dir, archive)):
        listed: dict[str, list[epath.Path]] = {}
        for sub, suffix in (("rgb", ".png"), ("foreground_mask", ".png"), ("patch_metadata", ".npy")):
            folder = video_dir / sub
            if not folder.is_dir():
                raise FileNotFoundError(f"{folder}: folder missing from source archive {archive!r}")
            listed[sub] = sorted(folder.glob(f"*{suffix}"), key=lambda p: p.name)
        stems = {sub: [p.stem for p in paths] for sub, paths in listed.items()}
        if not stems["rgb"]:
            raise FileNotFoundError(f"{video_dir / 'rgb'}: no frames in source archive {archive!r}")
        if not stems["rgb"] == stems["foreground_mask"] == stems["patch_metadata"]:
            counts = ", ".join(f"{sub}/: {len(names)}" for sub, names in stems.items())
            raise ValueError(
                f"{video_dir}: rgb/, foreground_mask/ and patch_metadata/ do not hold the same frame names "
                f"({counts} files)"
            )
        # armory stacks these with a cast to int, so float coordinates are truncated as there.
        gs_coords = [load_int64_npy(p, archive, (4, 2), truncate_floats=True) for p in listed["patch_metadata"]]
        yield (
            index,
            {
                "video": [str(p) for p in listed["rgb"]],
                "video_name": video_dir.name,
                "annotations": read_mot_instances(video_dir / "instances.txt", archive),
                "patch_metadata": {
                    "gs_coords": np.stack(gs_coords),
                    "masks": [str(p) for p in listed["foreground_mask"]],
                },
            },
        )


class _CarlaVideoFamily(ArchiveFamily):
    """A builder sets VERSION, RELEASE_NOTES, URL and SPLITS (one split: the archive's top folder)."""

    HOMEPAGE = "https://carla.org"
    CITATION = CARLA_CITATION

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict[str, Any]:
        root = epath.Path(dl_manager.download_and_extract(self.URL))
        return {split: self._generate_examples(root / split) for split in self.SPLITS}  # type: ignore[attr-defined]


class CarlaVideoTrackingFamily(BeamCapable, _CarlaVideoFamily):
    """carla_video_tracking_dev / carla_video_tracking_test (the builder may set FRAME_RATE).

    With Beam options, one unit of work is one video."""

    FRAME_RATE: ClassVar[int | None] = None

    def features(self) -> tfds.features.FeaturesDict:
        return carla_video_tracking_features()

    def metadata(self) -> tfds.core.MetadataDict | None:
        return None if self.FRAME_RATE is None else tfds.core.MetadataDict({"frame_rate": self.FRAME_RATE})

    def _generate_examples(self, split_dir: epath.Path) -> Any:
        """A generator in-process, a Beam PTransform with Beam options (see BeamCapable)."""
        units = carla_video_units(split_dir, self.archive)
        return self.split_examples(units, carla_video_tracking_example, archive=self.archive)


class CarlaMotFamily(_CarlaVideoFamily):
    """carla_mot_dev / carla_mot_test."""

    def features(self) -> tfds.features.FeaturesDict:
        return carla_mot_features()

    def _generate_examples(self, split_dir: epath.Path) -> Iterator[tuple[int, dict[str, Any]]]:
        yield from carla_mot_examples(split_dir, self.archive)
