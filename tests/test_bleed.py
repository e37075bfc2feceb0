"""Bleed for art that reaches the trim: the print check that finds it (bleed-art), the
analysis of where a page puts ink (vigil.pdfart), and PDF inserts that get their bleed by
mirroring or scaling (measured by rendering the bleed strip)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, NameObject, RectangleObject

from conftest import ROOT, build_into, run_cli, user_error, write_publication
from vigil.check import check_file
from vigil.pdfart import edges, painted

MM = 72 / 25.4
A5 = (148 * MM, 210 * MM)
POSTER = ROOT / "content" / "eternal-return-2025" / "inserts" / "poster.pdf"


def _pdf(path: Path, content: str, size: tuple[float, float] = A5, bleed_mm: float = 0.0) -> Path:
    """One page: ``content`` drawn in a page whose TrimBox is ``size`` (at the origin) and whose
    MediaBox and BleedBox are ``bleed_mm`` larger on each side."""
    writer = PdfWriter()
    bleed = bleed_mm * MM
    page = writer.add_blank_page(size[0] + 2 * bleed, size[1] + 2 * bleed)
    page.mediabox = RectangleObject([-bleed, -bleed, size[0] + bleed, size[1] + bleed])
    if bleed:
        page.trimbox = RectangleObject([0, 0, size[0], size[1]])
        page.bleedbox = RectangleObject([-bleed, -bleed, size[0] + bleed, size[1] + bleed])
    stream = ContentStream(None, None)
    stream.set_data(content.encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    writer.write(path)
    return path


W, H = A5
# Dark red art to the trim, a blue band along the left edge and a green hairline 2.5 mm from it.
ART = (f"0.5 0.1 0.1 rg 0 0 {W:.3f} {H:.3f} re f "
       f"0.1 0.1 0.6 rg 0 0 {10 * MM:.3f} {H:.3f} re f "
       f"0.1 0.7 0.1 rg {2.2 * MM:.3f} 0 {0.6 * MM:.3f} {H:.3f} re f "
       f"1 1 1 rg {30 * MM:.3f} {30 * MM:.3f} 50 50 re f")


# ---------------------------------------------------------------- where a page puts ink


def test_art_to_the_trim_and_into_the_bleed_are_told_apart(tmp_path: Path) -> None:
    to_trim = PdfReader(_pdf(tmp_path / "a.pdf", ART, bleed_mm=3)).pages[0]
    found = edges(painted(to_trim), (0, 0, W, H))
    assert all(edge.touches and edge.beyond < 0.01 for edge in found.values())
    b = 3 * MM
    into = PdfReader(_pdf(tmp_path / "b.pdf", f"0.2 g {-b} {-b} {W + 2 * b} {H + 2 * b} re f",
                          bleed_mm=3)).pages[0]
    found = edges(painted(into), (0, 0, W, H))
    assert all(edge.touches and edge.beyond == pytest.approx(b) for edge in found.values())


def test_white_paper_text_and_clipped_art_do_not_reach_the_edge(tmp_path: Path) -> None:
    content = (f"1 g 0 0 {W} {H} re f "                      # a white page: paper
               f"q 20 20 {W - 40} {H - 40} re W n 0 g 0 0 {W} {H} re f Q "  # clipped inside
               "BT /F1 12 Tf 0 10 Td (text at the edge) Tj ET")
    page = PdfReader(_pdf(tmp_path / "c.pdf", content, bleed_mm=3)).pages[0]
    assert not any(e.touches for e in edges(painted(page), (0, 0, W, H))
                   .values())


# ---------------------------------------------------------------- the print check


def test_print_check_names_a_page_whose_art_stops_at_the_trim(tmp_path: Path) -> None:
    report = check_file(_pdf(tmp_path / "stop.pdf", ART, bleed_mm=3), "print")
    found = [f for f in report.findings if f.code == "bleed-art"]
    assert len(found) == 1 and found[0].page == 1
    assert "art reaches the trim edge (left, right, top, bottom)" in found[0].message
    assert "not running into the 3 mm bleed" in found[0].message


def test_print_check_accepts_art_that_fills_the_bleed(tmp_path: Path) -> None:
    b = 3 * MM
    report = check_file(_pdf(tmp_path / "full.pdf",
                             f"0.2 g {-b} {-b} {W + 2 * b} {H + 2 * b} re f", bleed_mm=3),
                        "print")
    assert not [f for f in report.findings if f.code == "bleed-art"]


def test_print_check_says_how_far_short_art_stops(tmp_path: Path) -> None:
    b = 1 * MM
    report = check_file(_pdf(tmp_path / "short.pdf",
                             f"0.2 g {-b} 0 {W + b} {H} re f", bleed_mm=3), "print")
    found = [f for f in report.findings if f.code == "bleed-art"]
    assert found and "(left, right, top, bottom)" in found[0].message
    assert "runs only 1.0 mm into the 3 mm bleed" in found[0].message


def test_screen_check_does_not_look_at_the_bleed(tmp_path: Path) -> None:
    report = check_file(_pdf(tmp_path / "stop.pdf", ART, bleed_mm=3), "screen")
    assert not [f for f in report.findings if f.code == "bleed-art"]


# ---------------------------------------------------------------- inserts get their bleed


def _insert_build(tmp_path: Path, bleed: str | None, art: Path) -> Path:
    option = f"    bleed: {bleed}\n" if bleed else ""
    manifest = ("kind: booklet\ntitle: Bleed Test\ndate: 2025-02-25\nsections:\n  - intro.md\n"
                f"  - insert: art.pdf\n{option}")
    folder = write_publication(tmp_path / "pub", manifest=manifest)
    (folder / "art.pdf").write_bytes(art.read_bytes())
    result = build_into(tmp_path / "out", folder, profile="print")
    return result.output


def _sampler(pdf: Path, page: int, dpi: int = 100):  # type: ignore[no-untyped-def]
    """A function giving the RGB colour at (x, y) mm from the trim's bottom-left corner."""
    reader = PdfReader(pdf)
    box, trim = reader.pages[page - 1].mediabox, reader.pages[page - 1].trimbox
    prefix = pdf.parent / f"page{page}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png",
                    "-singlefile", str(pdf), str(prefix)], check=True)
    image = Image.open(prefix.with_suffix(".png")).convert("RGB")
    scale = dpi / 72

    def at(x_mm: float, y_mm: float) -> tuple[int, int, int]:
        x = (float(trim.left) - float(box.left) + x_mm * MM) * scale
        y = (float(box.top) - float(trim.bottom) - y_mm * MM) * scale
        return image.getpixel((round(x), round(y)))  # type: ignore[return-value]

    return at


