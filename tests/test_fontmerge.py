"""merge_font_subsets: chunks typeset by WeasyPrint one by one, joined with pypdf, share one
font program per face, holding the glyphs (outlines, advances, hinting, .notdef) WeasyPrint
embeds when the text is one document; text, pixels and validity of the file unchanged."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from vigil.check import check_pdf
from vigil.pdf.fonts import merge_font_subsets, subset_name

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "src/vigil/fonts"
STYLE = f"""<style>
@font-face {{ font-family: "Vigil Serif"; src: url("{FONTS.as_uri()}/NotoSerif-Regular.ttf");
             font-weight: 400; font-style: normal; }}
@font-face {{ font-family: "Vigil Serif"; src: url("{FONTS.as_uri()}/NotoSerif-Italic.ttf");
             font-weight: 400; font-style: italic; }}
@font-face {{ font-family: "Vigil Serif"; src: url("{FONTS.as_uri()}/NotoSerif-Bold.ttf");
             font-weight: 700; font-style: normal; }}
@font-face {{ font-family: "Vigil Sans"; src: url("{FONTS.as_uri()}/NotoSans-Regular.ttf");
             font-weight: 400; font-style: normal; }}
@page {{ size: A6; margin: 10mm; }}
body {{ font-family: "Vigil Serif"; font-size: 11pt; }}
h1 {{ font-family: "Vigil Sans"; font-size: 14pt; }}
</style>"""
PARTS = (
    "<h1>Remembrance</h1><p>We gather to <i>remember</i> those who were lost.</p>",
    "<h1>Names</h1><p>Anna Petrova, <b>Jakob Müller</b>, Zoë Quinn <i>(1914–1918)</i>.</p>",
    "<h1>Vigil</h1><p>Light a candle; <b>keep watch</b> <i>through the night</i>, 12 hours.</p>",
)
FACES = 4  # serif regular, italic, bold; sans regular

needs_poppler = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdftoppm", "pdffonts")),
    reason="poppler-utils (pdftotext, pdftoppm, pdffonts) is not installed")


def render(body: str, style: str = STYLE, **options: Any) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=style + body).render().write_pdf(**options)
    return pdf


def join(chunks: list[bytes]) -> Any:
    writer = PdfWriter()
    for pdf_bytes in chunks:
        reader = PdfReader(io.BytesIO(pdf_bytes))
        for page in reader.pages:
            writer.add_page(page)
    return writer


def written(writer: Any) -> bytes:
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def programs(pdf: bytes) -> dict[str, set[bytes]]:
    """Each font name → the distinct programs embedded under it."""
    reader: Any = PdfReader(io.BytesIO(pdf))
    found: dict[str, set[bytes]] = {}
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            descriptor = descriptor.get_object()
            for key in ("/FontFile2", "/FontFile3"):
                if key in descriptor:
                    names = {str(font["/BaseFont"]), str(descriptor["/FontName"]),
                             str(font["/DescendantFonts"][0].get_object()["/BaseFont"])}
                    assert len(names) == 1, names
                    found.setdefault(names.pop(), set()).add(
                        descriptor[key].get_object().get_data())
    return found


def font_streams(pdf: bytes, key: str = "/FontFile2") -> int:
    """How many font program streams the file holds (every object, reachable or not)."""
    reader = PdfReader(io.BytesIO(pdf))
    count = 0
    for number in sorted(reader.xref.get(0, {})):
        obj: Any = reader.get_object(number)
        if hasattr(obj, "get_data") and (("/Length1" in obj and key == "/FontFile2") or (
                key == "/FontFile3" and obj.get("/Subtype") == "/OpenType")):
            count += 1
    return count


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def chunks() -> list[bytes]:
    return [render(part) for part in PARTS]


@pytest.fixture(scope="module")
def merged(chunks: list[bytes]) -> tuple[bytes, list[str]]:
    writer = join(chunks)
    notes = merge_font_subsets(writer, [FONTS])
    return written(writer), notes


def test_chunks_hold_different_subsets_under_one_name(chunks: list[bytes]) -> None:
    """The defect being fixed, so that the other tests test something."""
    before = programs(written(join(chunks)))
    assert any(len(found) > 1 for found in before.values())
    assert font_streams(written(join(chunks))) > FACES


def test_one_program_per_face(merged: tuple[bytes, list[str]], chunks: list[bytes]) -> None:
    pdf, notes = merged
    assert notes == []
    after = programs(pdf)
    assert len(after) == FACES
    assert all(len(found) == 1 for found in after.values())
    assert font_streams(pdf) == FACES
    assert len(pdf) < len(written(join(chunks)))


def test_subsets_hold_the_whole_document_glyphs(merged: tuple[bytes, list[str]]) -> None:
    assert_whole_document_glyphs(merged[0], render("".join(PARTS)))


@needs_poppler
def test_pixels_are_unchanged(merged: tuple[bytes, list[str]], chunks: list[bytes],
                              tmp_path: Path) -> None:
    """Every page at 60 dpi, pixel for pixel, as the chunks joined with their own subsets."""
    assert pixels(merged[0], tmp_path / "merged") == pixels(written(join(chunks)),
                                                            tmp_path / "joined")


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_qpdf_finds_nothing(merged: tuple[bytes, list[str]], tmp_path: Path) -> None:
    path = tmp_path / "merged.pdf"
    path.write_bytes(merged[0])
    done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors found" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


def test_text_is_unchanged(merged: tuple[bytes, list[str]], chunks: list[bytes]) -> None:
    reader = PdfReader(io.BytesIO(merged[0]))
    expected = [page.extract_text() for chunk in chunks
                for page in PdfReader(io.BytesIO(chunk)).pages]
    assert [page.extract_text() for page in reader.pages] == expected
    assert "Jakob Müller" in expected[1]


@needs_poppler
def test_poppler_reads_renders_and_lists_embedded_subsets(
        merged: tuple[bytes, list[str]], chunks: list[bytes], tmp_path: Path) -> None:
    path = tmp_path / "merged.pdf"
    path.write_bytes(merged[0])
    parts = []
    for number, chunk in enumerate(chunks):
        part = tmp_path / f"part{number}.pdf"
        part.write_bytes(chunk)
        parts.append(pdftotext(part))
    assert pdftotext(path) == "".join(parts)
    rendered = subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "p")],
                              capture_output=True, text=True)
    assert rendered.returncode == 0 and rendered.stderr == ""
    assert len(list(tmp_path.glob("p-*.png"))) == len(PARTS)
    listing = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                             text=True)
    assert listing.stderr == ""
    rows = [line.split() for line in listing.stdout.splitlines()[2:]]
    assert rows and all(row[-5:-2] == ["yes", "yes", "yes"] for row in rows)  # emb sub uni
    assert all("+" in row[0] for row in rows)


def test_font_preflight_finds_nothing(merged: tuple[bytes, list[str]]) -> None:
    report = check_pdf(merged[0], families=("Vigil Serif", "Vigil Sans"))
    problems = [f for f in report.findings if f.code.startswith("font-")]
    assert problems == []
    assert report.fonts and all(report.fonts.values())


def test_deterministic(chunks: list[bytes]) -> None:
    outputs = []
    for _ in range(2):
        writer = join(chunks)
        merge_font_subsets(writer, [FONTS])
        outputs.append(written(writer))
    assert outputs[0] == outputs[1]


def test_identical_programs_are_kept_once() -> None:
    chunk = render(PARTS[0])
    writer = join([chunk, chunk, chunk])
    assert merge_font_subsets(writer, [FONTS]) == []
    pdf = written(writer)
    assert font_streams(pdf) == 3  # sans, serif and serif italic, once each
    assert programs(pdf) == programs(chunk)


@pytest.mark.parametrize("options", [{"hinting": True}, {"pdf_version": "1.4"}],
                         ids=["hinting", "cidset"])
def test_weasyprint_options_give_whole_document_subsets(options: dict[str, Any]) -> None:
    writer = join([render(part, **options) for part in PARTS])
    assert merge_font_subsets(writer, [FONTS]) == []
    pdf = written(writer)
    assert_whole_document_glyphs(pdf, render("".join(PARTS), **options))
    if "pdf_version" in options:  # PDF/A-1: each /CIDSet lists the glyphs of the union
        sets = {descriptor["/CIDSet"].get_object().get_data()
                for descriptor in _descriptors(pdf)
                if str(descriptor["/FontName"]).endswith("+Vigil-Serif")}
        assert len(sets) == 1


def test_missing_glyph_gives_whole_document_subset() -> None:
    parts = ["<p>Hello \ue000 world</p>", "<p>Quick fox</p>"]
    writer = join([render(part) for part in parts])
    assert merge_font_subsets(writer, [FONTS]) == []
    assert_whole_document_glyphs(written(writer), render("".join(parts)))


def test_unknown_font_is_renamed_after_its_content(chunks: list[bytes]) -> None:
    writer = join(chunks)
    notes = merge_font_subsets(writer, [])
    assert notes and all("original font file was not found" in note for note in notes)
    pdf = written(writer)
    after = programs(pdf)
    assert all(len(found) == 1 for found in after.values())
    assert len(set().union(*after.values())) == len(after)  # different programs, other names
    for name, found in after.items():  # named as the personalised copies name their subsets
        assert name == "/" + subset_name(name, next(iter(found)))
    assert font_streams(pdf) == len(after)
    problems = [f for f in check_pdf(pdf).findings if f.code.startswith("font-")]
    assert problems == []


def test_opentype_cff_font(tmp_path: Path) -> None:
    """A font of the user's own with CFF outlines (FontFile3 /OpenType), found in font_files."""
    font = tmp_path / "Blocks.otf"
    _build_cff_font(font)
    style = (f'<style>@font-face {{ font-family: "Blocks"; src: url("{font.as_uri()}"); }}'
             'body { font-family: "Blocks"; }</style>')
    parts = ["<p>abc</p>", "<p>cde</p>", "<p>eab</p>"]
    writer = join([render(part, style) for part in parts])
    assert merge_font_subsets(writer, [tmp_path]) == []
    pdf = written(writer)
    assert font_streams(pdf, "/FontFile3") == 1
    assert programs(pdf) == programs(render("".join(parts), style))
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert texts == ["abc", "cde", "eab"]


