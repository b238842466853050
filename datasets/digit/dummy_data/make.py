"""Write the dummy data for the `digit` builder (deterministic).

Default: `recordings/<digit>_<user>_<n>.wav` next to this file for the narrowed enumeration the test
uses (NARROWED below; keep it in sync with digit_test.py), plus one file of another speaker that the
builder must ignore.

`--source-archives OUTDIR`: write `digit-1.0.8.tar.gz` holding all 1500 recordings the real builder
opens (plus the ignored extra file), as in the real download.
"""

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.dummy_sources import audio

HERE = Path(__file__).resolve().parent
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


def write_dummy() -> None:
    out = HERE / "recordings"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.wav"):
        old.unlink()
    n = NARROWED
    for name in [*names(n["digits"], n["users"], n["train"] + n["test"]), EXTRA]:
        (out / name).write_bytes(wav_bytes(name))


def write_archive(outdir: Path) -> None:
    all_names = [*names(DIGITS, USERS, list(range(50))), EXTRA]
    audio.write_tar_gz(outdir / ARCHIVE, ((f"recordings/{name}", wav_bytes(name)) for name in all_names))


if __name__ == "__main__":
    audio.main(__doc__, write_dummy, write_archive)
