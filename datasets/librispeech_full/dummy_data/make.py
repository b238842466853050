"""Write the dummy data for the `librispeech_full` builder (deterministic; needs ffmpeg for FLAC).

Default: one extracted tree per archive next to this file, `<archive stem>/LibriSpeech/...` exactly as
the real `<archive stem>.tar.gz` extracts: SPEAKERS.TXT, CHAPTERS.TXT and
`<subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt` + `<speaker>-<chapter>-<utt>.flac`
(16 kHz mono 16-bit FLAC of a few hundred noise samples).

`--source-archives OUTDIR`: write the same trees as `<archive stem>.tar.gz` (the checksums.tsv names).
"""

import argparse
import gzip
import io
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# archive stem -> {(speaker, chapter): [(utterance, transcript), ...]}
UTTERANCES = {
    "dev-clean": {
        (84, 121123): [(0, "GO DO YOU HEAR"), (1, "BUT IN LESS THAN FIVE MINUTES THE STAIRCASE GROANED")],
        (174, 50561): [(0, "FORGOTTEN TOO THE NAME OF GILLIAN THE LOVELY CAPTIVE")],
    },
    "dev-other": {(116, 288045): [(0, "AS I APPROACHED THE CITY I HEARD BELLS RINGING")]},
    "test-clean": {(1089, 134686): [(0, "HE HOPED THERE WOULD BE STEW FOR DINNER")]},
    "test-other": {(1688, 142285): [(0, "THERE'S IRON THEY SAY IN ALL OUR BLOOD")]},
    "train-clean-100": {(103, 1240): [(0, "CHAPTER ONE MISSUS RACHEL LYNDE IS SURPRISED")]},
    "train-clean-360": {(100, 121669): [(0, "TOM THE PIPER'S SON STOLE A PIG AND AWAY HE RUN")]},
    "train-other-500": {(20, 205): [(0, "THE TIME HAS COME THE WALRUS SAID TO TALK OF MANY THINGS")]},
}

SPEAKERS_TXT = """\
; Dummy excerpt of LibriSpeech SPEAKERS.TXT (same columns and comment style)
;ID  |SEX| SUBSET           |MINUTES| NAME
20   | F | train-other-500  | 30.07 | Kristin LeMoine
60   | M | train-clean-100  | 20.18 | |CBW|Simon
84   | F | dev-clean        |  8.02 | Christie Nowak
100  | F | train-clean-360  | 25.03 | Judy Bieber
103  | F | train-clean-100  | 25.11 | Karen Savage
116  | M | dev-other        |  8.12 | Steve Collis
174  | M | dev-clean        |  8.04 | Peter Eastman
1089 | M | test-clean       |  8.11 | Sean McGaughey
1688 | M | test-other       |  8.04 | Tom Clifton
"""

CHAPTERS_TXT = """\
; Dummy excerpt of LibriSpeech CHAPTERS.TXT (same columns and comment style)
;ID      |READER|MINUTES| SUBSET           | PROJ.|BOOK ID| CH. TITLE          | PROJECT TITLE
205      |   20 | 30.07 | train-other-500  |  123 | 11    | Chapter 1          | Through the Looking-Glass
1240     |  103 | 25.11 | train-clean-100  |  456 | 45    | Chapter 1          | Anne of Green Gables
50561    |  174 |  8.04 | dev-clean        |  789 | 1661  | Chapter 3          | Gillian
121123   |   84 |  8.02 | dev-clean        |  321 | 84    | Chapter 12         | Frankenstein
121669   |  100 | 25.03 | train-clean-360  |  654 | 10    | Nursery Rhymes     | Mother Goose
134686   | 1089 | 8.11  | test-clean       |  987 | 2814  | Chapter 1          | A Portrait
142285   | 1688 | 8.04  | test-other       |  111 | 3001  | Chapter 2          | Iron | Blood
288045   |  116 |  8.12 | dev-other        |  222 | 4002  | Chapter 5          | The City
"""


def flac_bytes(utterance_id: str) -> bytes:
    """16 kHz mono 16-bit FLAC; samples depend only on the utterance id (fixed seed per file)."""
    rng = np.random.default_rng(zlib.crc32(utterance_id.encode()))
    samples = rng.integers(-3000, 3000, size=int(rng.integers(200, 400)), dtype=np.int16)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.flac"
        # bitexact: no encoder version tag, so the bytes only depend on the samples.
        cmd = "ffmpeg -nostdin -hide_banner -loglevel error -f s16le -ar 16000 -ac 1 -i pipe:0"
        subprocess.run(
            [*cmd.split(), "-fflags", "+bitexact", "-flags:a", "+bitexact", str(out)],
            input=samples.astype("<i2").tobytes(),
            check=True,
        )
        return out.read_bytes()


def tree(stem: str) -> dict[str, bytes]:
    """Relative path -> content of everything the archive `<stem>.tar.gz` holds."""
    files = {
        "LibriSpeech/SPEAKERS.TXT": SPEAKERS_TXT.encode(),
        "LibriSpeech/CHAPTERS.TXT": CHAPTERS_TXT.encode(),
    }
    for (speaker, chapter), utts in UTTERANCES[stem].items():
        base = f"LibriSpeech/{stem}/{speaker}/{chapter}"
        lines = []
        for utt, text in utts:
            key = f"{speaker}-{chapter}-{utt:04d}"
            files[f"{base}/{key}.flac"] = flac_bytes(key)
            lines.append(f"{key} {text}\n")
        files[f"{base}/{speaker}-{chapter}.trans.txt"] = "".join(lines).encode()
    return files


def write_dummy() -> None:
    for stem in UTTERANCES:
        shutil.rmtree(HERE / stem, ignore_errors=True)
        for rel, data in tree(stem).items():
            (HERE / stem / rel).parent.mkdir(parents=True, exist_ok=True)
            (HERE / stem / rel).write_bytes(data)


def write_archives(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    for stem in UTTERANCES:
        path = outdir / f"{stem}.tar.gz"
        # gzip mtime=0 keeps the archive bytes deterministic.
        with gzip.GzipFile(path, "wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
            for rel, data in sorted(tree(stem).items()):
                info = tarfile.TarInfo(rel)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        print(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-archives", type=Path, metavar="OUTDIR")
    args = parser.parse_args()
    if args.source_archives:
        write_archives(args.source_archives)
    else:
        write_dummy()
