"""Tests for dsbuild.families.librispeech (tables, transcripts, examples, configs)."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from etils import epath

from dsbuild.families import librispeech


def _chapter(root: Path, speaker: int, chapter: int, lines: list[str], *, flac: bool = True) -> None:
    d = root / str(speaker) / str(chapter)
    d.mkdir(parents=True)
    (d / f"{speaker}-{chapter}.trans.txt").write_text("".join(f"{line}\n" for line in lines))
    if flac:
        for line in lines:
            if line.strip():
                (d / f"{line.split()[0]}.flac").write_bytes(b"")


def test_table_skips_comments_and_keeps_pipes_in_last_field(tmp_path: Path) -> None:
    path = tmp_path / "SPEAKERS.TXT"
    path.write_text(";ID |SEX| SUBSET |MINUTES| NAME\n\n60 | M | train-clean-100 | 20.18 | |CBW|Simon\n")
    table = librispeech.read_librispeech_table(epath.Path(path), librispeech.LIBRISPEECH_SPEAKER_FIELDS, "a.tar.gz")
    assert table == {60: {"gender": "M", "subset": "train-clean-100", "minutes": "20.18", "name": "|CBW|Simon"}}


def test_missing_table_names_file_and_archive(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"SPEAKERS\.TXT missing from a\.tar\.gz"):
        librispeech.librispeech_metadata(epath.Path(tmp_path), "a.tar.gz")
    (tmp_path / "SPEAKERS.TXT").write_text("")
    with pytest.raises(FileNotFoundError, match=r"CHAPTERS\.TXT missing from a\.tar\.gz"):
        librispeech.librispeech_metadata(epath.Path(tmp_path), "a.tar.gz")


def test_transcripts_layouts_and_messages(tmp_path: Path) -> None:
    _chapter(tmp_path / "LibriSpeech" / "dev-clean", 84, 121123, ["84-121123-0001 B", "", "84-121123-0000 A TEXT"])
    root = epath.Path(tmp_path)
    got = [(k, t, f.name) for k, t, f in librispeech.librispeech_transcripts(root, "dev-clean.tar.gz")]
    assert got == [("84-121123-0001", "B", "84-121123-0001.flac"), ("84-121123-0000", "A TEXT", "84-121123-0000.flac")]
    # The "<top>" layout sees the same files one level higher, so LibriSpeech/dev-clean/84/ is too deep.
    with pytest.raises(FileNotFoundError, match=r"no <top>/<speaker>/<chapter>/\*\.txt transcripts in x\.tar\.gz"):
        list(librispeech.librispeech_transcripts(root, "x.tar.gz", top="<top>"))
    with pytest.raises(FileNotFoundError, match=r"no LibriSpeech/<subset>/<speaker>/<chapter>/\*\.txt"):
        list(librispeech.librispeech_transcripts(root / "LibriSpeech", "x.tar.gz"))


def test_examples_with_and_without_speaker_labels(tmp_path: Path) -> None:
    _chapter(tmp_path / "val", 251, 136532, ["251-136532-0000 I NEVER KNEW"])
    root = epath.Path(tmp_path)
    (key, ex), *_ = librispeech.librispeech_examples(
        root, "v.tar.gz", top="<top>", speakers=librispeech.LIBRISPEECH_DEV_CLEAN_SPEAKERS
    )
    assert key == "251-136532-0000"
    assert {k: v for k, v in ex.items() if k != "speech"} == {
        "id": key,
        "speaker_id": 251,
        "chapter_id": 136532,
        "text": "I NEVER KNEW",
        "label": "251",
    }
    assert "label" not in next(librispeech.librispeech_examples(root, "v.tar.gz", top="<top>"))[1]
    with pytest.raises(
        ValueError, match=r"251-136532-0000\.flac in v\.tar\.gz: speaker 251 is not one of the 2 labels"
    ):
        list(librispeech.librispeech_examples(root, "v.tar.gz", top="<top>", speakers=["84", "174"]))


def test_listed_flac_missing_fails(tmp_path: Path) -> None:
    _chapter(tmp_path / "t", 19, 198, ["19-198-0000 X"], flac=False)
    with pytest.raises(
        FileNotFoundError, match=r"19-198-0000\.flac \(listed in a transcript\) missing from t\.tar\.gz"
    ):
        list(librispeech.librispeech_examples(epath.Path(tmp_path), "t.tar.gz", top="<top>"))


def test_download_maps_splits_to_paths() -> None:
    dl = mock.Mock(download_and_extract=mock.Mock(return_value={"a": "/x/a", "b": "/x/b"}))
    dirs = librispeech.librispeech_download(dl, "http://h/", {"a": "a.tar.gz", "b": "b.tar.gz"})
    dl.download_and_extract.assert_called_once_with({"a": "http://h/a.tar.gz", "b": "http://h/b.tar.gz"})
    assert dirs == {"a": epath.Path("/x/a"), "b": epath.Path("/x/b")}


def test_text_configs() -> None:
    configs = librispeech.librispeech_text_configs("1.1.0")
    assert [(c.name, c.vocab_size, str(c.version)) for c in configs] == [
        ("plain_text", None, "1.1.0"),
        ("subwords8k", 2**13, "1.1.0"),
        ("subwords32k", 2**15, "1.1.0"),
    ]
    assert configs[0].text_encoder_config is None
    assert configs[2].text_encoder_config.vocab_size == 2**15
    assert len(set(librispeech.LIBRISPEECH_DEV_CLEAN_SPEAKERS)) == 40
