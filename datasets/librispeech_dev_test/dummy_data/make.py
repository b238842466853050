"""Write the dummy data for the `librispeech_dev_test` builder (deterministic; needs ffmpeg for FLAC).

The dev-clean, dev-other, test-clean and test-other archives, the same trees as librispeech_full's
make.py writes for them (dsbuild.testing.dummy.librispeech). Default: extracted next to this file as
`<archive stem>/LibriSpeech/...`. `--source-archives OUTDIR`: as `<archive stem>.tar.gz` (the
checksums.tsv names).
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import librispeech

STEMS = ("dev-clean", "dev-other", "test-clean", "test-other")

if __name__ == "__main__":
    sources = {f"{stem}.tar.gz": librispeech.openslr_tree(stem) for stem in STEMS}
    make.main(__doc__, Path(__file__).resolve().parent, lambda: sources)
