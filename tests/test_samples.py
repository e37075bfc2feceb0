"""The sample publications under content/ and the ``vigil new booklet`` example, built once each.

What a reader of the PDF would check: page count and size, reading order, the contents page's
numbers, bookmarks, metadata, tagging, fonts, footnotes, language, and that a rebuild (again, or
from another folder, or in another process) gives the same bytes.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf.generic import ArrayObject, DictionaryObject

from conftest import (
    BOOKLET_SAMPLE,
    CONTENT,
    PROGRAMME_SAMPLE,
    PROGRAMME_SAMPLE_AZ,
    SAMPLES,
    Builds,
    Built,
    build_into,
    drawn_images,
    footnote_pages,
    footnotes_of,
    normalise,
    outline,
    page_sizes_mm,
    pdf_fonts,
    pdf_reader,
    sample_edition,
    section_markers,
    section_start_pages,
)
from vigil.compose import compose_html
from vigil.i18n import locale_for
from vigil.profiles import get_profile

SCAFFOLD = "scaffold-booklet"
EVERY_BUILD = (SCAFFOLD, *SAMPLES)
BOOKLETS = (SCAFFOLD, BOOKLET_SAMPLE)
PROGRAMMES = (PROGRAMME_SAMPLE, PROGRAMME_SAMPLE_AZ)
pytestmark = pytest.mark.slow

BUNDLED_FONT = re.compile(r"^[A-Z]{6}\+Vigil-(Serif|Sans|Mono|Arabic)(-(Bold|Italic|BoldItalic))?$")


def _get(builds: Builds, name: str) -> Built:
    return builds.get(name)


@pytest.fixture(params=EVERY_BUILD)
def built(request: pytest.FixtureRequest, builds: Builds) -> Built:
    return _get(builds, request.param)


@pytest.fixture(params=SAMPLES)
def sample(request: pytest.FixtureRequest, builds: Builds) -> Built:
    return _get(builds, request.param)


@pytest.fixture(params=BOOKLETS)
def booklet(request: pytest.FixtureRequest, builds: Builds) -> Built:
    return _get(builds, request.param)


@pytest.fixture(params=PROGRAMMES)
def programme(request: pytest.FixtureRequest, builds: Builds) -> Built:
    return _get(builds, request.param)


def test_samples_are_present() -> None:
    missing = [name for name in SAMPLES
               if not (CONTENT / sample_edition(name)[0] / "publication.yaml").is_file()]
    assert not missing, f"sample publications missing under content/: {missing}"


# ---------------------------------------------------------------- pages


def test_page_count(sample: Built) -> None:
    reader = pdf_reader(sample.pdf)
    assert sample.result.pages == len(reader.pages)
    if sample.publication.meta.kind == "programme":
        assert len(reader.pages) == 4
    else:
        assert len(reader.pages) >= 16
    assert not sample.result.report.errors


def test_every_page_has_the_declared_size(built: Built) -> None:
    width, height = built.publication.meta.page.millimetres
    assert built.publication.meta.page.size == "A5"
    for number, (w, h) in enumerate(page_sizes_mm(built.pdf), 1):
        assert abs(w - width) <= 0.5 and abs(h - height) <= 0.5, f"page {number}: {w}×{h} mm"


def test_booklet_reading_order(booklet: Built) -> None:
    pages = booklet.pages
    meta = booklet.publication.meta
    assert normalise(meta.title) in normalise(pages[0])
    contents_word = locale_for(meta.language).word("contents")
    assert pages[1].lstrip().startswith(contents_word)
    titles = section_markers(booklet.pdf, booklet.publication)
    starts = section_start_pages(pages, titles, first=3)
    assert starts[0] == 3
    for section, previous, start in zip(booklet.publication.sections[1:], starts[:-1], starts[1:],
                                        strict=True):
        assert start > previous if section.new_page else start >= previous, section.title
    assert starts[-1] < len(pages)
    back = normalise(pages[-1])
    assert normalise(meta.title).upper() in back.upper()


def test_contents_page_numbers_match_the_pages(booklet: Built) -> None:
    pages = booklet.pages
    sections = booklet.publication.sections
    starts = section_start_pages(pages, section_markers(booklet.pdf, booklet.publication), first=3)
    contents = normalise(" ".join(pages[1 : starts[0] - 1]))
    listed = [(s, start) for s, start in zip(sections, starts, strict=True) if s.toc]
    assert listed
    positions = []
    for section, start in listed:
        words = r"\s+".join(re.escape(word) for word in section.title.split())
        match = re.search(words + r"\s*(?:\.\s*)+(\d+)\b", contents)
        assert match, f"{section.title!r} not listed with a page number in {contents!r}"
        assert int(match[1]) == start, f"{section.title!r}: contents say {match[1]}, page {start}"
        positions.append(match.start())
    assert positions == sorted(positions), "the contents are not in reading order"
    for section in sections:
        if not section.toc:
            assert section.title not in contents


# ---------------------------------------------------------------- navigation and metadata


def test_section_bookmarks(built: Built) -> None:
    reader = pdf_reader(built.pdf)
    marks = outline(reader)
    sections = built.publication.sections
    starts = section_start_pages(built.pages, section_markers(built.pdf, built.publication),
                                 first=3 if built.publication.meta.kind == "booklet" else 2)
    expected = [(s.title, start, 0) for s, start in zip(sections, starts, strict=True)]
    if built.publication.meta.kind == "booklet":
        assert len(marks) == len(sections) + 1
        assert marks[0][1:] == (2, 0), "the first bookmark should lead to the contents page"
        marks = marks[1:]
    assert marks == expected


def test_contents_bookmark_is_labelled_contents(booklet: Built) -> None:
    title, page, _ = outline(pdf_reader(booklet.pdf))[0]
    assert title == locale_for(booklet.publication.language).word("contents")
    assert page == 2


def test_metadata(built: Built) -> None:
    reader = pdf_reader(built.pdf)
    meta = built.publication.meta
    info = reader.metadata
    assert info is not None
    assert info.title == meta.title
    assert info.author == (meta.author or meta.organiser)
    assert info.subject == (meta.description or meta.subtitle)
    if meta.keywords:
        assert info.get("/Keywords") == ", ".join(meta.keywords)
    assert str(info.creator).startswith("vigil ")
    assert str(info.get("/CreationDate")).startswith("D:" + meta.date.strftime("%Y%m%d"))
    assert reader.trailer["/Root"]["/Lang"] == meta.language


def test_tagged_pdf(built: Built) -> None:
    catalog = pdf_reader(built.pdf).trailer["/Root"]
    mark_info = catalog["/MarkInfo"]
    assert isinstance(mark_info, DictionaryObject) and bool(mark_info["/Marked"])
    tree = catalog["/StructTreeRoot"].get_object()
    assert tree["/Type"] == "/StructTreeRoot"
    kids = tree["/K"]
    assert kids if isinstance(kids, ArrayObject) else kids.get_object()


def test_fonts_are_embedded(built: Built) -> None:
    fonts = pdf_fonts(built.pdf)
    assert fonts
    assert all(fonts.values()), [name for name, embedded in fonts.items() if not embedded]


@pytest.mark.parametrize("name", [
    SCAFFOLD,
    *SAMPLES,
])
def test_fonts_are_only_the_bundled_ones(builds: Builds, name: str) -> None:
    fonts = pdf_fonts(_get(builds, name).pdf)
    assert fonts
    strangers = [font for font in fonts if not BUNDLED_FONT.match(font)]
    assert not strangers, strangers


# ---------------------------------------------------------------- content


def test_programme_proceedings_in_order(builds: Builds) -> None:
    pages = _get(builds, PROGRAMME_SAMPLE).pages
    text = normalise(pages[1]).casefold()
    order = ["minute of silence", "gasimov", "aliyeva", "abdurahimov", "video"]
    positions = [text.find(word) for word in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions), dict(zip(order, positions, strict=True))


def test_programme_items_follow_the_source(programme: Built) -> None:
    """Every item's time, title and speaker appear in source order (any wording)."""
    text = normalise(" ".join(programme.pages[1:3]))
    cursor = 0
    for section in programme.publication.sections:
        for block in section.blocks:
            for item in getattr(block, "items", []) if block.type == "proceedings" else []:
                for part in (item.time, normalise(item.title), item.speaker):
                    if part:
                        found = text.find(part, cursor)
                        assert found >= 0, f"{part!r} not found after position {cursor}"
                        cursor = found


