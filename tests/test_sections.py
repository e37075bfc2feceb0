"""Section-level typesetting: the same document as a whole-document build, laid out again only
where something changed, reproducible, and laid out whole when the theme cannot be cut.

What a reader checks, compared between ``vigil build`` (sections, in parallel, cached) and
``vigil build --whole`` (one WeasyPrint document): page count and boxes, the text of each page
as laid out (``pdftotext -layout``), bookmarks, links and where they lead, named destinations,
the structure tree's roles and the embedded fonts.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

import vigil
from conftest import (
    CONTENT,
    ROOT,
    build_cache,
    manifest_with,
    outline,
    pdf_fonts,
    run_cli,
    sample_edition,
    sample_folder,
    write_publication,
)
from vigil import workers
from vigil.assemble import joined
from vigil.compose import compose_html
from vigil.errors import VigilError
from vigil.options import BuildOptions
from vigil.profiles import get_profile
from vigil.read import read_publication
from vigil.typeset import WholeLayoutNeeded, sections
from vigil.typeset.chunks import plan
from vigil.typeset.layout import WORKERS
from vigil.typeset.sections import typeset_sections


def layout_text(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return out.split("\f")


def links(reader: PdfReader) -> list[tuple[int, tuple[float, ...], str]]:
    """(page, rectangle, where it leads: a page number or a URI) of every link."""
    numbers = {page.indirect_reference.idnum: n + 1 for n, page in enumerate(reader.pages)}
    dests = {name: numbers[dest.page.idnum] for name, dest in reader.named_destinations.items()}
    found = []
    for n, page in enumerate(reader.pages):
        for reference in page.get("/Annots") or []:
            annotation = reference.get_object()
            rect = tuple(round(float(v), 1) for v in annotation["/Rect"])
            if "/Dest" in annotation:
                target = f"page {dests[str(annotation['/Dest'])]}"
            else:
                target = str(annotation["/A"].get_object().get("/URI"))
            found.append((n + 1, rect, target))
    return found


def roles(reader: PdfReader) -> list[str]:
    """The structure tree's element types, depth first (empty when untagged)."""
    root = reader.trailer["/Root"].get("/StructTreeRoot")
    found: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if not hasattr(node, "get"):
            return
        if "/S" in node:
            found.append(str(node["/S"]))
        kids = node.get("/K")
        if kids is None:
            return
        kids = kids.get_object()
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object"):
                walk(kid)

    if root is not None:
        walk(root)
    return found


def boxes(reader: PdfReader) -> list[tuple[tuple[float, ...], ...]]:
    return [tuple(tuple(round(float(v), 2) for v in getattr(page, box))
                  for box in ("mediabox", "trimbox", "bleedbox")) for page in reader.pages]


def font_names(path: Path) -> set[str]:
    return {name.split("+", 1)[-1] for name in pdf_fonts(path)}


def assert_same_document(sections: Path, whole: Path) -> None:
    a, b = PdfReader(sections), PdfReader(whole)
    assert len(a.pages) == len(b.pages)
    assert boxes(a) == boxes(b)
    text_a, text_b = layout_text(sections), layout_text(whole)
    differing = [n + 1 for n, (x, y) in enumerate(zip(text_a, text_b, strict=True)) if x != y]
    assert not differing, f"the text differs on pages {differing}"
    assert outline(a) == outline(b)
    assert links(a) == links(b)
    assert {k: a.get_destination_page_number(v) for k, v in a.named_destinations.items()} == \
        {k: b.get_destination_page_number(v) for k, v in b.named_destinations.items()}
    assert roles(a) == roles(b)
    assert font_names(sections) == font_names(whole)
    assert all(pdf_fonts(sections).values())


SAMPLE_PROFILES = [
    ("eternal-return-2025", "screen"), ("eternal-return-2025", "print"),
    ("institute-programme-2025", "screen"), ("institute-programme-2025.az", "screen"),
    ("institute-programme-2025", "print"),
]


SMALL_HTML = sections.SMALL_HTML


