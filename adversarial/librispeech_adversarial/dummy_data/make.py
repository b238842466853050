"""Write the dummy data for the `librispeech_adversarial` builder (deterministic).

Default: `data/<version>/<speaker>/<chapter>/<clip>.wav` next to this file for the three versions
(clean, adversarial_univperturbation, adversarial_perturbation), 16 kHz mono 16-bit wav of a few
hundred samples, plus one non-wav file under data/clean that the builder must skip.

`--source-archives OUTDIR`: write the same tree as `LibriSpeech_SincNet_UnivPerturbation_and_PGD.tar.gz`.
"""

import argparse
import gzip
import io
import shutil
import tarfile
import wave
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ARCHIVE = "LibriSpeech_SincNet_UnivPerturbation_and_PGD.tar.gz"
VERSIONS = ("clean", "adversarial_univperturbation", "adversarial_perturbation")
# (speaker, chapter, clip) of the clean clips; every version holds the same relative paths.
CLIPS = [
    ("84", "121123", "84-121123-0000.wav"),
    ("84", "121123", "84-121123-0001.wav"),
    ("174", "50561", "174-50561-0000.wav"),
]
NOT_A_CLIP = "data/clean/84/121123/notes.txt"


def wav_bytes(rel: str) -> bytes:
    """Mono 16-bit 16 kHz wav; samples depend only on the relative path (fixed seed per file)."""
    rng = np.random.default_rng(zlib.crc32(rel.encode()))
    samples = rng.integers(-3000, 3000, size=int(rng.integers(200, 400)), dtype=np.int16)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


def tree() -> dict[str, bytes]:
    files = {NOT_A_CLIP: b"not audio\n"}
    for version in VERSIONS:
        for speaker, chapter, clip in CLIPS:
            rel = f"data/{version}/{speaker}/{chapter}/{clip}"
            files[rel] = wav_bytes(rel)
    return files


def write_dummy() -> None:
    shutil.rmtree(HERE / "data", ignore_errors=True)
    for rel, data in tree().items():
        (HERE / rel).parent.mkdir(parents=True, exist_ok=True)
        (HERE / rel).write_bytes(data)


def write_archive(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / ARCHIVE
    # gzip mtime=0 keeps the archive bytes deterministic.
    with gzip.GzipFile(path, "wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for rel, data in sorted(tree().items()):
            info = tarfile.TarInfo(rel)
            info.size = len(data)
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
