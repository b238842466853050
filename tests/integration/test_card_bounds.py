"""Dataset cards bounded by what they show, and quiet: the real commands on eight all-zero images.

Each card runs as a real entry-script process without TF_CPP_MIN_LOG_LEVEL (as a user runs it); the process
reads its own peak resident set (VmHWM) when it ends. 8000×8000 zeros are a 13 KB tarball but 1.5 GB of
pixels: the card must summarise them by shape, costing what the 64×64 case costs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import upload
from dsbuild.artifact.tarball import pack
from tests.card_data import write_zero_images
from tests.helpers import ROOT

pytestmark = pytest.mark.integration

LIMIT = 1 << 30  # bytes: the bound
MARGIN = 64 << 20  # bytes: 64 px and 8000 px peaks this close ("flat")
NOISE = ("absl::InitializeLog", "oneDNN", "cuda", "is deprecated", "Traceback")

# The entry script as __main__ in a process that prints its own VmHWM last.
MEASURED = """
import runpy, sys
script, sys.argv = sys.argv[1], sys.argv[1:]
code = 0
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (exc.code is not None)
finally:
    sys.stdout.flush()
    peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
    sys.stderr.write(f"VmHWM {peak}\\n")
sys.exit(code)
"""


def run_measured(script: str, *args: str) -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr without the peak line, peak RSS in bytes) of `python <script> <args>`."""
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    proc = subprocess.run(
        [sys.executable, "-c", MEASURED, str(ROOT / script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    match = re.search(r"^VmHWM (\d+)\n\Z", proc.stderr, re.MULTILINE)
    assert match, proc.stderr[-3000:]
    return proc.returncode, proc.stdout, proc.stderr[: match.start()], int(match.group(1)) * 1024


def assert_quiet(stderr: str) -> None:
    for noise in NOISE:
        assert noise not in stderr, stderr[-3000:]


@pytest.fixture(scope="module")
def zero_cards(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, str, str, int]]:
    """`build.py --card-only` of 64 px and 8000 px zeros: side -> (card, stdout, stderr, peak bytes)."""
    results = {}
    for side in (64, 8000):
        data_dir = tmp_path_factory.mktemp(f"zeros{side}")
        write_zero_images(data_dir, side)
        code, out, err, peak = run_measured("build.py", "--card-only", "zero_images", "-o", str(data_dir))
        assert code == 0, err[-3000:]
        print(f"build.py --card-only, 8 images of {side}x{side}: peak RSS {peak / 2**20:,.0f} MiB")
        results[side] = (data_dir / "zero_images-1.0.0.card.html", out, err, peak)
    return results


def test_card_memory_is_bounded_and_flat_in_pixels(zero_cards) -> None:
    small, large = zero_cards[64][3], zero_cards[8000][3]
    assert large <= LIMIT, f"{large / 2**20:,.0f} MiB"
    assert abs(large - small) <= MARGIN, f"64 px: {small / 2**20:,.0f} MiB, 8000 px: {large / 2**20:,.0f} MiB"


def test_large_pictures_are_summarised_small_ones_drawn(zero_cards) -> None:
    small = zero_cards[64][0].read_text(encoding="utf-8")
    large = zero_cards[8000][0].read_text(encoding="utf-8")
    assert small.count('class="picture"') == 8 and "not drawn" not in small
    assert large.count('class="picture"') == 0
    assert large.count("shape (8000, 8000, 3), uint8") == 8
    assert large.count("not drawn: 64,000,000 pixels, over the card&#x27;s budget of 16,777,216 per picture") == 8
    assert 'class="hist"' in large  # the labels are still counted


def test_card_only_prints_its_path_once_and_nothing_from_tensorflow(zero_cards) -> None:
    card, out, err, _ = zero_cards[64]
    assert out == f"zero_images 1.0.0: card {card}\n"
    assert err == ""


def test_download_card_is_bounded_and_quiet(tmp_path: Path, remote: list[str]) -> None:
    build_dir = tmp_path / "build"
    write_zero_images(build_dir, 8000)
    packed = pack(build_dir, "zero_images", "1.0.0", ["zero_images/1.0.0"])
    print(f"tarball of 8 all-zero 8000x8000 images: {packed.record.size:,} bytes")
    assert packed.record.size < 64 << 10
    assert upload.main(["-o", str(build_dir), *remote, "zero_images"]) == 0
    data_dir = tmp_path / "data"
    code, out, err, peak = run_measured("download.py", "-o", str(data_dir), *remote, "--card", "zero_images")
    print(f"download.py --card, 8 images of 8000x8000: peak RSS {peak / 2**20:,.0f} MiB")
    assert code == 0, err[-3000:]
    card = data_dir / "zero_images-1.0.0.card.html"
    assert out.count(str(card)) == 1 and str(card) not in err
    assert card.read_text(encoding="utf-8").count("not drawn: 64,000,000 pixels") == 8
    assert_quiet(err)
    assert peak <= LIMIT, f"{peak / 2**20:,.0f} MiB"