@pytest.fixture(autouse=True)
def even_small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lay out by sections even documents small enough to be laid out at once (the
    programme, the small publications of these tests), so that what is compared and
    measured here is really laid out by sections."""
    monkeypatch.setattr(sections, "SMALL_HTML", 0)


@pytest.mark.parametrize(("sample", "profile"), SAMPLE_PROFILES)
def test_every_sample_is_the_same_document_laid_out_by_sections(
        tmp_path: Path, sample: str, profile: str) -> None:
    folder = sample_folder(sample)
    language = sample_edition(sample)[1]
    options = BuildOptions(profile=profile, language=language, force=True)
    by_sections = vigil.build(folder, tmp_path / "sections", replace(options, jobs=2))
    whole = vigil.build(folder, tmp_path / "whole", replace(options, whole=True))
    assert not any(note.startswith("laid out as one document") for note in by_sections.notes)
    assert (build_cache(folder, tmp_path / "sections") / "chunks").is_dir()  # really by sections
    assert by_sections.report.ok and whole.report.ok
    assert_same_document(by_sections.output, whole.output)


def test_the_scaffold_booklet_is_the_same_document(tmp_path: Path,
                                                   scaffold_booklet_source: Path) -> None:
    by_sections = vigil.build(scaffold_booklet_source, tmp_path / "s", BuildOptions(force=True))
    whole = vigil.build(scaffold_booklet_source, tmp_path / "w",
                        BuildOptions(force=True, whole=True))
    assert_same_document(by_sections.output, whole.output)


def test_sections_share_one_font_program_per_face(tmp_path: Path) -> None:
    result = vigil.build(CONTENT / "eternal-return-2025", tmp_path, BuildOptions(force=True))
    reader = PdfReader(result.output)
    programs: dict[str, set[int]] = {}
    for page in reader.pages:
        for reference in (page["/Resources"].get("/Font") or {}).values():
            font = reference.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            program = descendant["/FontDescriptor"].get_object().raw_get("/FontFile2")
            programs.setdefault(str(font["/BaseFont"]), set()).add(program.idnum)
    assert programs and all(len(ids) == 1 for ids in programs.values())


def _three_sections(folder: Path, extra: str = "") -> Path:
    files: dict[str, str | bytes | None] = {
        f"part{n}.md": f"# Part {n}\n\n" + "\n\n".join(
            f"Paragraph {k} of part {n}, written to fill the page with quiet words "
            "of remembrance and return." for k in range(8)) + "\n"
        for n in (1, 2, 3)
    }
    return write_publication(folder, files, manifest_with(
        extra, sections=("part1.md", "part2.md", "part3.md")))


def _sections(folder: Path, cache: Path, jobs: int = 1, profile: str = "screen") -> Any:
    chosen = get_profile(profile)
    composed = compose_html(read_publication(folder), chosen)
    return typeset_sections(composed, chosen, cache, jobs)


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_edit_lays_out_only_its_section(tmp_path: Path, jobs: int,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Here and in worker processes (where the numbers document and the contents are started
    as soon as their pages are known: from the cache when it has them)."""
    if jobs > 1:
        workers.pool(jobs, WORKERS)  # started: an edit is laid out there (as in vigil watch)
    folder = _three_sections(tmp_path / "pub")
    cache = tmp_path / "cache"
    first = _sections(folder, cache, jobs)
    # cover, contents, three parts, back cover; the contents again, once the page numbers
    # are known; and the numbers document
    assert (first.chunks, first.laid_out) == (6, 8)
    again = _sections(folder, cache, jobs)
    assert again.laid_out == 0 and joined(again) == joined(first)
    part = folder / "part2.md"
    part.write_text(part.read_text(encoding="utf-8").replace("Paragraph 3", "Paragraph three"),
                    encoding="utf-8")
    kept: list[str] = []
    keep = sections._Runner._keep
    monkeypatch.setattr(sections._Runner, "_keep",
                        lambda runner, job, laid: (kept.append(job.key), keep(runner, job, laid)))
    edited = _sections(folder, cache, jobs)
    assert edited.laid_out == len(kept) == 1
    assert "Paragraph three of part 2" in " ".join(
        page.extract_text() for page in PdfReader(_written(tmp_path, edited)).pages)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_longer_section_moves_the_others_without_laying_them_out(tmp_path: Path,
                                                                   jobs: int) -> None:
    folder = _three_sections(tmp_path / "pub")
    cache = tmp_path / "cache"
    before = _sections(folder, cache, jobs)
    part = folder / "part1.md"
    part.write_text(part.read_text(encoding="utf-8") + "\n\n" + "\n\n".join(
        f"A further paragraph {k}, long enough to need more lines on the page than "
        "before, so that the part takes another page." for k in range(14)), encoding="utf-8")
    after = _sections(folder, cache, jobs)
    assert after.pages > before.pages
    # part 1, the contents (its numbers changed) and the numbers document; parts 2 and 3 and
    # the covers come from the cache, only moved (and moved to the other side).
    assert after.laid_out == 3
    whole = vigil.build(folder, tmp_path / "whole", BuildOptions(force=True, whole=True))
    assert_same_document(_assembled(tmp_path, after, folder), whole.output)


