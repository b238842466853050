"""Dataset card pieces in this process: picture headers and the pixel budget, audio rates, and a malformed
dataset_info.json given to `build.py --card-only` (a message and exit 1, never a traceback)."""

from __future__ import annotations

import io
import json
import struct
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.card_data import write_zero_images, zero_png
from tests.helpers import load_script, run_main

build = load_script("build.py")


def encoded(array: np.ndarray, fmt: str) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP"])
def test_header_size_of_each_format(fmt: str) -> None:
    from dsbuild.card.pixels import header_size

    assert header_size(encoded(np.zeros((37, 53, 3), dtype=np.uint8), fmt)) == (53, 37)


def test_header_size_of_a_progressive_jpeg_and_of_garbage() -> None:
    from dsbuild.card.pixels import header_size

    out = io.BytesIO()
    Image.fromarray(np.zeros((20, 30, 3), dtype=np.uint8)).save(out, format="JPEG", progressive=True)
    assert header_size(out.getvalue()) == (30, 20)
    rng = np.random.default_rng(0)
    for data in [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"\xff\xd8\xff\xda\x00\x02", rng.bytes(64)]:
        assert header_size(data) is None
    # A JPEG cut inside its frame header, and one whose segment lengths run past the end: no size, no exception.
    jpeg = encoded(np.zeros((8, 8, 3), dtype=np.uint8), "JPEG")
    for cut in range(2, 200):
        header_size(jpeg[:cut])


def test_zero_png_header_says_its_size_without_decoding() -> None:
    from dsbuild.card.pixels import header_size

    data = zero_png(8000, 8000)
    assert header_size(data) == (8000, 8000)
    assert len(data) < 300_000  # 192 MB of pixels in a few hundred KB


def image_features():
    import tensorflow_datasets as tfds

    return tfds.features.FeaturesDict({"image": tfds.features.Image(shape=(None, None, 3))})


def test_picture_over_the_budget_is_summarised_not_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    from dsbuild.card import pixels
    from dsbuild.card.features import example_cells

    features = image_features()
    # Only a header: decoding it would fail, so a summary proves it was never decoded.
    header = zero_png(8000, 8000)[:33]
    value = pixels.EncodedFrames.of(features["image"], header)
    [cell] = example_cells(features, {"image": value})
    assert cell.kind == "summary"
    assert cell.text == (
        "shape (8000, 8000, 3), uint8, 33 bytes encoded "
        "(not drawn: 64,000,000 pixels, over the card's budget of 16,777,216 per picture)"
    )
    with pytest.raises(pixels.OverBudgetError):
        value[0]


def test_picture_within_the_budget_is_decoded_as_tfds_does() -> None:
    from dsbuild.card import pixels
    from dsbuild.card.features import example_cells

    features = image_features()
    array = np.zeros((6, 10, 3), dtype=np.uint8)
    array[:, :5] = (200, 10, 30)
    value = pixels.EncodedFrames.of(features["image"], encoded(array, "PNG"))
    assert np.array_equal(value[0], array)
    [cell] = example_cells(features, {"image": value})
    assert (cell.kind, cell.text) == ("image", "10×6")
    picture = Image.open(io.BytesIO(cell.pngs[0])).convert("RGB")
    assert picture.getpixel((0, 0)) == (200, 10, 30)


def audio_cell(**audio_kwargs):
    import tensorflow_datasets as tfds

    from dsbuild.card.features import example_cells

    features = tfds.features.FeaturesDict({"audio": tfds.features.Audio(**audio_kwargs)})
    samples = (np.sin(np.arange(4000) * 0.3) * 10000).astype(np.int64)
    [cell] = example_cells(features, {"audio": samples})
    return cell


def test_audio_without_a_declared_rate_has_no_duration_and_no_player() -> None:
    from dsbuild.card.html import _cell_html

    cell = audio_cell()  # digit's feature: tfds.features.Audio()
    assert cell.text == "4,000 samples; sample rate not declared, so no duration and no player"
    assert cell.wav == b""
    page = _cell_html(cell)
    assert "<audio" not in page and 'class="waveform"' in page


