"""Open a PDF for checking, and refuse one that is damaged.

Takes PDF bytes and a name for messages; gives a pypdf reader, or raises
:class:`~vigil.errors.UnreadableError` (exit code 2) with one sentence naming the file and the
first problem. pypdf repairs many damaged files silently; a preflight must not judge what pypdf
guessed instead of what a printer's RIP will read, so with ``structure=True`` (every file given
to ``vigil check``) the file's skeleton is verified too:

- pypdf's own complaints while it reads the cross-reference table and the trailer (it logs a
  repair instead of failing: a wrong ``startxref``, objects not where the table says);
- the trailer has an integer ``/Size`` and a ``/Root``; every ``/Prev`` points at a table;
- every object the table lists starts where it says (``N G obj``) and ends with ``endobj``
  before the next object begins; names are well formed (``#`` + two hex digits, not ``#00``);
- every object loads, every stream names only standard filters, and every stream that is not
  an image decodes; no object of an object stream is a bare ``null`` (MuPDF refuses those).

A build checks its own freshly written PDF without these (``structure=False``): pypdf or
WeasyPrint wrote it, and the time is better spent on the checks that can fail.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigil.errors import Location, UnreadableError
from vigil.pdf.content import NAME, REGULAR
from vigil.pdf.objects import read_errors

if TYPE_CHECKING:
    from pypdf import PdfReader

FILTERS = {
    "/ASCIIHexDecode", "/ASCII85Decode", "/LZWDecode", "/FlateDecode", "/RunLengthDecode",
    "/CCITTFaxDecode", "/JBIG2Decode", "/DCTDecode", "/JPXDecode", "/Crypt",
    "/AHx", "/A85", "/LZW", "/Fl", "/RL", "/CCF", "/DCT",
}
_HINT = "Open it in the program that made it and export or print it again as a new PDF"
_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj(?!" + REGULAR + rb")")
_NEXT_HEADER = re.compile(rb"[\r\n]\s*\d+\s+\d+\s+obj(?!" + REGULAR + rb")")
_NAME = NAME
_BAD_ESCAPE = re.compile(rb"#(?![0-9A-Fa-f]{2})|#00")
_PREV = re.compile(rb"/Prev\s+(\d+)")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage())


@contextmanager
def quiet_pypdf() -> Iterator[list[str]]:
    """Keep pypdf's log messages and warnings off the terminal; give what it said."""
    logger = logging.getLogger("pypdf")
    fonttools = logging.getLogger("fontTools")
    collect = _Collect()
    propagate = logger.propagate, fonttools.propagate
    logger.addHandler(collect)
    logger.propagate = fonttools.propagate = False
    silence = logging.NullHandler()
    fonttools.addHandler(silence)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield collect.messages
    finally:
        logger.removeHandler(collect)
        fonttools.removeHandler(silence)
        logger.propagate, fonttools.propagate = propagate


def unreadable(name: str | Path, problem: str, hint: str | None = _HINT) -> UnreadableError:
    """The error for a file that cannot be checked; a path is shown as the location."""
    problem = problem.strip().rstrip(".")
    if isinstance(name, Path):
        return UnreadableError(f"the file cannot be checked: {problem}",
                               location=Location(name), hint=hint)
    return UnreadableError(f"{name} cannot be checked: {problem}", hint=hint)


