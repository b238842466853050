"""Write the dummy data for the `librispeech_dev_test` builder (deterministic; needs ffmpeg for FLAC).

The dev-clean, dev-other, test-clean and test-other archives, the same trees as librispeech_full's
make.py writes for them (tests/dummy_sources/librispeech.py). Default: extracted next to this file as
`<archive stem>/LibriSpeech/...`. `--source-archives OUTDIR`: as `<archive stem>.tar.gz` (the
checksums.tsv names).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.dummy_sources import librispeech

HERE = Path(__file__).resolve().parent
STEMS = ("dev-clean", "dev-other", "test-clean", "test-other")

if __name__ == "__main__":
    librispeech.main(__doc__, HERE, STEMS, librispeech.openslr_tree)
