"""Shared fixtures and helpers for vigil's test suite.

Each sample publication and the ``vigil new booklet`` scaffold are built once per session into
``tmp_path_factory`` folders; tests read those PDFs. Small publications for error and behaviour
tests are written with :func:`write_publication`. CLI tests go through :func:`run_cli` (click's
runner on ``vigil.cli.main``, in this process) or :func:`run_vigil` (a real ``vigil`` process).
"""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import vigil
from vigil.cli import main as cli_main
from vigil.options import BuildOptions
from vigil.pipeline import BuildResult
from vigil.read import Publication, read_publication
from vigil.scaffold import scaffold

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
BOOKLET_SAMPLE = "eternal-return-2025"
PROGRAMME_SAMPLE = "institute-programme-2025"
# An edition of a sample is named FOLDER.CODE: the Azerbaijani edition of the programme.
PROGRAMME_SAMPLE_AZ = "institute-programme-2025.az"
SAMPLES = (BOOKLET_SAMPLE, PROGRAMME_SAMPLE, PROGRAMME_SAMPLE_AZ)
POINT_MM = 25.4 / 72

# A publication small enough to build in a fraction of a second; tests override single files.
MINIMAL_MANIFEST = "kind: booklet\ntitle: Test Booklet\ndate: 2025-02-25\nsections:\n  - intro.md\n"
MINIMAL_FILES: dict[str, str | bytes] = {
    "publication.yaml": MINIMAL_MANIFEST,
    "intro.md": "# Introduction\n\nA short paragraph.\n",
}


# ---------------------------------------------------------------- building


def build_into(tmp: Path, folder: Path, profile: str = "screen",
               language: str | None = None) -> BuildResult:
    """Build ``folder`` (its ``language`` edition, if given) with the library into ``tmp``."""
    return vigil.build(folder, tmp, BuildOptions(profile=profile, language=language))


def output_files(folder: Path) -> list[str]:
    """The names in an output folder: vigil's caches are never there (see vigil.usercache)."""
    return sorted(p.name for p in folder.iterdir())


def build_cache(folder: Path, output: Path) -> Path:
    """vigil's cache of the publication ``folder`` built into ``output`` (its build cache
    entries in ``build/``, the laid-out sections in ``chunks/`` and ``sections/``)."""
    from vigil.usercache import build_folder

    return build_folder(folder, output)


def write_publication(folder: Path, files: dict[str, str | bytes | None] | None = None,
                      manifest: str | None = None) -> Path:
    """Write the minimal publication into ``folder``, with ``files`` added or replaced.

    A value of ``None`` removes that file from the minimal set.
    """
    merged: dict[str, str | bytes | None] = dict(MINIMAL_FILES)
    if manifest is not None:
        merged["publication.yaml"] = manifest
    merged.update(files or {})
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in merged.items():
        if content is None:
            continue
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def manifest_with(extra: str = "", sections: tuple[str, ...] = ("intro.md",),
                  kind: str = "booklet", title: str = "Test Booklet") -> str:
    """A publication.yaml with ``extra`` lines (ending in a newline) before ``sections:``."""
    listed = "".join(f"  - {name}\n" for name in sections)
    return f"kind: {kind}\ntitle: {title}\ndate: 2025-02-25\n{extra}sections:\n{listed}"