def used_cids(pdf: bytes) -> dict[str, set[int]]:
    """Each font name → the CIDs its fonts' /W arrays give widths for (the glyphs drawn)."""
    reader: Any = PdfReader(io.BytesIO(pdf))
    found: dict[str, set[int]] = {}
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            found.setdefault(str(font["/BaseFont"]), set()).update(
                _cid_widths(font["/DescendantFonts"][0].get_object()))
    return found


def glyph_drawings(program: bytes, gids: set[int]) -> dict[int, tuple[Any, ...]]:
    """Each glyph id → its advance width, outline (as a pen records it) and TrueType
    instructions, read from ``program`` by fontTools."""
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(program))
    order, glyph_set = font.getGlyphOrder(), font.getGlyphSet()
    found: dict[int, tuple[Any, ...]] = {}
    for gid in sorted(gids):
        name = order[gid]
        pen = RecordingPen()
        glyph_set[name].draw(pen)
        instructions = b""
        if "glyf" in font:
            glyph = font["glyf"][name]
            if hasattr(glyph, "program"):
                instructions = bytes(glyph.program.getBytecode())
        found[gid] = (font["hmtx"][name][0], tuple(pen.value), instructions)
    return found


def assert_whole_document_glyphs(pdf: bytes, whole: bytes) -> None:
    """Each face of ``pdf`` has one program that draws every glyph the whole-document build
    ``whole`` draws (and .notdef) the same, with as many glyph ids, the same hinting tables,
    and no more than 5 % more bytes than the whole document's subset."""
    from fontTools.ttLib import TTFont

    ours, theirs, used = programs(pdf), programs(whole), used_cids(whole)
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert len(ours[name]) == len(theirs[name]) == 1, name
        (merged,), (reference,) = ours[name], theirs[name]
        fonts = [TTFont(io.BytesIO(program)) for program in (merged, reference)]
        count = fonts[1]["maxp"].numGlyphs
        assert fonts[0]["maxp"].numGlyphs == count
        # CIDs past the font's glyphs are WeasyPrint's for missing characters (.notdef drawn)
        gids = {gid for gid in used[name] if gid < count} | {0}
        assert max(gids) == count - 1  # no empty glyphs after the last one used
        assert glyph_drawings(merged, gids) == glyph_drawings(reference, gids), name
        hinting = [{"fpgm", "prep", "cvt "} & set(font.keys()) for font in fonts]
        assert hinting[0] == hinting[1], name
        assert len(merged) <= 1.05 * len(reference), (name, len(merged), len(reference))