def test_footnotes_and_links_across_sections_are_the_same(tmp_path: Path) -> None:
    folder = _three_sections(tmp_path / "pub")
    for n in (1, 2, 3):
        part = folder / f"part{n}.md"
        part.write_text(part.read_text(encoding="utf-8")
                        + f"\n\nA note here.[^a{n}] And another one.[^b{n}] See [the third part]"
                        f"(#part3) and [the first](#part1).\n\n[^a{n}]: The first note of "
                        f"part {n}.\n[^b{n}]: The second note of part {n}.\n",
                        encoding="utf-8")
    by_sections = vigil.build(folder, tmp_path / "s", BuildOptions(force=True, jobs=2))
    whole = vigil.build(folder, tmp_path / "w", BuildOptions(force=True, whole=True))
    assert_same_document(by_sections.output, whole.output)
    text = " ".join(layout_text(by_sections.output))
    assert "6. The second note of part 3" in text  # numbered through the publication
    found = links(PdfReader(by_sections.output))
    assert sum(1 for _, _, target in found if target == "page 1") == 0
    assert {target for _, _, target in found if target.startswith("page")} >= {"page 3"}


def _assembled(tmp_path: Path, typeset: Any, folder: Path) -> Path:
    """The typeset document as the assemble stage finishes it (its tags fixed, as the whole
    document's are)."""
    from vigil.assemble import assemble

    path = tmp_path / f"assembled-{id(typeset)}.pdf"
    path.write_bytes(assemble(typeset, read_publication(folder), get_profile("screen")).pdf)
    return path


def _written(tmp_path: Path, typeset: Any) -> Path:
    path = tmp_path / f"typeset-{id(typeset)}.pdf"
    path.write_bytes(joined(typeset))
    return path


def test_the_same_bytes_cold_cached_and_with_one_process(tmp_path: Path) -> None:
    folder = _three_sections(tmp_path / "pub")
    two, one = BuildOptions(force=True, jobs=2), BuildOptions(force=True, jobs=1)
    parallel = vigil.build(folder, tmp_path / "a", two).output.read_bytes()
    cached = vigil.build(folder, tmp_path / "a", two).output.read_bytes()
    single = vigil.build(folder, tmp_path / "b", one).output.read_bytes()
    assert parallel == cached == single


def test_the_vigil_command_gives_the_same_bytes_from_its_fork_server(tmp_path: Path) -> None:
    """``vigil build`` (a process of its own) lays out in workers forked from a fork server
    that imported WeasyPrint once; the PDF is the one a build in one process writes, and no
    worker leaves its font files behind."""
    folder = CONTENT / "eternal-return-2025"
    here = vigil.build(folder, tmp_path / "b", BuildOptions(force=True, jobs=1))
    temporary = tmp_path / "tmp"  # its own: other tests' font folders come and go meanwhile
    temporary.mkdir()
    command = subprocess.run([sys.executable, "-m", "vigil", "build", str(folder), "-o",
                              str(tmp_path / "a"), "-j", "2", "--force"],
                             capture_output=True, text=True, timeout=300,
                             env={**os.environ, "TMPDIR": str(temporary)})
    assert command.returncode == 0, command.stderr
    assert (tmp_path / "a" / here.output.name).read_bytes() == here.output.read_bytes()
    assert not list(temporary.glob("weasyprint-*"))


