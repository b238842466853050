"""Tests for the CARLA video-tracking / multi-object-tracking helpers in dsbuild.families.carla_video."""

from pathlib import Path

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from dsbuild.families import carla_video, files

ARCHIVE = "some_archive.tar.gz"


def _png(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


def _npy(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, array)
    return path


def _tracking_video(root: Path, frames: int = 2) -> Path:
    video = root / "dev" / "v0"
    for f in range(frames):
        _png(video / f"{f:03d}.png", np.full((4, 4, 3), 7, np.uint8))
        _png(video / f"{f:03d}_mask.png", np.zeros((4, 4, 3), np.uint8))
    _npy(video / "gt_boxes.npy", np.zeros((frames, 4), np.int64))
    _npy(video / "gs_coords.npy", np.zeros((1, 4, 2), np.int64))
    return video


def _mot_video(root: Path, frames: int = 2) -> Path:
    video = root / "dev" / "town_a"
    for f in range(frames):
        _png(video / "rgb" / f"{f}.png", np.zeros((4, 4, 3), np.uint8))
        _png(video / "foreground_mask" / f"{f}.png", np.zeros((4, 4, 3), np.uint8))
        _npy(video / "patch_metadata" / f"{f}.npy", np.full((4, 2), f, np.int32))
    (video / "instances.txt").write_text("1 5 1 2 3 4 1 1 1\n2 5 1 2 3 4 1 1 1\n")
    return video


def test_feature_trees_follow_the_facts():
    tracking = carla_video.carla_video_tracking_features()
    assert set(tracking) == {"video", "bboxes", "patch_metadata"}
    assert tracking["video"].shape == (None, 960, 1280, 3)
    assert isinstance(tracking["patch_metadata"]["masks"], tfds.features.Tensor)
    assert tracking["patch_metadata"]["masks"].shape == (None, 960, 1280, 3)
    assert tracking["patch_metadata"]["gs_coords"].np_dtype == np.int64
    assert tracking["bboxes"].feature.shape == (4,)
    mot = carla_video.carla_mot_features()
    assert set(mot) == {"video", "video_name", "annotations", "patch_metadata"}
    assert mot["annotations"].shape == (None, 9) and mot["annotations"].np_dtype == np.float32
    assert isinstance(mot["patch_metadata"]["masks"], tfds.features.Video)


def test_load_int64_npy_casts_and_checks(tmp_path: Path):
    arr = files.load_int64_npy(_npy(tmp_path / "a.npy", np.ones((3, 4), np.int32)), ARCHIVE, (None, 4))
    assert arr.dtype == np.int64 and arr.shape == (3, 4)
    with pytest.raises(ValueError, match=r"a\.npy: expected shape \(n, 4, 2\), got \(3, 4\)"):
        files.load_int64_npy(tmp_path / "a.npy", ARCHIVE, (None, 4, 2))
    floats = _npy(tmp_path / "f.npy", np.full((4, 2), 2.9))
    with pytest.raises(ValueError, match=r"f\.npy: dtype float64 cannot be read as int64"):
        files.load_int64_npy(floats, ARCHIVE, (4, 2))
    assert files.load_int64_npy(floats, ARCHIVE, (4, 2), truncate_floats=True).tolist() == [[2, 2]] * 4
    with pytest.raises(FileNotFoundError, match=r"missing\.npy: file missing from source archive 'some_archive"):
        files.load_int64_npy(tmp_path / "missing.npy", ARCHIVE, (4,))


def test_read_patch_mask_sets_white_to_one(tmp_path: Path):
    mask = np.zeros((2, 3, 3), np.uint8)
    mask[0, 0] = 255
    mask[1, 1] = (255, 255, 0)  # not pure white: kept
    out = carla_video.read_patch_mask(_png(tmp_path / "m.png", mask), ARCHIVE)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 3)
    assert out[0, 0].tolist() == [1, 1, 1]
    assert out[1, 1].tolist() == [255, 255, 0]
    assert int(out.sum()) == 3 + 510


@pytest.mark.parametrize(
    ("text", "shape"), [("1 2 3 4 5 6 1 1 1\n", (1, 9)), ("", (0, 9)), ("1 2 3 4 5 6 1 1 1\n2 2 3 4 5 6 1 1 1", (2, 9))]
)
def test_read_mot_instances_shapes(tmp_path: Path, text: str, shape: tuple[int, int]):
    (tmp_path / "instances.txt").write_text(text)
    rows = carla_video.read_mot_instances(tmp_path / "instances.txt", ARCHIVE)
    assert rows.shape == shape and rows.dtype == np.float32


@pytest.mark.parametrize(("text", "message"), [("1 2 3\n", "expected 9 columns"), ("1 2 x 4 5 6 1 1 1\n", "not a")])
def test_read_mot_instances_rejects_bad_rows(tmp_path: Path, text: str, message: str):
    (tmp_path / "instances.txt").write_text(text)
    with pytest.raises(ValueError, match=f"instances.txt: {message}"):
        carla_video.read_mot_instances(tmp_path / "instances.txt", ARCHIVE)


def test_tracking_examples(tmp_path: Path):
    _tracking_video(tmp_path)
    [(key, example)] = carla_video.carla_video_tracking_examples(tmp_path / "dev", ARCHIVE)
    assert key == 0
    assert [Path(p).name for p in example["video"]] == ["000.png", "001.png"]
    assert example["patch_metadata"]["masks"].shape == (2, 4, 4, 3)
    assert example["patch_metadata"]["gs_coords"].shape == (1, 4, 2)


def test_tracking_mask_count_mismatch(tmp_path: Path):
    video = _tracking_video(tmp_path)
    (video / "001_mask.png").unlink()
    with pytest.raises(ValueError, match=r"v0: 2 frames but 1 \*_mask.png files"):
        list(carla_video.carla_video_tracking_examples(tmp_path / "dev", ARCHIVE))


def test_split_folder_must_hold_only_video_folders(tmp_path: Path):
    _tracking_video(tmp_path)
    (tmp_path / "dev" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=r"notes\.txt: expected only video folders in dev/"):
        list(carla_video.carla_video_tracking_examples(tmp_path / "dev", ARCHIVE))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no video folders in source archive 'some_archive"):
        list(carla_video.carla_mot_examples(tmp_path / "empty", ARCHIVE))


def test_mot_examples(tmp_path: Path):
    _mot_video(tmp_path)
    [(key, example)] = carla_video.carla_mot_examples(tmp_path / "dev", ARCHIVE)
    assert (key, example["video_name"]) == (0, "town_a")
    assert example["patch_metadata"]["gs_coords"].tolist() == [[[0, 0]] * 4, [[1, 1]] * 4]
    assert example["patch_metadata"]["gs_coords"].dtype == np.int64
    assert [Path(p).parent.name for p in example["patch_metadata"]["masks"]] == ["foreground_mask"] * 2
    assert example["annotations"][:, 0].tolist() == [1, 2]


def test_mot_frame_names_must_match(tmp_path: Path):
    video = _mot_video(tmp_path)
    (video / "patch_metadata" / "1.npy").rename(video / "patch_metadata" / "7.npy")
    with pytest.raises(ValueError, match="do not hold the same frame names"):
        list(carla_video.carla_mot_examples(tmp_path / "dev", ARCHIVE))
