"""Write the dummy source data of carla_mot_dev (deterministic).

    python make.py                          # (re)write dev/ next to this file: the extracted archive
    python make.py --source-archives OUTDIR # write OUTDIR/carla_mot_dev_1.0.1.tar.gz

Layout as in the real archive: dev/<video>/rgb/<frame>.png, foreground_mask/<frame>.png,
patch_metadata/<frame>.npy ((4, 2) corners) and instances.txt (9 whitespace-separated columns).
Frames are full size (960x1280: TFDS rejects other sizes when decoding the videos); flat colours keep
each PNG a few KB.
"""

import argparse
import gzip
import io
import shutil
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
SPLIT = "dev"
ARCHIVE = "carla_mot_dev_1.0.1.tar.gz"
H, W = 960, 1280
# video name -> (number of frames, dtype of the per-frame corner files: both readings are covered)
VIDEOS = {"video_00": (3, np.float64), "video_01": (2, np.int64)}


def _png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def files() -> dict[str, bytes]:
    """Relative path -> content of every file in the extracted archive."""
    rng = np.random.default_rng(0)
    out: dict[str, bytes] = {}
    for v, (name, (num_frames, coord_dtype)) in enumerate(VIDEOS.items()):
        rows = []
        corners = np.array([[900, 200], [1000, 200], [1000, 260], [900, 260]], coord_dtype)  # static green screen
        for f in range(num_frames):
            stem = f"{f:05d}"
            frame = np.full((H, W, 3), rng.integers(0, 200, 3), dtype=np.uint8)
            frame[300:350, 100 + 10 * f : 180 + 10 * f] = (200, 30, 30)  # a tracked car
            mask = np.zeros((H, W, 3), np.uint8)
            mask[200:260, 900:1000] = 255  # the static patch region
            out[f"{SPLIT}/{name}/rgb/{stem}.png"] = _png(frame)
            out[f"{SPLIT}/{name}/foreground_mask/{stem}.png"] = _png(mask)
            out[f"{SPLIT}/{name}/patch_metadata/{stem}.npy"] = _npy(corners + (0.75 if v == 0 else 0))
            # timestep (1-based), object_id, left, top, width, height, confidence, class_id, visibility
            rows.append(f"{f + 1} 1 {1 + f}.5 3 4 5 1 1 1")
            if v == 0:  # a second object in the first video only: the other keeps a one-row file
                rows.append(f"{f + 1} 2 8 {8 + f} 3.25 2 1 2 1")
        if v == 1:
            rows = rows[:1]
        out[f"{SPLIT}/{name}/instances.txt"] = ("\n".join(rows) + "\n").encode()
    return out


def write_tree(root: Path) -> None:
    shutil.rmtree(root / SPLIT, ignore_errors=True)
    for rel, data in files().items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def write_archive(outdir: Path) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / ARCHIVE
    # gzip header mtime 0 so the archive is byte-for-byte reproducible
    with gzip.GzipFile(path, "wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for rel, data in sorted(files().items()):
            info = tarfile.TarInfo(rel)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-archives", type=Path, metavar="OUTDIR")
    args = parser.parse_args()
    if args.source_archives:
        print(write_archive(args.source_archives))
    else:
        write_tree(HERE)