def png_bytes(size: tuple[int, int] = (40, 30),
              colour: tuple[int, int, int] = (120, 60, 40)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (1-bit grey)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def jpeg_bytes(size: tuple[int, int] = (400, 300)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (200, 180, 160))
    ImageDraw.Draw(image).ellipse([50, 50, 250, 200], fill=(40, 30, 90))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


# ---------------------------------------------------------------- running the CLI


def run_cli(*args: str | Path) -> tuple[int, str, str]:
    """Run ``vigil ARGS`` in this process; return (exit code, stdout, stderr).

    An exception that escaped the command (anything but SystemExit) is a test failure: the CLI
    must turn every user error into a message and an exit code.
    """
    result = CliRunner().invoke(cli_main, [str(a) for a in args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"vigil {' '.join(map(str, args))} raised {result.exception!r}"
        ) from result.exception
    return result.exit_code, result.stdout, result.stderr


def run_vigil(*args: str | Path, cwd: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m vigil ARGS`` as a real process (the installed entry point's code)."""
    return run_python("-m", "vigil", *args, cwd=cwd, env=env)


def run_python(*args: str | Path, cwd: Path | None = None,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, cwd=cwd,
        env=full_env, timeout=120, check=False,
    )


_MESSAGE = re.compile(r"^vigil: (?P<kind>[a-z ]+?): (?P<text>.+)$")


@dataclass(frozen=True)
class Message:
    kind: str
    text: str


def user_error(code: int, out: str, err: str) -> Message:
    """Check the shape of a failed build's output and return its first error message."""
    assert code == 1, f"expected exit code 1, got {code}; stderr: {err!r}"
    assert "Traceback" not in out + err, err
    lines = [line for line in err.splitlines() if line.startswith("vigil: ")]
    assert lines, f"no 'vigil: ...' message in stderr: {err!r}"
    match = _MESSAGE.match(lines[0])
    assert match, f"message does not read 'vigil: <kind>: ...': {lines[0]!r}"
    text = match["text"]
    assert text.endswith((".", "?", "!")), f"message is not a sentence: {text!r}"
    return Message(match["kind"], text)


def build_error(folder: Path, output: Path) -> Message:
    """Build ``folder`` with the CLI, expect a one-paragraph failure, return the message."""
    code, out, err = run_cli("build", folder, "-o", output)
    message = user_error(code, out, err)
    # (the cache may keep the sections laid out before the failure: the next build reuses them)
    written = output_files(output) if output.exists() else []
    assert not written, f"a failed build wrote {written}"
    return message


def assert_located(message: Message, file: str, line: int | None = None,
                   column: int | None = None, key: str | None = None) -> None:
    """The message names ``file`` (by its last parts), the line/column and the key."""
    where = re.escape(file)
    if line is None:
        where += r"(, line \d+(, column \d+)?)?"
    else:
        where += rf", line {line}"
        where += rf", column {column}" if column is not None else r"(, column \d+)?"
    pattern = rf"(^|/){where}:"
    assert re.search(pattern, message.text), f"{pattern!r} not in {message.text!r}"
    if key is not None:
        assert f": {key}: " in message.text, f"key {key!r} not in {message.text!r}"


# ---------------------------------------------------------------- reading PDFs


def pdf_reader(path: Path) -> PdfReader:
    return PdfReader(path)


def pdf_text_pages(path: Path) -> list[str]:
    """The text of every page, extracted with pypdf; no-break spaces (which the content stage
    puts between a number and its unit or month) read as spaces, as a search reads them."""
    return [(page.extract_text() or "").replace("\u00a0", " ") for page in PdfReader(path).pages]


def normalise(text: str) -> str:
    """Join hyphenated line breaks and collapse whitespace, for searching extracted text."""
    text = re.sub(r"[\u2010\u00ad-]\n(?=\w)", "", text)
    return re.sub(r"\s+", " ", text).strip()


def title_pattern(title: str) -> re.Pattern[str]:
    """A title standing on its own line(s), as a section heading is set."""
    words = r"\s+".join(re.escape(word) for word in title.split())
    return re.compile(rf"(?:^|\n)\s*{words}\s*(?:\n|$)")


def section_markers(pdf: Path, publication: Any) -> list[str | int]:
    """What finds each section's first page: its title, or for a PDF insert (whose pages carry
    no text of vigil's) the page its named destination points at."""
    reader = PdfReader(pdf)
    destinations = reader.named_destinations
    return [
        section.title if section.insert is None
        else reader.get_destination_page_number(destinations[section.id]) + 1
        for section in publication.sections
    ]


def section_start_pages(pages: list[str], titles: list[str | int], first: int) -> list[int]:
    """1-based page where each title is first set as a heading, searching from page ``first``.

    Titles are looked for in order; each is searched from the page of the one before. A number
    stands for a page already known (a PDF insert).
    """
    found: list[int] = []
    start = first
    for title in titles:
        if isinstance(title, int):
            found.append(title)
            start = title
            continue
        pattern = title_pattern(title)
        for index in range(start - 1, len(pages)):
            if pattern.search(pages[index]):
                found.append(index + 1)
                start = index + 1
                break
        else:
            raise AssertionError(f"section title {title!r} not found from page {start} on")
    return found


@dataclass(frozen=True)
class Footnote:
    number: int
    call_context: str
    note_start: str


def footnotes_of(html: str) -> list[Footnote]:
    """Every footnote of a composed document, numbered in document order.

    ``call_context`` is the two words set just before the call, ``note_start`` the first four
    words of the note; both as plain text, to be searched for in a PDF's extracted text.
    """
    notes: list[Footnote] = []
    spans = re.finditer(r'<span class="footnote">(.*?)</span>', html, re.S)
    for number, match in enumerate(spans, 1):
        before = _plain(html[: match.start()]).split()
        note = _plain(match.group(1)).split()
        notes.append(Footnote(number, " ".join(before[-2:]), " ".join(note[:4])))
    return notes


def _plain(fragment: str) -> str:
    return normalise(unescape(re.sub(r"<[^>]+>", " ", fragment)))


def footnote_pages(pages: list[str], note: Footnote) -> tuple[list[int], list[int]]:
    """1-based pages showing the call (context + number) and the note (number + text)."""
    texts = [normalise(page) for page in pages]
    words = [re.escape(word) for word in note.call_context.split()]
    call = re.compile(r"\s*".join(words) + rf"\s*{note.number}(?!\d)")
    body = re.compile(rf"(?<!\d){note.number}\.\s*" + r"\s*".join(
        re.escape(word) for word in note.note_start.split()))
    return ([i + 1 for i, text in enumerate(texts) if call.search(text)],
            [i + 1 for i, text in enumerate(texts) if body.search(text)])


def outline(reader: PdfReader) -> list[tuple[str, int, int]]:
    """(title, 1-based page, depth) of every bookmark, in order."""
    items: list[tuple[str, int, int]] = []

    def walk(entries: list[Any], depth: int) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry, depth + 1)
            else:
                page = reader.get_destination_page_number(entry) + 1
                items.append((str(entry.title), page, depth))

    walk(reader.outline, 0)
    return items


def pdf_fonts(path: Path) -> dict[str, bool]:
    """BaseFont name (with subset prefix) -> embedded, over every page and form XObject."""
    fonts: dict[str, bool] = {}

    def visit(resources: Any, depth: int) -> None:
        if resources is None or depth > 8:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            name = str(font.get("/BaseFont", "?")).lstrip("/")
            descriptor = font.get("/FontDescriptor")
            if font.get("/Subtype") == "/Type0":
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            embedded = descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            fonts[name] = fonts.get(name, True) and embedded
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"), depth + 1)

    for page in PdfReader(path).pages:
        visit(page.get("/Resources"), 0)
    return fonts


def drawn_images(path: Path) -> list[int]:
    """How many images each page paints (``Do`` on an image XObject, also inside forms).

    WeasyPrint shares one resource dictionary between pages, so the images a page's resources
    list are not the images it shows; the content stream says what is drawn.
    """
    from pypdf.generic import ContentStream

    reader = PdfReader(path)

    def count(contents: Any, resources: Any, depth: int) -> int:
        if contents is None or resources is None or depth > 8:
            return 0
        xobjects = resources.get_object().get("/XObject") or {}
        total = 0
        for operands, operator in ContentStream(contents, reader).operations:
            if operator != b"Do" or operands[0] not in xobjects:
                continue
            xobject = xobjects[operands[0]].get_object()
            if xobject.get("/Subtype") == "/Image":
                total += 1
            elif xobject.get("/Subtype") == "/Form":
                total += count(xobject, xobject.get("/Resources"), depth + 1)
        return total

    return [count(page.get_contents(), page.get("/Resources"), 0) for page in reader.pages]


def page_sizes_mm(path: Path) -> list[tuple[float, float]]:
    return [
        (float(page.mediabox.width) * POINT_MM, float(page.mediabox.height) * POINT_MM)
        for page in PdfReader(path).pages
    ]


# ---------------------------------------------------------------- session builds


@dataclass(frozen=True)
class Built:
    """A publication built once for the session: its sources, model, result and page texts."""

    source: Path
    publication: Publication
    result: BuildResult
    language: str | None = None  # the edition's language, None for the original

    @property
    def pdf(self) -> Path:
        return self.result.output

    @property
    def pages(self) -> list[str]:
        return _pages_cache(self.pdf)


_TEXT_CACHE: dict[Path, list[str]] = {}


def _pages_cache(path: Path) -> list[str]:
    if path not in _TEXT_CACHE:
        _TEXT_CACHE[path] = pdf_text_pages(path)
    return _TEXT_CACHE[path]


def sample_edition(name: str) -> tuple[str, str | None]:
    """``institute-programme-2025.az`` → (``institute-programme-2025``, ``az``)."""
    folder, _, language = name.partition(".")
    return folder, language or None


def sample_folder(name: str) -> Path:
    """The folder of a sample (or of the sample an edition ``FOLDER.CODE`` belongs to)."""
    folder = CONTENT / sample_edition(name)[0]
    if not (folder / "publication.yaml").is_file():
        pytest.skip(f"sample publication content/{folder.name}/ is not there (yet)")
    return folder


class Builds:
    """Lazily build each sample (and the scaffold) once per session."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._built: dict[str, Built] = {}

    def sample(self, name: str) -> Built:
        if name not in self._built:
            folder = sample_folder(name)
            language = sample_edition(name)[1]
            out = self._factory.mktemp(f"sample-{name}")
            result = build_into(out, folder, language=language)
            self._built[name] = Built(
                folder, read_publication(folder, language), result, language
            )
        return self._built[name]

    def scaffold(self, kind: str = "booklet") -> Built:
        key = f"scaffold:{kind}"
        if key not in self._built:
            folder = self._factory.mktemp(f"scaffold-{kind}") / f"new-{kind}"
            scaffold(kind, folder)
            out = self._factory.mktemp(f"scaffold-{kind}-out")
            result = build_into(out, folder)
            self._built[key] = Built(folder, read_publication(folder), result)
        return self._built[key]

    def get(self, name: str) -> Built:
        """``scaffold-booklet`` / ``scaffold-programme`` or a sample's folder name."""
        if name.startswith("scaffold-"):
            return self.scaffold(name.removeprefix("scaffold-"))
        return self.sample(name)


@pytest.fixture(scope="session", autouse=True)
def image_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The cache of pictures reduced for the screen, one per session (VIGIL_CACHE_DIR), so that
    tests neither read nor fill ``.vigil-cache`` in the working folder."""
    folder = tmp_path_factory.mktemp("vigil-cache")
    previous = os.environ.get("VIGIL_CACHE_DIR")
    os.environ["VIGIL_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("VIGIL_CACHE_DIR", None)
    else:
        os.environ["VIGIL_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    return Builds(tmp_path_factory)


@pytest.fixture(scope="session")
def scaffold_booklet(builds: Builds) -> Built:
    return builds.scaffold("booklet")


@pytest.fixture(scope="session")
def scaffold_booklet_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh ``vigil new booklet`` folder, not built (for compose-level tests)."""
    folder = tmp_path_factory.mktemp("scaffold-source") / "booklet"
    scaffold("booklet", folder)
    return folder


@pytest.fixture
def in_tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run the test with the working directory in ``tmp_path`` (for default output paths)."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
