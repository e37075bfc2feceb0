"""PDF inserts: reserved pages, the real pages put in, checks before rendering, damaged files."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from conftest import (
    ROOT,
    build_into,
    outline,
    pdf_text_pages,
    run_cli,
    user_error,
    write_publication,
)
from vigil.errors import ContentError, Location
from vigil.read.inserts import InsertOptions, inspect_insert

CORPUS = ROOT.parent / "shared" / "corpus"
POSTER = ROOT / "content" / "eternal-return-2025" / "inserts" / "poster.pdf"
A5 = (148.0, 210.0)


def _corpus(folder: str) -> list[Path]:
    if not (CORPUS / folder).is_dir():
        pytest.skip(f"the corpus folder {CORPUS / folder} is absent (see shared/corpus/README.md)")
    return sorted((CORPUS / folder).glob("*.pdf"))


def _blank_pdf(path: Path, pages: int = 1, size_mm: tuple[float, float] = A5) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=size_mm[0] * 72 / 25.4, height=size_mm[1] * 72 / 25.4)
    with path.open("wb") as stream:
        writer.write(stream)
    return path


def _publication(folder: Path, entry: str, files: dict[str, bytes] | None = None) -> Path:
    manifest = (
        "kind: booklet\ntitle: Insert Test\ndate: 2025-02-25\nsections:\n  - intro.md\n"
        f"{entry}  - after.md\n"
    )
    folder = write_publication(folder, {"after.md": "# After the insert\n\nText.\n"},
                               manifest=manifest)
    for name, data in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def _insert_entry(name: str, extra: str = "") -> str:
    return f"  - insert: {name}\n    title: The poster\n{extra}"


def test_insert_pages_count_in_numbers_contents_and_bookmarks(tmp_path: Path) -> None:
    folder = _publication(tmp_path / "p", _insert_entry("poster.pdf"),
                          {"poster.pdf": POSTER.read_bytes()})
    result = build_into(tmp_path / "out", folder)
    pages = pdf_text_pages(result.output)
    # cover, contents, introduction, poster, after, back
    assert len(pages) == 6
    assert "After the insert" in pages[4]
    contents = " ".join(pages[1].split())
    assert re.search(r"The poster[ .]+4\b", contents), contents
    assert re.search(r"After the insert[ .]+5\b", contents), contents
    marks = outline(PdfReader(result.output))
    assert ("The poster", 4, 0) in marks
    assert ("After the insert", 5, 0) in marks
    assert any("inserted 1 page of poster.pdf" in note for note in result.notes)


def test_the_inserted_page_shows_the_insert(tmp_path: Path) -> None:
    folder = _publication(tmp_path / "p", _insert_entry("poster.pdf"),
                          {"poster.pdf": POSTER.read_bytes()})
    result = build_into(tmp_path / "out", folder)
    page = PdfReader(result.output).pages[3]
    xobjects = page["/Resources"]["/XObject"]
    images = [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]
    assert images and images[0].get_object()["/Width"] == 1748


def test_contents_link_reaches_the_insert_page(tmp_path: Path) -> None:
    folder = _publication(tmp_path / "p", _insert_entry("poster.pdf"),
                          {"poster.pdf": POSTER.read_bytes()})
    reader = PdfReader(build_into(tmp_path / "out", folder).output)
    targets = []
    for annotation in reader.pages[1].get("/Annots", []):
        annotation = annotation.get_object()
        destination = annotation.get("/Dest")
        if destination is None and "/A" in annotation:
            destination = annotation["/A"].get("/D")
        if isinstance(destination, str) or hasattr(destination, "encode"):
            destination = reader.named_destinations[str(destination)]
            targets.append(reader.get_destination_page_number(destination) + 1)
    assert 4 in targets, targets


def test_page_selection_and_stamped_numbers(tmp_path: Path) -> None:
    letter = _blank_pdf(tmp_path / "three.pdf", pages=3)
    folder = _publication(
        tmp_path / "p",
        _insert_entry("three.pdf", "    pages: 2-3\n    stamp_page_number: true\n"),
        {"three.pdf": letter.read_bytes()},
    )
    pages = pdf_text_pages(build_into(tmp_path / "out", folder).output)
    assert len(pages) == 7
    assert pages[3].strip() == "4" and pages[4].strip() == "5"


def test_insert_of_another_size_is_scaled_with_a_warning(tmp_path: Path) -> None:
    letter = _blank_pdf(tmp_path / "letter.pdf", size_mm=(215.9, 279.4))
    folder = _publication(tmp_path / "p", _insert_entry("letter.pdf"),
                          {"letter.pdf": letter.read_bytes()})
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err
    assert "letter.pdf' is 216×279 mm, not the trim size 148×210 mm; scaled to fit" in err


def test_insert_of_another_size_can_be_refused(tmp_path: Path) -> None:
    letter = _blank_pdf(tmp_path / "letter.pdf", size_mm=(215.9, 279.4))
    folder = _publication(tmp_path / "p", _insert_entry("letter.pdf", "    size: refuse\n"),
                          {"letter.pdf": letter.read_bytes()})
    message = user_error(*run_cli("build", folder, "-o", tmp_path / "out"))
    assert "not the trim size" in message.text and "size: scale" in message.text


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "is an empty file"),
    (b"Hello, this is text", "is not a PDF file"),
    (b"%PDF-1.4\n%%EOF\n", "damaged beyond repair"),
])
def test_bad_inserts_are_clear_errors(tmp_path: Path, content: bytes, expected: str) -> None:
    folder = _publication(tmp_path / "p", _insert_entry("bad.pdf"), {"bad.pdf": content})
    message = user_error(*run_cli("build", folder, "-o", tmp_path / "out"))
    assert expected in message.text
    assert "publication.yaml" in message.text and "bad.pdf" in message.text


def test_unknown_insert_option_is_named(tmp_path: Path) -> None:
    folder = _publication(tmp_path / "p", _insert_entry("p.pdf", "    scale: yes\n"),
                          {"p.pdf": POSTER.read_bytes()})
    message = user_error(*run_cli("build", folder, "-o", tmp_path / "out"))
    assert "unknown key 'scale'" in message.text and "size, stamp_page_number" in message.text


def test_password_protected_insert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    protected = next(p for p in _corpus("ordinary") if "password" in p.name)
    files = {"secret.pdf": protected.read_bytes()}
    folder = _publication(tmp_path / "p", _insert_entry("secret.pdf"), files)
    message = user_error(*run_cli("build", folder, "-o", tmp_path / "out"))
    assert "protected by a password" in message.text and "password_env" in message.text

    folder = _publication(tmp_path / "q", _insert_entry("secret.pdf", "    password: wrong\n"),
                          files)
    message = user_error(*run_cli("build", folder, "-o", tmp_path / "out"))
    assert "the password given is wrong" in message.text

    monkeypatch.setenv("LETTER_PASSWORD", "openpassword")
    folder = _publication(
        tmp_path / "r", _insert_entry("secret.pdf", "    password_env: LETTER_PASSWORD\n"), files
    )
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err


def test_damaged_corpus_files_are_used_or_refused_cleanly(tmp_path: Path) -> None:
    """Each of the 40 damaged files is inspected within the time limit: it is usable (and then
    it builds) or it is one ContentError naming it. No other exception, no hang."""
    usable = []
    for path in _corpus("damaged"):
        started = time.perf_counter()
        try:
            inspect_insert(path, InsertOptions(insert=path.name), A5, Location(path))
            usable.append(path)
        except ContentError as error:
            assert path.name in str(error)
        assert time.perf_counter() - started < 10, f"{path.name} took too long"
    assert usable, "pypdf repairs some of them; at least one should be usable"
    for path in usable[:12]:
        folder = _publication(tmp_path / path.stem, _insert_entry("d.pdf"),
                              {"d.pdf": path.read_bytes()})
        code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
        assert code in (0, 1), err
        assert "Traceback" not in err
        if code == 1:
            assert "d.pdf" in err


def test_ordinary_corpus_files_are_usable(tmp_path: Path) -> None:
    for path in _corpus("ordinary"):
        options = InsertOptions(insert=path.name)
        if "password" in path.name:
            with pytest.raises(ContentError, match="password"):
                inspect_insert(path, options, A5, Location(path))
            options = InsertOptions(insert=path.name, password="openpassword")
        insert = inspect_insert(path, options, A5, Location(path))
        assert insert.pages


def test_ordinary_corpus_files_build_as_inserts(tmp_path: Path) -> None:
    entries, files = "", {}
    for index, path in enumerate(_corpus("ordinary")):
        extra = "    password: openpassword\n" if "password" in path.name else ""
        entries += f"  - insert: inserts/{index}.pdf\n{extra}"
        files[f"inserts/{index}.pdf"] = path.read_bytes()
    folder = _publication(tmp_path / "p", entries, files)
    result = build_into(tmp_path / "out", folder)
    expected = 5 + sum(len(PdfReader(p, password="openpassword" if "password" in p.name
                                     else None).pages) for p in _corpus("ordinary"))
    assert result.pages == expected


def test_sample_booklet_has_its_poster(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "content" / "eternal-return-2025", tmp_path / "booklet")
    result = build_into(tmp_path / "out", tmp_path / "booklet")
    assert any("poster.pdf" in note for note in result.notes)
