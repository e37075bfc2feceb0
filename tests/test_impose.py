"""Saddle-stitch imposition: folding order, sheet size, padding, creep, marks, the CLI."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import build_into, run_cli, user_error, write_publication
from vigil.assemble.impose import impose, sheet_order

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
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (297, 210)
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
    no_room = impose(pdf, sheet="A4")
    assert any("no room for crop and fold marks" in note for note in no_room.notes)


def test_sheet_too_small_is_a_clear_error(tmp_path: Path) -> None:
    pdf = _numbered_booklet(tmp_path, 4)
    message = user_error(*run_cli("impose", pdf, "--sheet", "A5"))
    assert "do not fit side by side on a A5 sheet" in message.text


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
