"""Write the dummy data for the `librispeech_dev_clean_split` builder (deterministic; needs ffmpeg).

Default: one extracted tree per archive next to this file, `<archive stem>/<top>/...` as the real
`<archive stem>.tar.gz` is assumed to extract (top dirs `train`, `val`, `test`; see the builder
docstring): SPEAKERS.TXT, CHAPTERS.TXT and `<speaker>/<chapter>/<speaker>-<chapter>.trans.txt` +
`<speaker>-<chapter>-<utt>.flac` (16 kHz mono 16-bit FLAC of a few hundred noise samples).

`--source-archives OUTDIR`: write the same trees as `<archive stem>.tar.gz` (the checksums.tsv names).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.dummy_sources import librispeech

HERE = Path(__file__).resolve().parent

# archive stem -> (top dir, {(speaker, chapter): [(utterance, transcript), ...]})
ARCHIVES = {
    "librispeech-dev-clean-train": (
        "train",
        {
            (84, 121123): [(0, "GO DO YOU HEAR")],
            (174, 50561): [(0, "FORGOTTEN TOO THE NAME OF GILLIAN THE LOVELY CAPTIVE")],
        },
    ),
    "librispeech-dev-clean-val": ("val", {(251, 136532): [(0, "I NEVER KNEW OF BUT ONE MAN")]}),
    "librispeech-dev-clean-test": ("test", {(422, 122949): [(0, "THE STAIRCASE GROANED BENEATH HIS WEIGHT")]}),
}

SPEAKERS = (60, 84, 174, 251, 422)  # rows of SPEAKERS.TXT
CHAPTERS = (50561, 121123, 122949, 136532)  # rows of CHAPTERS.TXT


def tree(stem: str) -> dict[str, bytes]:
    top, utterances = ARCHIVES[stem]
    return librispeech.archive_tree(top, top, utterances, SPEAKERS, CHAPTERS)


if __name__ == "__main__":
    librispeech.main(__doc__, HERE, ARCHIVES, tree)