def pixels(pdf: bytes, prefix: Path) -> list[bytes]:
    """Each page rendered by poppler at 60 dpi, as PPM bytes."""
    path = prefix.with_suffix(".pdf")
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", str(path), str(prefix)], check=True,
                   capture_output=True)
    return [page.read_bytes() for page in sorted(prefix.parent.glob(prefix.name + "-*.ppm"))]


def _descriptors(pdf: bytes) -> list[Any]:
    reader: Any = PdfReader(io.BytesIO(pdf))
    return [reference.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            .get_object() for page in reader.pages
            for reference in page["/Resources"]["/Font"].values()]


def _build_cff_font(path: Path) -> None:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    letters = "abcde"
    order = [".notdef", "space", *letters]
    charstrings = {}
    for index, name in enumerate(order):
        pen = T2CharStringPen(600, None)
        if name != "space":
            pen.moveTo((50, 0))
            pen.lineTo((50, 100 + 100 * index))
            pen.lineTo((550, 100 + 100 * index))
            pen.lineTo((550, 0))
            pen.closePath()
        charstrings[name] = pen.getCharString()
    builder = FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({0x20: "space", **{ord(c): c for c in letters}})
    builder.setupCFF("Blocks-Regular", {"FullName": "Blocks Regular"}, charstrings, {})
    builder.setupHorizontalMetrics({name: (600, 50) for name in order})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Blocks", "styleName": "Regular",
                            "psName": "Blocks-Regular"})
    builder.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    builder.save(str(path))


