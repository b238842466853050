"""Write the dummy data for the `librispeech_full` builder (deterministic; needs ffmpeg for FLAC).

Default: one extracted tree per archive next to this file, `<archive stem>/LibriSpeech/...` exactly as
the real `<archive stem>.tar.gz` extracts: SPEAKERS.TXT, CHAPTERS.TXT and
`<subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt` + `<speaker>-<chapter>-<utt>.flac`
(16 kHz mono 16-bit FLAC of a few hundred noise samples).

`--source-archives OUTDIR`: write the same trees as `<archive stem>.tar.gz` (the checksums.tsv names).
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import librispeech

STEMS = tuple(librispeech.OPENSLR_UTTERANCES)  # all seven openslr archives

if __name__ == "__main__":
    sources = {f"{stem}.tar.gz": librispeech.openslr_tree(stem) for stem in STEMS}
    make.main(__doc__, Path(__file__).resolve().parent, lambda: sources)
