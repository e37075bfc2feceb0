"""Personalised copies: one PDF per CSV row, covers typeset once for all, errors on bad rows."""

from __future__ import annotations

import csv
from pathlib import Path

from pypdf import PdfReader

from conftest import build_into, pdf_fonts, pdf_text_pages, run_cli, user_error, write_publication

SCHOOLS = "school,class,city\nSchool One,10A,Baku\nSchool Two,11B,Ganja\nSchool Three,9C,Quba\n"
VARIANTS = (
    "variants:\n  csv: schools.csv\n  file: \"{name}-{row}\"\n"
    "  cover: \"A copy for {school}, class {class}\"\n  back: \"For the students of {city}\"\n"
    "  required: [school, class]\n"
)


def _publication(folder: Path, csv_text: str = SCHOOLS, variants: str = VARIANTS) -> Path:
    manifest = ("kind: programme\ntitle: Copies Test\ndate: 2025-02-25\nsections:\n"
                "  - intro.md\n" + variants)
    return write_publication(folder, {"schools.csv": csv_text}, manifest=manifest)


def test_one_copy_per_row_beside_the_plain_pdf(tmp_path: Path) -> None:
    result = build_into(tmp_path / "out", _publication(tmp_path / "p"))
    out = tmp_path / "out"
    assert result.output == out / "p.pdf"
    plain = pdf_text_pages(out / "p.pdf")
    assert "A copy for" not in plain[0]
    for row, (school, klass, city) in enumerate(
        [("School One", "10A", "Baku"), ("School Two", "11B", "Ganja"),
         ("School Three", "9C", "Quba")], start=1):
        pages = pdf_text_pages(out / f"p-{row}.pdf")
        assert len(pages) == len(plain)
        assert f"A copy for {school}, class {klass}" in pages[0]
        assert f"For the students of {city}" in pages[-1]
        assert pages[1:-1] == plain[1:-1], "the shared pages must be the same"
    assert any("3 personalised copies" in note for note in result.notes)


def test_index_lists_every_copy(tmp_path: Path) -> None:
    build_into(tmp_path / "out", _publication(tmp_path / "p"))
    with (tmp_path / "out" / "p-copies.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["file"] for row in rows] == ["p-1.pdf", "p-2.pdf", "p-3.pdf"]
    assert [row["csv_line"] for row in rows] == ["2", "3", "4"]
    assert rows[1]["school"] == "School Two"


def test_copies_keep_links_bookmarks_and_unique_font_subsets(tmp_path: Path) -> None:
    build_into(tmp_path / "out", _publication(tmp_path / "p"))
    copy = tmp_path / "out" / "p-2.pdf"
    reader = PdfReader(copy)
    assert [str(item.title) for item in reader.outline] == ["Introduction"]
    fonts = pdf_fonts(copy)
    assert all(fonts.values()), "every font embedded"
    # One name for each different subset: the swapped covers bring their own subsets.
    assert len(fonts) == len(set(fonts))


def test_copies_are_reproducible(tmp_path: Path) -> None:
    folder = _publication(tmp_path / "p")
    build_into(tmp_path / "a", folder)
    build_into(tmp_path / "b", folder)
    for name in ("p-1.pdf", "p-2.pdf", "p-3.pdf", "p-copies.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_print_copies_have_marks_and_boxes(tmp_path: Path) -> None:
    build_into(tmp_path / "out", _publication(tmp_path / "p"), profile="print")
    page = PdfReader(tmp_path / "out" / "p-2-print.pdf").pages[0]
    assert float(page.mediabox.left) < float(page.bleedbox.left) < float(page.trimbox.left)
    code, _, err = run_cli("check", tmp_path / "out" / "p-2-print.pdf", "--profile", "print")
    assert code == 0, err


def test_missing_required_value_names_the_csv_line(tmp_path: Path) -> None:
    folder = _publication(tmp_path / "p", SCHOOLS + "School Four,,Lankaran\n")
    message = user_error(*run_cli("build", folder, "-o", tmp_path / "out"))
    assert "schools.csv, line 5" in message.text and "'class' is empty" in message.text


def test_missing_required_column(tmp_path: Path) -> None:
    folder = _publication(tmp_path / "p", "school,city\nOne,Baku\n")
    message = user_error(*run_cli("build", folder, "-o", tmp_path / "out"))
    assert "required column 'class' is missing" in message.text and "line 1" in message.text


def test_duplicate_file_names_name_both_lines(tmp_path: Path) -> None:
    variants = VARIANTS.replace('file: "{name}-{row}"', 'file: "{name}-{city}"')
    folder = _publication(tmp_path / "p", SCHOOLS + "School Four,8D,Baku\n", variants)
    message = user_error(*run_cli("build", folder, "-o", tmp_path / "out"))
    assert "schools.csv, line 5" in message.text and "as line 2 does" in message.text


def test_pattern_with_an_unknown_column(tmp_path: Path) -> None:
    variants = VARIANTS.replace("{school}, class", "{schol}, class")
    message = user_error(*run_cli("build", _publication(tmp_path / "p", variants=variants),
                                  "-o", tmp_path / "out"))
    assert "'{schol}'" in message.text and "publication.yaml" in message.text


def test_the_sample_programme_makes_three_school_copies(tmp_path: Path) -> None:
    from conftest import ROOT

    result = build_into(tmp_path, ROOT / "content" / "institute-programme-2025")
    copies = sorted(tmp_path.glob("institute-programme-2025-school-*.pdf"))
    assert len(copies) == 3
    assert result.output.name == "institute-programme-2025.pdf"