def test_audio_is_embedded_at_its_declared_rate() -> None:
    from dsbuild.card.html import _cell_html

    cell = audio_cell(sample_rate=8000)
    assert cell.text == "0.50 s at 8000 Hz"
    with wave.open(io.BytesIO(cell.wav)) as clip:
        assert (clip.getframerate(), clip.getnframes()) == (8000, 4000)
    assert "<audio" in _cell_html(cell)


BAD_INFOS = {  # read as any outside JSON is (dsbuild.untrusted): one line each, cut to 200 characters
    "not JSON": ("{not json", "cannot be read: not JSON (Expecting property name"),
    "a list": ("[]", "is not a JSON object"),
    "splits not a list": ('{"splits": "abc"}', "'splits' is not a list: 'abc'"),
    "split not an object": ('{"splits": [7]}', "a split without a name: 7"),
    "shard length abc": (
        '{"splits": [{"name": "train", "shardLengths": ["abc"]}]}',
        "invalid shard length of split 'train' 'abc': expected at most 20 ASCII digits",
    ),
    "shard length infinity": (
        '{"splits": [{"name": "train", "shardLengths": [1e999]}]}',
        "cannot be read: a number too large to represent (1e999)",
    ),
    "superscript digit": (
        '{"splits": [{"name": "train", "shardLengths": ["\\u00b3"]}]}',
        "invalid shard length of split 'train' '³': expected at most 20 ASCII digits",
    ),
    "5000 digits": (
        '{"splits": [{"name": "train", "numBytes": "' + "9" * 5000 + '"}]}',
        "invalid 'numBytes' of split 'train' '" + "9" * 199 + "... (5002 characters)",
    ),
    "negative": (
        '{"splits": [{"name": "train", "shardLengths": [-1]}]}',
        "invalid shard length of split 'train' -1: expected a non-negative integer",
    ),
    "100,000 deep": ("[" * 100_000, "cannot be read: JSON nested deeper than 64 levels"),
}


@pytest.mark.parametrize("case", sorted(BAD_INFOS))
def test_malformed_dataset_info_in_card_only_is_a_message(case: str, tmp_path: Path, capsys) -> None:
    text, message = BAD_INFOS[case]
    version_dir = write_zero_images(tmp_path, 8, count=1)
    info = version_dir / "dataset_info.json"
    info.write_text(text, encoding="utf-8")
    code, out, err = run_main(build, ["--card-only", "zero_images", "-o", str(tmp_path)], capsys)
    assert code == 1
    assert out == ""
    assert err.startswith(f"error: {info}") and message in err, err
    assert len(err.splitlines()) == 1 and len(err) < 600, err
    assert not list(tmp_path.glob("*.card.html"))


def test_a_split_name_too_long_is_cut_in_the_message(tmp_path: Path, capsys) -> None:
    version_dir = write_zero_images(tmp_path, 8, count=1)
    name = "<b>" + "x" * 10_000
    split = {"name": name, "shardLengths": ["1"], "numBytes": "1" * 30}
    (version_dir / "dataset_info.json").write_text(json.dumps({"splits": [split]}), encoding="utf-8")
    code, _, err = run_main(build, ["--card-only", "zero_images", "-o", str(tmp_path)], capsys)
    assert code == 1
    assert "'numBytes' is out of range" not in err  # 30 digits: refused before being read as a number
    assert "(10005 characters) '111111111111111111111111111111': expected at most 20 ASCII digits" in err
    assert len(err) < 1000, err


def test_png_chunk_layout_is_what_the_header_reader_expects() -> None:
    data = zero_png(3, 2, channels=1)
    assert data[12:16] == b"IHDR" and struct.unpack(">II", data[16:24]) == (3, 2)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), np.zeros((2, 3), dtype=np.uint8))
