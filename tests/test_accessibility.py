"""Honest accessibility: every sample PDF (screen, print, archive, the az edition, the
personalised copies) is judged by a PDF/UA-1 checker other than vigil's (``pdfua``, on
pikepdf/qpdf) and by vigil's own walk of the structure tree; every sample opens without a
word of complaint in qpdf, pdfium, MuPDF, Ghostscript and poppler; and ``vigil check
--profile screen`` names each defect the tags of a PDF once had (see docs/accessibility.md).
"""

from __future__ import annotations

import io
import itertools
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NullObject

import vigil
from conftest import (
    BOOKLET_SAMPLE,
    CONTENT,
    PROGRAMME_SAMPLE,
    PROGRAMME_SAMPLE_AZ,
    Builds,
    pdf_reader,
    run_cli,
    write_publication,
)
from vigil.check import check_file
from vigil.check.tagging import check_tags, pdfua_claim
from vigil.options import BuildOptions

pdfua = pytest.importorskip("pdfua", reason="pip install -e '.[dev]' installs the checker")
pikepdf = pytest.importorskip("pikepdf")
pdfium = pytest.importorskip("pypdfium2")

# pdfua 0.1.3's empty-heading rule reads pikepdf's removed Object.is_integer and raises on an
# array /K (every heading of WeasyPrint's); vigil's walk checks the same (heading-empty).
NOT_EVALUATED_BY_PDFUA = {"UA-14-001"}
# Files that do not claim PDF/UA are told so by this rule; nothing else may be found.
NO_CLAIM = {"UA-28-004"}

SCREEN = ("booklet", "programme", "programme-az", "copy-1", "copy-2", "copy-3")
PRINT = ("booklet-print", "booklet-imposed", "programme-print", "copy-1-print")
ARCHIVE = ("booklet-archive", "programme-archive", "programme-az-archive")
ALL = SCREEN + PRINT + ARCHIVE


@pytest.fixture(scope="module")
def samples(builds: Builds, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every sample PDF by a short name: the session's screen builds (and the copies made
    beside the programme), print builds and an archive export."""
    from vigil.archive.export import export

    found: dict[str, Path] = {}
    booklet = builds.sample(BOOKLET_SAMPLE)
    programme = builds.sample(PROGRAMME_SAMPLE)
    found["booklet"] = booklet.pdf
    found["programme"] = programme.pdf
    found["programme-az"] = builds.sample(PROGRAMME_SAMPLE_AZ).pdf
    for number in (1, 2, 3):
        found[f"copy-{number}"] = programme.pdf.with_name(
            f"{PROGRAMME_SAMPLE}-school-{number}.pdf")
    out = tmp_path_factory.mktemp("access-print")
    printed = vigil.build(CONTENT / BOOKLET_SAMPLE, out, BuildOptions(profile="print", impose=True))
    found["booklet-print"] = printed.output
    assert printed.imposed is not None
    found["booklet-imposed"] = printed.imposed
    found["programme-print"] = vigil.build(CONTENT / PROGRAMME_SAMPLE, out,
                                           BuildOptions(profile="print")).output
    found["copy-1-print"] = out / f"{PROGRAMME_SAMPLE}-school-1-print.pdf"
    bag = tmp_path_factory.mktemp("access-archive") / "bag"
    result = export([CONTENT / BOOKLET_SAMPLE, CONTENT / PROGRAMME_SAMPLE], bag, jobs=1)
    assert not result.failures
    found["booklet-archive"] = bag / "data" / f"{BOOKLET_SAMPLE}-archive.pdf"
    found["programme-archive"] = bag / "data" / f"{PROGRAMME_SAMPLE}-archive.pdf"
    found["programme-az-archive"] = bag / "data" / f"{PROGRAMME_SAMPLE}-archive.az.pdf"
    for name, path in found.items():
        assert path.is_file(), f"{name}: {path} was not written"
    return found


def _pdfua_findings(path: Path) -> tuple[list[str], set[str]]:
    """The checker's findings (rule id and message) and the rules it could not evaluate."""
    report = pdfua.validate(str(path))
    findings = [f"{finding.rule_id} {finding.location}: {finding.message}"
                for finding in report.findings]
    skipped = {outcome.rule_id for outcome in report.outcomes if outcome.skipped_reason}
    return findings, skipped