def font_dictionaries(pdf: bytes) -> dict[str, set[int]]:
    """Each font name → the object numbers of the Type 0 dictionaries the pages use."""
    reader: Any = PdfReader(io.BytesIO(pdf))
    found: dict[str, set[int]] = {}
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            found.setdefault(str(font["/BaseFont"]), set()).add(reference.idnum)
    return found


def type0_objects(pdf: bytes) -> int:
    """How many Type 0 font dictionaries the file holds (every object, reachable or not)."""
    reader = PdfReader(io.BytesIO(pdf))
    count = 0
    for number in sorted(reader.xref.get(0, {})):
        obj: Any = reader.get_object(number)
        if isinstance(obj, dict) and obj.get("/Subtype") == "/Type0":
            count += 1
    return count


def test_one_font_dictionary_per_face(merged: tuple[bytes, list[str]],
                                      chunks: list[bytes]) -> None:
    before = font_dictionaries(written(join(chunks)))
    assert any(len(numbers) > 1 for numbers in before.values())
    pdf = merged[0]
    after = font_dictionaries(pdf)
    assert len(after) == FACES and all(len(numbers) == 1 for numbers in after.values())
    assert type0_objects(pdf) == FACES
    reader: Any = PdfReader(io.BytesIO(pdf))
    for reference in {next(iter(n)) for n in after.values()}:
        font = reader.get_object(reference)
        descendant = font["/DescendantFonts"][0].get_object()
        cids = sorted(_cid_widths(descendant))
        assert cids == sorted(set(cids))
        mapped = _mapped_cids(font["/ToUnicode"].get_object().get_data())
        assert set(mapped) <= set(cids)


