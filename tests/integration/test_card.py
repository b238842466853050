"""Dataset cards of real builds: the fixture with every drawn feature kind, the example, and four builder
folders built air-gapped from their dummy sources (image, audio, detection, video). Content is asserted by
parsing the page and decoding its inlined pictures; one test renders a card in headless Chromium."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import wave
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from tests.fixtures.builders.fixture_card import fixture_card as fx
from tests.helpers import EXAMPLE, FIXTURE_BUILDERS, ROOT, run_script, screenshot_in_chromium
from tests.integration.test_airgapped import make_sources, rewrite_checksums

pytestmark = pytest.mark.integration

AIRGAPPED = {
    "german_traffic_sign": "datasets",  # image classification
    "digit": "datasets",  # audio
    "carla_obj_det_dev": "adversarial",  # detection, masks, green-screen corners
    "carla_video_tracking_dev": "adversarial",  # video
}


class Page(HTMLParser):
    """The parts of a card the tests look at: every tag with its attributes, per split section."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str], str]] = []  # (tag, attrs, enclosing split)
        self.split = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "section" and "data-split" in attributes:
            self.split = attributes["data-split"]
        self.tags.append((tag, attributes, self.split))

    def find(self, tag: str, split: str | None = None, **attrs: str) -> list[dict[str, str]]:
        return [
            a
            for t, a, s in self.tags
            if t == tag and (split is None or s == split) and all(a.get(k) == v for k, v in attrs.items())
        ]


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def decode_png(uri: str) -> Image.Image:
    assert uri.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB")


def split_counts(data_dir: Path, subdir: str) -> dict[str, int]:
    info = json.loads((data_dir / subdir / "dataset_info.json").read_text())
    return {s["name"]: sum(int(n) for n in s["shardLengths"]) for s in info["splits"]}


def assert_histograms_match(page: Page, counts: dict[str, int]) -> None:
    for split, expected in counts.items():
        for table in page.find("table", split, **{"class": "hist"}):
            if "/" not in table["data-key"]:  # a per-example label: one count per example
                assert int(table["data-total"]) == expected, (split, table)


