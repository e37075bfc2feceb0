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


def _words(pdf: Path, page: int) -> list[tuple[str, float, float, float]]:
    """The words of a page, from pdftotext -bbox: (word, yMin, yMax, page height)."""
    import re
    import subprocess

    html = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", pdf, "-"],
                          capture_output=True, text=True, check=True).stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html).group(1))
    return [(w, float(y0), float(y1), height) for y0, y1, w in re.findall(
        r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
        html)]


def _line_below_the_rest(pdf: Path, page: int, first_word: str) -> None:
    words = _words(pdf, page)
    start = next(i for i, (w, *_) in enumerate(words) if w == first_word)
    line, rest = words[start:], words[:start]
    assert rest, "the page's own text is there"
    assert min(y0 for _, y0, _, _ in line) > max(y1 for _, _, y1, _ in rest), \
        "the copy's line sits under the page's own text, overlapping nothing"
    assert max(y1 for _, _, y1, _ in line) < line[0][3], "and inside the page"


def test_copies_are_the_plain_pdf_plus_an_update_read_cleanly(tmp_path: Path) -> None:
    import logging
    import subprocess
    import warnings

    build_into(tmp_path / "out", _publication(tmp_path / "p"))
    plain = (tmp_path / "out" / "p.pdf").read_bytes()
    copy = tmp_path / "out" / "p-2.pdf"
    data = copy.read_bytes()
    assert data.startswith(plain.rstrip()), "an incremental update of the plain PDF"
    assert len(data) - len(plain) < 40_000, "the update holds the lines, not the publication"
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("pypdf").addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            reader = PdfReader(copy, strict=True)
            text = [page.extract_text() for page in reader.pages]
    finally:
        logging.getLogger("pypdf").removeHandler(handler)
    assert not [r for r in records if r.levelno >= logging.WARNING]
    assert "A copy for School Two, class 11B" in text[0]
    for tool in (["pdftotext", copy, "-"], ["pdftoppm", "-r", "20", "-png", copy,
                                             tmp_path / "page"]):
        run = subprocess.run(tool, capture_output=True, text=True, check=True)
        assert run.stderr == "", run.stderr
    assert len(list(tmp_path.glob("page-*.png"))) == len(text)


def test_screen_copy_passes_the_check_and_its_lines_are_tagged(tmp_path: Path) -> None:
    import subprocess

    build_into(tmp_path / "out", _publication(tmp_path / "p"))
    copy = tmp_path / "out" / "p-3.pdf"
    code, out, err = run_cli("check", copy, "--profile", "screen")
    assert code == 0, out + err
    assert "0 errors" in out
    _, plain, _ = run_cli("check", tmp_path / "out" / "p.pdf", "--profile", "screen")
    findings = [line.split()[2] for line in out.splitlines() if line.startswith("warning")]
    assert findings == [line.split()[2] for line in plain.splitlines()
                        if line.startswith("warning")], "the same findings as the plain PDF"
    # What a screen reader reads: the structure tree's text, lines included, in order.
    tree = subprocess.run(["pdfinfo", "-struct-text", copy], capture_output=True, text=True,
                          check=True).stdout
    assert '"A copy for School Three, class 9C"' in tree
    assert '"For the students of Quba"' in tree
    assert tree.index("Copies Test") < tree.index("A copy for") < tree.index("Introduction")
    # The parent tree leads from each line's marked content back to its paragraph.
    reader = PdfReader(copy)
    tree_root = reader.trailer["/Root"]["/StructTreeRoot"]
    nums = tree_root["/ParentTree"]["/Nums"]
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for page in (reader.pages[0], reader.pages[-1]):
        for ref in page["/Resources"]["/XObject"].values():
            form = ref.get_object()
            if "/StructParents" not in form:
                continue
            element = parents[int(form["/StructParents"])][0].get_object()
            assert element["/S"] == "/P"
            assert element["/K"][0].raw_get("/Stm").idnum == ref.idnum


def test_plain_pdf_keeps_its_layout_and_copies_put_the_line_under_it(tmp_path: Path) -> None:
    folder = _publication(tmp_path / "p")
    build_into(tmp_path / "out", folder)
    plain = _words(tmp_path / "out" / "p.pdf", 1)
    copy = _words(tmp_path / "out" / "p-1.pdf", 1)
    assert copy[: len(plain)] == plain, "the cover's own text does not move"
    _line_below_the_rest(tmp_path / "out" / "p-1.pdf", 1, "A")
    _line_below_the_rest(tmp_path / "out" / "p-1.pdf", 3, "For")


def test_a_long_name_wraps_in_its_slot_and_a_longer_one_is_refused(tmp_path: Path) -> None:
    long = ("Secondary School No. 132 named after the Heroes of the Patriotic War of the "
            "Khatai District")
    csv_text = f"school,class,city\n{long},11B,Baku\nSchool Two,11B,Ganja\n"
    build_into(tmp_path / "out", _publication(tmp_path / "p", csv_text), profile="print")
    copy = tmp_path / "out" / "p-1-print.pdf"
    words = _words(copy, 1)
    assert len({round(y0) for w, y0, _, _ in words if w in ("A", "Khatai")}) == 2, \
        "two lines"
    _line_below_the_rest(copy, 1, "A")
    assert f"A copy for {long}, class 11B" in " ".join(pdf_text_pages(copy)[0].split())

    longer = long + " of the City of Baku of the Republic of Azerbaijan and its many great heroes"
    folder = _publication(tmp_path / "q", f"school,class,city\nOne,1A,Baku\n{longer},2B,Baku\n")
    message = user_error(*run_cli("build", folder, "-o", tmp_path / "out"))
    assert "schools.csv, line 3" in message.text
    assert "takes 3 lines" in message.text and "holds 2" in message.text


def test_a_far_too_long_name_is_refused_on_its_own_row(tmp_path: Path) -> None:
    """A value many lines long runs on below its slot; it is still its own row's error (not
    the next copy's, nor a theme error), on the last row too."""
    far = "Very Long School Name " * 12
    for rows, line in ((f"School One,10A,Baku\n{far},11B,Ganja\nSchool Three,9C,Baku\n", 3),
                       (f"School One,10A,Baku\n{far},11B,Ganja\n", 3)):
        folder = _publication(tmp_path / f"p{line}{len(rows)}", "school,class,city\n" + rows)
        message = user_error(*run_cli("build", folder, "-o", tmp_path / f"out{len(rows)}"))
        assert message.kind == "content error"
        assert f"schools.csv, line {line}:" in message.text and "holds 2" in message.text


def test_impose_builds_the_print_copies_too(tmp_path: Path) -> None:
    folder = _publication(tmp_path / "p")
    code, out, err = run_cli("build", folder, "-o", tmp_path / "out", "--profile", "print",
                             "--impose")
    assert code == 0, out + err
    assert (tmp_path / "out" / "p-print-imposed.pdf").is_file()
    for row, school in enumerate(("School One", "School Two", "School Three"), start=1):
        copy = tmp_path / "out" / f"p-{row}-print.pdf"
        assert f"A copy for {school}" in pdf_text_pages(copy)[0]
        code, out, err = run_cli("check", copy, "--profile", "print")
        assert code == 0, out + err
