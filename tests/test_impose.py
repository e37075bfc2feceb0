"""Saddle-stitch imposition: folding order, sheet size, padding, creep, marks, the CLI."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import build_into, run_cli, user_error, write_publication
from vigil.assemble.impose import impose, sheet_order
from vigil.errors import VigilError

MM = 72 / 25.4


def _numbered_booklet(tmp: Path, pages: int) -> Path:
    """A programme whose every page after the cover shows a big page marker 'PAGE-n'."""
    sections = "".join(f"  - p{n}.md\n" for n in range(2, pages))
    files = {f"p{n}.md": f"# PAGE-{n}\n\nText of page {n}.\n" for n in range(2, pages)}
    manifest = ("kind: programme\ntitle: Numbered\ndate: 2025-02-25\ncover:\n  note: PAGE-1\n"
                "back:\n  text: PAGE-" + str(pages) + "\nsections:\n" + sections)
    folder = write_publication(tmp / "numbered", {**files, "intro.md": None}, manifest=manifest)
    return build_into(tmp / "out", folder, profile="print").output


def _half_text(pdf: Path, page: int, half: str) -> str:
    reader = PdfReader(pdf)
    box = reader.pages[page - 1].mediabox
    width, height = int(float(box.width)), int(float(box.height))
    x = 0 if half == "left" else width // 2
    out = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-r", "72", "-x", str(x), "-y", "0",
         "-W", str(width // 2), "-H", str(height), str(pdf), "-"],
        check=True, capture_output=True, text=True,
    ).stdout
    return out


def _markers(text: str) -> list[str]:
    return sorted({word.strip(".,") for word in text.split() if word.startswith("PAGE-")})


def test_sheet_order_of_sixteen_pages() -> None:
    assert sheet_order(16)[0] == (16, 1, 2, 15)
    assert sheet_order(16)[1] == (14, 3, 4, 13)
    assert sheet_order(16)[-1] == (10, 7, 8, 9)
    assert sorted(n for sheet in sheet_order(16) for n in sheet) == list(range(1, 17))


def test_sixteen_page_booklet_is_imposed_in_folding_order(tmp_path: Path) -> None:
    pdf = _numbered_booklet(tmp_path, 16)
    imposed = tmp_path / "imposed.pdf"
    imposed.write_bytes(impose(pdf.read_bytes()).pdf)
    reader = PdfReader(imposed)
    assert len(reader.pages) == 8  # 4 sheets, front and back
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (320, 225)  # SRA4
    for index, (front_l, front_r, back_l, back_r) in enumerate(sheet_order(16)):
        front, back = 2 * index + 1, 2 * index + 2
        assert _markers(_half_text(imposed, front, "left")) == [f"PAGE-{front_l}"]
        assert _markers(_half_text(imposed, front, "right")) == [f"PAGE-{front_r}"]
        assert _markers(_half_text(imposed, back, "left")) == [f"PAGE-{back_l}"]
        assert _markers(_half_text(imposed, back, "right")) == [f"PAGE-{back_r}"]


def test_odd_count_is_padded_before_the_last_page(tmp_path: Path) -> None:
    pdf = tmp_path / "six.pdf"
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(6):
        writer.add_blank_page(148 * MM, 210 * MM)
    writer.write(pdf)
    result = impose(pdf.read_bytes())
    assert result.sheets == 2
    assert "padded 6 pages to 8 with 2 blank pages before the last page" in result.notes


def test_creep_moves_inner_pages_towards_the_fold(tmp_path: Path) -> None:
    pdf = _numbered_booklet(tmp_path, 8).read_bytes()
    plain = _write(tmp_path / "a.pdf", impose(pdf, creep_mm=0).pdf)
    crept = _write(tmp_path / "b.pdf", impose(pdf, creep_mm=1.0).pdf)

    def x_of(pdf: Path, page: int, marker: str) -> float:
        """Where poppler draws the marker word (x of its left edge, in points)."""
        html = subprocess.run(
            ["pdftotext", "-bbox", "-f", str(page + 1), "-l", str(page + 1), str(pdf), "-"],
            check=True, capture_output=True, text=True,
        ).stdout
        match = re.search(r'<word xMin="([\d.]+)"[^>]*>' + re.escape(marker) + "</word>", html)
        assert match, f"{marker} not on sheet side {page + 1}"
        return float(match[1])

    # Sheet 2 (inner): its front right page is page 3; it moves 1 mm left, towards the fold.
    assert x_of(crept, 2, "PAGE-3") == pytest.approx(x_of(plain, 2, "PAGE-3") - MM, abs=0.01)
    # The outer sheet does not move.
    assert x_of(crept, 0, "PAGE-1") == pytest.approx(x_of(plain, 0, "PAGE-1"), abs=0.01)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_marks_are_drawn_when_the_sheet_has_room(tmp_path: Path) -> None:
    pdf = _numbered_booklet(tmp_path, 4).read_bytes()
    with_room = impose(pdf, sheet="SRA3")
    assert not any("no room" in note for note in with_room.notes)
    page = PdfReader(_write(tmp_path / "m.pdf", with_room.pdf)).pages[0]
    assert b"[2 2] 0 d" in page.get_contents().get_data()  # the dashed fold marks
    with pytest.raises(VigilError, match=re.escape(
            "leaves 0.0 mm around two pages of 148×210 mm; their 3 mm bleed and the crop "
            "marks need 7.0 mm")):
        impose(pdf, sheet="A4")
    bare = impose(pdf, sheet="A4", marks=False)
    assert any("no room for the 3 mm bleed on an A4 sheet" in note for note in bare.notes)


def test_sheet_too_small_is_a_clear_error(tmp_path: Path) -> None:
    pdf = _numbered_booklet(tmp_path, 4)
    message = user_error(*run_cli("impose", pdf, "--sheet", "A5"))
    assert "do not fit side by side on an A5 sheet" in message.text


def test_impose_cli_writes_beside_the_file(tmp_path: Path) -> None:
    pdf = _numbered_booklet(tmp_path, 8)
    code, out, err = run_cli("impose", pdf, "--creep", "0.2")
    assert code == 0, err
    assert (pdf.parent / f"{pdf.stem}-imposed.pdf").is_file()
    assert "2 sheets (4 sides)" in out


def test_impose_cli_on_a_damaged_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\nnot really\n")
    message = user_error(*run_cli("impose", bad))
    assert "bad.pdf" in message.text


def test_build_with_impose_writes_both_files(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p")
    code, out, err = run_cli("build", "--profile", "print", "--impose", folder,
                             "-o", tmp_path / "out")
    assert code == 0, err
    assert (tmp_path / "out" / "p-print.pdf").is_file()
    assert (tmp_path / "out" / "p-print-imposed.pdf").is_file()
    assert "imposed on 1 sheet" in out


def test_impose_needs_the_print_profile(tmp_path: Path) -> None:
    message = user_error(*run_cli("build", "--impose", write_publication(tmp_path / "p")))
    assert "--impose needs --profile print" in message.text


# ---------------------------------------------------------------- a sheet a print shop can trim


def _blank_print_pdf(path: Path, size_mm: tuple[float, float], pages: int = 4,
                     bleed_mm: float = 3.0) -> Path:
    """``pages`` blank pages of ``size_mm`` with a TrimBox and a BleedBox, as a print PDF has,
    each filled edge to edge of its bleed in dark grey (so the bleed shows on the sheets)."""
    from pypdf import PdfWriter
    from pypdf.generic import ContentStream, NameObject, RectangleObject

    writer = PdfWriter()
    bleed, width, height = bleed_mm * MM, size_mm[0] * MM, size_mm[1] * MM
    for _ in range(pages):
        page = writer.add_blank_page(width + 2 * bleed, height + 2 * bleed)
        stream = ContentStream(None, None)
        stream.set_data(f"0.3 g 0 0 {width + 2 * bleed:.3f} {height + 2 * bleed:.3f} re f"
                        .encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        page.trimbox = RectangleObject([bleed, bleed, bleed + width, bleed + height])
        page.bleedbox = RectangleObject([0, 0, width + 2 * bleed, height + 2 * bleed])
    writer.write(path)
    return path


@pytest.mark.parametrize(("page", "sheet"), [((148, 210), (320, 225)), ((210, 297), (450, 320)),
                                             ((105, 148), (297, 210))])
def test_default_sheet_holds_two_pages_with_bleed_and_marks(
        tmp_path: Path, page: tuple[float, float], sheet: tuple[float, float]) -> None:
    result = impose(_blank_print_pdf(tmp_path / "p.pdf", page).read_bytes())
    reader = PdfReader(io.BytesIO(result.pdf))
    side = reader.pages[0]
    assert (round(float(side.mediabox.width) / MM), round(float(side.mediabox.height) / MM)) \
        == sheet
    trim, bleed = side.trimbox, side.bleedbox
    # The TrimBox is the trimmed spread, centred; the BleedBox 3 mm around it.
    assert (round(float(trim.width) / MM, 1), round(float(trim.height) / MM, 1)) \
        == (2 * page[0], page[1])
    assert float(trim.left) == pytest.approx((sheet[0] - 2 * page[0]) / 2 * MM, abs=0.01)
    assert float(trim.bottom) == pytest.approx((sheet[1] - page[1]) / 2 * MM, abs=0.01)
    for a, b in ((bleed.left, trim.left), (trim.right, bleed.right),
                 (bleed.bottom, trim.bottom), (trim.top, bleed.top)):
        assert float(b) - float(a) == pytest.approx(3 * MM, abs=0.01)
    assert not any("no room" in note for note in result.notes)


def test_marks_lie_outside_the_bleed_in_registration_colour(tmp_path: Path) -> None:
    """Render the first side: the crop marks, fold marks and registration targets are ink
    between the BleedBox and the sheet's edge; the strip just outside the bleed, between the
    marks, stays paper."""
    pdf = _write(tmp_path / "i.pdf",
                 impose(_blank_print_pdf(tmp_path / "p.pdf", (148, 210)).read_bytes()).pdf)
    reader = PdfReader(pdf)
    side = reader.pages[0]
    space = side["/Resources"]["/ColorSpace"]["/CSReg"]
    assert space[0] == "/Separation" and space[1] == "/All"
    subprocess.run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-gray", "-singlefile",
                    str(pdf), str(tmp_path / "side")], check=True)
    from PIL import Image

    image = Image.open(tmp_path / "side.pgm")
    scale = image.width / float(side.mediabox.width)

    def ink(x_pt: float, y_pt: float) -> int:
        """The darkest pixel around a point (PDF points from the bottom-left corner): a
        0.25 pt hairline is under a pixel wide."""
        x, y = round(x_pt * scale), round(image.height - y_pt * scale)
        return min(int(image.getpixel((x + dx, y + dy))) for dx in (-1, 0, 1) for dy in (-1, 0, 1))

    trim, bleed = side.trimbox, side.bleedbox
    left, bottom = float(trim.left), float(trim.bottom)
    right, top = float(trim.right), float(trim.top)
    beyond = float(trim.left) - float(bleed.left) + 2 * MM  # 2 mm outside the bleed
    # Horizontal crop marks at the level of the trim's bottom and top edges, beside the spread.
    assert ink(left - beyond, bottom) < 100 and ink(right + beyond, top) < 100
    # Vertical crop marks below and above the trim's corners.
    assert ink(left, bottom - beyond + 0.5 * MM) < 100
    assert ink(right, top + beyond - 0.5 * MM) < 100
    # A registration target beside the middle of the spread (its horizontal arm).
    assert min(ink(left - beyond - dx * MM, (bottom + top) / 2) for dx in range(3)) < 100
    # Paper between the marks, outside the bleed; the bleed itself is the pages' grey.
    assert ink(left + 40 * MM, top + beyond) > 240
    assert 60 < ink(left - 1.5 * MM, bottom + 40 * MM) < 100


def test_slug_line_names_the_sheet_outside_the_trim(tmp_path: Path) -> None:
    pdf = _numbered_booklet(tmp_path, 8)
    imposed = _write(tmp_path / "i.pdf", impose(pdf.read_bytes(), title="Numbered").pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(imposed), "-"], check=True,
                          capture_output=True, text=True).stdout
    text = subprocess.run(["pdftotext", "-layout", str(imposed), "-"], check=True,
                          capture_output=True, text=True).stdout
    for line in ("Numbered · sheet 1 of 2 · front", "Numbered · sheet 1 of 2 · back",
                 "Numbered · sheet 2 of 2 · back", "pages 8 | 1 · SRA4 320×225 mm",
                 "pages 4 | 5 · SRA4 320×225 mm"):
        assert line in text, line
    side = PdfReader(imposed).pages[0]
    trim_bottom_from_top = float(side.mediabox.top) - float(side.trimbox.bottom)
    bleed_bottom_from_top = float(side.mediabox.top) - float(side.bleedbox.bottom)
    slug = [float(m[1]) for m in re.finditer(r'<word xMin="[\d.]+" yMin="([\d.]+)"[^>]*>sheet<',
                                             html)]
    assert slug and all(y > bleed_bottom_from_top > trim_bottom_from_top for y in slug)
    fonts = subprocess.run(["pdffonts", str(imposed)], check=True, capture_output=True,
                           text=True).stdout
    assert "NotoSans-Regular" in fonts and " no " not in fonts.split("NotoSans-Regular")[1][:60]


def test_header_gives_the_version_of_the_features(tmp_path: Path) -> None:
    built = _numbered_booklet(tmp_path, 4).read_bytes()
    assert built.startswith(b"%PDF-1.7")
    assert impose(built).pdf.startswith(b"%PDF-1.7\n")  # the typeset pages' own version
    plain = _blank_print_pdf(tmp_path / "p.pdf", (148, 210)).read_bytes()
    assert plain.startswith(b"%PDF-1.3")
    assert impose(plain).pdf.startswith(b"%PDF-1.4\n")  # at least 1.4
    qpdf = subprocess.run(["qpdf", "--check", str(_write(tmp_path / "i.pdf", impose(built).pdf))],
                          capture_output=True, text=True, check=False)
    assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr


def test_a_sheet_without_room_for_marks_is_refused_on_the_command_line(tmp_path: Path) -> None:
    pdf = _blank_print_pdf(tmp_path / "p.pdf", (148, 210))
    message = user_error(*run_cli("impose", pdf, "--sheet", "A4"))
    assert "an A4 sheet (297×210 mm) leaves 0.0 mm around two pages" in message.text
    assert "SRA4" in message.text and "--no-marks" in message.text
    code, out, err = run_cli("impose", pdf, "--sheet", "A4", "--no-marks")
    assert code == 0, err
    assert "no room for the 3 mm bleed on an A4 sheet" in out


def test_imposed_sheets_are_reproducible(tmp_path: Path) -> None:
    pdf = _blank_print_pdf(tmp_path / "p.pdf", (148, 210), pages=8).read_bytes()
    assert impose(pdf, title="Ə title").pdf == impose(pdf, title="Ə title").pdf


def test_a_publication_sheet_without_room_is_refused_before_anything_is_written(
        tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", manifest="kind: booklet\ntitle: T\n"
                               "date: 2025-02-25\nprint:\n  sheet: A4\nsections:\n  - intro.md\n")
    message = user_error(*run_cli("build", "--profile", "print", "--impose", folder,
                                  "-o", tmp_path / "out"))
    assert "publication.yaml" in message.text and "an A4 sheet" in message.text
    assert "print: marks: false" in message.text
    assert not (tmp_path / "out" / "p-print.pdf").exists()
