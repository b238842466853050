"""Write the dummy data for the `digit` builder (deterministic).

Default: `recordings/<digit>_<user>_<n>.wav` next to this file for the narrowed enumeration the test
uses (NARROWED below; keep it in sync with test_digit.py), plus one file of another speaker that the
builder must ignore.

`--source-archives OUTDIR`: write `digit-1.0.8.tar.gz` holding all 1500 recordings the real builder
opens (plus the ignored extra file), as in the real download.
"""

import itertools
from pathlib import Path

from dsbuild.testing import make
from dsbuild.testing.dummy import audio

ARCHIVE = "digit-1.0.8.tar.gz"
SAMPLE_RATE = 8000

DIGITS = [str(d) for d in range(10)]
USERS = ["jackson", "nicolas", "theo"]
NARROWED = {"digits": ["0", "9"], "users": ["jackson", "theo"], "train": [49], "test": [0]}
EXTRA = "3_yweweler_7.wav"  # another FSDD speaker: present in the folder, never read


def wav_bytes(name: str) -> bytes:
    """Mono 16-bit 8 kHz wav; length and samples depend only on the name (fixed seed per file)."""
    return audio.wav_bytes(audio.noise(name, amplitude=2**15, length=(40, 200)), SAMPLE_RATE)


def names(digits: list[str], users: list[str], indices: list[int]) -> list[str]:
    return [f"{d}_{u}_{n}.wav" for d, u, n in itertools.product(digits, users, indices)]


def recordings(names: list[str]) -> dict[str, bytes]:
    return {f"recordings/{name}": wav_bytes(name) for name in names}


def dummy() -> dict[str, bytes]:
    n = NARROWED
    return recordings([*names(n["digits"], n["users"], n["train"] + n["test"]), EXTRA])


if __name__ == "__main__":
    all_names = [*names(DIGITS, USERS, list(range(50))), EXTRA]
    here = Path(__file__).resolve().parent
    make.main(__doc__, here, lambda: {ARCHIVE: recordings(all_names)}, dummy=dummy, clear=["recordings"])
