"""PDF inserts: external PDF pages that become pages of the book.

Takes an ``insert:`` section entry (options validated by :class:`InsertOptions`) and where it
was written; gives an :class:`Insert`: the file, the pages chosen (0-based), their sizes and any
warnings. Every insert is opened and checked before anything is rendered, under a time limit,
so that a file that is not a PDF, empty, damaged, encrypted without its password, or of the
wrong size is one clear error naming it; a damaged file never hangs or crashes the build.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator

from vigil.dependencies import missing_package
from vigil.errors import ContentError, Location
from vigil.limits import TimeLimitExceeded, time_limit
from vigil.pdf.objects import read_errors, resolve
from vigil.programs import looks_like_program
from vigil.read.schema import StrictModel, check_translation_languages

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader

PARSE_SECONDS = 5.0
MM = 25.4 / 72


class InsertTranslation(StrictModel):
    """An insert's title and alternative text in another language (its file is
    ``NAME.CODE.pdf`` beside it)."""

    title: str | None = None
    alt: str | None = None


class InsertOptions(StrictModel):
    """The keys of an ``- insert: FILE.pdf`` section entry."""

    insert: Annotated[str, Field(min_length=1)]
    title: str | None = None
    alt: str | None = None  # what the inserted pages show, for screen readers (a Figure's /Alt)
    pages: str = "all"
    size: Literal["scale", "keep", "refuse"] = "scale"
    # Print only: how an insert whose art reaches its edge gets the bleed it lacks (see
    # vigil.assemble.inserts): its edges mirrored into the bleed, the page scaled to cover it,
    # or none (the bleed stays white; the print check warns).
    bleed: Literal["mirror", "scale", "none"] = "mirror"
    stamp_page_number: bool = False
    password: str | None = None
    password_env: str | None = None
    translations: dict[str, InsertTranslation] = Field(default_factory=dict)

    @field_validator("translations")
    @classmethod
    def _translation_languages(
        cls, value: dict[str, InsertTranslation]
    ) -> dict[str, InsertTranslation]:
        check_translation_languages(value)
        return value

    @field_validator("pages")
    @classmethod
    def _page_list(cls, value: str) -> str:
        if value != "all" and not re.fullmatch(r"\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*",
                                               value):
            raise ValueError(f"expected 'all' or page numbers like '1-3, 5', found '{value}'")
        return value


@dataclass(frozen=True)
class Insert:
    path: Path
    options: InsertOptions
    pages: tuple[int, ...]
    sizes_mm: tuple[tuple[float, float], ...]
    password: str | None
    warnings: tuple[str, ...] = field(default=())


def inspect_insert(
    path: Path, options: InsertOptions, trim_mm: tuple[float, float], location: Location
) -> Insert:
    """Open ``path`` with pypdf and check it can be used as the insert ``options`` describe."""
    name = path.name
    head = path.read_bytes()[:1024]
    if not head:
        raise ContentError(f"the insert '{name}' is an empty file", location=location)
    if b"%PDF-" not in head:
        raise ContentError(
            f"the insert '{name}' is not a PDF file (it does not start with %PDF-)",
            location=location, hint="Export the document as PDF and refer to that file",
        )
    password = options.password
    if options.password_env:
        password = os.environ.get(options.password_env)
        if password is None:
            raise ContentError(
                f"the insert '{name}' takes its password from the environment variable "
                f"{options.password_env}, which is not set", location=location,
            )
    try:
        with time_limit(PARSE_SECONDS), capture_pypdf_messages() as repairs:
            insert = _inspect(path, options, trim_mm, location, password)
        if repairs:
            insert = replace(insert, warnings=(
                f"the insert '{name}' is damaged; it was repaired as it was read "
                f"({len(repairs)} problem{'s' if len(repairs) > 1 else ''}, first: "
                f"{repairs[0][:100]}); check its page in the PDF", *insert.warnings,
            ))
        return insert
    except ContentError:
        raise
    except TimeLimitExceeded:
        raise ContentError(
            f"the insert '{name}' could not be read within {PARSE_SECONDS:g} s; it is probably "
            "damaged", location=location,
            hint="Open it in a PDF viewer and save or print it again as a new PDF",
        ) from None
    except RecursionError:
        raise ContentError(
            f"the insert '{name}' is damaged (its structure loops)", location=location,
            hint="Open it in a PDF viewer and save or print it again as a new PDF",
        ) from None
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        advice = missing_package(exc)
        if advice:
            raise ContentError(f"the insert '{name}' is encrypted, and {advice}",
                               location=location) from None
        raise ContentError(
            f"the insert '{name}' is damaged beyond repair ({damage(exc)})", location=location,
            hint="Open it in a PDF viewer and save or print it again as a new PDF",
        ) from None


def damage(exc: BaseException) -> str:
    """What a failure to read a PDF says about the file: pypdf's own words when it names the
    damage (a missing ``endstream``, a bad cross-reference table), else what kind of damage,
    without Python's internals (a TypeError deep in the parser means a value of the wrong
    kind, not a fault of vigil)."""
    from pypdf.errors import PyPdfError

    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    if isinstance(exc, PyPdfError) and text:
        return text
    if isinstance(exc, (TypeError, ValueError, AttributeError, KeyError, IndexError)):
        return "an object in it holds a value of the wrong kind, where another was expected"
    if isinstance(exc, AssertionError):
        return "its structure breaks a rule of the PDF format"
    if isinstance(exc, (RecursionError, MemoryError)):
        return "its structure loops or is nested too deeply"
    return "it cannot be read to the end" + (f": {text}" if text and len(text) < 80 else "")


@contextmanager
def capture_pypdf_messages() -> Iterator[list[str]]:
    """Collect what pypdf logs while it repairs a file, instead of printing it."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("pypdf")
    handler, propagate = Collect(logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _inspect(
    path: Path, options: InsertOptions, trim_mm: tuple[float, float], location: Location,
    password: str | None,
) -> Insert:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    name = path.name
    warnings: list[str] = []
    reader = PdfReader(path)
    if reader.is_encrypted:
        try:
            result = reader.decrypt(password or "")
        except DependencyError as exc:
            raise ContentError(
                f"the insert '{name}' is encrypted, and {missing_package(exc)}",
                location=location,
            ) from None
        if not result:
            raise ContentError(
                f"the insert '{name}' is protected by a password"
                + (" and the password given is wrong" if password else ""),
                location=location,
                hint="Give it as 'password:' (or the name of an environment variable as "
                     "'password_env:') in the insert's entry of publication.yaml",
            )
        if not password:
            warnings.append(
                f"the insert '{name}' carries owner restrictions (printing, copying); "
                "they are dropped in the publication"
            )
    count = len(reader.pages)
    if count == 0:
        raise ContentError(f"the insert '{name}' has no pages", location=location)
    chosen = _choose(options.pages, count, name, location)
    _refuse_programs(reader, chosen, name, location)
    for index in chosen:
        _read_everything(reader.pages[index])
        _refuse_missing_pictures(reader.pages[index], index, name, location)
    sizes = []
    for index in chosen:
        box = reader.pages[index].trimbox  # the crop box, unless the page has its own bleed
        rotated = (int(reader.pages[index].get("/Rotate", 0) or 0) // 90) % 2 == 1
        width, height = float(box.width) * MM, float(box.height) * MM
        if rotated:
            width, height = height, width
        if width <= 0 or height <= 0:
            raise ContentError(
                f"page {index + 1} of the insert '{name}' has an empty page box",
                location=location,
            )
        sizes.append((round(width, 1), round(height, 1)))
        if abs(width - trim_mm[0]) > 1 or abs(height - trim_mm[1]) > 1:
            message = (
                f"page {index + 1} of the insert '{name}' is {width:.0f}×{height:.0f} mm, "
                f"not the trim size {trim_mm[0]:g}×{trim_mm[1]:g} mm"
            )
            if options.size == "refuse":
                raise ContentError(
                    message, location=location,
                    hint="Use 'size: scale' to fit it to the page, or make the insert the "
                         "publication's page size",
                )
            action = "scaled to fit" if options.size == "scale" else "kept at its size, centred"
            if options.size == "keep" and (width > trim_mm[0] + 1 or height > trim_mm[1] + 1):
                action += " (its edges will be cut off)"
            warnings.append(f"{message}; {action}")
    return Insert(path, options, tuple(chosen), tuple(sizes), password, tuple(warnings))


_EXPORT_AGAIN = "Export the document again as PDF without attachments, or print it to a new PDF"


def _refuse_programs(reader: PdfReader, chosen: list[int], name: str, location: Location) -> None:
    """An insert that carries a program (an attachment named or made like one: .exe, a
    script...) is refused: a book of remembrance must not pass programs on to its readers."""
    from pypdf.generic import StreamObject

    specs: list[object] = []
    root = _get(reader.trailer.get("/Root"))
    name_tree = _get(root.get("/Names")) if isinstance(root, dict) else None
    names = _get(name_tree.get("/EmbeddedFiles")) if isinstance(name_tree, dict) else None
    specs += list(_tree_values(names, 0))
    for index in chosen:
        for annotation in _items(_get(reader.pages[index].get("/Annots")) or []):
            annotation = _get(annotation)
            if isinstance(annotation, dict) and annotation.get("/Subtype") == "/FileAttachment":
                specs.append(_get(annotation.get("/FS")))
    for spec in specs:
        if not isinstance(spec, dict):
            continue
        file = str(spec.get("/UF") or spec.get("/F") or "")
        embedded = _get(spec.get("/EF"))
        stream = _get(embedded.get("/F")) if isinstance(embedded, dict) else None
        try:
            head = bytes(stream.get_data())[:8] if isinstance(stream, StreamObject) else b""
        except read_errors():  # a damaged embedded file
            head = b""
        if looks_like_program(file, head):
            raise ContentError(
                f"the insert '{name}' carries the program '{file[:60] or 'unnamed'}' as an "
                "attachment; vigil does not pass programs on in a publication",
                location=location, hint=_EXPORT_AGAIN,
            )


PROBE_OBJECTS = 200_000


def _read_everything(page: PageObject) -> None:
    """Read every object a page will bring into the book (its content, resources and
    annotations, as merging it copies them), so that a damaged one fails now, while the file is
    checked and the error can name the line of publication.yaml, not later, while merging."""
    from pypdf.generic import IndirectObject

    contents = page.get_contents()
    if contents is not None:
        contents.get_data()
    stack: list[object] = [page.get("/Resources"), page.get("/Annots")]
    seen: set[int] = set()
    while stack and len(seen) < PROBE_OBJECTS:
        value = stack.pop()
        if isinstance(value, IndirectObject):
            if value.idnum in seen:
                continue
            seen.add(value.idnum)
            value = value.get_object()  # not resolve(): a damaged object must raise here
        if isinstance(value, dict):
            raw = getattr(value, "raw_get", value.get)  # references left unresolved
            stack.extend(raw(key) for key in value if key not in ("/Parent", "/P"))
        elif isinstance(value, list):
            stack.extend(value)


def _refuse_missing_pictures(page: PageObject, index: int, name: str, location: Location) -> None:
    """A page whose pictures or forms (its /XObject resources, and theirs) refer to objects
    the file does not have would be shown with holes: refused while the file is checked,
    not found later in the PDF."""
    stack = [(_get(page.get("/Resources")), 0)]
    seen: set[int] = set()
    while stack:
        resources, depth = stack.pop()
        if not isinstance(resources, dict) or depth > 8:
            continue
        xobjects = _get(resources.get("/XObject"))
        if not isinstance(xobjects, dict):
            continue
        for key in list(xobjects.keys()):
            reference = xobjects.raw_get(key) if hasattr(xobjects, "raw_get") else xobjects[key]
            target = _get(reference)
            if not isinstance(target, dict):
                number = getattr(reference, "idnum", None)
                raise ContentError(
                    f"page {index + 1} of the insert '{name}' draws the picture {key}, which is "
                    "not in the file" + (f" (object {number} is missing)" if number else ""),
                    location=location, hint=_EXPORT_AGAIN.replace(" without attachments", ""),
                )
            number = getattr(reference, "idnum", None)
            if target.get("/Subtype") == "/Form" and number not in seen:
                if number is not None:
                    seen.add(number)
                stack.append((_get(target.get("/Resources")), depth + 1))


def _tree_values(node: object, depth: int) -> Iterator[object]:
    node = _get(node)
    if not isinstance(node, dict) or depth > 16:
        return
    for value in list(_items(_get(node.get("/Names")) or []))[1::2]:
        yield _get(value)
    for kid in _items(_get(node.get("/Kids")) or []):
        yield from _tree_values(kid, depth + 1)


def _items(value: object) -> Iterable[object]:
    """A PDF array's items; a value that cannot be iterated (a number where an array was
    expected, in a damaged file) raises TypeError, as iterating it would."""
    if isinstance(value, Iterable):
        return value
    raise TypeError(f"'{type(value).__name__}' object is not iterable")


def _get(value: object) -> object:
    """An object, resolved; a dangling or damaged reference is None."""
    from pypdf.generic import NullObject

    value = resolve(value)
    return None if isinstance(value, NullObject) else value


def _choose(spec: str, count: int, name: str, location: Location) -> list[int]:
    if spec == "all":
        return list(range(count))
    chosen: list[int] = []
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        start, end = int(first), int(last or first)
        if start < 1 or end > count or start > end:
            raise ContentError(
                f"the insert '{name}' has {count} page{'s' if count > 1 else ''}; "
                f"'{part.strip()}' is not a range of them", location=location, key="pages",
            )
        chosen.extend(range(start - 1, end))
    return chosen