# ---------------------------------------------------------------- PDF/UA, by two judges


@pytest.mark.slow
@pytest.mark.parametrize("name", SCREEN + ARCHIVE)
def test_the_pdf_ua_checker_accepts_every_tagged_sample(samples: dict[str, Path],
                                                        name: str) -> None:
    path = samples[name]
    claim = pdfua_claim(PdfReader(path))
    findings, skipped = _pdfua_findings(path)
    allowed = set() if claim else NO_CLAIM
    unexpected = [f for f in findings if f.split()[0] not in allowed]
    assert not unexpected, f"{name} ({claim or 'no claim'}):\n" + "\n".join(unexpected)
    assert skipped <= NOT_EVALUATED_BY_PDFUA, skipped


@pytest.mark.slow
@pytest.mark.parametrize("name", SCREEN)
def test_every_screen_sample_claims_pdf_ua(samples: dict[str, Path], name: str) -> None:
    """The booklet too: its inserted poster is a Figure with the insert's alt text."""
    assert pdfua_claim(PdfReader(samples[name])) == "PDF/UA-1"


@pytest.mark.slow
@pytest.mark.parametrize("name", PRINT)
def test_print_files_claim_no_pdf_ua(samples: dict[str, Path], name: str) -> None:
    """Print files are not tagged: the checker refuses them, and they claim nothing."""
    path = samples[name]
    assert pdfua_claim(PdfReader(path)) is None
    findings, _ = _pdfua_findings(path)
    assert any(f.startswith("UA-01-005") for f in findings), findings


def _walk(reader: Any) -> Iterator[tuple[Any, int]]:
    """Every element of the structure tree with its depth, in reading order."""
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    stack = [(kid, 0) for kid in reversed(_kids(root))]
    while stack:
        kid, depth = stack.pop()
        element = kid.get_object() if hasattr(kid, "get_object") else kid
        if not isinstance(element, dict) or element.get("/Type") in ("/MCR", "/OBJR"):
            continue
        yield element, depth
        stack.extend((child, depth + 1) for child in reversed(_kids(element)))


def _walk_from(element: Any) -> Iterator[tuple[Any, int]]:
    stack = [(kid, 0) for kid in reversed(_kids(element))]
    while stack:
        kid, depth = stack.pop()
        found = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(found, dict) and found.get("/Type") not in ("/MCR", "/OBJR"):
            yield found, depth
            stack.extend((child, depth + 1) for child in reversed(_kids(found)))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["booklet", "programme"])
def test_each_section_is_a_sect_with_one_h1(samples: dict[str, Path], builds: Builds,
                                            name: str) -> None:
    """The Document's parts are Sects (the cover, the contents, every section); each has at
    most one H1, and every section's title is one."""
    reader = PdfReader(samples[name])
    document = _kids(reader.trailer["/Root"]["/StructTreeRoot"])[0].get_object()
    parts = [kid.get_object() for kid in _kids(document)]
    sects = [part for part in parts if part["/S"] == "/Sect"]
    assert all(part["/S"] in ("/Sect", "/NonStruct") for part in parts)  # NonStruct: footnotes
    h1 = [[e for e, _ in _walk_from(sect) if e.get("/S") == "/H1"] for sect in sects]
    assert all(len(found) <= 1 for found in h1)
    sample = BOOKLET_SAMPLE if name == "booklet" else PROGRAMME_SAMPLE
    sections = builds.sample(sample).publication.sections
    assert sum(len(found) for found in h1) >= len(sections)