def test_a_changed_picture_is_laid_out_again(tmp_path: Path) -> None:
    from conftest import png_bytes

    folder = write_publication(tmp_path / "pub", {
        "intro.md": "# Introduction\n\n![A small square](images/square.png)\n",
        "images/square.png": png_bytes(colour=(200, 20, 20)),
    })
    cache = tmp_path / "cache"
    red = _sections(folder, cache)
    (folder / "images" / "square.png").write_bytes(png_bytes(colour=(20, 20, 200)))
    blue = _sections(folder, cache)
    assert blue.laid_out >= 1 and joined(blue) != joined(red)


def test_a_theme_styling_the_first_page_is_laid_out_whole(tmp_path: Path) -> None:
    style = (ROOT / "src/vigil/themes" / "memorial" / "style.css").read_text(encoding="utf-8")
    folder = write_publication(tmp_path / "pub", {
        "templates/style.css": style + "\n@page :first { margin-top: 30mm; }\n",
    })
    composed = compose_html(read_publication(folder), get_profile("screen"))
    assert "first page" in str(plan(composed))
    result = vigil.build(folder, tmp_path / "out", BuildOptions(force=True))
    assert any(note.startswith("laid out as one document: the theme styles the first page")
               for note in result.notes)


def test_a_document_that_cannot_be_cut_is_a_typed_outcome_not_a_string(tmp_path: Path) -> None:
    style = (ROOT / "src/vigil/themes" / "memorial" / "style.css").read_text(encoding="utf-8")
    folder = write_publication(tmp_path / "pub", {
        "templates/style.css": style + "\n@page :first { margin-top: 30mm; }\n",
    })
    chosen = get_profile("screen")
    composed = compose_html(read_publication(folder), chosen)
    with pytest.raises(WholeLayoutNeeded) as caught:
        typeset_sections(composed, chosen, tmp_path / "cache", 1)
    assert "first page" in caught.value.reason and not caught.value.expected


def test_a_layout_by_sections_is_parts_not_a_joined_document(tmp_path: Path) -> None:
    """Typeset gives each chunk's PDF, the numbers document and where each page comes from:
    bytes and numbers only (it pickles: no pypdf object), joined by the assemble stage into
    the document a whole layout gives."""
    import pickle

    folder = _three_sections(tmp_path / "pub")
    layout = _sections(folder, tmp_path / "cache")
    assert not layout.whole and len(layout.parts) == layout.chunks == 6 and layout.numbers
    assert all(isinstance(part.pdf, bytes) and part.pdf.startswith(b"%PDF")
               for part in layout.parts)
    assert layout.pages == len(layout.placed) == sum(
        len(PdfReader(io.BytesIO(pdf)).pages) for pdf in layout.numbers)
    assert [(p.part, p.page) for p in layout.placed] == [
        (part, page) for part, laid in enumerate(layout.parts) for page in range(len(laid.pages))]
    assert pickle.loads(pickle.dumps(layout)) == layout
    whole = vigil.build(folder, tmp_path / "whole", BuildOptions(force=True, whole=True))
    assert_same_document(_assembled(tmp_path, layout, folder), whole.output)


