"""The print profile: bleed and boxes, crop marks, signatures of four, page labels."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import (
    POINT_MM,
    Builds,
    build_into,
    pdf_text_pages,
    run_cli,
    sample_folder,
    user_error,
    write_publication,
)
from vigil.scaffold import scaffold

A5 = (148.0, 210.0)


def _mm(value: float) -> float:
    return float(value) * POINT_MM


@pytest.fixture(scope="module")
def print_booklet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The scaffold booklet (11 pages on screen) built for print with ruled Notes pages."""
    folder = tmp_path_factory.mktemp("print") / "booklet"
    scaffold("booklet", folder)
    manifest = folder / "publication.yaml"
    manifest.write_text(manifest.read_text() + "print:\n  padding: notes\n", encoding="utf-8")
    result = build_into(tmp_path_factory.mktemp("print-out"), folder, profile="print")
    return folder, result.output


def test_print_output_is_named_apart_from_the_screen_pdf(print_booklet: tuple[Path, Path]) -> None:
    assert print_booklet[1].name == "booklet-print.pdf"


def test_page_count_is_padded_to_a_multiple_of_four(print_booklet: tuple[Path, Path]) -> None:
    pages = pdf_text_pages(print_booklet[1])
    assert len(pages) % 4 == 0
    assert len(pages) == 12  # 11 pages on screen, one Notes page before the back cover
    assert "NOTES" in pages[-2].upper()
    assert "This booklet was made with vigil" in pages[-1], "the back cover must stay last"


def test_boxes_of_every_page(print_booklet: tuple[Path, Path]) -> None:
    for page in PdfReader(print_booklet[1]).pages:
        trim, bleed, media = page.trimbox, page.bleedbox, page.mediabox
        assert (round(_mm(trim.width), 1), round(_mm(trim.height), 1)) == A5
        assert round(_mm(bleed.width) - _mm(trim.width), 1) == 6.0  # 3 mm each side
        assert round(_mm(bleed.height) - _mm(trim.height), 1) == 6.0
        assert media.left < bleed.left < trim.left and trim.right < bleed.right < media.right
        assert media.bottom < bleed.bottom and bleed.top < media.top


def test_crop_marks_lie_outside_the_bleed(print_booklet: tuple[Path, Path]) -> None:
    """Render page 2 with the marks area and look for ink in the margin beyond the bleed only
    where the marks are, and none inside the bleed strip around the trim."""
    pdf = print_booklet[1]
    page = PdfReader(pdf).pages[1]
    out = print_booklet[1].parent / "marks"
    subprocess.run(["pdftoppm", "-r", "100", "-f", "2", "-l", "2", "-png", str(pdf), str(out)],
                   check=True)
    image = Image.open(next(out.parent.glob("marks*.png"))).convert("L")
    scale = image.width / float(page.mediabox.width)

    def px(points: float) -> int:
        return round(points * scale)

    media, trim = page.mediabox, page.trimbox
    margin = float(trim.left) - float(media.left)
    # A horizontal mark at the level of the trim's top edge, left of the page.
    y = px(float(media.top) - float(trim.top))
    mark = [image.getpixel((x, y)) for x in range(0, px(margin) - px(3 / POINT_MM) - 2)]
    assert min(mark) < 128, "no crop mark beside the top-left trim corner"
    # Nothing in the 3 mm bleed strip beside the mark.
    strip = [image.getpixel((x, y)) for x in range(px(margin) - px(3 / POINT_MM) + 2, px(margin))]
    assert min(strip) > 200


def test_page_labels_give_the_printed_numbers(print_booklet: tuple[Path, Path]) -> None:
    labels = PdfReader(print_booklet[1]).page_labels
    assert labels == [str(n) for n in range(1, len(labels) + 1)]


def test_blank_padding_pages_are_empty(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p")  # cover, contents, introduction, back: 4 pages
    (folder / "two.md").write_text("# Two\n\nMore.\n", encoding="utf-8")
    manifest = folder / "publication.yaml"
    manifest.write_text(manifest.read_text() + "  - two.md\nprint:\n  padding: blank\n",
                        encoding="utf-8")
    result = build_into(tmp_path / "out", folder, profile="print")
    pages = pdf_text_pages(result.output)
    assert len(pages) == 8
    assert [page.strip() for page in pages[4:7]] == ["", "", ""]
    assert any("padded 5 pages to 8 with 3 blank pages" in note for note in result.notes)


def test_no_padding_when_the_count_is_already_a_multiple_of_four(tmp_path: Path) -> None:
    result = build_into(tmp_path / "out", write_publication(tmp_path / "p"), profile="print")
    assert result.pages == 4
    assert not result.notes


def test_screen_profile_does_not_pad(builds: Builds) -> None:
    assert builds.scaffold("booklet").result.pages == 11


def test_cover_background_runs_into_the_bleed(tmp_path: Path) -> None:
    folder = sample_folder("eternal-return-2025")
    result = build_into(tmp_path, folder, profile="print")
    page = PdfReader(result.output).pages[0]
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(result.output),
                    str(tmp_path / "cover")], check=True)
    image = Image.open(next(tmp_path.glob("cover*.png"))).convert("L")
    scale = image.width / float(page.mediabox.width)
    bleed_x = round((float(page.bleedbox.left) - float(page.mediabox.left) + 3) * scale)
    middle = image.height // 2
    assert image.getpixel((bleed_x, middle)) < 80, "the dark cover stops at the trim"


