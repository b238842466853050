"""Write the dummy data for the `librispeech_adversarial` builder (deterministic).

Default: `data/<version>/<speaker>/<chapter>/<clip>.wav` next to this file for the three versions
(clean, adversarial_univperturbation, adversarial_perturbation), 16 kHz mono 16-bit wav of a few
hundred samples, plus one non-wav file under data/clean that the builder must skip.

`--source-archives OUTDIR`: write the same tree as `LibriSpeech_SincNet_UnivPerturbation_and_PGD.tar.gz`.
"""

from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import librispeech

ARCHIVE = "LibriSpeech_SincNet_UnivPerturbation_and_PGD.tar.gz"
VERSIONS = ("clean", "adversarial_univperturbation", "adversarial_perturbation")
# (speaker, chapter, clip) of the clean clips; every version holds the same relative paths.
CLIPS = [
    ("84", "121123", "84-121123-0000.wav"),
    ("84", "121123", "84-121123-0001.wav"),
    ("174", "50561", "174-50561-0000.wav"),
]
NOT_A_CLIP = "data/clean/84/121123/notes.txt"


def files() -> dict[str, bytes]:
    return librispeech.adversarial_tree(VERSIONS, CLIPS, NOT_A_CLIP)


if __name__ == "__main__":
    make.main(__doc__, Path(__file__).resolve().parent, lambda: {ARCHIVE: files()}, dummy=files, clear=["data"])