def test_azerbaijani_programme(builds: Builds) -> None:
    built = _get(builds, PROGRAMME_SAMPLE_AZ)
    text = " ".join(built.pages)
    for letter in "əşğıçöü":
        assert letter in text, letter
    assert "İ" in text
    assert "fevral" in text.casefold()
    assert "february" not in text.casefold()
    assert pdf_reader(built.pdf).trailer["/Root"]["/Lang"] == "az"


def test_booklet_footnotes_are_on_the_page_of_their_call(booklet: Built) -> None:
    html = compose_html(booklet.publication, get_profile("screen")).html
    notes = footnotes_of(html)
    assert notes, "the booklet should show footnotes"
    for note in notes:
        calls, bodies = footnote_pages(booklet.pages, note)
        assert len(calls) == 1, (note, calls)
        assert len(bodies) == 1, (note, bodies)
        assert calls == bodies, f"footnote {note.number}: called on {calls}, set on {bodies}"


def test_sample_images_are_drawn(builds: Builds) -> None:
    built = _get(builds, BOOKLET_SAMPLE)
    drawn = drawn_images(built.pdf)
    assert drawn[0] == 1, "the cover image is missing"
    referenced = {
        item.image for section in built.publication.sections for block in section.blocks
        if block.type == "catalogue" for item in block.items if item.image  # type: ignore[attr-defined]
    }
    assert sum(drawn[1:]) >= len(referenced) > 0


# ---------------------------------------------------------------- reproducibility


def test_rebuild_is_byte_identical(built: Built, tmp_path: Path) -> None:
    again = build_into(tmp_path, built.source, language=built.language)
    assert again.output != built.pdf
    assert again.output.read_bytes() == built.pdf.read_bytes()


@pytest.mark.parametrize("name", [SCAFFOLD, BOOKLET_SAMPLE])
def test_build_from_another_folder_is_byte_identical(builds: Builds, name: str,
                                                     tmp_path: Path) -> None:
    original = _get(builds, name)
    moved = tmp_path / "somewhere" / "else" / original.source.name
    shutil.copytree(original.source, moved)
    again = build_into(tmp_path / "out", moved)
    assert again.output.read_bytes() == original.pdf.read_bytes()