def test_typeset_by_sections_imports_nothing_of_the_assemble_stage(tmp_path: Path) -> None:
    folder = _three_sections(tmp_path / "pub")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from vigil.compose import compose_html\n"
        "from vigil.profiles import get_profile\n"
        "from vigil.read import read_publication\n"
        "from vigil.typeset import sections\n"
        "sections.SMALL_HTML = 0\n"
        "chosen = get_profile('screen')\n"
        f"composed = compose_html(read_publication(Path({str(folder)!r})), chosen)\n"
        f"layout = sections.typeset_sections(composed, chosen, Path({str(tmp_path / 'c')!r}), 1)\n"
        "print(layout.pages, sorted(m for m in sys.modules if m.startswith(('vigil.assemble', "
        "'pypdf'))))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    pages, imported = done.stdout.split(" ", 1)
    assert int(pages) > 3 and imported.strip() == "[]"


def test_sections_that_pypdf_cannot_join_are_laid_out_whole_and_said_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf.errors import PdfReadError

    import vigil.assemble.join

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise PdfReadError("Invalid Elementary Object starting with b'x'")

    monkeypatch.setattr(vigil.assemble.join, "join", broken)
    folder = _three_sections(tmp_path / "pub")
    result = vigil.build(folder, tmp_path / "out", BuildOptions(force=True, jobs=1))
    assert "laid out as one document: joining the sections failed (PdfReadError: Invalid " \
           "Elementary Object starting with b'x')" in result.notes
    whole = vigil.build(folder, tmp_path / "whole", BuildOptions(force=True, whole=True))
    assert result.output.read_bytes() == whole.output.read_bytes()


def test_a_mistake_of_vigil_in_the_join_is_not_hidden_by_a_whole_layout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vigil.assemble.join

    def mistaken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in the join")

    monkeypatch.setattr(vigil.assemble.join, "join", mistaken)
    folder = _three_sections(tmp_path / "pub")
    with pytest.raises(RuntimeError, match="a bug in the join"):
        vigil.build(folder, tmp_path / "out", BuildOptions(force=True, jobs=1))


def test_a_small_document_is_laid_out_at_once(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sections, "SMALL_HTML", SMALL_HTML)
    folder = write_publication(tmp_path / "pub")
    result = vigil.build(folder, tmp_path / "out", BuildOptions(force=True))
    assert result.report.ok and not any("one document" in note for note in result.notes)
    assert not (build_cache(folder, tmp_path / "out") / "chunks").exists()


def test_the_cli_lays_out_whole_on_request(tmp_path: Path) -> None:
    folder = _three_sections(tmp_path / "pub")
    code, out, err = run_cli("build", str(folder), "-o", str(tmp_path / "out"), "--whole",
                             "-j", "1")
    assert code == 0, err
    assert "pub.pdf" in out
    code, _, err = run_cli("build", str(folder), "-o", str(tmp_path / "out"), "-j", "0")
    assert code == 2 and "-j" in err


def test_an_error_in_a_section_laid_out_in_a_worker_names_the_file(tmp_path: Path) -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
           '<image href="file:///etc/passwd" width="10" height="10"/></svg>')
    folder = _three_sections(tmp_path / "pub")
    (folder / "images").mkdir()
    (folder / "images" / "bad.svg").write_text(svg, encoding="utf-8")
    part = folder / "part3.md"
    part.write_text(part.read_text(encoding="utf-8") + "\n\n![A drawing](images/bad.svg)\n",
                    encoding="utf-8")
    with pytest.raises(VigilError) as caught:
        vigil.build(folder, tmp_path / "out", BuildOptions(force=True, jobs=2))
    assert "bad.svg" in str(caught.value) or "outside" in str(caught.value)
    assert not (tmp_path / "out" / "pub.pdf").exists()


def test_cache_entries_of_older_builds_are_removed(tmp_path: Path) -> None:
    folder = _three_sections(tmp_path / "pub")
    out = tmp_path / "out"
    vigil.build(folder, out, BuildOptions(force=True))
    chunks = build_cache(folder, out) / "chunks"
    count = len(list(chunks.glob("*.pdf")))
    for n in range(3):
        part = folder / "part2.md"
        part.write_text(part.read_text(encoding="utf-8") + f"\nMore {n}.\n", encoding="utf-8")
        vigil.build(folder, out)
    assert len(list(chunks.glob("*.pdf"))) == count
    shutil.rmtree(chunks)
    assert vigil.build(folder, out, BuildOptions(force=True)).output.is_file()