def _kids(element: Any) -> list[Any]:
    kids = element.get("/K")
    kids = kids.get_object() if hasattr(kids, "get_object") else kids
    return list(kids) if isinstance(kids, list) else [] if kids is None else [kids]


@pytest.mark.slow
@pytest.mark.parametrize("name", SCREEN + ARCHIVE)
def test_vigils_own_walk_finds_nothing(samples: dict[str, Path], name: str) -> None:
    """Every MCID reachable from the root, the ParentTree consistent, no untagged content,
    heading levels without skips or nesting, header cells with a scope, links described,
    every Figure with its Alt, the language set."""
    reader = PdfReader(samples[name])
    assert check_tags(reader) == []
    assert str(reader.trailer["/Root"]["/Lang"]).strip()
    elements = [element for element, _ in _walk(reader)]
    figures = [e for e in elements if e.get("/S") == "/Figure"]
    assert all(str(f.get("/Alt") or "").strip() for f in figures)
    assert figures or "booklet" not in name  # the programme has no pictures
    headings = [int(str(e["/S"])[2]) for e in elements if re.fullmatch(r"/H[1-6]", e["/S"])]
    assert headings[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(headings))


@pytest.mark.slow
def test_running_heads_are_pagination_artifacts(samples: dict[str, Path]) -> None:
    """The running head of a programme page is artifact content, and no element of the tree
    nor entry of the ParentTree points at it."""
    reader = PdfReader(samples["programme"])
    data = reader.pages[1].get_contents().get_data()
    artifacts = re.findall(rb"/Artifact <</Type /Pagination>> BDC", data)
    assert artifacts
    head = re.search(rb"/Artifact <</Type /Pagination>> BDC(.*?)EMC", data, re.S)
    assert head is not None and re.search(rb"T[jJ]\b", head[1])
    spans = [e for e, _ in _walk(reader) if e.get("/S") == "/Span"]
    tree = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]
    values = tree["/Nums"][1 + 2 * int(reader.pages[1]["/StructParents"])]
    assert NullObject() in list(values.get_object())
    assert len(spans) > 10


@pytest.mark.slow
def test_contents_links_are_described_by_their_section_titles(
        samples: dict[str, Path], builds: Builds) -> None:
    titles = {section.title for section in builds.sample(BOOKLET_SAMPLE).publication.sections}
    reader = PdfReader(samples["booklet"])
    described = [str(annotation.get_object().get("/Contents"))
                 for annotation in reader.pages[1].get("/Annots") or []]
    assert described and set(described) <= titles, set(described) - titles


@pytest.mark.slow
def test_table_headers_say_what_they_head(samples: dict[str, Path]) -> None:
    reader = PdfReader(samples["booklet"])
    headers = [e for e, _ in _walk(reader) if e.get("/S") == "/TH"]
    assert headers
    for header in headers:
        attributes = header["/A"]
        attributes = attributes if isinstance(attributes, list) else [attributes]
        assert any(a.get_object().get("/Scope") in ("/Column", "/Row") for a in attributes)


@pytest.mark.slow
def test_the_inserted_poster_is_a_figure_with_the_inserts_alt(
        samples: dict[str, Path], builds: Builds) -> None:
    publication = builds.sample(BOOKLET_SAMPLE).publication
    insert = next(s for s in publication.sections if s.insert is not None).insert
    assert insert is not None and insert.options.alt
    reader = PdfReader(samples["booklet"])
    figures = [e for e, _ in _walk(reader) if e.get("/Alt") == insert.options.alt.strip()]
    assert len(figures) == 1 and figures[0]["/S"] == "/Figure"
    section = figures[0]["/P"].get_object()  # the insert's section, with its (hidden) title
    assert section["/S"] == "/Sect" and any(e.get("/S") == "/H1" for e, _ in _walk_from(section))
    number = figures[0].raw_get("/Pg").idnum
    page = next(p for p in reader.pages if p.indirect_reference.idnum == number)
    data = page.get_contents().get_data()
    assert re.search(rb"/Figure\s*<<\s*/MCID %d\s*>>\s*BDC" % int(figures[0]["/K"]), data)


