"""Dummy LibriSpeech sources for the librispeech_* builders.

Each folder's `dummy_data/make.py` maps archive names to `archive_tree`/`openslr_tree` trees, or to
`adversarial_tree` (librispeech_adversarial). A tree holds SPEAKERS.TXT, CHAPTERS.TXT (rows picked from
the pools below, same columns and comment style as the real files) and `<speaker>/<chapter>/` dirs with
`<speaker>-<chapter>.trans.txt` + `<speaker>-<chapter>-<utt>.flac` (16 kHz mono 16-bit FLAC of a few
hundred noise samples; needs ffmpeg). Everything is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from dsbuild.testing.dummy import audio

# (speaker, chapter) -> [(utterance, transcript), ...]
Utterances = Mapping[tuple[int, int], Sequence[tuple[int, str]]]

SPEAKERS_HEADER = """\
; Dummy excerpt of LibriSpeech SPEAKERS.TXT (same columns and comment style)
;ID  |SEX| SUBSET           |MINUTES| NAME
"""
SPEAKER_ROWS = {
    20: "20   | F | train-other-500  | 30.07 | Kristin LeMoine",
    60: "60   | M | train-clean-100  | 20.18 | |CBW|Simon",
    84: "84   | F | dev-clean        |  8.02 | Christie Nowak",
    100: "100  | F | train-clean-360  | 25.03 | Judy Bieber",
    103: "103  | F | train-clean-100  | 25.11 | Karen Savage",
    116: "116  | M | dev-other        |  8.12 | Steve Collis",
    174: "174  | M | dev-clean        |  8.04 | Peter Eastman",
    251: "251  | M | dev-clean        |  8.04 | Mark Nelson",
    422: "422  | M | dev-clean        |  8.38 | President Lethe",
    1089: "1089 | M | test-clean       |  8.11 | Sean McGaughey",
    1688: "1688 | M | test-other       |  8.04 | Tom Clifton",
}
CHAPTERS_HEADER = """\
; Dummy excerpt of LibriSpeech CHAPTERS.TXT (same columns and comment style)
;ID      |READER|MINUTES| SUBSET           | PROJ.|BOOK ID| CH. TITLE          | PROJECT TITLE
"""
CHAPTER_ROWS = {
    205: "205      |   20 | 30.07 | train-other-500  |  123 | 11    | Chapter 1          | Through the Looking-Glass",
    1240: "1240     |  103 | 25.11 | train-clean-100  |  456 | 45    | Chapter 1          | Anne of Green Gables",
    50561: "50561    |  174 |  8.04 | dev-clean        |  789 | 1661  | Chapter 3          | Gillian",
    121123: "121123   |   84 |  8.02 | dev-clean        |  321 | 84    | Chapter 12         | Frankenstein",
    121669: "121669   |  100 | 25.03 | train-clean-360  |  654 | 10    | Nursery Rhymes     | Mother Goose",
    122949: "122949   |  422 |  8.38 | dev-clean        |  987 | 2814  | Chapter 1          | Iron | Blood",
    134686: "134686   | 1089 | 8.11  | test-clean       |  987 | 2814  | Chapter 1          | A Portrait",
    136532: "136532   |  251 |  8.04 | dev-clean        |  222 | 4002  | Chapter 5          | The City",
    142285: "142285   | 1688 | 8.04  | test-other       |  111 | 3001  | Chapter 2          | Iron | Blood",
    288045: "288045   |  116 |  8.12 | dev-other        |  222 | 4002  | Chapter 5          | The City",
}

# The official openslr archives (librispeech_full, librispeech_dev_test): stem -> utterances, and the
# speakers / chapters every archive's SPEAKERS.TXT / CHAPTERS.TXT lists.
OPENSLR_UTTERANCES: dict[str, Utterances] = {
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
OPENSLR_SPEAKERS = (20, 60, 84, 100, 103, 116, 174, 1089, 1688)
OPENSLR_CHAPTERS = (205, 1240, 50561, 121123, 121669, 134686, 142285, 288045)


def table(header: str, rows: Mapping[int, str], ids: Iterable[int]) -> bytes:
    return (header + "".join(f"{rows[i]}\n" for i in ids)).encode()


def flac(utterance_id: str) -> bytes:
    """16 kHz mono 16-bit FLAC; samples depend only on the utterance id (fixed seed per file)."""
    return audio.flac_bytes(audio.noise(utterance_id, amplitude=3000, length=(200, 400)), 16000)


def archive_tree(
    meta_dir: str, speech_dir: str, utterances: Utterances, speakers: Iterable[int], chapters: Iterable[int]
) -> dict[str, bytes]:
    """Relative path -> content of one archive: `<meta_dir>/SPEAKERS.TXT`, `<meta_dir>/CHAPTERS.TXT` and
    `<speech_dir>/<speaker>/<chapter>/` transcripts + FLAC files."""
    files = {
        f"{meta_dir}/SPEAKERS.TXT": table(SPEAKERS_HEADER, SPEAKER_ROWS, speakers),
        f"{meta_dir}/CHAPTERS.TXT": table(CHAPTERS_HEADER, CHAPTER_ROWS, chapters),
    }
    for (speaker, chapter), utts in utterances.items():
        base = f"{speech_dir}/{speaker}/{chapter}"
        lines = []
        for utt, text in utts:
            key = f"{speaker}-{chapter}-{utt:04d}"
            files[f"{base}/{key}.flac"] = flac(key)
            lines.append(f"{key} {text}\n")
        files[f"{base}/{speaker}-{chapter}.trans.txt"] = "".join(lines).encode()
    return files


def openslr_tree(stem: str) -> dict[str, bytes]:
    """Everything the official `<stem>.tar.gz` holds: `LibriSpeech/{SPEAKERS,CHAPTERS}.TXT`, `LibriSpeech/<stem>/...`."""
    return archive_tree(
        "LibriSpeech", f"LibriSpeech/{stem}", OPENSLR_UTTERANCES[stem], OPENSLR_SPEAKERS, OPENSLR_CHAPTERS
    )


def adversarial_tree(
    versions: Sequence[str], clips: Sequence[tuple[str, str, str]], not_a_clip: str
) -> dict[str, bytes]:
    """librispeech_adversarial: `data/<version>/<speaker>/<chapter>/<clip>` 16 kHz wav files for every
    version and clip, plus `not_a_clip` (a non-wav file)."""
    files = {not_a_clip: b"not audio\n"}
    for version in versions:
        for speaker, chapter, clip in clips:
            rel = f"data/{version}/{speaker}/{chapter}/{clip}"
            files[rel] = audio.wav_bytes(audio.noise(rel, amplitude=3000, length=(200, 400)), 16000)
    return files