@pytest.mark.parametrize("swapped", [(".pdf", ".json"), (".pdf",)])
def test_two_cache_entries_swapped_are_refused_and_the_book_stays_in_order(
        tmp_path: Path, swapped: tuple[str, ...]) -> None:
    """Each chunk's record carries the key it was stored under (and its PDF's hash): a valid
    entry copied or moved under another chunk's key is laid out again, never used."""
    folder = _three_sections(tmp_path / "pub")
    out = tmp_path / "out"
    first = vigil.build(folder, out, BuildOptions(force=True)).output.read_bytes()
    chunks = build_cache(folder, out) / "chunks"
    found = {}
    for pdf in chunks.glob("*.pdf"):
        text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
        for n in (1, 3):
            if f"Paragraph 0 of part {n}" in text:
                found[n] = pdf.stem
    assert set(found) == {1, 3}, "the cache should hold part 1 and part 3 as chunks"
    for suffix in swapped:
        one, three = chunks / f"{found[1]}{suffix}", chunks / f"{found[3]}{suffix}"
        kept = one.read_bytes()
        one.write_bytes(three.read_bytes())
        three.write_bytes(kept)
    again = vigil.build(folder, out, BuildOptions(force=True))
    text = " ".join(page.extract_text() for page in PdfReader(again.output).pages)
    assert text.index("Paragraph 0 of part 1") < text.index("Paragraph 0 of part 2") \
        < text.index("Paragraph 0 of part 3")
    assert again.output.read_bytes() == first


def _cache_is_tidy(cache: Path) -> None:
    """The chunks kept are those the index of the last build lists: none laid out and left."""
    import json

    listed = set()
    for index in (cache / "sections").glob("*.json"):
        listed |= set(json.loads(index.read_text(encoding="utf-8"))["chunks"])
    assert {path.stem for path in (cache / "chunks").glob("*.pdf")} == listed


def test_a_cold_build_keeps_only_the_chunks_it_used(tmp_path: Path) -> None:
    """The contents laid out first with no page numbers is not kept."""
    folder = _three_sections(tmp_path / "pub")
    vigil.build(folder, tmp_path / "out", BuildOptions(force=True, jobs=2))
    _cache_is_tidy(build_cache(folder, tmp_path / "out"))