def test_print_build_is_reproducible(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p")
    first = build_into(tmp_path / "a", folder, profile="print").output.read_bytes()
    second = build_into(tmp_path / "b", folder, profile="print").output.read_bytes()
    assert first == second


def test_cli_prints_what_was_padded(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {"two.md": "# Two\n\nMore.\n"},
                               manifest="kind: booklet\ntitle: T\ndate: 2025-02-25\n"
                                        "sections:\n  - intro.md\n  - two.md\n")
    code, out, _ = run_cli("build", "--profile", "print", folder, "-o", tmp_path / "out")
    assert code == 0
    assert "p-print.pdf  8 pages" in out
    assert ("padded 5 pages to 8 with 2 ruled Notes pages and a memorial page before the back "
            "cover") in out


def _padded(tmp_path: Path, padding: str | None, language: str = "en", sections: int = 2,
            note: str | None = None) -> tuple[Path, list[str]]:
    """A booklet of cover, contents, ``sections`` one-page sections and back cover, for print."""
    files: dict[str, str | bytes | None] = {
        f"s{n}.md": f"# Section {n}\n\nText.\n" for n in range(sections)}
    manifest = (f"kind: booklet\ntitle: T\ndate: 2025-02-25\nlanguage: {language}\n"
                + (f"cover:\n  note: {note}\n" if note else "")
                + (f"print:\n  padding: {padding}\n" if padding else "")
                + "sections:\n" + "".join(f"  - s{n}.md\n" for n in range(sections)))
    folder = write_publication(tmp_path / "p", {**files, "intro.md": None}, manifest=manifest)
    result = build_into(tmp_path / "out", folder, profile="print")
    return result.output, list(result.notes)


def test_memorial_padding_is_the_default(tmp_path: Path) -> None:
    """Five pages padded to eight: two ruled Notes pages, then the memorial page on the last
    recto (page 7), then the back cover."""
    pdf, notes = _padded(tmp_path, None)
    pages = pdf_text_pages(pdf)
    assert len(pages) == 8
    assert "NOTES" in pages[4].upper() and "NOTES" in pages[5].upper()
    assert pages[6].split() == ["In", "memory"]
    back = pages[7].upper().replace("\xa0", " ")  # a no-break space ties day and month
    assert "25 FEBRUARY 2025" in back, "the back cover (its colophon) stays last"
    assert any("with 2 ruled Notes pages and a memorial page before the back cover" in n
               for n in notes)


def test_memorial_page_carries_the_dedication_and_stays_last(tmp_path: Path) -> None:
    # Seven pages padded to eight: only the memorial page is kept, before the back cover.
    pdf, notes = _padded(tmp_path, "memorial", sections=4,
                         note="In memory of those who did not return")
    pages = pdf_text_pages(pdf)
    assert len(pages) == 8
    assert " ".join(pages[6].split()) == "In memory of those who did not return"
    assert "NOTES" not in " ".join(pages).upper()
    assert any("padded 7 pages to 8 with a memorial page before" in n for n in notes)


def test_memorial_page_speaks_the_publication_language(tmp_path: Path) -> None:
    pdf, _ = _padded(tmp_path, "memorial", language="az")
    assert pdf_text_pages(pdf)[6].split() == ["Xatirəsinə"]


def test_memorial_page_is_quiet_and_centred(tmp_path: Path) -> None:
    """Rendered: ink only in a short band in the middle of the page (the rule and the words),
    centred left to right, inside the trim."""
    pdf, _ = _padded(tmp_path, "memorial")
    subprocess.run(["pdftoppm", "-r", "50", "-f", "7", "-l", "7", "-gray", "-singlefile",
                    "-cropbox", str(pdf), str(tmp_path / "m")], check=True)
    image = Image.open(tmp_path / "m.pgm")
    reader = PdfReader(pdf)
    page = reader.pages[6]
    scale = image.width / float(page.cropbox.width)
    left = round((float(page.trimbox.left) - float(page.cropbox.left)) * scale)
    top = round((float(page.cropbox.top) - float(page.trimbox.top)) * scale)
    width, height = round(float(page.trimbox.width) * scale), round(float(page.trimbox.height)
                                                                    * scale)
    inked = [(x, y) for y in range(top + 2, top + height - 2) for x in range(left + 2,
             left + width - 2) if image.getpixel((x, y)) < 200]
    assert inked, "the memorial page is empty"
    ys = [y - top for _, y in inked]
    xs = [x - left for x, _ in inked]
    assert 0.3 * height < min(ys) and max(ys) < 0.55 * height, (min(ys), max(ys), height)
    assert abs((min(xs) + max(xs)) / 2 - width / 2) < 0.03 * width


def test_padding_style_is_validated(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", manifest="kind: booklet\ntitle: T\n"
                               "date: 2025-02-25\nprint:\n  padding: poem\nsections:\n"
                               "  - intro.md\n")
    message = user_error(*run_cli("build", "--profile", "print", folder, "-o", tmp_path / "o"))
    assert "publication.yaml" in message.text and "poem" in message.text
    assert all(word in message.text for word in ("memorial", "notes", "blank"))


def test_json_says_how_the_print_pdf_was_padded(tmp_path: Path) -> None:
    import json

    folder = write_publication(tmp_path / "p", {"two.md": "# Two\n\nMore.\n"},
                               manifest="kind: booklet\ntitle: T\ndate: 2025-02-25\n"
                                        "sections:\n  - intro.md\n  - two.md\n")
    code, out, _ = run_cli("build", "--json", "--profile", "print", folder, "-o", tmp_path / "o")
    assert code == 0
    result = json.loads(out)
    assert result["padding"] == {"style": "memorial", "pages": 3, "notes_pages": 2, "from": 5,
                                 "to": 8}