def _white(colour: tuple[int, int, int]) -> bool:
    return min(colour) > 235


def test_insert_art_is_mirrored_into_the_bleed_by_default(tmp_path: Path) -> None:
    pdf = _insert_build(tmp_path, None, _pdf(tmp_path / "art.pdf", ART))
    at = _sampler(pdf, 4)
    # Left bleed strip: the mirrored green hairline 2.5 mm outside the trim, blue beside it.
    assert at(-2.5, 100)[1] > 120 and at(-2.5, 100)[0] < 80, at(-2.5, 100)
    assert at(-1.2, 100)[2] > 100 and at(-1.2, 100)[0] < 80
    # Right, top and bottom strips and a corner: the dark red art, not paper.
    for x, y in ((148 + 2, 100), (74, 210 + 2), (74, -2), (150, 212)):
        assert at(x, y)[0] > 90 and at(x, y)[1] < 60, (x, y, at(x, y))
    # A corner mirrors the art twice: the bottom-left one repeats the left strip's colours.
    assert at(-2, -2) == at(-2, 2) and at(-1, -2) == at(-1, 2)
    # Beyond the bleed: paper (and the crop marks).
    assert _white(at(-4.5, 100)) and _white(at(74, -4.5))
    # The art inside the trim did not move: the green hairline is still at 2.5 mm.
    assert at(2.5, 100)[1] > 120
    assert not [f for f in check_file(pdf, "print").findings if f.code == "bleed-art"]