def test_an_insert_without_alt_is_not_pdf_ua_and_an_error_under_strict(
        tmp_path: Path) -> None:
    poster = CONTENT / BOOKLET_SAMPLE / "inserts" / "poster.pdf"
    manifest = ("kind: booklet\ntitle: Insert Test\ndate: 2025-02-25\nsections:\n"
                "  - intro.md\n  - insert: poster.pdf\n    title: The poster\n")
    folder = write_publication(tmp_path / "p", {"poster.pdf": poster.read_bytes()},
                               manifest=manifest)
    code, out, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err
    assert "not PDF/UA-1" in out and "alt:" in out
    assert "the insert poster.pdf has no alternative text" in err
    reader = pdf_reader(tmp_path / "out" / "p.pdf")
    assert pdfua_claim(reader) is None
    assert [p.code for p in check_tags(reader)] == []  # still a Figure, without /Alt
    code, out, err = run_cli("build", "--strict", folder, "-o", tmp_path / "strict")
    assert code != 0 and "the insert poster.pdf has no alternative text" in err


# ---------------------------------------------------------------- other PDF libraries


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is not installed: make test installs it (TEST_PACKAGES)"
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_every_sample_opens_cleanly_everywhere(samples: dict[str, Path], name: str,
                                               tmp_path: Path) -> None:
    """qpdf (through pikepdf), pdfium (pypdfium2), MuPDF, Ghostscript and poppler read every
    page without a warning."""
    path = samples[name]
    with pikepdf.open(path) as pdf:
        assert pdf.check_pdf_syntax() == [], name
        pages = len(pdf.pages)
        for page in pdf.pages:
            pikepdf.parse_content_stream(page)
    document = pdfium.PdfDocument(str(path))
    try:
        assert len(document) == pages
        for index in range(pages):
            page = document[index]
            page.get_textpage().get_text_range()
            if index < 2:
                page.render(scale=0.2).to_pil()
    finally:
        document.close()
    commands = [
        [_tool("qpdf"), "--check", str(path)],
        [_tool("mutool"), "clean", "-s", str(path), str(tmp_path / "clean.pdf")],
        [_tool("mutool"), "draw", "-q", "-F", "txt", "-o", str(tmp_path / "t.txt"), str(path)],
        [_tool("gs"), "-q", "-dSAFER", "-dNOPAUSE", "-dBATCH", "-sDEVICE=txtwrite",
         f"-sOutputFile={tmp_path / 'gs.txt'}", str(path)],
        [_tool("pdftotext"), str(path), str(tmp_path / "p.txt")],
    ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        said = done.stderr.strip()
        if command[0].endswith("qpdf"):
            said = done.stdout.replace("No syntax or stream encoding errors found; the file "
                                       "may still contain\nerrors that qpdf cannot detect", "")
            said = "\n".join(line for line in (said + "\n" + done.stderr).splitlines()
                             if re.search(r"warn|error", line, re.I))
        elif command[0].endswith("mutool"):
            # Debian's MuPDF is built without LittleCMS: said of every file, not of this one.
            said = said.replace("warning: ICC support is not available", "").strip()
        elif command[0].endswith("gs"):
            said = (done.stdout.strip() + "\n" + said).strip()
        assert done.returncode == 0 and not said, f"{name}: {' '.join(command)}\n{said}"


def test_compaction_writes_no_bare_null_objects(tmp_path: Path) -> None:
    """An object pypdf holds as null is a free entry, not ``null`` in an object stream
    (MuPDF: "object was not found in its object stream")."""
    from vigil.assemble.compact import compact

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    dropped = writer._add_object(NullObject())
    writer.add_metadata({"/Title": "Null"})
    data = compact(writer)
    path = tmp_path / "null.pdf"
    path.write_bytes(data)
    done = subprocess.run([_tool("mutool"), "show", str(path), str(dropped.idnum)],
                          capture_output=True, text=True)
    assert "not found in its object stream" not in done.stderr, done.stderr
    with pikepdf.open(path) as pdf:
        assert pdf.check_pdf_syntax() == []
    assert b"null" not in _object_streams(data)
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def _object_streams(data: bytes) -> bytes:
    """The decoded text of every object stream of ``data``."""
    import zlib

    found = b""
    for match in re.finditer(rb"/Type /ObjStm [^>]*/Length (\d+) >>\nstream\n", data):
        found += zlib.decompress(data[match.end():match.end() + int(match[1])])
    return found


# ---------------------------------------------------------------- vigil check names each defect


DEFECTIVE_HTML = """<!DOCTYPE html>
<html lang="en"><head><title>Defects</title><style>
@page { size: A5; margin: 20mm; @top-center { content: string(head); } }
h1 { string-set: head content(text); }
h1::after { content: ""; display: block; border-bottom: 1pt solid black; }
</style></head><body>
<p><a href="#second">To the second part</a></p>
<h1>First part</h1><h3>A skipped level</h3><p>Text.</p>
<table><tr><th>Year</th><th>Figure</th></tr><tr><td>1992</td><td>613</td></tr></table>
<h1 id="second" style="break-before: page">Second part</h1><p>More text.</p>
<p style="hyphens: auto; width: 22mm">Responsibilities accumulate extraordinarily.</p>
<p style="letter-spacing: 0.2em">BAKU</p>
</body></html>"""


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PDF as WeasyPrint writes it with tags and the PDF/UA-1 claim, vigil's fixes not
    applied, with an untagged page of another PDF drawn on its last page."""
    from weasyprint import HTML

    folder = tmp_path_factory.mktemp("defective")
    data = HTML(string=DEFECTIVE_HTML).write_pdf(pdf_tags=True, pdf_variant="pdf/ua-1")
    writer = PdfWriter(clone_from=io.BytesIO(data))
    poster = PdfReader(CONTENT / BOOKLET_SAMPLE / "inserts" / "poster.pdf").pages[0]
    writer.pages[-1].merge_page(poster, over=False)
    path = folder / "defective.pdf"
    with path.open("wb") as stream:
        writer.write(stream)
    return path


DEFECTS = ("tag-orphan", "tag-untagged", "heading-nested", "heading-skip", "table-scope",
           "link-description")


def test_check_names_every_defect(defective: Path) -> None:
    report = check_file(defective, "screen")
    found = {finding.code: finding for finding in report.findings}
    for code in DEFECTS:
        assert code in found, f"{code} not reported:\n{report.text()}"
        assert found[code].severity == "error"
        assert "claims PDF/UA-1" in found[code].message


def test_check_warns_of_what_text_extraction_gets_wrong(defective: Path) -> None:
    report = check_file(defective, "screen")
    for code in ("text-hyphen", "text-spacing"):
        found = [f for f in report.findings if f.code == code]
        assert len(found) == 1 and found[0].severity == "warning", report.text()


def test_vigil_check_on_the_command_line(defective: Path) -> None:
    code, out, err = run_cli("check", defective, "--profile", "screen")
    assert code == 1, out + err
    for defect in (*DEFECTS, "text-hyphen", "text-spacing"):
        assert defect in out + err, out + err


@pytest.mark.slow
def test_a_hyphenated_word_copies_whole(samples: dict[str, Path]) -> None:
    """The hyphen hyphenation adds is drawn, but extracted as a soft hyphen (its ActualText):
    poppler and pdfium give "Ministry", not "Min‐istry"."""
    path = samples["booklet"]
    text = pdftotext_all(path)
    assert "\u2010" not in text
    broken = re.search(r"(\w+)\u00ad\n", text)
    assert broken, "the booklet should have at least one hyphenated word"
    page = text[:broken.start()].count("\f")  # 0-based page of the word's first part
    document = pdfium.PdfDocument(str(path))
    try:
        extracted = document[page].get_textpage().get_text_range()
    finally:
        document.close()
    head = broken.group(1)
    assert f"{head}\u2010" not in extracted and f"{head}-" not in extracted
    assert head in extracted


@pytest.mark.slow
def test_letter_spaced_capitals_read_as_words(samples: dict[str, Path]) -> None:
    """The programme's date and place are set in spaced capitals: pdfium (which reads the
    gaps as spaces without it) and poppler read them through their ActualText."""
    path = samples["programme"]
    document = pdfium.PdfDocument(str(path))
    try:
        # (a no-break space ties the day to its month)
        extracted = document[0].get_textpage().get_text_range().replace("\xa0", " ")
    finally:
        document.close()
    assert "26 FEBRUARY 2025" in extracted and "BAKU" in extracted, extracted
    assert "F E B" not in extracted and "B A K U" not in extracted
    text = subprocess.run([_tool("pdftotext"), "-l", "1", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout.replace("\xa0", " ")
    assert "26 FEBRUARY 2025" in text and "BAKU" in text
    data = PdfReader(path).pages[0].get_contents().get_data()
    assert re.search(rb"/MCID \d+ /ActualText <FEFF0042004100\w+>", data)


def pdftotext_all(path: Path) -> str:
    return subprocess.run([_tool("pdftotext"), str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_a_tagged_file_that_claims_nothing_gets_warnings_under_print(defective: Path,
                                                                     tmp_path: Path) -> None:
    """Under another profile a tagged file that does not claim PDF/UA is warned, not failed."""
    reader = PdfReader(defective)
    writer = PdfWriter(clone_from=reader)
    del writer.root_object["/Metadata"]
    path = tmp_path / "unclaimed.pdf"
    with path.open("wb") as stream:
        writer.write(stream)
    report = check_file(path, "print")
    tags = [f for f in report.findings if f.code in DEFECTS]
    assert tags and all(f.severity == "warning" for f in tags)


def _with_null_in_object_stream() -> bytes:
    """A one-page PDF whose object 4 is a bare ``null`` inside its object stream, as vigil's
    compaction once wrote the booklet."""
    import struct
    import zlib

    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
               b"null"]
    offsets, body = [], b""
    for number, data in enumerate(objects, start=1):
        offsets.append(f"{number} {len(body)}".encode())
        body += data + b"\n"
    header = b" ".join(offsets) + b"\n"
    packed = zlib.compress(header + body)
    out = b"%PDF-1.7\n"
    stream_at = len(out)
    out += (b"5 0 obj\n<< /Type /ObjStm /N 4 /First %d /Filter /FlateDecode /Length %d >>\n"
            b"stream\n" % (len(header), len(packed)) + packed + b"\nendstream\nendobj\n")
    xref_at = len(out)
    rows = struct.pack(">BIH", 0, 0, 65535)
    rows += b"".join(struct.pack(">BIH", 2, 5, index) for index in range(4))
    rows += struct.pack(">BIH", 1, stream_at, 0) + struct.pack(">BIH", 1, xref_at, 0)
    data = zlib.compress(rows)
    out += (b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode "
            b"/Length %d >>\nstream\n" % len(data) + data + b"\nendstream\nendobj\n")
    return out + b"startxref\n%d\n%%%%EOF\n" % xref_at


def test_check_refuses_a_bare_null_in_an_object_stream(tmp_path: Path) -> None:
    path = tmp_path / "null.pdf"
    path.write_bytes(_with_null_in_object_stream())
    done = subprocess.run([_tool("mutool"), "show", str(path), "4"], capture_output=True,
                          text=True)
    assert "not found in its object stream" in done.stderr  # what MuPDF said of the booklet
    code, out, err = run_cli("check", path, "--profile", "screen")
    assert code == 2 and "object 4 is a bare null inside an object stream" in err, out + err


def test_a_translated_edition_describes_the_insert_in_its_language(tmp_path: Path) -> None:
    poster = CONTENT / BOOKLET_SAMPLE / "inserts" / "poster.pdf"
    manifest = ("kind: booklet\ntitle: Insert Test\ndate: 2025-02-25\nsections:\n"
                "  - intro.md\n  - insert: poster.pdf\n    title: The poster\n"
                "    alt: The exhibition poster\n"
                "    translations: {az: {title: Afişa, alt: Sərginin afişası}}\n")
    folder = write_publication(tmp_path / "p", {
        "poster.pdf": poster.read_bytes(),
        "intro.az.md": "# Giriş\n\nQısa mətn.\n",
    }, manifest=manifest)
    result = vigil.build(folder, tmp_path / "out", BuildOptions(language="az"))
    reader = PdfReader(result.output)
    alts = [str(e.get("/Alt")) for e, _ in _walk(reader) if e.get("/S") == "/Figure"]
    assert alts == ["Sərginin afişası"]
    assert pdfua_claim(reader) == "PDF/UA-1"


def _spaced_reference(arrays: list[bytes], chars: dict[bytes, str]) -> str | None:
    """What reading a line to its end says: its text when at least four fifths of the gaps
    between its letters are 0.05 em or wider, else None (vigil's text layer gives up early)."""
    text: list[str] = []
    gaps = wide = 0
    for array in arrays:
        gap: float | None = None
        for item in re.finditer(rb"<([0-9A-Fa-f\s]*)>|([-+\d.]+)", array):
            if item[1] is not None:
                digits = re.sub(rb"\s", b"", item[1])
                for index in range(0, len(digits) - 3, 4):
                    char = chars.get(digits[index:index + 4].upper())
                    if char is None:
                        return None
                    if gap is not None and char.strip() and text and text[-1].strip():
                        gaps += 1
                        wide += gap <= -50
                    text.append(char)
                    gap = 0.0
            elif gap is not None:
                try:
                    gap += float(item[2])
                except ValueError:
                    return None
    if gaps < 2 or wide < 0.8 * gaps:
        return None
    return "".join(text)


def test_the_text_layer_gives_up_a_line_only_when_reading_it_all_would() -> None:
    """Lines of codes and gaps of every kind (letter-spaced, justified, kerned, with spaces,
    signs, exponent-free reals and unknown codes): the text layer's early answer for each is
    the one reading the whole line gives."""
    import random

    from vigil.assemble.accessible import _TOKENS, FontText, _spaced_text

    chars = {f"{code:04X}".encode(): (" " if code % 20 == 3 else chr(65 + code % 26))
             for code in range(60)}
    fonts = {b"F1": FontText(chars, frozenset())}
    rng = random.Random(18)
    spaced = 0
    for line in range(6000):
        gaps = (["-60", "-100.5", "-120", "-50", "-60", "-80", "-75", "-90", "-200", "-55",
                 "-49.9", "-.5", "0", "+20", "-30", "-25"][:rng.choice([10, 12, 16])]
                if line % 2 else ["0", "-179.29", "-170", "0", "-0.1", "3"])
        arrays = []
        for _ in range(rng.randint(1, 3)):
            items = []
            for _ in range(rng.randint(1, 14)):
                codes = rng.choice([1, 1, 1, 1, 1, 2, 0]) if line % 2 else rng.randint(0, 4)
                items.append("<" + " ".join(f"{rng.randrange(61):04X}" for _ in range(codes))
                             + ">")
                if rng.random() < (0.97 if line % 2 else 0.85):
                    items.append(rng.choice(gaps))
            arrays.append(("[" + "".join(items) + "]").encode())
        matches = [_TOKENS.search(array + b" TJ") for array in arrays]
        assert all(match is not None and match["tj"] for match in matches)
        found = _spaced_text([(match, b"F1") for match in matches if match], fonts)
        assert found == _spaced_reference(arrays, chars), arrays
        spaced += found is not None
    assert spaced > 100  # the letter-spaced kind was made often enough to be tested
