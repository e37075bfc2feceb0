"""Visual smoke test: every page, rendered by poppler at 30 dpi, shows something.

A blank page (a layout that pushed content off the page, an empty section, a lost font) has all
its pixels in one colour. Each page must have some ink that differs clearly from its background,
and the cover must not be a plain field of colour.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from conftest import BOOKLET_SAMPLE, PROGRAMME_SAMPLE_AZ, Builds

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("pdftoppm") is None,
        reason="pdftoppm (poppler-utils) is not installed; 'make test' installs it",
    ),
]

DPI = 30
INK_DIFFERENCE = 48  # out of 255, in the channel that differs most
MIN_INK = 0.003  # share of a page's pixels
MIN_COVER_INK = 0.01


def render_pages(pdf: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(pdf), str(folder / "page")],
                   check=True, capture_output=True, timeout=120)
    return sorted(folder.glob("page-*.png"))


def ink(path: Path) -> float:
    """Share of pixels that differ clearly from the page's most common colour."""
    with Image.open(path) as opened:
        image = opened.convert("RGB")
    colours = image.getcolors(maxcolors=image.width * image.height)
    assert colours
    background = max(colours)[1]
    difference = ImageChops.difference(image, Image.new("RGB", image.size, background))
    red, green, blue = difference.split()
    strongest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    histogram = strongest.histogram()
    return sum(histogram[INK_DIFFERENCE + 1 :]) / (image.width * image.height)


@pytest.mark.parametrize("name", ["scaffold-booklet", BOOKLET_SAMPLE, PROGRAMME_SAMPLE_AZ])
def test_no_page_is_blank(builds: Builds, name: str, tmp_path: Path) -> None:
    built = builds.get(name)
    images = render_pages(built.pdf, tmp_path / "pages")
    assert len(images) == built.result.pages
    shares = [ink(image) for image in images]
    blank = [number for number, share in enumerate(shares, 1) if share < MIN_INK]
    assert not blank, f"blank pages {blank} in {name} (ink per page: {shares})"
    assert shares[0] >= MIN_COVER_INK, f"the cover of {name} is nearly uniform ({shares[0]:.4f})"


def test_ink_measure_tells_blank_from_printed(tmp_path: Path) -> None:
    """The measure itself: a plain page has no ink, a page with a mark has some."""
    plain = tmp_path / "plain.png"
    Image.new("RGB", (175, 249), (244, 241, 236)).save(plain)
    marked = tmp_path / "marked.png"
    image = Image.new("RGB", (175, 249), (255, 255, 255))
    image.paste((20, 20, 20), (20, 20, 120, 40))
    image.save(marked)
    assert ink(plain) == 0
    assert ink(marked) == pytest.approx(100 * 20 / (175 * 249))
