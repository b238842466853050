"""Write the dummy source data of carla_video_tracking_dev (deterministic).

    python make.py                          # (re)write dev/ next to this file: the extracted archive
    python make.py --source-archives OUTDIR # write OUTDIR/carla_video_tracking_dev_2.0.0.tar.gz

Layout as in the real archive: dev/<video>/<frame>.png, <frame>_mask.png, gt_boxes.npy (int64 (F, 4)
[x1, y1, x2, y2]) and gs_coords.npy (int64 (N, 4, 2), N = 1 or F). Frames are full size (960x1280)
because the masks feature is a fixed-shape Tensor; flat colours keep each PNG a few KB, and few
frames keep the test fast (each mask frame is a 3.7 MB tensor in the built dataset).
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
ARCHIVE = "carla_video_tracking_dev_2.0.0.tar.gz"
H, W = 960, 1280
# video name -> (number of frames, static green screen?)
VIDEOS = {"video_00": (1, True), "video_01": (2, False)}


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
    for v, (name, (num_frames, static)) in enumerate(VIDEOS.items()):
        boxes, corners = [], []
        for f in range(num_frames):
            x, y = 100 + 40 * f + 10 * v, 200 + 20 * f
            frame = np.full((H, W, 3), rng.integers(0, 200, 3), dtype=np.uint8)
            frame[y : y + 50, x : x + 80] = (200, 30, 30)  # the tracked object
            mask = np.zeros((H, W, 3), np.uint8)
            px, py = 600 + 5 * f * (not static), 300
            mask[py : py + 40, px : px + 60] = 255  # patch region
            out[f"{SPLIT}/{name}/{f:05d}.png"] = _png(frame)
            out[f"{SPLIT}/{name}/{f:05d}_mask.png"] = _png(mask)
            boxes.append([x, y, x + 80, y + 50])
            corners.append([[px, py], [px + 60, py], [px + 60, py + 40], [px, py + 40]])
        out[f"{SPLIT}/{name}/gt_boxes.npy"] = _npy(np.array(boxes, np.int64))
        out[f"{SPLIT}/{name}/gs_coords.npy"] = _npy(np.array(corners[:1] if static else corners, np.int64))
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
