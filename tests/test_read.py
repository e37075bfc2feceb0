"""Stage 1, read: bad sources stop the build with one located paragraph, good ones validate.

Every bad input goes through the real command (``vigil build``, in this process) and is checked
for exit code 1, the message's kind, file, line, column, key and hint, and the absence of a
traceback. These fail while reading, before anything is rendered, so they are quick.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import (
    Message,
    assert_located,
    build_error,
    jpeg_bytes,
    manifest_with,
    png_bytes,
    png_claiming,
    write_publication,
)
from vigil.errors import ContentError
from vigil.read import read_publication
from vigil.read.yamlfile import load_yaml

SECTION_MANIFEST = manifest_with(sections=("s.yaml",))


@dataclass(frozen=True)
class Bad:
    """A bad input: the files that differ from the minimal publication, and what to expect."""

    files: dict[str, str | bytes | None]
    kind: str
    file: str
    line: int | None
    column: int | None
    key: str | None
    says: tuple[str, ...] = ()
    hint: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


BAD_YAML_AND_SCHEMA: dict[str, Bad] = {
    "broken-yaml-unclosed-list": Bad(
        {"publication.yaml":
            "kind: booklet\ntitle: [Test\ndate: 2025-02-25\nsections: [intro.md]\n"},
        "content error", "publication.yaml", 3, 5, None, ("invalid YAML",),
    ),
    "broken-yaml-colon-in-value": Bad(
        {"publication.yaml":
            "kind: booklet\ntitle: Day: one\ndate: 2025-02-25\nsections: [intro.md]\n"},
        "content error", "publication.yaml", 2, 11, None,
        ("invalid YAML", "mapping values are not allowed"),
        hint="put quotes around a value that contains ': '",
    ),
    "tab-indentation": Bad(
        {"publication.yaml":
            "kind: booklet\ntitle: T\ndate: 2025-02-25\nsections:\n\t- intro.md\n"},
        "content error", "publication.yaml", 5, 1, None, ("invalid YAML", "cannot start any token"),
    ),
    "two-yaml-documents": Bad(
        {"publication.yaml": manifest_with() + "---\nextra: document\n"},
        "content error", "publication.yaml", 6, 1, None, ("invalid YAML",),
        hint="Keep one YAML document per file",
    ),
    "manifest-is-a-list": Bad(
        {"publication.yaml": "- kind\n- title\n"},
        "content error", "publication.yaml", 1, 1, None, ("expected a mapping", "found a list"),
    ),
    "unknown-key": Bad(
        {"publication.yaml": manifest_with("subtitel: A subtitle\n")},
        "content error", "publication.yaml", 4, 1, None,
        ("unknown key 'subtitel'", "did you mean 'subtitle'?"),
    ),
    "unknown-nested-key": Bad(
        {"publication.yaml": manifest_with("cover:\n  kikcer: In memory\n")},
        "content error", "publication.yaml", 5, 3, "cover",
        ("unknown key 'kikcer'", "did you mean 'kicker'?"),
    ),
    "unknown-front-matter-key": Bad(
        {"intro.md": "---\ntitel: Introduction\n---\nText.\n"},
        "content error", "intro.md", 2, 1, None, ("unknown key 'titel'", "did you mean 'title'?"),
    ),
    "unknown-block-type": Bad(
        {"publication.yaml": SECTION_MANIFEST,
         "s.yaml": "title: Programme\ntype: proceedngs\nitems:\n  - {time: '11:00', title: X}\n"},
        "content error", "s.yaml", 2, 1, "type",
        ("unknown block type 'proceedngs'", "did you mean 'proceedings'?"),
    ),
    "unknown-block-type-in-blocks-list": Bad(
        {"publication.yaml": SECTION_MANIFEST,
         "s.yaml": ("title: Figures\nblocks:\n  - type: figurez\n"
                    "    items: [{value: '1', label: x}]\n")},
        "content error", "s.yaml", 3, 5, "type",
        ("unknown block type 'figurez'", "did you mean 'figures'?"),
    ),
    "block-type-a-list": Bad(
        {"publication.yaml": SECTION_MANIFEST,
         "s.yaml": "title: Figures\nblocks:\n  - type: [figures]\n"},
        "content error", "s.yaml", 3, 5, "type",
        ("a block's 'type:' is a name, not a list", "Block types: "),
    ),
    "missing-required-key": Bad(
        {"publication.yaml": "kind: booklet\ndate: 2025-02-25\nsections: [intro.md]\n"},
        "content error", "publication.yaml", None, None, "title", ("required",),
    ),
    "wrong-type-duration": Bad(
        {"publication.yaml": SECTION_MANIFEST,
         "s.yaml": ("title: Programme\ntype: proceedings\nitems:\n  - time: '11:00'\n"
                    "    title: Address\n    duration: ten\n")},
        "content error", "s.yaml", 6, 5, "items.0.duration", ("expected a whole number", "'ten'"),
    ),
    "wrong-kind": Bad(
        {"publication.yaml": "kind: leaflet\ntitle: T\ndate: 2025-02-25\nsections: [intro.md]\n"},
        "content error", "publication.yaml", 1, 1, "kind",
        ("'booklet'", "'programme'", "'leaflet'"),
    ),
    "bad-date": Bad(
        {"publication.yaml": "kind: booklet\ntitle: T\ndate: 2025-02-30\nsections: [intro.md]\n"},
        "content error", "publication.yaml", 3, 1, "date", ("YYYY-MM-DD", "'2025-02-30'"),
    ),
    "bad-time": Bad(
        {"publication.yaml": SECTION_MANIFEST,
         "s.yaml": ("title: Programme\ntype: proceedings\nitems:\n"
                    "  - time: '25:00'\n    title: X\n")},
        "content error", "s.yaml", 4, 5, "items.0.time", ("HH:MM", "'25:00'"),
    ),
    "proceedings-out-of-order": Bad(
        {"publication.yaml": SECTION_MANIFEST,
         "s.yaml": ("title: Programme\ntype: proceedings\nitems:\n"
                    "  - {time: '11:00', title: First}\n  - {time: '10:30', title: Second}\n")},
        "content error", "s.yaml", None, None, "items",
        ("item 2 (10:30) starts before item 1 (11:00)", "in the order they happen"),
    ),
    "yaml-anchor": Bad(
        {"publication.yaml": "kind: booklet\ntitle: &t Test\nsubtitle: *t\ndate: 2025-02-25\n"
                             "sections: [intro.md]\n"},
        "content error", "publication.yaml", 2, 8, None, ("anchors (&t) are not allowed",),
        hint="Write the value out in full where it is needed",
    ),
    "yaml-alias": Bad(
        {"publication.yaml": "kind: booklet\ntitle: Test\nsubtitle: *t\ndate: 2025-02-25\n"
                             "sections: [intro.md]\n"},
        "content error", "publication.yaml", 3, 11, None, ("aliases (*t) are not allowed",),
        hint="Write the value out in full where it is needed",
    ),
    "duplicate-key": Bad(
        {"publication.yaml": "kind: booklet\ntitle: Test\ndate: 2025-02-25\ntitle: Again\n"
                             "sections: [intro.md]\n"},
        "content error", "publication.yaml", 4, 1, None,
        ("duplicate key 'title'", "first given on line 2"), hint="Keep one of the two",
    ),
    "custom-tag": Bad(
        {"publication.yaml": "kind: booklet\ntitle: !!python/object:os.system echo\n"
                             "date: 2025-02-25\nsections: [intro.md]\n"},
        "content error", "publication.yaml", 2, 8, None,
        ("python/object", "is not allowed"), hint="Remove the tag",
    ),
    "unsupported-language": Bad(
        {"publication.yaml": manifest_with("language: xx\n")},
        "content error", "publication.yaml", 4, 1, "language",
        ("unsupported language 'xx' (accepted: ",),
    ),
    "unsupported-section-language": Bad(
        {"intro.md": "---\ntitle: Intro\nlanguage: klingon\n---\nText.\n"},
        "content error", "intro.md", 3, 1, "language", ("unsupported language 'klingon'",),
    ),
    "no-sections": Bad(
        {"publication.yaml": "kind: booklet\ntitle: T\ndate: 2025-02-25\nsections: []\n"},
        "content error", "publication.yaml", 4, 1, "sections", (),
    ),
    "section-of-unknown-format": Bad(
        {"publication.yaml": manifest_with(sections=("notes.txt",)), "notes.txt": "Notes"},
        "content error", "publication.yaml", 5, 5, "sections",
        ("'notes.txt' is neither Markdown (.md) nor YAML (.yaml)",),
    ),
    "markdown-without-title": Bad(
        {"intro.md": "Just a paragraph, no heading.\n"},
        "content error", "intro.md", 1, None, None, ("the section has no title",),
        hint="Start the file with a '# Heading' line",
    ),
    "yaml-section-without-title": Bad(
        {"publication.yaml": SECTION_MANIFEST, "s.yaml": "type: quote\ntext: Words.\n"},
        "content error", "s.yaml", 1, None, "title", ("the section has no title",),
    ),
    "non-utf8": Bad(
        {"intro.md": "# Introduction\n\nCaf\xe9 au lait.\n".encode("latin-1")},
        "content error", "intro.md", 3, 4, None,
        ("not valid UTF-8", "byte 0xE9", "byte offset 19"), hint="Save the file as UTF-8",
    ),
    "missing-section-file": Bad(
        {"publication.yaml": manifest_with(sections=("intro.md", "missing.md"))},
        "resource error", "publication.yaml", 6, 5, None, ("'missing.md' does not exist",),
    ),
    "section-outside-folder": Bad(
        {"publication.yaml": manifest_with(sections=("../elsewhere.md",))},
        "resource error", "publication.yaml", 5, 5, None, ("lies outside the publication folder",),
        hint="Copy the file into the publication folder",
    ),
    "names-with-neither-names-nor-csv": Bad(
        {"publication.yaml": SECTION_MANIFEST, "s.yaml": "title: Names\ntype: names\ncolumns: 2\n"},
        "content error", "s.yaml", 1, 1, None, ("needs either 'names:'", "or 'csv:'"),
    ),
    "names-with-both-names-and-csv": Bad(
        {"publication.yaml": SECTION_MANIFEST, "n.csv": "name\nA\n",
         "s.yaml": "title: Names\ntype: names\nnames: [A]\ncsv: n.csv\n"},
        "content error", "s.yaml", 1, 1, None, ("not both",),
    ),
    "csv-without-name-column": Bad(
        {"publication.yaml": SECTION_MANIFEST, "n.csv": "who,where\nA,B\n",
         "s.yaml": "title: Names\ntype: names\ncsv: n.csv\n"},
        "content error", "n.csv", 1, None, None, ("no 'name' column",),
        hint="The first line must be a header",
    ),
    "csv-with-empty-name": Bad(
        {"publication.yaml": SECTION_MANIFEST, "n.csv": "name,note\nA,x\n,y\n",
         "s.yaml": "title: Names\ntype: names\ncsv: n.csv\n"},
        "content error", "n.csv", 3, None, "name", ("empty name",),
    ),
    "missing-csv": Bad(
        {"publication.yaml": SECTION_MANIFEST,
         "s.yaml": "title: Names\ntype: names\ncsv: gone.csv\n"},
        "resource error", "s.yaml", 3, 1, None, ("'gone.csv' does not exist",),
    ),
    "catalogue-image-without-alt": Bad(
        {"publication.yaml": SECTION_MANIFEST, "work.jpg": jpeg_bytes(),
         "s.yaml": ("title: Works\ntype: catalogue\nitems:\n  - title: Untitled\n"
                    "    image: work.jpg\n")},
        "content error", "s.yaml", 4, 5, "alt",
        ("the work 'Untitled' has an image but no alternative text",), hint="Add 'alt:'",
    ),
    "catalogue-blank-alt": Bad(
        {"publication.yaml": SECTION_MANIFEST, "work.jpg": jpeg_bytes(),
         "s.yaml": ("title: Works\ntype: catalogue\nitems:\n  - title: Untitled\n"
                    "    image: work.jpg\n    alt: '   '\n")},
        "content error", "s.yaml", None, None, "items.0.alt", ("must not be empty",),
    ),
    "cover-image-without-alt": Bad(
        {"publication.yaml": manifest_with("cover:\n  image: cover.png\n"),
         "cover.png": png_bytes()},
        "content error", "publication.yaml", 4, 1, "cover.alt",
        ("the cover image needs alternative text",), hint="Add 'alt:'",
    ),
    "catalogue-missing-image": Bad(
        {"publication.yaml": SECTION_MANIFEST,
         "s.yaml": ("title: Works\ntype: catalogue\nitems:\n  - title: Untitled\n"
                    "    image: images/gone.jpg\n    alt: A picture\n")},
        "resource error", "s.yaml", 5, 5, None, ("'images/gone.jpg' does not exist",),
    ),
}


@pytest.mark.parametrize("case", BAD_YAML_AND_SCHEMA.values(), ids=BAD_YAML_AND_SCHEMA.keys())
def test_bad_source_fails_with_located_message(case: Bad, tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub", case.files)
    message = build_error(folder, tmp_path / "out")
    assert message.kind == case.kind
    assert_located(message, case.file, case.line, case.column, case.key)
    for part in case.says:
        assert part in message.text
    if case.hint:
        assert case.hint in message.text


# ---------------------------------------------------------------- images


def _image_publication(tmp_path: Path, reference: str,
                       files: dict[str, str | bytes | None] | None = None) -> Path:
    body = f"# Introduction\n\nA picture:\n\n![A picture]({reference})\n"
    return write_publication(tmp_path / "pub", {"intro.md": body, **(files or {})})


def _image_error(tmp_path: Path, reference: str,
                 files: dict[str, str | bytes | None] | None = None) -> Message:
    folder = _image_publication(tmp_path, reference, files)
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error"
    assert_located(message, "intro.md")
    assert ", line " in message.text
    return message


def test_missing_image(tmp_path: Path) -> None:
    message = _image_error(tmp_path, "images/nowhere.png")
    assert "'images/nowhere.png' does not exist" in message.text


def test_image_outside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "outside.png").write_bytes(png_bytes())
    message = _image_error(tmp_path, "../outside.png")
    assert "'../outside.png' lies outside the publication folder" in message.text
    assert "Copy the file into the publication folder" in message.text


def test_symlink_leading_outside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "outside.png").write_bytes(png_bytes())
    folder = _image_publication(tmp_path, "link.png")
    (folder / "link.png").symlink_to(tmp_path / "outside.png")
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error"
    assert "'link.png' lies outside the publication folder" in message.text


def test_symlinked_section_and_csv_leading_outside(tmp_path: Path) -> None:
    (tmp_path / "secret.md").write_text("# Secret\n\nNot for printing.\n")
    folder = write_publication(tmp_path / "pub", {"publication.yaml": manifest_with(
        sections=("intro.md", "linked.md"))})
    (folder / "linked.md").symlink_to(tmp_path / "secret.md")
    message = build_error(folder, tmp_path / "out")
    assert_located(message, "publication.yaml", 6, 5)
    assert "'linked.md' lies outside the publication folder" in message.text


def test_symlink_inside_the_folder_is_allowed(tmp_path: Path) -> None:
    folder = _image_publication(tmp_path, "link.png", {"images/real.png": png_bytes()})
    (folder / "link.png").symlink_to(folder / "images" / "real.png")
    publication = read_publication(folder)
    assert publication.sections[0].title == "Introduction"


@pytest.mark.parametrize("reference", ["https://example.com/picture.png",
                                       "http://127.0.0.1/x.png", "ftp://example.com/x.png"])
def test_network_image(tmp_path: Path, reference: str) -> None:
    message = _image_error(tmp_path, reference)
    assert f"'{reference}' is on the network" in message.text
    assert "Download the file into the publication folder" in message.text


def test_absolute_image_path(tmp_path: Path) -> None:
    existing = tmp_path / "elsewhere.png"
    existing.write_bytes(png_bytes())
    message = _image_error(tmp_path, existing.as_posix())
    assert "is an absolute path" in message.text
    assert "Write the path relative to the publication folder" in message.text


def test_file_url_image_in_a_catalogue(tmp_path: Path) -> None:
    existing = tmp_path / "elsewhere.png"
    existing.write_bytes(png_bytes())
    folder = write_publication(tmp_path / "pub", {
        "publication.yaml": SECTION_MANIFEST,
        "s.yaml": ("title: Works\ntype: catalogue\nitems:\n  - title: Untitled\n"
                   f"    image: {existing.as_uri()}\n    alt: A picture\n"),
    })
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error"
    assert_located(message, "s.yaml", 5, 5)
    assert "uses the 'file:' scheme" in message.text


def test_network_cover_image(tmp_path: Path) -> None:
    manifest = manifest_with("cover:\n  image: https://example.com/c.jpg\n  alt: A cover\n")
    folder = write_publication(tmp_path / "pub", {"publication.yaml": manifest})
    message = build_error(folder, tmp_path / "out")
    assert_located(message, "publication.yaml", 5, 3)
    assert "is on the network" in message.text


def test_file_url_in_markdown_is_an_error(tmp_path: Path) -> None:
    """A file: image is refused by its scheme, as in a catalogue (not left as text, unseen);
    nothing outside is read (see test_security for the variants)."""
    existing = tmp_path / "elsewhere.png"
    existing.write_bytes(png_bytes())
    message = _image_error(tmp_path, existing.as_uri())
    assert message.kind == "resource error"
    assert "uses the 'file:' scheme" in message.text


def test_fake_image(tmp_path: Path) -> None:
    message = _image_error(tmp_path, "fake.png", {"fake.png": "this is text, not a picture\n"})
    assert "image 'fake.png' is damaged or not an image" in message.text
    assert "export it again as JPEG or PNG" in message.text


def test_truncated_jpeg(tmp_path: Path) -> None:
    whole = jpeg_bytes()
    message = _image_error(tmp_path, "cut.jpg", {"cut.jpg": whole[: len(whole) // 2]})
    assert "image 'cut.jpg' is damaged or not an image" in message.text
    assert "truncated" in message.text


def test_decompression_bomb(tmp_path: Path) -> None:
    bomb = png_claiming(20_000, 20_000)
    assert len(bomb) < 1000
    message = _image_error(tmp_path, "bomb.png", {"bomb.png": bomb})
    assert "image 'bomb.png' is too large to decode safely" in message.text
    assert "decompression bomb" in message.text


def test_image_with_too_many_pixels(tmp_path: Path) -> None:
    message = _image_error(tmp_path, "big.png", {"big.png": png_claiming(8000, 8000)})
    assert "8000×8000 pixels, more than the 60 million allowed" in message.text
    assert "Scale it down" in message.text


def test_refused_image_format(tmp_path: Path) -> None:
    from PIL import Image

    folder = _image_publication(tmp_path, "scan.tif")
    Image.new("RGB", (20, 20), (0, 0, 0)).save(folder / "scan.tif", format="TIFF")
    message = build_error(folder, tmp_path / "out")
    assert "image 'scan.tif' is a TIFF file" in message.text
    assert "JPEG, PNG" in message.text


def test_markdown_image_error_names_the_real_line(tmp_path: Path) -> None:
    body = ("---\ntitle: Introduction\nnew_page: true\n---\n"
            "# Introduction\n\nText.\n\n![A](gone.png)\n")
    folder = write_publication(tmp_path / "pub", {"intro.md": body})
    message = build_error(folder, tmp_path / "out")
    assert_located(message, "intro.md", 9)


# ---------------------------------------------------------------- message wording


def test_text_where_a_list_is_expected(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub",
                               {"publication.yaml": manifest_with("keywords: one, two\n")})
    message = build_error(folder, tmp_path / "out")
    assert_located(message, "publication.yaml", 4, 1, "keywords")
    assert "expected a list" in message.text


def test_date_written_without_dashes(tmp_path: Path) -> None:
    manifest = "kind: booklet\ntitle: T\ndate: 20250225\nsections: [intro.md]\n"
    folder = write_publication(tmp_path / "pub", {"publication.yaml": manifest})
    message = build_error(folder, tmp_path / "out")
    assert_located(message, "publication.yaml", 3, 1, "date")
    assert "YYYY-MM-DD" in message.text


def test_unsupported_language_lists_the_locale_files(tmp_path: Path) -> None:
    from vigil.i18n import available_languages

    folder = write_publication(tmp_path / "pub", {"publication.yaml": manifest_with(
        "language: xx\n")})
    message = build_error(folder, tmp_path / "out")
    listed = message.text.split("(accepted: ")[1].split(")")[0].split(", ")
    assert listed == list(available_languages())
    assert {"en", "az", "ru", "tr"} <= set(listed)


def test_markdown_image_line_without_front_matter(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub", {
        "intro.md": "# Introduction\n\nOne.\n\nTwo.\n\n![A](gone.png)\n"})
    message = build_error(folder, tmp_path / "out")
    assert_located(message, "intro.md", 7)


# ---------------------------------------------------------------- what reads correctly


def test_plain_scalars_stay_text() -> None:
    data, positions = load_yaml(
        "a: NO\nb: 1.10\nc: 12:30\nd: yes\ne: 010\nf: 2025-02-25\ng: ~\nh: ''\ni: .inf\n",
        Path("x.yaml"),
    )
    assert data == {"a": "NO", "b": "1.10", "c": "12:30", "d": "yes", "e": "010",
                    "f": "2025-02-25", "g": None, "h": "", "i": ".inf"}
    assert positions[("c",)].line == 3


def test_yaml_positions_shift_for_front_matter() -> None:
    _, positions = load_yaml("title: X\nintro: Y\n", Path("a.md"), line_offset=1)
    assert positions[("intro",)].line == 3


def test_strings_that_look_like_other_types_survive_validation(tmp_path: Path) -> None:
    manifest = ("kind: booklet\ntitle: NO\nsubtitle: 1.10\norganiser: 12:30\nplace: yes\n"
                "date: 2025-02-25\nsections: [intro.md]\n")
    folder = write_publication(tmp_path / "p", {"publication.yaml": manifest})
    publication = read_publication(folder)
    meta = publication.meta
    assert (meta.title, meta.subtitle, meta.organiser, meta.place) == ("NO", "1.10", "12:30", "yes")


def test_byte_order_mark_and_crlf_are_accepted(tmp_path: Path) -> None:
    manifest = "\ufeff" + manifest_with("subtitle: Windows\n").replace("\n", "\r\n")
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest.encode("utf-8"),
        "intro.md": "\ufeff# Heading\r\n\r\nBody.\r\n".encode(),
    })
    publication = read_publication(folder)
    assert publication.meta.subtitle == "Windows"
    assert publication.sections[0].title == "Heading"
    assert "\r" not in (publication.sections[0].markdown or "")


def test_manifest_path_is_accepted_for_its_folder(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p")
    assert read_publication(folder / "publication.yaml").folder == folder.resolve()


def test_error_outside_any_publication_folder(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="no such publication folder"):
        read_publication(tmp_path / "absent")
    with pytest.raises(ContentError, match=r"has no publication\.yaml"):
        read_publication(tmp_path)


def test_scaffold_booklet_reads_as_documented(tmp_path: Path) -> None:
    from vigil.scaffold import scaffold

    folder = tmp_path / "booklet"
    scaffold("booklet", folder)
    publication = read_publication(folder)
    assert [s.title for s in publication.sections] == [
        "Foreword", "Order of proceedings", "Figures", "Timeline", "Works shown",
        "Roll of names", "Acknowledgements",
    ]
    names = publication.sections[5].blocks[0]
    assert getattr(names, "names", None) == [f"Example Name {n}" for n in
                                             ("One", "Two", "Three", "Four", "Five", "Six")]
    assert folder / "images" / "example.png" in publication.sources


def test_section_ids_are_unique_for_files_of_the_same_name(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest_with(sections=("a/notes.md", "b/notes.md", "notes.yaml")),
        "a/notes.md": "# First\n\nOne.\n",
        "b/notes.md": "# Second\n\nTwo.\n",
        "notes.yaml": "title: Third\ntype: quote\ntext: Three.\n",
    })
    ids = [section.id for section in read_publication(folder).sections]
    assert ids == ["notes", "notes-2", "notes-3"]


def test_front_matter_title_and_flags(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": "---\ntitle: Front Title\nnew_page: false\ntoc: false\nlanguage: az\n---\n"
                    "# Another heading\n\nText.\n",
    })
    section = read_publication(folder).sections[0]
    assert section.title == "Front Title"
    assert (section.new_page, section.toc, section.language) == (False, False, "az")
    assert "# Another heading" in (section.markdown or "")


def test_proceedings_time_with_a_dot_is_normalised(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": SECTION_MANIFEST,
        "s.yaml": "title: P\ntype: proceedings\nitems:\n  - {time: '9.05', title: A}\n"
                  "  - {time: '23:59', title: B}\n",
    })
    block = read_publication(folder).sections[0].blocks[0]
    assert [item.time for item in block.items] == ["9:05", "23:59"]  # type: ignore[attr-defined]


def test_source_too_large(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {"intro.md": "# Big\n\n" + "x" * (5 * 2**20 + 10)})
    message = build_error(folder, tmp_path / "out")
    assert_located(message, "intro.md")
    assert "more than the 5120 KiB" in message.text


@pytest.mark.skipif(os.name != "posix", reason="needs a POSIX file system")
def test_unreadable_folder_entry_is_named(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {"publication.yaml": manifest_with(
        sections=("chapter.md",))})
    (folder / "chapter.md").mkdir()
    message = build_error(folder, tmp_path / "out")
    assert "'chapter.md' is not a file" in message.text
