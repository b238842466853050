"""Deterministic noise audio (wav, FLAC) for the audio builders' dummy data (LibriSpeech family, digit).

Samples depend only on a seed string (crc32 of e.g. the file name), so every run writes the same bytes.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
import wave
import zlib
from pathlib import Path

import numpy as np

from dsbuild import media_tools


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
    """Mono 16-bit FLAC of `samples`, encoded by ffmpeg (the system's, else the pinned wheel's)."""
    media_tools.ensure_on_path()
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
