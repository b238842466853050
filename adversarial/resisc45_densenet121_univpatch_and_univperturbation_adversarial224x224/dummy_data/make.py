"""Write the dummy source tree of resisc45_densenet121_univpatch_and_univperturbation_adversarial224x224.

Default: the extracted archive tree `<archive stem>/data/<kind>/<label>/<label>_NNN.png` in this folder,
for the first 22 labels (the builder needs at least 22: the patch target is label index 21), one
224x224 PNG per label and kind, two for 'airplane'. Deterministic.
`--source-archives OUTDIR`: the same tree as the real download, a .tar.gz with top-level `data/`.
"""

import io
from pathlib import Path

from PIL import Image

from dsbuild.families.resisc import RESISC45_LABELS
from dsbuild.testing import make

ARCHIVE = "resisc45_densenet121_univpatch_and_univperturbation_adversarial_224x224_1.0.1.tar.gz"
LABELS = RESISC45_LABELS[:22]  # up to 'lake', the patch target (label index 21)
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


if __name__ == "__main__":
    make.main(__doc__, Path(__file__).resolve().parent, lambda: {ARCHIVE: files()})
