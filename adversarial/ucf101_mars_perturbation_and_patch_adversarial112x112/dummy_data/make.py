"""Write the dummy source tree of ucf101_mars_perturbation_and_patch_adversarial112x112 (deterministic).

Default: the extracted archive tree `<archive stem>/data/<kind>/<Label>/<videoname>/frame_NNNN.<ext>`
in this folder. The builder requires all 101 class folders, so every class gets one one-frame video
`v_<Label>_g01_c01`; ApplyEyeMakeup also gets a second video, and its first video has two frames.
Clean frames are 112x112 JPEGs, adversarial frames 112x112 PNGs.
`--source-archives OUTDIR`: the same tree as the real download, a .tar.gz with top-level `data/`.
"""

import importlib.util
import io
import pathlib

from PIL import Image

from dsbuild.testing import make

ARCHIVE = "ucf101_mars_perturbation_and_patch_adversarial_112x112.tar.gz"
KINDS = {"clean": "JPEG", "adversarial_perturbation": "PNG", "adversarial_patch": "PNG"}


def labels() -> list[str]:
    # Read TFDS's label file without importing TensorFlow (slow).
    tfds_dir = pathlib.Path(importlib.util.find_spec("tensorflow_datasets").submodule_search_locations[0])
    return (tfds_dir / "video" / "ucf101_labels.txt").read_text().split()


def videos(label: str) -> dict[str, int]:
    """Video name -> number of frames for one class."""
    if label == "ApplyEyeMakeup":
        return {f"v_{label}_g01_c01": 2, f"v_{label}_g02_c01": 1}
    return {f"v_{label}_g01_c01": 1}


def files() -> dict[str, bytes]:
    """Relative path -> encoded frame bytes."""
    out = {}
    for i, label in enumerate(labels()):
        for video, count in videos(label).items():
            for f in range(count):
                for k, (kind, fmt) in enumerate(KINDS.items()):
                    buf = io.BytesIO()
                    Image.new("RGB", (112, 112), (2 * i, 80 * k, 120 * f)).save(buf, format=fmt)
                    ext = "jpg" if fmt == "JPEG" else "png"
                    out[f"data/{kind}/{label}/{video}/frame_{f + 1:04d}.{ext}"] = buf.getvalue()
    return out


if __name__ == "__main__":
    make.main(__doc__, pathlib.Path(__file__).resolve().parent, lambda: {ARCHIVE: files()})