def open_pdf(data: bytes, name: str | Path, *, password: str | None = None,
             structure: bool = False, parsed: Sequence[Any] = ()) -> Any:
    """A pypdf reader over ``data``; raises UnreadableError for what cannot be judged.

    ``parsed``: the indirect objects ``data`` was written from (object n at index n - 1, as
    vigil's assemble stage held them; None or null for a free number). The reader takes them
    as its objects instead of parsing each again from ``data`` (a third of a build's check):
    only the cross-reference and the trailer are read from the bytes."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    if not data.lstrip()[:5].startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        raise unreadable(name, "it is not a PDF file (no %PDF- header)", hint=None)
    with quiet_pypdf() as said:
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    reader.decrypt(password or "")
                except read_errors() as exc:  # a wrong password, an unknown cipher
                    raise unreadable(name, f"it is encrypted and cannot be decrypted ({exc})",
                                     hint="Give the password, or export it without one") from None
            _take(reader, parsed)
            pages = len(reader.pages)
            reader.trailer.get("/Root")
        except UnreadableError:
            raise
        except FileNotDecryptedError:
            raise unreadable(
                name, "it is encrypted with a password",
                hint="Give the password with --password, or export it without one",
            ) from None
        except Exception as exc:  # pypdf raises far more than PdfReadError on damaged files
            raise unreadable(name, f"it is damaged ({_describe(exc)})") from None
        if structure and said:
            raise unreadable(name, f"it is damaged ({_clean(said[0])})")
        if pages == 0:
            raise unreadable(name, "it has no pages")
        if structure:
            problem = _skeleton(data, reader)
            if problem is None:
                problem = _objects(reader, said)
            if problem is None and said:
                problem = _clean(said[0])
            if problem is not None:
                raise unreadable(name, f"it is damaged ({problem})")
    return reader


def _take(reader: Any, parsed: Sequence[Any]) -> None:
    """Give ``reader`` the objects ``parsed`` (see :func:`open_pdf`) as its own."""
    if not parsed:
        return
    from pypdf.generic import NullObject

    for number, obj in enumerate(parsed, start=1):
        if obj is not None and not isinstance(obj, NullObject):
            reader.cache_indirect_object(0, number, obj)


def _describe(exc: BaseException) -> str:
    """What the damage is, in words: pypdf's own message, or what a Python error deep in the
    parser means (never Python's internals: "AttributeError: 'NumberObject'...")."""
    if type(exc).__module__ == "builtins":
        from vigil.read.inserts import damage

        return damage(exc)
    return _clean(str(exc)) or "it cannot be read to the end"


def _clean(message: str) -> str:
    """pypdf's messages, without the raw bytes it quotes: ``Invalid ... @753``."""
    message = message.strip()
    wrapped = re.match(r"^\w+(?:Error|Warning)\((['\"])(.*)\1\)$", message, re.S)
    if wrapped:
        message = wrapped[2]
    message = re.split(r":\s*b['\"]", message, maxsplit=1)[0].strip()
    return message if len(message) <= 120 else message[:117] + "..."


def _skeleton(data: bytes, reader: PdfReader) -> str | None:
    """Check the trailer, the /Prev chain and each object listed at a file offset."""
    trailer = reader.trailer
    size = trailer.get("/Size")
    if not isinstance(size, int) or isinstance(size, bool):
        return "the trailer has no integer /Size"
    if "/Root" not in trailer:
        return "the trailer has no /Root"
    problem = _trailers(data)
    if problem:
        return problem
    offsets: list[tuple[int, int, int]] = []
    for generation, entries in reader.xref.items():
        for number, offset in entries.items():
            if number >= size:
                return f"object {number} is numbered beyond the trailer's /Size {size}"
            offsets.append((offset, number, generation))
    for offset, number, generation in sorted(offsets):
        match = _HEADER.match(data, offset)
        if match is None or (int(match[1]), int(match[2])) != (number, generation):
            found = data[offset:offset + 12].split(b"\n")[0].decode("latin-1", "replace")
            return (f"the cross-reference table puts object {number} {generation} at byte "
                    f"{offset}, where '{found.strip()}' stands")
        problem = _object_body(data, match.end(), number)
        if problem:
            return problem
    return None


def _trailers(data: bytes) -> str | None:
    """Every classic trailer's names are well formed and its /Prev points at a table."""
    position = data.rfind(b"startxref")
    if position < 0:
        return "there is no startxref"
    seen: set[int] = set()
    found = re.match(rb"startxref\s+(\d+)", data[position:position + 40])
    offset = int(found[1]) if found else -1
    while offset >= 0 and offset not in seen:
        seen.add(offset)
        if data[offset:offset + 4] != b"xref":
            return None if _HEADER.match(data, offset) else (
                f"a cross-reference offset ({offset}) does not point at a table")
        start = data.find(b"trailer", offset)
        end = data.find(b"startxref", start)
        if start < 0:
            return "a cross-reference table has no trailer"
        dictionary = data[start:end if end > 0 else len(data)]
        for name in _NAME.findall(dictionary):
            if _BAD_ESCAPE.search(name):
                return f"the trailer holds a malformed name {name.decode('latin-1')}"
        previous = _PREV.search(dictionary)
        offset = int(previous[1]) if previous else -1
    return None


def _object_body(data: bytes, start: int, number: int) -> str | None:
    """The object that begins at ``start`` ends with endobj before another object begins."""
    end = data.find(b"endobj", start)
    stream = data.find(b"stream", start, end if end >= 0 else len(data))
    dictionary_end = stream if stream >= 0 else end
    if stream >= 0:
        endstream = data.find(b"endstream", stream + 6)
        if endstream < 0:
            return f"object {number} has a stream without endstream"
        end = data.find(b"endobj", endstream)
    if end < 0:
        return f"object {number} has no endobj"
    head = data[start:dictionary_end if dictionary_end >= 0 else end]
    if _NEXT_HEADER.search(head) or (stream < 0 and _NEXT_HEADER.search(data, start, end)):
        return f"object {number} has no endobj before the next object"
    if stream >= 0:
        tail = data[data.find(b"endstream", stream + 6) + 9:end]
        if tail.strip():
            return f"object {number} has no endobj after its stream"
    for name in _NAME.findall(head):
        if _BAD_ESCAPE.search(name):
            return f"object {number} holds a malformed name {name.decode('latin-1')}"
    return None


def _objects(reader: PdfReader, said: list[str]) -> str | None:
    """Load every object the table lists; streams name standard filters and decode."""
    from pypdf.generic import IndirectObject, NullObject, StreamObject

    numbers = [(n, g) for g, entries in reader.xref.items() for n in entries]
    packed = list(getattr(reader, "xref_objStm", {}))
    numbers += [(n, 0) for n in packed]
    in_streams = set(packed)
    for number, generation in numbers:
        try:
            value = reader.get_object(IndirectObject(number, generation, reader))
        except read_errors() as exc:
            return f"object {number} cannot be read: {_describe(exc)}"
        if number in in_streams and (value is None or isinstance(value, NullObject)):
            return (f"object {number} is a bare null inside an object stream, which MuPDF "
                    "refuses (it belongs in the cross-reference table as a free entry)")
        if not isinstance(value, StreamObject):
            continue
        filters = value.get("/Filter")
        listed = list(filters) if isinstance(filters, list) else \
            ([filters] if filters is not None else [])
        for item in listed:
            if not isinstance(item, str) or str(item) not in FILTERS:
                return f"object {number} names an unknown stream filter {item!r}"
        if value.get("/Subtype") == "/Image" or value.get("/Type") == "/XRef":
            continue
        before = len(said)
        try:
            value.get_data()
        except read_errors() as exc:
            return f"the stream of object {number} cannot be decoded: {_describe(exc)}"
        if len(said) > before:  # pypdf logs a damaged Flate stream and gives nothing
            return f"the stream of object {number} cannot be decoded: {_clean(said[before])}"
    return None
