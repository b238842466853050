"""Deterministic noise audio (wav, FLAC) and file/archive writers for the audio builders' dummy data.

Used by the `dummy_data/make.py` of the LibriSpeech builders (via `librispeech.py`) and of `digit`.
Samples depend only on a seed string (crc32 of e.g. the file name), so every run writes the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import subprocess
import tarfile
import tempfile
import wave
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np


def noise(seed: str, *, amplitude: int, length: tuple[int, int]) -> np.ndarray:
    """int16 samples in [-amplitude, amplitude), `length` = [low, high) samples long, fixed by `seed`."""
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    return rng.integers(-amplitude, amplitude, size=int(rng.integers(*length)), dtype=np.int16)


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """Mono 16-bit PCM wav of `samples`."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


def flac_bytes(samples: np.ndarray, rate: int) -> bytes:
    """Mono 16-bit FLAC of `samples` (needs ffmpeg)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.flac"
        # bitexact: no encoder version tag, so the bytes only depend on the samples.
        cmd = f"ffmpeg -nostdin -hide_banner -loglevel error -f s16le -ar {rate} -ac 1 -i pipe:0"
        subprocess.run(
            [*cmd.split(), "-fflags", "+bitexact", "-flags:a", "+bitexact", str(out)],
            input=samples.astype("<i2").tobytes(),
            check=True,
        )
        return out.read_bytes()


def write_files(root: Path, files: Mapping[str, bytes]) -> None:
    """Write `files` (relative path -> content) below `root`."""
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def write_tar_gz(path: Path, files: Iterable[tuple[str, bytes]]) -> None:
    """Write (member name, content) pairs, in the order given, as a deterministic .tar.gz; print its path."""
    # gzip mtime=0 and TarInfo's default mtime 0 keep the archive bytes deterministic.
    with gzip.GzipFile(path, "wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for rel, data in files:
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    print(path)


def main(description: str, write_dummy: Callable[[], None], write_archives: Callable[[Path], None]) -> None:
    """The make.py command line: no args runs `write_dummy`; `--source-archives OUTDIR` runs `write_archives`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--source-archives", type=Path, metavar="OUTDIR")
    args = parser.parse_args()
    if args.source_archives:
        args.source_archives.mkdir(parents=True, exist_ok=True)
        write_archives(args.source_archives)
    else:
        write_dummy()