def test_page_numbers_guessed_wrong_cost_a_layout_not_a_wrong_contents(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a cold build the contents is laid out beside the last chunks with the page numbers
    expected; when they turn out wrong, it is laid out again with the right ones."""
    guesses: list[int] = []

    def wrong(runner: Any, chunks: list[Any]) -> list[Any]:
        guesses.append(len(chunks))
        return [job for job in runner._chunk_jobs(dict.fromkeys(runner.plan.numbered, 99))
                if job.key not in runner.laid]

    monkeypatch.setattr(sections._Runner, "_guessed", wrong)
    workers.pool(2, WORKERS)
    folder = _three_sections(tmp_path / "pub")
    result = vigil.build(folder, tmp_path / "out", BuildOptions(force=True, jobs=2))
    assert guesses
    text = " ".join(page.extract_text() for page in PdfReader(result.output).pages)
    assert "99" not in text
    whole = vigil.build(folder, tmp_path / "whole", BuildOptions(force=True, whole=True))
    assert_same_document(result.output, whole.output)
    _cache_is_tidy(build_cache(folder, tmp_path / "out"))


def test_the_contents_goes_first_then_long_chunks_then_the_others_in_order() -> None:
    from vigil.typeset.layout import Job

    def job(name: str, characters: int) -> Job:
        return Job(key=name, html="x" * characters, css="", base_url="", mounts={},
                   substitutes={}, pdf_variant=None, tagged=False)

    chunks = [job("cover", 500), job("contents", 1500), job("one", 6000), job("two", 5000),
              job("insert", 400), job("three", 7000), job("roll", 12000), job("back", 300)]
    order = sections._order(chunks, {"contents"})
    # the small ones (a cover, an insert) first, so that the numbers document can start early
    assert [j.key for j in order] == ["contents", "roll", "cover", "insert", "back", "one",
                                      "two", "three"]



def test_a_theme_with_fonts_of_its_own_gets_them_from_the_fork_server_too(
        tmp_path: Path) -> None:
    """A theme of the publication's own declaring its fonts under other family names: the
    workers the vigil command forks from its fork server lay it out with exactly those faces,
    as a build in one process does (each worker registers the theme's fonts itself)."""
    folder = tmp_path / "pub"
    shutil.copytree(CONTENT / "eternal-return-2025", folder)
    theme = folder / "mytheme"
    shutil.copytree(ROOT / "src/vigil/themes/memorial", theme)
    for name in ("fonts.css", "style.css"):
        path = theme / name
        path.write_text(path.read_text(encoding="utf-8").replace("Vigil Serif", "House Serif"),
                        encoding="utf-8")
    manifest = folder / "publication.yaml"
    lines = [line for line in manifest.read_text(encoding="utf-8").splitlines()
             if not line.startswith("theme:")]
    manifest.write_text("\n".join([*lines, "theme: mytheme", ""]), encoding="utf-8")
    here = vigil.build(folder, tmp_path / "b", BuildOptions(force=True, jobs=1))

    def faces(path: Path) -> list[list[str]]:
        return [sorted(str(font.get_object()["/BaseFont"]).split("+")[-1]
                       for font in page["/Resources"]["/Font"].values())
                for page in PdfReader(path).pages]

    assert any("House-Serif" in face for page in faces(here.output) for face in page)
    # Twice: fonts the workers would share wrongly go wrong by their timing, not always.
    for run in ("fork-1", "fork-2"):
        command = subprocess.run([sys.executable, "-m", "vigil", "build", str(folder), "-o",
                                  str(tmp_path / run), "-j", "2", "--force", "--cache-dir",
                                  str(tmp_path / f"cache-{run}")],
                                 capture_output=True, text=True, timeout=300)
        assert command.returncode == 0, command.stderr
        forked = tmp_path / run / here.output.name
        assert faces(forked) == faces(here.output)
        assert forked.read_bytes() == here.output.read_bytes()


def _dies_on_part_two(job: Any) -> Any:
    """A worker's task that kills its process on the chunks of part 2 (as the kernel's
    out-of-memory killer would), leaving a mark that it did."""
    import os

    from vigil.typeset.layout import lay_out_safely

    if "Part 2" in job.html:
        (Path(os.environ["VIGIL_TEST_DIED"]) / str(os.getpid())).touch()
        os._exit(1)
    return lay_out_safely(job)


def test_a_worker_that_dies_loses_no_chunk(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed while it lays out a chunk breaks the pool: every chunk not laid out
    yet, that one included, is laid out in this process, and the PDF is the whole build's."""
    files: dict[str, str | bytes | None] = {
        f"part{n}.md": f"# Part {n}\n\n" + "\n\n".join(
            f"Paragraph {k} of part {n}, written to fill the pages with quiet words of "
            "remembrance and return, long enough to be laid out in a worker." for k in range(90))
        + "\n" for n in (1, 2, 3)
    }
    folder = write_publication(tmp_path / "pub", files, manifest_with(
        "", sections=("part1.md", "part2.md", "part3.md")))
    whole = vigil.build(folder, tmp_path / "whole", BuildOptions(force=True, whole=True))
    died = tmp_path / "died"
    died.mkdir()
    monkeypatch.setenv("VIGIL_TEST_DIED", str(died))
    workers.drop(wait=True)  # workers forked after the patch below take it with them
    monkeypatch.setattr(sections, "lay_out_safely", _dies_on_part_two)
    try:
        built = vigil.build(folder, tmp_path / "a", BuildOptions(force=True, jobs=2,
                                                                  cached=False))
    finally:
        workers.drop(wait=True)
    assert list(died.iterdir()), "no worker died: the test did not test"
    assert layout_text(built.output) == layout_text(whole.output)
