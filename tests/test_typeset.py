"""Stage 3, typeset: WeasyPrint reads only through the sandbox, and pages come out as designed.

These tests render small publications written into ``tmp_path`` (a fraction of a second each).
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest

from conftest import (
    ROOT,
    Built,
    build_error,
    build_into,
    drawn_images,
    footnote_pages,
    footnotes_of,
    manifest_with,
    outline,
    page_sizes_mm,
    pdf_fonts,
    pdf_reader,
    pdf_text_pages,
    png_bytes,
    run_python,
    write_publication,
)
from vigil.compose import compose_html
from vigil.errors import ResourceError
from vigil.profiles import get_profile
from vigil.read import read_publication

MEMORIAL_CSS = (ROOT / "src/vigil/themes" / "memorial" / "style.css").read_text(encoding="utf-8")
FONTS_CSS = (ROOT / "src/vigil/themes" / "memorial" / "fonts.css").read_text(encoding="utf-8")


def cover_with(markup: str) -> dict[str, str | bytes | None]:
    """A cover template override holding ``markup``."""
    return {"templates/cover.html": f'<section class="cover" id="cover">{markup}</section>\n'}


def style_with(css: str) -> dict[str, str | bytes | None]:
    """The memorial stylesheet with ``css`` appended, as an override."""
    return {"templates/style.css": MEMORIAL_CSS + "\n" + css + "\n"}


# ---------------------------------------------------------------- the sandboxed fetcher


@pytest.mark.parametrize(("files", "named"), [
    (cover_with('<img src="file:///etc/passwd" alt="">'), "'/etc/passwd'"),
    (cover_with('<img src="http://example.com/x.png" alt="">'), "'http://example.com/x.png'"),
    (cover_with('<img src="https://example.com/y.png" alt="">'), "'https://example.com/y.png'"),
    (style_with('body { background: url("file:///etc/passwd"); }'), "'/etc/passwd'"),
    (style_with('body { background: url("http://example.com/bg.png"); }'),
     "'http://example.com/bg.png'"),
    ({"templates/fonts.css": '@import url("http://example.com/more.css");\n' + FONTS_CSS},
     "'http://example.com/more.css'"),
    (style_with('@font-face { font-family: X; src: url("file:///usr/share/fonts/x.ttf"); }'
                " body { font-family: X; }"), "'/usr/share/fonts/x.ttf'"),
], ids=["img-file", "img-http", "img-https", "css-file", "css-http", "css-import", "font-file"])
def test_template_cannot_load_outside_resources(
    tmp_path: Path, files: dict[str, str | bytes | None], named: str
) -> None:
    folder = write_publication(tmp_path / "p", files)
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error"
    assert f"the document refers to {named}" in message.text
    assert "templates" in message.text.split(": ")[0], "the message should name the templates"
    assert "network" in message.text or "outside the publication" in message.text


def test_template_relative_path_leaving_the_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(png_bytes())
    folder = write_publication(tmp_path / "p", cover_with('<img src="../secret.png" alt="">'))
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error"
    assert str(tmp_path / "secret.png") in message.text


def test_template_may_load_files_inside_the_folder(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        **cover_with('<img src="images/inside.png" alt="inside">'),
        "images/inside.png": png_bytes((30, 30), (10, 200, 10)),
    })
    result = build_into(tmp_path / "out", folder)
    assert drawn_images(result.output)[0] == 1, "the image inside the folder was not drawn"


def test_markdown_image_is_drawn(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": "# Introduction\n\n![A red square](images/red.png \"A caption\")\n",
        "images/red.png": png_bytes((60, 60), (200, 0, 0)),
    })
    result = build_into(tmp_path / "out", folder)
    assert drawn_images(result.output) == [0, 0, 1, 0]
    text = pdf_text_pages(result.output)[2]
    assert "A caption" in text
    assert "A red square" not in text, "the alternative text was printed instead of the image"


def test_large_data_url_is_refused(tmp_path: Path) -> None:
    payload = base64.b64encode(b"\0" * (3 * 2**20)).decode()
    folder = write_publication(tmp_path / "p", cover_with(
        f'<img src="data:image/png;base64,{payload}" alt="">'))
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error"
    assert "data: URL" in message.text and "larger than the 2048 KiB allowed" in message.text


def test_small_data_url_is_allowed(tmp_path: Path) -> None:
    payload = base64.b64encode(png_bytes((8, 8))).decode()
    folder = write_publication(tmp_path / "p", cover_with(
        f'<img src="data:image/png;base64,{payload}" alt="">'))
    result = build_into(tmp_path / "out", folder)
    assert result.pages == 4


def test_fetcher_serves_only_its_mounts(tmp_path: Path) -> None:
    from vigil.typeset.fetcher import RefusedResource, SandboxFetcher

    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.png").write_bytes(png_bytes())
    (tmp_path / "outside.png").write_bytes(png_bytes())
    (root / "link.png").symlink_to(tmp_path / "outside.png")
    fetcher = SandboxFetcher({"publication": root})
    for url in ((root / "ok.png").as_uri(), "vigil://publication/ok.png"):
        assert fetcher.fetch(url) is not None
    assert fetcher.fetched == [(root / "ok.png").resolve()] * 2
    for url, expected in [
        ((tmp_path / "outside.png").as_uri(), "outside the publication"),
        ((root / "link.png").as_uri(), "outside the publication"),
        ("vigil://publication/link.png", "outside the publication"),
        ("vigil://publication/../outside.png", "outside the publication"),
        ("vigil://publication/%2e%2e/outside.png", "outside the publication"),
        ("vigil://elsewhere/ok.png", "names no known folder"),
        ((root / "missing.png").as_uri(), "does not exist"),
        ("https://example.com/a.png", "does not reach the network"),
        ("ftp://example.com/a.png", "does not reach the network"),
    ]:
        with pytest.raises(RefusedResource) as caught:
            fetcher.fetch(url)
        assert isinstance(caught.value.error, ResourceError)
        assert expected in str(caught.value.error), url


SVG_WITH_NETWORK_IMAGE = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'width="100" height="100"><image xlink:href="http://example.com/x.png" '
    'width="100" height="100"/></svg>')


def test_refusal_inside_svg_stops_the_build(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": "# Intro\n\n![A drawing](drawing.svg)\n", "drawing.svg": SVG_WITH_NETWORK_IMAGE,
    })
    message = build_error(folder, tmp_path / "out")
    assert "drawing.svg" in message.text


def test_svg_inside_the_folder_is_drawn(tmp_path: Path) -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="60">'
           '<rect width="100" height="60" fill="#8c2f2a"/></svg>')
    folder = write_publication(tmp_path / "p", {
        "intro.md": "# Intro\n\n![A red band](band.svg)\n\nAfter the band.\n", "band.svg": svg,
    })
    result = build_into(tmp_path / "out", folder)
    assert "After the band." in pdf_text_pages(result.output)[2]


def test_refusal_inside_svg_names_the_url_and_the_source(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": "# Intro\n\n![A drawing](drawing.svg)\n", "drawing.svg": SVG_WITH_NETWORK_IMAGE,
    })
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error"
    assert "http://example.com/x.png" in message.text
    assert "templates/memorial" not in message.text


# ---------------------------------------------------------------- fonts and pages


def test_code_spans_use_a_bundled_font(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {"intro.md": "# Intro\n\nRun `vigil build`.\n"})
    result = build_into(tmp_path / "out", folder)
    fonts = pdf_fonts(result.output)
    assert all("+Vigil-" in name for name in fonts), sorted(fonts)


@pytest.mark.parametrize(("size", "millimetres"), [("A4", (210, 297)), ("A6", (105, 148))])
def test_page_size(tmp_path: Path, size: str, millimetres: tuple[int, int]) -> None:
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest_with(f"page: {{size: {size}}}\n")})
    result = build_into(tmp_path / "out", folder)
    for width, height in page_sizes_mm(result.output):
        assert abs(width - millimetres[0]) < 0.5 and abs(height - millimetres[1]) < 0.5
    assert result.report.page_size_mm == (float(millimetres[0]), float(millimetres[1]))


def test_values_that_look_like_booleans_numbers_and_times_print_as_written(tmp_path: Path) -> None:
    manifest = ("kind: booklet\ntitle: NO\nsubtitle: 1.10\norganiser: 12:30\ndate: 2025-02-25\n"
                "sections: [intro.md]\n")
    folder = write_publication(tmp_path / "p", {"publication.yaml": manifest})
    result = build_into(tmp_path / "out", folder)
    cover = pdf_text_pages(result.output)[0].splitlines()
    assert "NO" in cover
    assert "1.10" in cover
    assert "12:30" in cover
    assert pdf_reader(result.output).metadata.title == "NO"


def test_author_and_dates_in_the_metadata(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_publication(tmp_path / "p", {"publication.yaml": manifest_with(
        "author: A. Writer\norganiser: The Organisers\n")})
    plain = pdf_reader(build_into(tmp_path / "plain", folder).output).metadata
    assert plain is not None
    assert plain.author == "A. Writer"
    assert (plain["/CreationDate"], plain["/ModDate"]) == ("D:20250225", "D:20250225")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1740480000")  # 2025-02-25 10:40:00 UTC
    stamped = pdf_reader(build_into(tmp_path / "stamped", folder).output).metadata
    assert stamped is not None
    assert stamped["/ModDate"] == "D:20250225104000Z"
    assert stamped["/CreationDate"] == "D:20250225"


def test_markdown_headings_add_no_bookmarks(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": "# Introduction\n\nText.\n\n# Second top heading\n\n## Sub heading\n\n"
                    "### Third level\n\nMore text.\n",
    })
    result = build_into(tmp_path / "out", folder)
    titles = [title for title, _, _ in outline(pdf_reader(result.output))]
    assert len(titles) == 2, titles
    assert titles[-1] == "Introduction"
    assert not any("heading" in title.lower() or "Third" in title for title in titles[1:])
    text = "\n".join(pdf_text_pages(result.output))
    assert "Second top heading" in text and "Sub heading" in text


def test_azerbaijani_capitals_keep_the_dotted_i(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest_with("language: az\n", title="Xatirə kitabı"),
        "intro.md": "# Giriş\n\nMətn.\n",
    })
    result = build_into(tmp_path / "out", folder)
    back = pdf_text_pages(result.output)[-1]
    assert "XATİRƏ KİTABI" in back
    assert "fevral" in back.lower()


def test_names_keep_their_order(tmp_path: Path) -> None:
    names = ["Aysel Zeynalova", "Bahar Yusifova", "Cemil Xəlilov", "Dilara Vəliyeva",
             "Elnur Tağıyev", "Fərid Səfərov", "Gülnar Rəhimova"]
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest_with(sections=("names.yaml", "roll.yaml")),
        "names.yaml": "title: Names\ntype: names\ncolumns: 2\nnames:\n"
                      + "".join(f"  - {name}\n" for name in names),
        "roll.yaml": "title: Roll\ntype: names\ncolumns: 3\ncsv: roll.csv\n",
        "roll.csv": "name,note\n" + "".join(f"{name},x\n" for name in reversed(names)),
    })
    result = build_into(tmp_path / "out", folder)
    pages = pdf_text_pages(result.output)
    for page, expected in ((pages[2], names), (pages[3], list(reversed(names)))):
        positions = [page.find(name) for name in expected]
        assert -1 not in positions, (expected, page)
        assert positions == sorted(positions), page


# ---------------------------------------------------------------- footnotes


def test_footnote_is_on_the_page_of_its_call(scaffold_booklet: Built) -> None:
    composed = compose_html(scaffold_booklet.publication, get_profile("screen"))
    notes = footnotes_of(composed.html)
    assert notes, "the scaffold booklet should have a footnote"
    for note in notes:
        calls, bodies = footnote_pages(scaffold_booklet.pages, note)
        assert len(calls) == 1 and len(bodies) == 1, (note, calls, bodies)
        assert calls == bodies, note


def _long_section_with_footnotes(count: int) -> str:
    sentence = "The committee met in the hall and read the names aloud, one by one, slowly."
    paragraphs = []
    for index in range(15):
        text = " ".join([sentence] * 8)  # a call lands at the foot of a page (A5, memorial)
        number = index // 4 + 1
        if index % 4 == 2 and number <= count:
            text += f" Marker {3300 + number} is here.[^n{number}]"
        paragraphs.append(text)
    notes = "\n".join(f"[^n{n}]: Note {7700 + n} gives the source." for n in range(1, count + 1))
    return "# Introduction\n\n" + "\n\n".join(paragraphs) + "\n\n" + notes + "\n"


@pytest.mark.xfail(strict=True, reason=(
    "engine bug (WeasyPrint footnote layout, cf. Kozea/WeasyPrint#1564, #2502): when a note "
    "does not fit below its call, the note moves to the next page but the call stays"))
def test_footnotes_stay_with_their_calls_in_long_text(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {"intro.md": _long_section_with_footnotes(4)})
    result = build_into(tmp_path / "out", folder)
    pages = pdf_text_pages(result.output)
    assert len(pages) >= 6
    placed = {}
    for number in range(1, 5):
        calls = [i for i, text in enumerate(pages, 1) if str(3300 + number) in text]
        notes = [i for i, text in enumerate(pages, 1) if str(7700 + number) in text]
        placed[number] = (calls, notes)
    assert len({calls[0] for calls, _ in placed.values()}) >= 2, "calls should span pages"
    assert all(calls == notes for calls, notes in placed.values()), placed


def test_composed_footnotes_are_found_for_every_call(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {"intro.md": _long_section_with_footnotes(3)})
    html = compose_html(read_publication(folder), get_profile("screen")).html
    notes = footnotes_of(html)
    assert [(n.number, n.call_context, n.note_start) for n in notes] == [
        (1, "is here.", "Note 7701 gives the"),
        (2, "is here.", "Note 7702 gives the"),
        (3, "is here.", "Note 7703 gives the"),
    ]


def _in_a_new_process(code: str) -> str:
    done = run_python("-c", code)
    assert done.returncode == 0, done.stderr
    return done.stdout


_LIBRARIES = """
import ctypes.util
search = ctypes.util.find_library
{load}
assert ctypes.util.find_library is search  # given back
print(sorted({{line.split()[-1] for line in open("/proc/self/maps")
              if any(name in line for name in ("libpango", "libharfbuzz", "libgobject",
                                                   "libfontconfig"))}}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the quick import is Linux's")
def test_weasyprint_imported_quickly_loads_the_same_libraries() -> None:
    """vigil imports WeasyPrint without ctypes' library search (0.3 s of every process that
    lays out): the same library files are loaded as by a plain import."""
    quick = _in_a_new_process(_LIBRARIES.format(
        load="from vigil.typeset.engine import load; load()"))
    plain = _in_a_new_process(_LIBRARIES.format(load="import weasyprint"))
    assert quick == plain and "libpango" in quick


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the quick import is Linux's")
def test_weasyprint_is_imported_with_the_search_if_it_fails_without() -> None:
    code = """
import importlib, ctypes.util
import vigil.typeset.engine as engine
search, tried = ctypes.util.find_library, []
real = importlib.import_module
def flaky(name):
    tried.append(ctypes.util.find_library is search)
    if len(tried) == 1:
        raise OSError("cannot load library 'pango'")
    return real(name)
engine.importlib.import_module = flaky
print(engine.load().__name__, tried[:2], ctypes.util.find_library is search)
"""
    assert _in_a_new_process(code).split() == ["weasyprint", "[False,", "True]", "True"]


# ---------------------------------------------------------------- WeasyPrint's own reports


def test_weasyprint_reports_are_told_apart_by_their_template_not_their_text() -> None:
    """A failed image fails the build; a warning whose text (a file or a word of the content)
    happens to hold "Failed" or "Error" does not."""
    import logging

    from vigil.errors import RenderError
    from vigil.typeset import weasyprint_errors

    logger = logging.getLogger("weasyprint")
    with weasyprint_errors():
        logger.warning("Ignored `%s` at %d:%d, %s.", "color: Error", 1, 2, "Failed value")
        logger.error("Content discarded: target points to undefined anchor %r", "Error")
    with pytest.raises(RenderError, match=r"Failed to load image at 'x\.png'"), \
            weasyprint_errors():
        logger.error("Failed to load image at %r: %s", "vigil://publication/x.png", "bad")


def test_the_fatal_templates_are_those_of_the_installed_weasyprint() -> None:
    """Pins the message templates vigil relies on (vigil.typeset.FATAL_TEMPLATES): a WeasyPrint
    release that rewords them fails here, not silently in a build."""
    from importlib import resources

    from vigil.typeset import FATAL_TEMPLATES

    package = resources.files("weasyprint")
    sources = {name: (package / name).read_text(encoding="utf-8") for name in
               ("images.py", "html.py", "css/__init__.py", "css/validation/__init__.py")}
    for name, template in (("images.py", "'Failed to load image at %r: %s'"),
                           ("images.py", "'Failed to render SVG image %s'"),
                           ("html.py", "'Failed to load inline SVG: %s'"),
                           ("css/__init__.py", "'Failed to load stylesheet at %s: %s'"),
                           ("css/validation/__init__.py", "'Error: %s at %d:%d.'")):
        assert template in sources[name], (name, template)
        assert template.strip("'").startswith(FATAL_TEMPLATES)
