"""Write the dummy data for the `digit` builder (deterministic).

Default: `recordings/<digit>_<user>_<n>.wav` next to this file for the narrowed enumeration the test
uses (NARROWED below; keep it in sync with digit_test.py), plus one file of another speaker that the
builder must ignore.

`--source-archives OUTDIR`: write `digit-1.0.8.tar.gz` holding all 1500 recordings the real builder
opens (plus the ignored extra file), as in the real download.
"""

import argparse
import gzip
import io
import itertools
import tarfile
import wave
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ARCHIVE = "digit-1.0.8.tar.gz"
SAMPLE_RATE = 8000

DIGITS = [str(d) for d in range(10)]
USERS = ["jackson", "nicolas", "theo"]
NARROWED = {"digits": ["0", "9"], "users": ["jackson", "theo"], "train": [49], "test": [0]}
EXTRA = "3_yweweler_7.wav"  # another FSDD speaker: present in the folder, never read


def wav_bytes(name: str) -> bytes:
    """Mono 16-bit 8 kHz wav; length and samples depend only on the name (fixed seed per file)."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    samples = rng.integers(-(2**15), 2**15, size=int(rng.integers(40, 200)), dtype=np.int16)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


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
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / ARCHIVE
    # gzip mtime=0 keeps the archive bytes deterministic.
    with gzip.GzipFile(path, "wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for name in [*names(DIGITS, USERS, list(range(50))), EXTRA]:
            data = wav_bytes(name)
            info = tarfile.TarInfo(f"recordings/{name}")
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    print(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-archives", type=Path, metavar="OUTDIR")
    args = parser.parse_args()
    if args.source_archives:
        write_archive(args.source_archives)
    else:
        write_dummy()