def test_insert_can_be_scaled_to_cover_the_bleed(tmp_path: Path) -> None:
    pdf = _insert_build(tmp_path, "scale", _pdf(tmp_path / "art.pdf", ART))
    at = _sampler(pdf, 4)
    # Scaled by 154/148 about the page's centre: the hairline moved out to about -0.4 mm,
    # the blue band covers the left bleed, the red art the others.
    assert at(-2.5, 100)[2] > 100 and at(-2.5, 100)[1] < 80, at(-2.5, 100)
    assert at(2.5, 100)[2] > 100  # blue where the hairline was
    assert at(150, 100)[0] > 90 and at(74, 212)[0] > 90 and at(74, -2)[0] > 90
    assert _white(at(-4.5, 100)) and _white(at(74, 214.5))
    assert not [f for f in check_file(pdf, "print").findings if f.code == "bleed-art"]


def test_insert_without_bleed_is_white_there_and_the_check_warns(tmp_path: Path) -> None:
    pdf = _insert_build(tmp_path, "none", _pdf(tmp_path / "art.pdf", ART))
    at = _sampler(pdf, 4)
    assert _white(at(-2, 100)) and _white(at(150, 100))
    found = [f for f in check_file(pdf, "print").findings if f.code == "bleed-art"]
    assert [f.page for f in found] == [4]


def test_the_sample_poster_gets_its_bleed(tmp_path: Path) -> None:
    art = _pdf(tmp_path / "art.pdf", "")  # unused: the sample's own poster is inserted
    art.write_bytes(POSTER.read_bytes())
    mirrored = _insert_build(tmp_path / "m", None, art)
    at = _sampler(mirrored, 4)
    assert not _white(at(-2, 100)) and not _white(at(74, -2)) and not _white(at(-2, 212))
    bare = _insert_build(tmp_path / "n", "none", art)
    found = [f for f in check_file(bare, "print").findings if f.code == "bleed-art"]
    assert [f.page for f in found] == [4]


def test_unknown_bleed_option_is_a_clear_error(tmp_path: Path) -> None:
    manifest = ("kind: booklet\ntitle: Bleed Test\ndate: 2025-02-25\nsections:\n  - intro.md\n"
                "  - insert: art.pdf\n    bleed: stretch\n")
    folder = write_publication(tmp_path / "pub", manifest=manifest)
    _pdf(folder / "art.pdf", ART)
    message = user_error(*run_cli("build", folder, "-o", tmp_path / "out"))
    assert "publication.yaml" in message.text and "stretch" in message.text
    assert "mirror" in message.text and "scale" in message.text


def test_an_insert_with_its_own_bleed_keeps_it(tmp_path: Path) -> None:
    """A print-ready insert: A5 trim, 3 mm of art beyond it. Its trim goes on the book's trim
    (no size warning), its own bleed into the book's bleed; nothing is mirrored."""
    b = 3 * MM
    art = _pdf(tmp_path / "art.pdf", f"0.1 0.1 0.6 rg {-b} {-b} {W + 2 * b} {H + 2 * b} re f "
                                     f"0.5 0.1 0.1 rg 0 0 {W} {H} re f", bleed_mm=3)
    manifest = ("kind: booklet\ntitle: Bleed Test\ndate: 2025-02-25\nsections:\n  - intro.md\n"
                "  - insert: art.pdf\n")
    folder = write_publication(tmp_path / "pub", manifest=manifest)
    (folder / "art.pdf").write_bytes(art.read_bytes())
    result = build_into(tmp_path / "out", folder, profile="print")
    assert not any("not the trim size" in w for w in result.report.warnings)
    assert not any("got a" in note for note in result.notes)
    at = _sampler(result.output, 4)
    assert at(-1.5, 100)[2] > 100 and at(74, -1.5)[2] > 100  # its own blue bleed
    assert at(1.5, 100)[0] > 90 and at(1.5, 100)[2] < 60  # its red art from the trim on
    assert _white(at(-4.5, 100))  # clipped at the BleedBox


def test_vigil_check_names_the_page_on_the_command_line(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "stop.pdf", ART, bleed_mm=3)
    code, out, _ = run_cli("check", pdf, "--profile", "print")
    assert code == 1  # for its one page (not a multiple of 4); bleed-art is a warning
    line = next(line for line in out.splitlines() if "bleed-art" in line)
    assert line.split()[:3] == ["warning", "p.", "1"]
    assert "art reaches the trim edge" in line