def test_text_of_every_page_is_unchanged(merged: tuple[bytes, list[str]],
                                         chunks: list[bytes], tmp_path: Path) -> None:
    pdf = merged[0]
    expected = [page.extract_text() for chunk in chunks
                for page in PdfReader(io.BytesIO(chunk)).pages]
    assert [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages] == expected
    if shutil.which("pdftotext") is None:
        return
    path = tmp_path / "merged.pdf"
    path.write_bytes(pdf)
    for number, chunk in enumerate(chunks, start=1):
        part = tmp_path / f"part{number}.pdf"
        part.write_bytes(chunk)
        assert _page_text(path, number) == _page_text(part, 1)


@pytest.mark.parametrize("tamper", ["width", "text"])
def test_disagreeing_members_keep_their_own_dictionaries(chunks: list[bytes],
                                                         tamper: str) -> None:
    writer = join(chunks)
    fonts = [reference.get_object() for page in writer.pages
             for reference in page["/Resources"]["/Font"].values()]
    serif = [f for f in fonts if str(f["/BaseFont"]).endswith("+Vigil-Serif")]
    victim = serif[-1]
    descendant = victim["/DescendantFonts"][0].get_object()
    shared_cid = sorted(set(_cid_widths(descendant)) &
                        set(_cid_widths(serif[0]["/DescendantFonts"][0].get_object())))[0]
    if tamper == "width":
        from pypdf.generic import ArrayObject, NumberObject

        widths = _cid_widths(descendant)
        widths[shared_cid] += 100
        array = ArrayObject()
        for cid in sorted(widths):
            array.extend([NumberObject(cid), ArrayObject([NumberObject(int(widths[cid]))])])
        descendant[NameObject("/W")] = array
    else:
        stream = victim["/ToUnicode"].get_object()
        data = stream.get_data()
        old = f"<{shared_cid:04x}> <".encode()
        start = data.index(old) + len(old)
        end = data.index(b">", start)
        stream.set_data(data[:start] + b"0058" + data[end:])  # "X"
    assert merge_font_subsets(writer, [FONTS]) == []
    pdf = written(writer)
    after = font_dictionaries(pdf)
    serif_name = next(name for name in after if name.endswith("+Vigil-Serif"))
    assert len(after[serif_name]) > 1  # kept apart...
    assert len(programs(pdf)[serif_name]) == 1  # ...but sharing one program
    assert all(len(n) == 1 for name, n in after.items() if name != serif_name)
    problems = [f for f in check_pdf(pdf).findings if f.code.startswith("font-")]
    assert problems == []


def test_dictionaries_merged_with_cidset_and_deterministic() -> None:
    outputs = []
    for _ in range(2):
        writer = join([render(part, pdf_version="1.4") for part in PARTS])
        assert merge_font_subsets(writer, [FONTS]) == []
        outputs.append(written(writer))
    assert outputs[0] == outputs[1]
    assert type0_objects(outputs[0]) == FACES
    problems = [f for f in check_pdf(outputs[0]).findings if f.code.startswith("font-")]
    assert problems == []


@needs_poppler
def test_pdffonts_lists_one_entry_per_face(merged: tuple[bytes, list[str]],
                                           tmp_path: Path) -> None:
    path = tmp_path / "merged.pdf"
    path.write_bytes(merged[0])
    listing = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                             text=True).stdout
    assert len(listing.splitlines()[2:]) == FACES


def _page_text(path: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page),
                           str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def _cid_widths(descendant: Any) -> dict[int, float]:
    widths: dict[int, float] = {}
    array = list(descendant["/W"])
    index = 0
    while index < len(array):
        first, following = int(array[index]), array[index + 1]
        if isinstance(following, list):
            for offset, width in enumerate(following):
                widths[first + offset] = float(width)
            index += 2
        else:
            for cid in range(first, int(following) + 1):
                widths[cid] = float(array[index + 2])
            index += 3
    return widths


def _mapped_cids(data: bytes) -> list[int]:
    import re

    return [int(code, 16) for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S)
            for code in re.findall(rb"<([0-9a-f]{4})>\s*<", block)]
