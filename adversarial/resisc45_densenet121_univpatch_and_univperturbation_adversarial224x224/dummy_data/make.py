"""Write the dummy source tree of resisc45_densenet121_univpatch_and_univperturbation_adversarial224x224.

Default: the extracted archive tree `<archive stem>/data/<kind>/<label>/<label>_NNN.png` in this folder,
for the first 22 labels (the builder needs at least 22: the patch target is label index 21), one
224x224 PNG per label and kind, two for 'airplane'. Deterministic.
`--source-archives OUTDIR`: the same tree as the real download, a .tar.gz with top-level `data/`.
"""

from __future__ import annotations

import argparse
import io
import pathlib
import tarfile

from PIL import Image

HERE = pathlib.Path(__file__).resolve().parent
ARCHIVE = "resisc45_densenet121_univpatch_and_univperturbation_adversarial_224x224_1.0.1.tar.gz"
EXTRACTED = ARCHIVE.removesuffix(".tar.gz")
LABELS = [
    "airplane", "airport", "baseball_diamond", "basketball_court", "beach", "bridge", "chaparral",
    "church", "circular_farmland", "cloud", "commercial_area", "dense_residential", "desert", "forest",
    "freeway", "golf_course", "ground_track_field", "harbor", "industrial_area", "intersection", "island",
    "lake",
]  # fmt: skip
KINDS = ("clean", "adversarial_univperturbation", "adversarial_univpatch")


def files() -> dict[str, bytes]:
    """Relative path -> PNG bytes of every dummy image."""
    out = {}
    for i, label in enumerate(LABELS):
        for n in range(2 if label == "airplane" else 1):
            for k, kind in enumerate(KINDS):
                buf = io.BytesIO()
                Image.new("RGB", (224, 224), (10 * i, 60 * k, 100 + 50 * n)).save(buf, format="PNG")
                out[f"data/{kind}/{label}/{label}_{n + 1:03d}.png"] = buf.getvalue()
    return out


def write_tree(root: pathlib.Path) -> None:
    for rel, data in files().items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def write_archive(path: pathlib.Path) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for rel, data in sorted(files().items()):
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-archives", type=pathlib.Path, metavar="OUTDIR")
    args = parser.parse_args()
    if args.source_archives is not None:
        args.source_archives.mkdir(parents=True, exist_ok=True)
        write_archive(args.source_archives / ARCHIVE)
        print(args.source_archives / ARCHIVE)
    else:
        write_tree(HERE / EXTRACTED)


if __name__ == "__main__":
    main()
