"""Write the dummy data for the `librispeech_dev_clean_split` builder (deterministic; needs ffmpeg).

Default: one extracted tree per archive next to this file, `<archive stem>/<top>/...` as the real
`<archive stem>.tar.gz` is assumed to extract (top dirs `train`, `val`, `test`; see the builder
docstring): SPEAKERS.TXT, CHAPTERS.TXT and `<speaker>/<chapter>/<speaker>-<chapter>.trans.txt` +
`<speaker>-<chapter>-<utt>.flac` (16 kHz mono 16-bit FLAC of a few hundred noise samples).

`--source-archives OUTDIR`: write the same trees as `<archive stem>.tar.gz` (the checksums.tsv names).
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import librispeech

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


def sources() -> dict[str, dict[str, bytes]]:
    return {
        f"{stem}.tar.gz": librispeech.archive_tree(top, top, utterances, SPEAKERS, CHAPTERS)
        for stem, (top, utterances) in ARCHIVES.items()
    }


if __name__ == "__main__":
    make.main(__doc__, Path(__file__).resolve().parent, sources)
