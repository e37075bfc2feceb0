"""Stage 5, check: the preflight judges PDFs correctly, and every check fires when it should.

Third-party files come from ``../shared/corpus`` (skipped with a reason when absent). Small PDFs
with one defect each are written by hand (:class:`RawPDF`), so that each finding code is shown
to fire on exactly the defect it names, while a clean baseline gives no finding at all.
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfWriter

from conftest import (
    BOOKLET_SAMPLE,
    ROOT,
    SAMPLES,
    Builds,
    build_into,
    png_bytes,
    run_cli,
    write_publication,
)
from vigil.check import (
    ERROR,
    WARNING,
    Finding,
    Report,
    check_file,
    check_pdf,
    expectations_for,
    parse_size,
)
from vigil.errors import UnreadableError

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
A5_PT = (148 * 72 / 25.4, 210 * 72 / 25.4)
FONT = ROOT / "src/vigil/fonts" / "NotoSans-Regular.ttf"


def corpus(folder: str) -> list[Path]:
    if not (CORPUS / folder).is_dir():
        pytest.skip(f"the shared corpus folder {CORPUS / folder} is absent "
                    "(see ../shared/corpus/README.md)")
    files = sorted((CORPUS / folder).glob("*.pdf"))
    assert files, f"no PDF files in {CORPUS / folder}"
    return files


# ---------------------------------------------------------------- hand-written PDFs


class RawPDF:
    """A PDF written object by object, with a correct cross-reference table."""

    def __init__(self) -> None:
        self.objects: list[bytes] = []

    def add(self, body: bytes | str) -> int:
        self.objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(self.objects)

    def reserve(self) -> int:
        return self.add(b"null")

    def set(self, number: int, body: bytes | str) -> None:
        self.objects[number - 1] = body.encode("latin-1") if isinstance(body, str) else body

    def stream(self, data: bytes, extra: str = "", compress: bool = True) -> int:
        if compress:
            data = zlib.compress(data)
            extra += " /Filter /FlateDecode"
        return self.add(f"<<{extra} /Length {len(data)}>>\nstream\n".encode() + data
                        + b"\nendstream")

    def write(self, root: int, info: int | None = None) -> bytes:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        table = len(out)
        out += f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
        info_entry = f" /Info {info} 0 R" if info else ""
        out += (f"trailer\n<< /Size {len(self.objects) + 1} /Root {root} 0 R{info_entry} >>\n"
                f"startxref\n{table}\n%%EOF\n").encode()
        return bytes(out)


Extras = dict[str, str]


def document(pages: int = 1, *, content: bytes = b"", resources: str = "",
             page_extra: str = "", catalog_extra: str = "",
             sizes: list[tuple[float, float]] | None = None,
             info: str = "/Title (Clean) /Author (Vigil tests)", tagged: bool = True,
             lang: bool = True, build: Callable[[RawPDF], Extras] | None = None) -> bytes:
    """A small PDF that passes every screen check; the keywords add one thing at a time.
    ``build(pdf)`` adds objects (numbered from 3) before the pages and may give extra
    ``catalog`` and ``resources`` entries."""
    pdf = RawPDF()
    catalog = pdf.reserve()
    tree = pdf.reserve()
    extras = build(pdf) if build is not None else {}
    if tagged and content.strip():  # drawn as an artifact: the tag checks have nothing to say
        content = b"/Artifact BMC\n" + content + b"\nEMC\n"
    resources += " " + extras.get("resources", "")
    kids = []
    for index in range(pages):
        width, height = (sizes[index] if sizes else A5_PT)
        stream = pdf.stream(content)
        kids.append(pdf.add(
            f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {width:.3f} {height:.3f}] "
            f"/Contents {stream} 0 R /Resources << {resources} >> {page_extra} >>"))
    pdf.set(tree, f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] "
                  f"/Count {len(kids)} >>")
    structure = ""
    if tagged:
        structure_root = pdf.add("<< /Type /StructTreeRoot /K [] >>")
        structure = f" /StructTreeRoot {structure_root} 0 R /MarkInfo << /Marked true >>"
    language = " /Lang (en)" if lang else ""
    pdf.set(catalog, f"<< /Type /Catalog /Pages {tree} 0 R{structure}{language} "
                     f"{catalog_extra} {extras.get('catalog', '')} >>")
    info_number = pdf.add(f"<< {info} >>") if info else None
    return pdf.write(catalog, info_number)


def judge(data: bytes, profile: str = "screen", *, strict: bool = False,
          max_bytes: int | None = None) -> Report:
    """Check ``data`` as ``vigil check`` does (its structure verified too)."""
    expect = expectations_for(profile, strict=strict, max_bytes=max_bytes)
    return check_pdf(data, expect=expect, name="test.pdf", structure=True)


def codes(report: Report, severity: str | None = None) -> set[str]:
    return {f.code for f in report.findings if severity is None or f.severity == severity}


def test_the_clean_baseline_has_no_finding() -> None:
    report = judge(document())
    assert report.findings == [], report.text()
    assert report.ok and report.pages == 1 and report.page_size_mm == (148.0, 210.0)


# ---------------------------------------------------------------- the corpus


def test_every_file_without_embedded_fonts_is_flagged() -> None:
    for path in corpus("fonts-not-embedded"):
        report = check_file(path, "archive")
        flagged = codes(report, ERROR) & {"font-not-embedded", "font-glyph-missing"}
        assert flagged, f"{path.name}: {report.text()}"
        # t01: no font program at all; t02: a program without a glyph the text uses
        expected = "font-not-embedded" if "-t01-" in path.name else "font-glyph-missing"
        assert expected in flagged, f"{path.name}: {report.text()}"


def test_no_file_with_embedded_fonts_is_flagged() -> None:
    for path in corpus("fonts-embedded"):
        report = check_file(path, "archive")
        font_codes = {c for c in codes(report) if c.startswith("font-")}
        assert not font_codes, f"{path.name}: {report.text()}"
        assert all(report.fonts.values()), report.fonts


def test_damaged_files_exit_2_with_a_message_and_never_a_traceback() -> None:
    for path in corpus("damaged"):
        started = time.perf_counter()
        code, out, err = run_cli("check", path)
        assert time.perf_counter() - started < 5, f"{path.name} took too long"
        assert code == 2, f"{path.name}: exit {code}\n{out}{err}"
        assert "Traceback" not in out + err
        lines = [line for line in err.splitlines() if line.startswith("vigil: check error: ")]
        assert len(lines) == 1, err
        assert path.name in lines[0] and "cannot be checked" in lines[0], lines[0]


def test_ordinary_files_are_read_and_judged() -> None:
    for path in corpus("ordinary"):
        if "password" in path.name:
            code, _, err = run_cli("check", path)
            assert code == 2 and "encrypted with a password" in err
            code, out, err = run_cli("check", path, "--password", "openpassword")
            assert code in (0, 1) and "profile screen" in out, err
            continue
        report = check_file(path)
        assert report.pages >= 1, path.name


def test_a_false_pdfa_claim_is_found_under_any_profile(tmp_path: Path) -> None:
    # A file that declares PDF/A-2B in its XMP and paints in DeviceRGB with no output intent
    # (built as in test_pdfa); veraPDF's 6-2-11-6-t02-pass-b also has none, but paints only in
    # an ICC-based colour space, which needs none: veraPDF passes it, and so does vigil.
    from test_pdfa import pdfa

    path = tmp_path / "claim.pdf"
    path.write_bytes(pdfa(intents=lambda pdf: []))
    assert "pdfa-output-intent" in codes(check_file(path, "screen"), ERROR)
    verapdf = CORPUS / "fonts-embedded" / "6-2-11-6-t02-pass-b.pdf"
    if verapdf.is_file():
        assert "pdfa-output-intent" not in codes(check_file(verapdf, "screen"), ERROR)


# ---------------------------------------------------------------- samples and builds


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_pass_the_screen_profile_cleanly(builds: Builds, name: str) -> None:
    built = builds.get(name)
    assert built.result.report.findings == [], built.result.report.text()
    code, out, err = run_cli("check", built.pdf)
    assert code == 0 and "0 errors, 0 warnings — ready" in out, out + err


def test_sample_booklet_passes_the_print_profile(tmp_path: Path) -> None:
    result = build_into(tmp_path, ROOT / "content" / BOOKLET_SAMPLE, profile="print")
    assert result.report.ok, result.report.text()
    report = check_file(result.output, "print")
    assert report.ok, report.text()
    assert report.pages % 4 == 0
    assert codes(report) <= {"image-resolution"}, report.text()  # the cover's bleed: 288 dpi


def test_a_character_in_no_font_stops_the_build_before_layout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_publication(tmp_path / "pub", {
        "intro.md": "# Introduction\n\nA short paragraph.\n\nIn memory of 李 and *Ayşə*.\n",
    })

    def no_layout(*args: object) -> None:
        raise AssertionError("the layout ran although a character is in no font")

    monkeypatch.setattr("vigil.typeset.typeset", no_layout)
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 1, err
    assert "Traceback" not in err
    message = err.splitlines()[0]
    assert message.startswith("vigil: check error: ")
    assert "intro.md, line 5:" in message
    assert "'李' (U+674E CJK UNIFIED IDEOGRAPH-674E)" in message
    assert "NotoSerif-Regular.ttf" in message and "NotoNaskhArabic-Regular.ttf" in message
    assert not (tmp_path / "out").exists()


def test_build_lists_warnings_and_strict_fails_on_missing_alt_text(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub", {
        "intro.md": "# Introduction\n\nA picture:\n\n![](images/small.png)\n",
        "images/small.png": png_bytes((60, 40)),
    })
    code, out, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err
    assert out.startswith(str(tmp_path / "out" / "pub.pdf"))
    warnings = [line for line in err.splitlines() if line.startswith("  warning: ")]
    assert any("intro.md, line 5: the image images/small.png has no alternative text" in w
               for w in warnings), err
    # 60 px shown at its CSS size (96 px to the inch) is 96 dpi, below the 150 of screen
    assert any("page 3: image images/small.png (60×40 px)" in w and "96 dpi" in w
               for w in warnings), err
    code, out, err = run_cli("build", folder, "-o", tmp_path / "strict", "--strict")
    assert code == 1 and "has no alternative text" in err, err
    assert not (tmp_path / "strict").exists()


def test_strict_alt_text_is_a_warning_for_print(tmp_path: Path) -> None:
    from vigil.check import check_sources
    from vigil.compose import compose_html
    from vigil.profiles import get_profile
    from vigil.read import read_publication

    folder = write_publication(tmp_path / "pub", {
        "intro.md": "# Introduction\n\n![](images/small.png)\n",
        "images/small.png": png_bytes((60, 40)),
    })
    publication = read_publication(folder)
    composed = compose_html(publication, get_profile("screen"))
    severities = {profile: {f.severity for f in check_sources(
        publication, composed, profile, strict=True).findings if f.code == "image-alt"}
        for profile in ("screen", "print", "archive")}
    assert severities == {"screen": {ERROR}, "print": {WARNING}, "archive": {ERROR}}


# ---------------------------------------------------------------- font coverage


def _preflight(folder: Path) -> list[Finding]:
    from vigil.check import check_sources
    from vigil.compose import compose_html
    from vigil.profiles import get_profile
    from vigil.read import read_publication

    publication = read_publication(folder)
    return check_sources(publication, compose_html(publication, get_profile("screen")),
                         "screen").findings


def test_coverage_judges_each_style_and_generated_text(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub", {
        "intro.md": "# Introduction\n\nCode `mark ✓` and Arabic مرحبا and Azerbaijani Əə.\n",
        "templates/style.css": (ROOT / "src/vigil/themes" / "memorial" / "style.css").read_text()
        + '\n.section-title::after { content: "☃"; }\n',
    })
    findings = {f.message.split(" (U+")[0]: f for f in _preflight(folder)}
    assert set(findings) == {"the character '✓'", "the character '☃'"}, findings
    mono = findings["the character '✓'"]
    assert mono.code == "font-coverage" and mono.severity == ERROR
    assert "NotoSansMono-Regular.ttf" in mono.message
    assert mono.file is not None and mono.file.name == "intro.md" and mono.line == 3
    theme = findings["the character '☃'"]
    assert theme.file is None and "in text the theme adds" in theme.message


def test_an_italic_face_that_lacks_a_letter_is_a_style_warning(tmp_path: Path) -> None:
    fonts_css = (ROOT / "src/vigil/themes" / "memorial" / "fonts.css").read_text().replace(
        "NotoSerif-Italic.ttf", "NotoNaskhArabic-Regular.ttf")
    folder = write_publication(tmp_path / "pub", {
        "intro.md": "# Introduction\n\nPlain, then *slanted*.\n",
        "templates/fonts.css": fonts_css,
    })
    found = [f for f in _preflight(folder) if f.code == "font-style-fallback"]
    assert found and all(f.severity == WARNING for f in found)
    message = found[0].message
    assert "missing from NotoNaskhArabic-Regular.ttf, the italic face" in message
    assert "set from NotoSerif-Regular.ttf" in message


def test_text_transform_and_turkic_capitals() -> None:
    from vigil.check.coverage import _Computed, _transformed

    upper = _Computed(transform="uppercase", language="az")
    assert _transformed("i", upper) == "İ"
    assert _transformed("ə", upper) == "Ə"
    assert _transformed("i", _Computed(transform="uppercase", language="en")) == "I"


# ---------------------------------------------------------------- fonts in the PDF


def _truetype(pdf: RawPDF, base: str = "Noto-Sans") -> str:
    program = pdf.stream(FONT.read_bytes(), f" /Length1 {FONT.stat().st_size}")
    descriptor = pdf.add(f"<< /Type /FontDescriptor /FontName /{base} /Flags 32 "
                         f"/FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 /Descent -200 "
                         f"/CapHeight 700 /StemV 80 /FontFile2 {program} 0 R >>")
    cid = pdf.add(f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base} /CIDSystemInfo "
                  f"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                  f"/FontDescriptor {descriptor} 0 R /CIDToGIDMap /Identity >>")
    font = pdf.add(f"<< /Type /Font /Subtype /Type0 /BaseFont /{base} /Encoding /Identity-H "
                   f"/DescendantFonts [{cid} 0 R] >>")
    return f"/Font << /F1 {font} 0 R >>"


def _with_font(text: bytes, base: str = "Noto-Sans") -> bytes:
    return document(build=lambda pdf: {"resources": _truetype(pdf, base)},
                    content=b"BT /F1 12 Tf 72 400 Td " + text + b" Tj ET")


def test_an_embedded_font_with_its_glyphs_is_clean() -> None:
    report = judge(_with_font(b"<002B0048004F>"))  # gids of H, e, l
    assert report.findings == [], report.text()
    assert report.fonts == {"Noto-Sans": True}


def test_notdef_and_missing_glyphs_are_errors() -> None:
    assert "font-notdef" in codes(judge(_with_font(b"<0000>")), ERROR)
    report = judge(_with_font(b"<FFF0>"))
    assert "font-glyph-missing" in codes(report, ERROR)
    assert "beyond the font's" in report.text()


def test_a_font_not_among_the_publication_families_is_foreign() -> None:
    data = _with_font(b"<002B>")
    report = check_pdf(data, families=("Vigil Serif",))
    assert "font-foreign" in codes(report, ERROR)
    assert "font-foreign" not in codes(check_pdf(data, families=("Noto Sans",)))
    assert "font-foreign" not in codes(check_pdf(data, families=("Vigil Serif",),
                                                 insert_pages=frozenset({1})))


def _helvetica(content: bytes) -> bytes:
    def build(pdf: RawPDF) -> Extras:
        font = pdf.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        return {"resources": f"/Font << /F1 {font} 0 R >>"}

    return document(build=build, content=content)


def test_unembedded_standard_font_is_a_warning_on_screen_only() -> None:
    data = _helvetica(b"BT /F1 12 Tf 72 400 Td (Hi) Tj ET")
    assert codes(judge(data), WARNING) == {"font-not-embedded"}
    assert "font-not-embedded" in codes(judge(data, "print"), ERROR)
    # Invisible text (rendering mode 3, as over scanned pages) needs no embedded font.
    hidden = _helvetica(b"BT 3 Tr /F1 12 Tf 72 400 Td (Hi) Tj ET")
    assert "font-not-embedded" not in codes(judge(hidden, "print"))


def test_a_damaged_font_dictionary_is_reported_not_raised() -> None:
    def build(pdf: RawPDF) -> Extras:
        font = pdf.add("<< /Type /Font /Subtype /Type0 /BaseFont /Broken "
                       "/Encoding /Identity-H /DescendantFonts 5 >>")
        return {"resources": f"/Font << /F1 {font} 0 R >>"}

    data = document(build=build, content=b"BT /F1 12 Tf (ab) Tj ET")
    assert "font-damaged" in codes(judge(data), ERROR)


def test_fonts_in_forms_and_annotation_appearances_are_found() -> None:
    def build(pdf: RawPDF) -> Extras:
        pdf.add("<< /Type /Font /Subtype /TrueType /BaseFont /Calibri /FirstChar 32 "
                "/LastChar 32 /Widths [250] >>")  # object 3, never embedded
        pdf.stream(b"BT /F1 9 Tf (in a form) Tj ET",
                   " /Type /XObject /Subtype /Form /BBox [0 0 100 100] "
                   "/Resources << /Font << /F1 3 0 R >> >>")  # 4
        pdf.stream(b"BT /F1 9 Tf (in an appearance) Tj ET",
                   " /Type /XObject /Subtype /Form /BBox [0 0 100 100] "
                   "/Resources << /Font << /F1 3 0 R >> >>")  # 5
        pdf.add("<< /Type /Annot /Subtype /FreeText /Rect [0 0 100 100] /AP << /N 5 0 R >> "
                "/Contents (note) /DA (/F1 9 Tf) >>")  # 6
        return {}

    in_form = document(build=build, content=b"/X0 Do", resources="/XObject << /X0 4 0 R >>")
    assert "font-not-embedded" in codes(judge(in_form), ERROR)
    in_annotation = document(build=build, page_extra="/Annots [6 0 R]")
    assert "font-not-embedded" in codes(judge(in_annotation), ERROR)


# ---------------------------------------------------------------- images


def _image_document(width_px: int, placed_pt: float, via_form: bool = False) -> bytes:
    def build(pdf: RawPDF) -> Extras:
        pdf.stream(b"\x80" * (width_px * width_px),
                   f" /Type /XObject /Subtype /Image /Width {width_px} /Height {width_px} "
                   "/ColorSpace /DeviceGray /BitsPerComponent 8")  # object 3
        pdf.stream(b"q 2 0 0 2 0 0 cm /Im Do Q",
                   " /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Matrix [0.5 0 0 0.5 0 0] "
                   "/Resources << /XObject << /Im 3 0 R >> >>")  # object 4: nets scale 1
        return {"resources": "/XObject << /Im 3 0 R /Fm 4 0 R >>"}

    name = b"/Fm" if via_form else b"/Im"
    content = b"q %f 0 0 %f 50 50 cm " % (placed_pt, placed_pt) + name + b" Do Q"
    return document(build=build, content=content)


@pytest.mark.parametrize("via_form", [False, True])
def test_image_resolution_at_the_placed_size(via_form: bool) -> None:
    # 100 px over 2 inches (144 pt) is 50 dpi.
    data = _image_document(100, 144, via_form)
    report = judge(data)
    assert codes(report) == {"image-resolution"}, report.text()
    assert "50 dpi" in report.text() and report.findings[0].page == 1
    assert "image-resolution" in codes(judge(data, "print"), ERROR)
    # 100 px over 0.3 inch is 333 dpi: clean for print too.
    assert "image-resolution" not in codes(judge(_image_document(100, 21.6, via_form), "print"))


def test_figures_without_alternative_text() -> None:
    def build(pdf: RawPDF) -> Extras:
        figure = pdf.add("<< /Type /StructElem /S /Figure /K [] >>")
        return {"catalog": f"/StructTreeRoot << /Type /StructTreeRoot /K [{figure} 0 R] >>"}

    data = document(build=build, tagged=False, catalog_extra="/MarkInfo << /Marked true >>")
    assert codes(judge(data), WARNING) == {"image-alt"}
    assert "image-alt" in codes(judge(data, strict=True), ERROR)
    assert "image-alt" in codes(judge(data, "print", strict=True), WARNING)


# ---------------------------------------------------------------- pages and boxes


def test_page_count_for_print_and_boxes() -> None:
    report = judge(document(pages=5), "print")
    assert {"page-count", "trimbox-missing", "bleedbox-missing"} <= codes(report, ERROR)
    assert "5 pages is not a multiple of 4" in report.text()
    assert "(every page)" in report.text()
    bleed = 3 * 72 / 25.4
    w, h = A5_PT

    def boxed(inner: float) -> bytes:
        """Media 2 bleeds around the A5 trim; the BleedBox ``inner`` points inside it."""
        return document(pages=4, sizes=[(w + 4 * bleed, h + 4 * bleed)] * 4, page_extra=(
            f"/TrimBox [{2 * bleed:.3f} {2 * bleed:.3f} {w + 2 * bleed:.3f} {h + 2 * bleed:.3f}]"
            f" /BleedBox [{inner:.3f} {inner:.3f} {w + 4 * bleed - inner:.3f} "
            f"{h + 4 * bleed - inner:.3f}]"))

    good = judge(boxed(bleed), "print")
    assert good.findings == [] and good.page_size_mm == (148.0, 210.0), good.text()
    assert codes(judge(boxed(2 * bleed - 1), "print")) == {"bleed-small"}
    inverted = document(pages=4, page_extra=f"/TrimBox [0 0 {w:.3f} {h:.3f}] "
                        f"/BleedBox [10 10 {w - 10:.3f} {h - 10:.3f}]")
    assert "boxes-inconsistent" in codes(judge(inverted, "print"), ERROR)


def test_page_sizes() -> None:
    mixed = document(pages=3, sizes=[A5_PT, A5_PT, (595.276, 841.89)])
    report = judge(mixed)
    assert codes(report) == {"page-size-mixed"} and "pages 3 are not" in report.text()
    wrong = check_pdf(document(), (210.0, 297.0))
    assert codes(wrong, ERROR) == {"page-size"}
    assert "the page is 148×210 mm, not the trim size 210×297 mm" in wrong.errors[0]


# ---------------------------------------------------------------- the document


def test_metadata_and_tagging() -> None:
    bare = document(info="", lang=False, tagged=False)
    assert codes(judge(bare), ERROR) == {"metadata-title", "metadata-language", "not-tagged"}
    assert "metadata-author" in codes(judge(bare), WARNING)
    assert not codes(judge(bare, "print"), ERROR) & {"metadata-title", "metadata-language",
                                                     "not-tagged"}  # print needs neither
    assert codes(judge(document(info="/Title (T)")), WARNING) == {"metadata-author"}


def _xmp(pdf: RawPDF) -> int:
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           b'02/22-rdf-syntax-ns#"><rdf:Description xmlns:pdfaid="http://www.aiim.org/pdfa/ns/'
           b'id/" pdfaid:part="3" pdfaid:conformance="B"/></rdf:RDF></x:xmpmeta>')
    return pdf.stream(xmp, " /Type /Metadata /Subtype /XML", compress=False)


def test_archive_needs_pdfa_identification_and_an_output_intent() -> None:
    # Painting in a device colour space (DeviceRGB here) needs an output intent (6.2.4.3).
    blue = b"0 0 1 rg 10 10 50 50 re f"
    assert {"pdfa-missing", "pdfa-output-intent"} <= codes(
        judge(document(content=blue), "archive"), ERROR)

    def claims(pdf: RawPDF) -> Extras:
        return {"catalog": f"/Metadata {_xmp(pdf)} 0 R"}

    false_claim = document(build=claims, content=blue)
    assert codes(judge(false_claim), ERROR) == {"pdfa-output-intent"}
    for profile in ("screen", "print", "archive"):
        report = judge(false_claim, profile)
        assert "pdfa-output-intent" in codes(report, ERROR), report.text()
        assert "claims PDF/A-3B" in report.text()

    def conforming(pdf: RawPDF) -> Extras:
        from test_pdfa import srgb

        icc = pdf.stream(srgb(), " /N 3")
        return {"catalog": f"/Metadata {_xmp(pdf)} 0 R /OutputIntents [<< /Type /OutputIntent "
                f"/S /GTS_PDFA1 /OutputConditionIdentifier (sRGB) /DestOutputProfile {icc} 0 R "
                ">>]"}

    assert judge(document(build=conforming, content=blue), "archive").findings == []


def test_javascript_and_encryption() -> None:
    script = document(catalog_extra="/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
    assert "javascript" in codes(judge(script), WARNING)
    assert "javascript" in codes(judge(script, "archive"), ERROR)
    writer = PdfWriter(clone_from=io.BytesIO(document()))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    encrypted = judge(buffer.getvalue(), "archive")
    assert "encrypted" in codes(encrypted, ERROR)
    assert "encrypted" in codes(judge(buffer.getvalue()), WARNING)


def test_links_and_bookmarks() -> None:
    def broken(pdf: RawPDF) -> Extras:
        pdf.add("<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /Contents (Nowhere) "
                "/A << /S /GoTo /D (nowhere) >> >>")  # object 3
        return {"catalog": "/Names << /Dests << /Names [(somewhere) [4 0 R /Fit]] >> >>"}

    data = document(build=broken, page_extra="/Annots [3 0 R]")
    report = judge(data)
    assert codes(report, ERROR) == {"link-broken"} and report.findings[0].page == 1

    def outline(pdf: RawPDF) -> Extras:
        outlines = pdf.reserve()
        item = pdf.add(f"<< /Title (Lost) /Parent {outlines} 0 R /Dest [99 0 R /Fit] >>")
        pdf.set(outlines, f"<< /Type /Outlines /First {item} 0 R /Last {item} 0 R /Count 1 >>")
        return {"catalog": f"/Outlines {outlines} 0 R"}

    report = judge(document(build=outline))
    assert codes(report, ERROR) == {"bookmark-broken"} and "'Lost'" in report.text()
    assert codes(judge(document(pages=6))) == {"no-bookmarks"}
    missing = check_pdf(document(build=outline), titles=["Foreword"])
    assert "bookmark-missing" in codes(missing, ERROR)
    assert "no bookmark for the section 'Foreword'" in missing.text()


def test_file_size_budget() -> None:
    data = document()
    assert codes(judge(data, max_bytes=parse_size("0.5KB")), ERROR) == {"file-size"}
    small = dataclasses.replace(expectations_for("screen"), max_bytes=500)
    assert codes(check_pdf(data, expect=small), WARNING) == {"file-size"}
    assert parse_size("1.5MB") == 1_500_000 and parse_size("2MiB") == 2 * 2**20
    with pytest.raises(ValueError, match="is not a size"):
        parse_size("big")


def test_a_damaged_content_stream_is_a_finding_when_structure_is_not_verified() -> None:
    data = document(content=b"0 0 m", tagged=False)
    compressed = zlib.compress(b"0 0 m")
    damaged = data.replace(compressed, b"x" * len(compressed))
    assert "content-damaged" in codes(check_pdf(damaged), ERROR)
    with pytest.raises(UnreadableError, match="cannot be decoded"):
        check_pdf(damaged, structure=True)


# ---------------------------------------------------------------- the command


def test_check_command_text_json_and_exit_codes(tmp_path: Path) -> None:
    clean = tmp_path / "clean.pdf"
    clean.write_bytes(document())
    code, out, _ = run_cli("check", clean)
    assert code == 0
    assert out.strip().endswith("profile screen: 0 errors, 0 warnings — ready")
    bare = tmp_path / "bare.pdf"
    bare.write_bytes(document(info="", lang=False))
    code, out, _ = run_cli("check", bare)
    assert code == 1
    first = out.splitlines()[0].split()
    assert first[:3] == ["error", "-", "metadata-title"]
    code, out, _ = run_cli("check", bare, "--json", "--profile", "print", "--max-size", "0.5KB")
    result = json.loads(out)
    assert code == 1 and result["profile"] == "print" and not result["ok"]
    assert {f["code"] for f in result["findings"]} >= {"file-size", "trimbox-missing"}
    assert set(result["findings"][0]) == {"severity", "page", "code", "message", "file", "line"}
    code, out, err = run_cli("check", tmp_path / "missing.pdf", "--json")
    assert code == 2 and json.loads(out)["readable"] is False and "cannot read" in err
    (tmp_path / "text.pdf").write_text("hello")
    code, _, err = run_cli("check", tmp_path / "text.pdf")
    assert code == 2 and "not a PDF file" in err
    code, _, err = run_cli("check", clean, "--max-size", "lots")
    assert code == 2 and "is not a size" in err


def test_a_file_that_takes_too_long_is_given_up(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "slow.pdf"
    path.write_bytes(document())

    def forever(*args: object, **kwargs: object) -> None:
        while True:
            time.sleep(0.01)

    monkeypatch.setattr("vigil.check.pdf.check_document", forever)
    started = time.perf_counter()
    code, _, err = run_cli("check", path, "--timeout", "0.3")
    assert time.perf_counter() - started < 3
    assert code == 2 and "took longer than 0.3 s" in err and "slow.pdf" in err


def test_anything_a_parser_raises_becomes_exit_2(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "odd.pdf"
    path.write_bytes(document())

    def explode(*args: object, **kwargs: object) -> None:
        raise TypeError("'>=' not supported between instances of 'TextStringObject' and 'int'")

    monkeypatch.setattr("vigil.check.pdf.check_document", explode)
    code, out, err = run_cli("check", path)
    assert code == 2 and "Traceback" not in out + err
    # What is wrong with the file, not Python's name for it (#16: no raw TypeError text).
    assert "odd.pdf" in err and "wrong kind" in err and "TypeError" not in err