@pytest.fixture(scope="module")
def fixture_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`build.py -lcs fixture_card --card` with TensorFlow's own log level (as a user runs it): card, process."""
    data_dir = tmp_path_factory.mktemp("card_fixture")
    result = run_script(
        "build.py",
        "-lcs",
        str(FIXTURE_BUILDERS / "fixture_card"),
        "--card",
        "-o",
        str(data_dir),
        env={"TF_CPP_MIN_LOG_LEVEL": "0"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return data_dir / "fixture_card-1.0.0.card.html", result


@pytest.fixture(scope="module")
def fixture_card(fixture_build: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    return fixture_build[0]


def test_build_card_prints_its_path_once_and_nothing_from_tensorflow(fixture_build) -> None:
    card, result = fixture_build
    assert f"  dataset card:  {card}\n" in result.stdout
    assert (result.stdout + result.stderr).count(str(card)) == 1
    for noise in ("absl::InitializeLog", "oneDNN", "cuda", "is deprecated"):
        assert noise not in result.stderr, result.stderr[-3000:]


def test_fixture_card_content(fixture_card: Path) -> None:
    page = parse(fixture_card)
    text = fixture_card.read_text(encoding="utf-8")
    # Label names, the text feature and the description are escaped: the page holds no script at all.
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(&#x27;label&#x27;)&lt;/script&gt;" in text
    assert "&lt;script&gt;alert(&#x27;text&#x27;)&lt;/script&gt; &amp; more" in text
    assert "Card fixture &lt;b&gt;not bold&lt;/b&gt;" in text
    for split, count in fx.SPLITS.items():
        pictures = page.find("img", split, **{"class": "picture"})
        assert len(pictures) == min(8, count)
        assert len(page.find("audio", split)) == min(8, count)
        assert len(page.find("img", split, **{"class": "strip"})) == min(8, count)
        hist = {t["data-key"]: int(t["data-total"]) for t in page.find("table", split, **{"class": "hist"})}
        assert hist == {"label": count, "objects/label": count}  # one object per example
    # The declared 8 kHz: said, and the clip embedded at it.
    assert text.count(f"0.10 s at {fx.RATE} Hz") == sum(min(8, count) for count in fx.SPLITS.values())
    with wave.open(io.BytesIO(base64.b64decode(page.find("audio", "train")[0]["src"].split(",", 1)[1]))) as clip:
        assert clip.getframerate() == fx.RATE
    # The undrawable float Tensor is summarised.
    assert re.search(r"embedding</div><div class=\"text\">shape \(2, 3\), float32, min 0, max \d+<", text)


def test_fixture_box_drawn_where_it_belongs(fixture_card: Path) -> None:
    from dsbuild.card import draw

    page = parse(fixture_card)
    image = decode_png(page.find("img", "train", **{"class": "picture"})[0]["src"])
    width, height = draw.display_size(fx.HEIGHT, fx.WIDTH)
    assert image.size == (width, height) == (120, 80)
    ymin, xmin, ymax, xmax = fx.BOX
    x0, y0 = round(xmin * width), round(ymin * height)
    x1, y1 = round(xmax * width) - 1, round(ymax * height) - 1
    colour = draw.class_colour(1)
    middle_x, middle_y = (x0 + x1) // 2, (y0 + y1) // 2
    assert image.getpixel((middle_x, y1)) == colour  # bottom edge
    assert image.getpixel((x0, middle_y + 5)) == colour  # left edge, below the label
    assert image.getpixel((x1, middle_y + 5)) == colour  # right edge
    assert image.getpixel((middle_x, middle_y + 5)) == (128, 128, 128)  # inside: untouched
    assert image.getpixel((middle_x, y1 + 3)) == (128, 128, 128)  # outside
    assert image.getpixel((x0 - 3, middle_y)) == (128, 128, 128)


def test_card_only_is_deterministic_and_atomic(fixture_card: Path) -> None:
    before = fixture_card.read_bytes()
    result = run_script(
        "build.py", "--card-only", "fixture_card", "--card-examples", "2", "-o", str(fixture_card.parent)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(parse(fixture_card).find("img", "train", **{"class": "picture"})) == 2
    result = run_script(
        "build.py", "--card-only", str(fixture_card.parent / "fixture_card" / "1.0.0"), "-o", "/nonexistent"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert fixture_card.read_bytes() == before  # same dataset, same examples: same bytes
    assert not [p for p in fixture_card.parent.iterdir() if ".dsbuild-tmp-" in p.name]


def test_card_only_of_nothing_is_a_usage_error(tmp_path: Path) -> None:
    result = run_script("build.py", "--card-only", "fixture_card", "-o", str(tmp_path))
    assert result.returncode == 2
    assert "not built" in result.stderr


@pytest.fixture(scope="module")
def airgapped_cards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("card_airgapped")
    sources = tmp / "sources"
    copies = []
    for name, category in AIRGAPPED.items():
        copy = tmp / "builders" / name
        shutil.copytree(ROOT / category / name, copy, ignore=shutil.ignore_patterns("__pycache__"))
        make_sources(ROOT / category / name, sources)
        rewrite_checksums(copy, sources)
        copies.append(str(copy))
    data_dir = tmp / "data"
    result = run_script(
        "build.py",
        "-lcs",
        *copies,
        str(EXAMPLE),
        "--manual-dir",
        str(sources),
        "-o",
        str(data_dir),
        "--card",
        "--no-pack",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return data_dir


@pytest.mark.parametrize(
    ("name", "subdir", "kind"),
    [
        ("tiny_shapes", "tiny_shapes/1.0.0", "picture"),
        ("german_traffic_sign", "german_traffic_sign/3.0.0", "picture"),
        ("digit", "digit/1.0.8", "waveform"),  # Audio() declares no rate: no player (22.6)
        ("carla_obj_det_dev", "carla_obj_det_dev/2.0.0", "picture"),
        ("carla_video_tracking_dev", "carla_video_tracking_dev/2.0.0", "strip"),
    ],
)
def test_builder_cards(airgapped_cards: Path, name: str, subdir: str, kind: str) -> None:
    version = subdir.split("/")[-1]
    card = airgapped_cards / f"{name}-{version}.card.html"
    page = parse(card)
    counts = split_counts(airgapped_cards, subdir)
    for split, count in counts.items():
        shown = page.find("img", split, **{"class": kind})
        per_example = 2 if name == "carla_obj_det_dev" else 1  # RGB and depth
        assert len(shown) == min(8, count) * per_example, split
        rows = page.find("tr", None, **{"data-split": split})
        assert rows and int(rows[0]["data-examples"]) == count
    assert_histograms_match(page, counts)
    text = card.read_text(encoding="utf-8")
    assert 'class="error"' not in text
    if kind == "waveform":
        assert not page.find("audio") and "sample rate not declared, so no duration and no player" in text


def test_detection_card_draws_boxes_and_green_screen(airgapped_cards: Path) -> None:
    from dsbuild.card import draw

    page = parse(airgapped_cards / "carla_obj_det_dev-2.0.0.card.html")
    image = decode_png(page.find("img", "dev", **{"class": "picture"})[0]["src"])
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20)}
    assert draw.GS_COLOUR in colours  # the green-screen corners
    assert any(draw.class_colour(label) in colours for label in range(1, 4))  # at least one labelled box


CONSOLE = re.compile(r"CONSOLE|Uncaught|SyntaxError", re.IGNORECASE)


def test_card_renders_in_headless_chromium(fixture_card: Path, tmp_path: Path) -> None:
    shot = tmp_path / "card.png"
    result = screenshot_in_chromium(fixture_card.as_uri(), shot, tmp_path / "profile", "1000,1400")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not CONSOLE.search(result.stderr), result.stderr[-3000:]
    picture = Image.open(shot).convert("RGB")
    assert picture.size == (1000, 1400)
    assert len(picture.getcolors(maxcolors=1 << 20) or []) > 10  # the page drew more than a blank screen
