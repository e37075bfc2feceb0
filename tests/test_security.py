"""Hostile input (issue #16): content reads nothing outside the publication, leaks no build
path into the PDF, cannot overwrite outputs, and nothing it asks for is dropped silently.

Every test builds real publications written into ``tmp_path`` (half a second each) through the
command line or the library, and judges what a user would see: the message, the PDF's bytes,
its links, the files written.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    ROOT,
    Message,
    build_error,
    manifest_with,
    pdf_reader,
    pdf_text_pages,
    png_bytes,
    run_cli,
    user_error,
    write_publication,
)
from vigil.resources import fonts_dir

THEME = ROOT / "src" / "vigil" / "themes" / "memorial"
FONTS_CSS = (THEME / "fonts.css").read_text(encoding="utf-8")
A_FONT = ROOT / "src" / "vigil" / "fonts" / "NotoSans-Regular.ttf"


# ---------------------------------------------------------------- who opens what

_opened: list[str] = []
_recording = threading.Event()


def _audit(event: str, arguments: tuple[object, ...]) -> None:
    if event == "open" and _recording.is_set() and arguments and \
            isinstance(arguments[0], (str, bytes, os.PathLike)):
        _opened.append(os.fsdecode(arguments[0]))


sys.addaudithook(_audit)


@contextmanager
def opened_files() -> Iterator[list[str]]:
    """The paths this process opens meanwhile (Python's audit event 'open')."""
    _opened.clear()
    _recording.set()
    try:
        yield _opened
    finally:
        _recording.clear()


def strict_error(folder: Path, output: Path) -> Message:
    """Build ``folder`` with ``--strict``, expect a one-paragraph failure and no PDF."""
    message = user_error(*run_cli("build", "--strict", folder, "-o", output))
    assert not list(output.glob("*.pdf")) if output.exists() else True
    return message


# ---------------------------------------------------------------- 1. reading outside the sandbox

# Where a theme (a publication's own templates: content too) can name a file, with REF standing
# for the reference: each goes through the one resolver (vigil.sandbox.resolve_url).
CONTEXTS: dict[str, Callable[[str], dict[str, str | bytes | None]]] = {
    "font-face": lambda ref: {"templates/fonts.css": FONTS_CSS + (
        f'\n@font-face {{ font-family: "Vigil Serif"; src: url("{ref}"); font-weight: 300; }}\n'
    )},
    "css-url": lambda ref: {"templates/fonts.css": FONTS_CSS + (
        f'\n.cover {{ background-image: url("{ref}"); }}\n')},
    "css-import": lambda ref: {"templates/fonts.css": f'@import url("{ref}");\n' + FONTS_CSS},
    "img": lambda ref: {"templates/cover.html": (
        f'<section class="cover" id="cover"><img src="{ref}" alt="x"></section>\n')},
    "svg-href": lambda ref: {
        "templates/cover.html": (
            '<section class="cover" id="cover"><img src="drawing.svg" alt="x"></section>\n'),
        "drawing.svg": (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="40" height="40"><image xlink:href="{ref}" width="40" height="40"/></svg>'),
    },
}


def _references(tmp: Path, target: str) -> dict[str, tuple[str, dict[str, Path]]]:
    """Ways of naming ``tmp/outside/<target>`` from the publication ``tmp/p``: the reference,
    and the symbolic links the publication must hold for it."""
    outside = tmp / "outside" / target
    fonts_up = os.path.relpath(outside, fonts_dir().resolve())
    return {
        "dotdot": (f"../outside/{target}", {}),
        "absolute": (str(outside), {}),
        "file-url": (outside.as_uri(), {}),
        "file-url-encoded": (f"{(tmp / 'p').as_uri()}/%2e%2e/outside/{target}", {}),
        "symlink": ("link.ttf", {"link.ttf": outside}),
        "symlinked-folder": ("shared/" + target, {"shared": outside.parent}),
        "vigil-dotdot": (f"vigil://publication/../outside/{target}", {}),
        "vigil-encoded": (f"vigil://publication/%2E%2E/outside/{target}", {}),
        "vigil-fonts": (f"vigil://fonts/{fonts_up}", {}),
        "vigil-unknown": (f"vigil://outside/{target}", {}),
    }


REFERENCE_NAMES = list(_references(Path("/x"), "t"))


def _hostile(tmp: Path, context: str, reference: str, target: str) -> Path:
    (tmp / "outside").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(A_FONT, tmp / "outside" / "secret.ttf")
    ref, links = _references(tmp, target)[reference]
    folder = write_publication(tmp / "p", CONTEXTS[context](ref))
    for name, destination in links.items():
        (folder / name).symlink_to(destination)
    return folder


@pytest.mark.parametrize("reference", REFERENCE_NAMES)
@pytest.mark.parametrize("context", list(CONTEXTS))
def test_nothing_outside_is_read(tmp_path: Path, context: str, reference: str) -> None:
    """Every way of naming a file outside, in every place a theme names files, is refused with
    a one-paragraph error; the file is never opened; and the message for a file that exists is
    the message for one that does not (no probe of the machine's files)."""
    messages = []
    for target in ("secret.ttf", "absent.ttf"):
        tmp = tmp_path / target.split(".")[0]
        folder = _hostile(tmp, context, reference, target)
        with opened_files() as opened:  # --whole: laid out in this process, seen by the hook
            message = user_error(*run_cli("build", "--whole", folder, "-o", tmp / "out"))
        assert not list((tmp / "out").glob("*.pdf")) if (tmp / "out").exists() else True
        assert message.kind == "resource error", message.text
        assert "Traceback" not in message.text
        read = [p for p in opened if "outside" in Path(p).parts]
        assert not read, f"vigil opened {read}"
        messages.append(message.text.replace(str(tmp), "TMP").replace(target, "TARGET"))
    assert messages[0] == messages[1], "the error tells whether the outside file exists"


def test_font_face_refusal_names_the_theme_line(tmp_path: Path) -> None:
    folder = _hostile(tmp_path, "font-face", "dotdot", "secret.ttf")
    message = build_error(folder, tmp_path / "out")
    lines = (folder / "templates" / "fonts.css").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "../outside" in text)
    assert f"templates/fonts.css, line {line}:" in message.text
    assert "@font-face" in message.text


def test_font_face_with_a_file_that_is_no_font(tmp_path: Path) -> None:
    """A font source inside the publication that is not a font: an error, not fontTools'
    traceback."""
    folder = write_publication(tmp_path / "p", {
        "notes.ttf": b"this is not a font",
        "templates/fonts.css": FONTS_CSS + (
            '\n@font-face { font-family: "Broken"; src: url("notes.ttf"); }\n'
            'body { font-family: "Broken", "Vigil Serif"; }\n'),
    })
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error"
    assert "'notes.ttf' cannot be read" in message.text
    assert "templates/fonts.css, line " in message.text, message.text


def test_the_resolver_refuses_the_same_way_everywhere(tmp_path: Path) -> None:
    """The fetcher, the coverage check and the pictures' checks share one resolver."""
    from vigil.errors import ResourceError
    from vigil.sandbox import resolve_url

    root = tmp_path / "p"
    root.mkdir()
    (root / "ok.png").write_bytes(png_bytes())
    mounts = {"publication": root}
    assert resolve_url("vigil://publication/ok.png", mounts) == (root / "ok.png").resolve()
    assert resolve_url("ok.png", mounts, root.as_uri() + "/") == (root / "ok.png").resolve()
    for hostile in ("vigil://publication/%00.png", "vigil://publication/" + "a/" * 5000,
                    "file://otherhost/etc/passwd", "javascript:alert(1)", "\x00",
                    "vigil://publication@x/ok.png", "vigil:///etc/passwd"):
        with pytest.raises(ResourceError):
            resolve_url(hostile, mounts, root.as_uri() + "/")


def test_markdown_image_outside_is_refused_without_reading_it(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.png").write_bytes(png_bytes())
    for reference in ("../outside/secret.png", str(tmp_path / "outside" / "secret.png"),
                      (tmp_path / "outside" / "secret.png").as_uri(),
                      "%2e%2e/outside/secret.png"):
        folder = write_publication(tmp_path / "p", {
            "intro.md": f"# Introduction\n\n![A picture]({reference})\n"})
        with opened_files() as opened:
            message = build_error(folder, tmp_path / "out")
        assert message.kind == "resource error"
        assert "intro.md, line 3:" in message.text
        assert not [p for p in opened if "outside" in Path(p).parts]


@pytest.mark.parametrize(("reference", "words"), [
    ('"../outside/secret.png"', "lies outside the publication folder"),
    ('"TMP/outside/secret.png"', "is an absolute path"),
    ('"file://TMP/outside/secret.png"', "uses the 'file:' scheme"),
    ('"vigil://publication/../outside/secret.png"', "uses the 'vigil:' scheme"),
    ('"link.png"', "lies outside the publication folder"),
    ('"a\\0b.png"', "control character"),
    ('"a\\tb.png"', "control character"),
    ('"%2e%2e/outside/secret.png"', "does not exist"),
])
def test_hostile_references_in_yaml(tmp_path: Path, reference: str, words: str) -> None:
    """Files named in publication.yaml (here the cover picture) go through the sandbox too."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.png").write_bytes(png_bytes())
    manifest = manifest_with(
        f"cover:\n  image: {reference.replace('TMP', str(tmp_path))}\n  alt: A cover\n")
    folder = write_publication(tmp_path / "p", {"publication.yaml": manifest})
    (folder / "link.png").symlink_to(tmp_path / "outside" / "secret.png")
    with opened_files() as opened:
        message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error"
    assert "publication.yaml, line 5" in message.text and words in message.text, message.text
    assert not [p for p in opened if "outside" in Path(p).parts]


# ---------------------------------------------------------------- 2. links in Markdown

LINKED_SOURCES: dict[str, str | bytes | None] = {
    "publication.yaml": manifest_with(sections=("intro.md", "foreword.md", "figures.yaml")),
    "intro.md": (
        "# Introduction\n\n"
        "Read [the foreword](foreword.md) and [the figures](figures.yaml#top), "
        "[our site](https://example.org/memory) or [write](mailto:office@example.org).\n\n"
        "The [minutes](proceedings.yaml) are not a section.\n"
    ),
    "foreword.md": "# Foreword\n\nWords of the foreword.\n",
    "figures.yaml": (
        "title: Figures\ntype: figures\nitems:\n  - value: \"613\"\n    label: names\n"),
    "proceedings.yaml": "not: a section\n",
}


def _links(pdf: Path) -> tuple[list[str], list[int]]:
    """The URIs of the PDF's link annotations, and the pages (1-based) its internal links
    lead to."""
    reader = pdf_reader(pdf)
    uris: list[str] = []
    targets: list[int] = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            action = action.get_object() if action is not None else {}
            if "/URI" in action:
                uris.append(str(action["/URI"]))
                continue
            destination = annotation.get("/Dest") or action.get("/D")
            if destination is None:
                continue
            if isinstance(destination, list):  # [page, /XYZ, ...]
                targets.append(reader.get_page_number(destination[0].get_object()) + 1)
            else:  # a named destination
                named = reader.named_destinations[str(destination)]
                targets.append(reader.get_destination_page_number(named) + 1)
    return uris, targets


def test_links_to_sections_become_internal(tmp_path: Path) -> None:
    import vigil

    folder = write_publication(tmp_path / "p", LINKED_SOURCES)
    result = vigil.build(folder, tmp_path / "out")
    uris, targets = _links(result.output)
    assert sorted(set(uris)) == ["https://example.org/memory", "mailto:office@example.org"]
    pages = [p.replace("\xa0", " ") for p in pdf_text_pages(result.output)]
    foreword = next(i for i, text in enumerate(pages, 1) if "Words of the foreword." in text)
    figures = next(i for i, text in enumerate(pages, 1) if "613" in text)
    assert foreword in targets and figures in targets, (targets, foreword, figures)
    warning = [w for w in result.report.warnings if "proceedings.yaml" in w]
    assert warning and "intro.md, line 5:" in warning[0], result.report.warnings
    assert "minutes" in pages[2], "the dropped link's text is kept"


DROPPED_LINKS = [
    "proceedings.yaml", "../other/foreword.md", "/etc/passwd", "file:///etc/passwd",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>",
    "vbscript:msgbox", "%2e%2e/%2e%2e/etc/passwd", "ftp://example.org/x", "foreword.md?x=1",
]


@pytest.mark.parametrize("href", DROPPED_LINKS)
def test_other_links_are_dropped_loudly(tmp_path: Path, href: str) -> None:
    folder = write_publication(tmp_path / "p", {
        **LINKED_SOURCES,
        "intro.md": f"# Introduction\n\nA first line,\nthen [a link]({href}).\n",
    })
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err
    assert "intro.md, line 4:" in err and "was dropped" in err, err
    uris, _ = _links(tmp_path / "out" / "p.pdf")
    assert uris == [], "a link the rules drop reached the PDF"
    assert "file:" not in (tmp_path / "out" / "p.pdf").read_bytes().decode("latin-1")
    strict = strict_error(folder, tmp_path / "strict")
    assert "intro.md, line 4:" in strict.text and "was dropped" in strict.text


@pytest.mark.parametrize("href", [
    "notes.md", "../secret.pdf", "file:///etc/passwd", "javascript:alert(1)", "data:,x",
])
def test_links_a_template_writes_are_judged_too(tmp_path: Path, href: str) -> None:
    folder = write_publication(tmp_path / "p", {
        "notes.md": "# Notes\n",
        "templates/cover.html": (
            '<section class="cover" id="cover">\n'
            f'<p><a href="{href}">Read more</a>, or <a href="https://example.org">the site</a>'
            "</p>\n</section>\n"),
    })
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err
    assert "templates/cover.html, line 2:" in err and "was dropped" in err, err
    pdf = tmp_path / "out" / "p.pdf"
    assert _links(pdf)[0] == ["https://example.org"]
    assert "Read more" in pdf_text_pages(pdf)[0]
    strict = strict_error(folder, tmp_path / "strict")
    assert "cover.html, line 2:" in strict.text


def test_same_sources_in_two_folders_give_the_same_bytes(tmp_path: Path) -> None:
    import vigil

    first = write_publication(tmp_path / "a" / "p", LINKED_SOURCES)
    second = write_publication(tmp_path / "b" / "deeper" / "folder" / "p", LINKED_SOURCES)
    one = vigil.build(first, tmp_path / "out-a").output.read_bytes()
    two = vigil.build(second, tmp_path / "out-b").output.read_bytes()
    assert one == two
    assert str(tmp_path).encode() not in one


# ---------------------------------------------------------------- 9. nothing dropped silently

RAW_HTML = [
    "Some <b>bold</b> words.",
    "<script>alert(1)</script>",
    "<div class=\"box\">\nboxed\n</div>",
    "Before <!-- a comment --> after.",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<iframe src=\"file:///etc/passwd\"></iframe>",
]


@pytest.mark.parametrize("html", RAW_HTML)
def test_raw_html_is_shown_as_text_and_told(tmp_path: Path, html: str) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": f"# Introduction\n\nA paragraph.\n\n{html}\n"})
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err
    assert "intro.md, line 5:" in err and "is HTML, which vigil prints as text" in err, err
    text = pdf_text_pages(tmp_path / "out" / "p.pdf")[2]
    assert "<" in text, "the HTML should be shown as text, as written"
    assert _links(tmp_path / "out" / "p.pdf")[0] == []
    strict = strict_error(folder, tmp_path / "strict")
    assert "intro.md, line 5:" in strict.text and "is HTML" in strict.text


@pytest.mark.parametrize("src", [
    "file:///etc/passwd", "FILE:///etc/passwd", "file://localhost/etc/hostname",
    "file:images/a.png", "data:image/png;base64,iVBORw0KGgo=", "javascript:alert(1)",
])
def test_image_with_a_scheme_is_an_error(tmp_path: Path, src: str) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": f"# Introduction\n\nA paragraph.\n\n![A picture]({src})\n",
        "images/a.png": png_bytes(),
    })
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error"
    assert "intro.md, line 5:" in message.text and "scheme" in message.text


@pytest.mark.parametrize("css", [
    '@import url("extra.css");', "@import 'extra.css';", '@import "extra.css" print;',
    "@IMPORT url(extra.css);",
])
def test_import_after_other_rules_is_told(tmp_path: Path, css: str) -> None:
    folder = write_publication(tmp_path / "p", {
        "templates/fonts.css": FONTS_CSS + "\n" + css + "\n",
        "templates/extra.css": "body { color: red; }\n",
    })
    line = len((FONTS_CSS + "\n").splitlines()) + 1
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err
    assert f"templates/fonts.css, line {line}:" in err and "is ignored" in err, err
    strict = strict_error(folder, tmp_path / "strict")
    assert "@import" in strict.text and f"fonts.css, line {line}:" in strict.text


SVG_BODY = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">' \
           '<rect width="40" height="40" fill="#8c2f2a"/></svg>'


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE svg SYSTEM "file:///etc/passwd">',
    '<!DOCTYPE svg PUBLIC "-//Evil//DTD X//EN" "http://example.org/x.dtd">',
    "<!DOCTYPE svg SYSTEM 'local.dtd'>",
    '<!DOCTYPE svg SYSTEM "http://example.org/x.dtd" [ <!ENTITY a "b"> ]>',
])
def test_svg_external_dtd_is_told(tmp_path: Path, doctype: str) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": "# Introduction\n\nA paragraph.\n\n![A red square](square.svg)\n",
        "square.svg": f'<?xml version="1.0"?>\n{doctype}\n{SVG_BODY}\n',
    })
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err
    assert "intro.md, line 5:" in err and "'square.svg' names the document type" in err, err
    strict = strict_error(folder, tmp_path / "strict")
    assert "square.svg" in strict.text


def test_svg_with_the_w3c_dtd_is_quiet(tmp_path: Path) -> None:
    doctype = ('<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
               '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">')
    folder = write_publication(tmp_path / "p", {
        "intro.md": "# Introduction\n\n![A red square](square.svg)\n",
        "square.svg": f'<?xml version="1.0"?>\n{doctype}\n{SVG_BODY}\n',
    })
    code, _, err = run_cli("build", "--strict", folder, "-o", tmp_path / "out")
    assert code == 0 and "document type" not in err, err


# ---------------------------------------------------------------- 7. copies cannot overwrite

def _copies(folder: Path, rows: list[str], pattern: str = "{school}") -> Path:
    manifest = manifest_with(f"variants:\n  csv: schools.csv\n  file: \"{pattern}\"\n")
    csv_text = "school,city\n" + "".join(f"{row},Baku\n" for row in rows)
    return write_publication(folder, {"schools.csv": csv_text}, manifest=manifest)


@pytest.mark.parametrize(("rows", "pattern", "line", "words"), [
    (["One", "p"], "{school}", 3, "the publication's own PDF"),
    (["P"], "{school}", 2, "the publication's own PDF"),
    (["One"], "{name}", 2, "the publication's own PDF"),
    (["p-print"], "{school}", 2, "the publication's own PDF"),
    (["P-Print-Imposed"], "{school}", 2, "the publication's own PDF"),
    (["p.ru"], "{school}", 2, "the publication's own PDF"),
    (["p-archive"], "{school}", 2, "the publication's own PDF"),
    (["One", "Two", "one"], "{school}", 4, "as line 2 does"),
    (["Ünal", "ÜNAL"], "{school}", 3, "as line 2 does"),
    (["A/B", "A-B"], "{school}", 3, "as line 2 does"),
    (["Ten-print"], "{school}", 2, "ends in '-print'"),
    (["x" * 201], "{school}", 2, "more than the 200"),
    (["ş" * 101], "{school}", 2, "more than the 200"),
    (["CON"], "{school}", 2, "Windows reserves"),
    (["nul.txt"], "{school}", 2, "Windows reserves"),
    (["/..//"], "{school}", 2, "empty file name"),
])
def test_copy_names_collide_loudly(tmp_path: Path, rows: list[str], pattern: str, line: int,
                                   words: str) -> None:
    out = tmp_path / "out"
    good = _copies(tmp_path / "p", ["One"], "{name}-{row}")
    code, _, err = run_cli("build", good, "-o", out)
    assert code == 0, err
    before = (out / "p.pdf").read_bytes()
    folder = _copies(tmp_path / "p", rows, pattern)
    message = user_error(*run_cli("build", "--force", folder, "-o", out))
    assert message.kind == "content error"
    assert f"schools.csv, line {line}:" in message.text, message.text
    assert words in message.text, message.text
    assert (out / "p.pdf").read_bytes() == before, "the publication's PDF was overwritten"


def test_copy_names_stay_in_the_output_folder(tmp_path: Path) -> None:
    folder = _copies(tmp_path / "p", ["../../escape", "a\\..\\b", ".hidden"])
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err
    written = sorted(p.name for p in (tmp_path / "out").glob("*.pdf"))
    assert written == ["a-..-b.pdf", "escape.pdf", "hidden.pdf", "p.pdf"]
    assert not list(tmp_path.glob("*.pdf")) and not (tmp_path / "escape.pdf").exists()


# ---------------------------------------------------------------- 3. the theme's own glyphs


def _theme_css(tmp: Path) -> tuple[str, dict[str, Path]]:
    """The memorial theme's style sheets as a document gets them, and the folders it reads."""
    import re

    from vigil.compose import compose_html
    from vigil.profiles import get_profile
    from vigil.read import read_publication

    composed = compose_html(read_publication(write_publication(tmp / "p")),
                            get_profile("screen"))
    css = "\n".join(re.findall(r"<style[^>]*>(.*?)</style>", composed.html, re.S))
    return css, composed.mounts


def _faces(css: str, mounts: dict[str, Path]) -> dict[str, list[Path]]:
    """Family (lower case) → the font files of its @font-face rules."""
    import tinycss2

    from vigil.check.coverage import _declarations, _families
    from vigil.sandbox import resolve_url

    faces: dict[str, list[Path]] = {}
    for rule in tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "font-face":
            declarations = _declarations(rule.content)
            family = _families(declarations["font-family"])[0].lower()
            url = next(t for t in declarations["src"] if t.type in ("url", "function"))
            reference = url.value if url.type == "url" else url.arguments[0].value
            faces.setdefault(family, []).append(resolve_url(reference, mounts))
    return faces


def _generated(css: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(where, characters, font families) of every text the style sheets generate: content
    strings and leaders, counters, list markers, quotes; in rules and page-margin boxes."""
    import tinycss2

    from vigil.check.coverage import _declarations, _families, _list_style, marker_text

    found: list[tuple[str, str, tuple[str, ...]]] = []
    body = ("Vigil Serif",)

    def judge(where: str, declarations: dict[str, list[Any]],
              families: tuple[str, ...]) -> None:
        own = _families(declarations.get("font-family", [])) or families
        for token in declarations.get("content", []):
            kind = token.type
            if kind == "string":
                found.append((where, token.value, own))
            elif kind == "function":
                name = token.lower_name
                if name == "leader":
                    found.extend((where, a.value, own) for a in token.arguments
                                 if a.type == "string")
                elif name in ("counter", "counters", "target-counter"):
                    found.append((where, "0123456789", own))
        for key in ("list-style", "list-style-type"):
            style = _list_style(declarations.get(key, []))
            if style:
                found.append((where, marker_text(style), own))
        quotes = [t for t in declarations.get("quotes", []) if t.type == "string"]
        if quotes:
            found.append((where, "".join(t.value for t in quotes), own))

    def walk(rules: Iterable[Any], families: tuple[str, ...]) -> None:
        for rule in rules:
            kind = rule.type
            if kind == "qualified-rule":
                where = tinycss2.serialize(rule.prelude).strip()
                judge(where, _declarations(rule.content), families)
            elif kind == "at-rule" and rule.content is not None:
                keyword = rule.lower_at_keyword
                if keyword == "page":
                    page = _declarations(rule.content)
                    inner = tinycss2.parse_blocks_contents(
                        rule.content, skip_whitespace=True, skip_comments=True)
                    for box in inner:
                        if box.type == "at-rule" and box.content is not None:
                            declarations = {**page, **_declarations(box.content)}
                            judge(f"@page @{box.lower_at_keyword}", declarations, families)
                elif keyword == "media":
                    walk(tinycss2.parse_rule_list(rule.content, skip_whitespace=True,
                                                  skip_comments=True), families)

    walk(tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True), body)
    return found


def test_every_glyph_the_theme_generates_is_in_the_bundled_fonts(tmp_path: Path) -> None:
    """Bullets, leaders, quotes, dashes, ornaments, markers of nested lists: each character
    the theme's CSS generates is in every face (regular, italic, bold) of the family that
    sets it; and so are the quotation marks of every language vigil speaks."""
    import yaml

    from vigil.check.coverage import cmap

    css, mounts = _theme_css(tmp_path)
    faces = _faces(css, mounts)
    generated = _generated(css)
    assert any("–" in text for _, text, _ in generated), "the nested-list marker is seen"
    assert any("·" in text for _, text, _ in generated), "the ornament is seen"
    for path in sorted((ROOT / "src" / "vigil" / "locales").glob("*.yaml")):
        quotes = yaml.safe_load(path.read_text(encoding="utf-8"))["quotes"]
        for family in ("Vigil Serif", "Vigil Sans"):
            generated.append((f"the quotation marks of {path.name}", quotes, (family,)))
    missing = []
    for where, text, families in generated:
        family = next((f.lower() for f in families if f.lower() in faces), None)
        assert family is not None, f"{where}: no bundled family in {families}"
        for char in set(text) - set(" \u00a0\u2002\u2009"):
            for face in faces[family]:
                if ord(char) not in cmap(face):
                    missing.append(f"{where}: {char!r} U+{ord(char):04X} not in {face.name}")
    assert not missing, "\n".join(sorted(set(missing)))


NESTED_LISTS = (
    "# Introduction\n\n"
    "- first level\n  - second level\n    - third level\n      - fourth level\n- first again\n\n"
    "1. first\n   1. second\n      1. third\n2. first again\n\n"
    "- bullets\n  1. numbers inside\n     - bullets inside again\n"
)


@pytest.mark.parametrize("profile", ["screen", "print"])
def test_nested_lists_build(tmp_path: Path, profile: str) -> None:
    import subprocess

    folder = write_publication(tmp_path / "p", {"intro.md": NESTED_LISTS})
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out", "--profile", profile)
    assert code == 0, err
    pdf = next((tmp_path / "out").glob("p*.pdf"))
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "• first level" in text and "– second level" in text and "• third level" in text
    assert "1. first" in text and "1. second" in text and "1. third" in text
