"""Walk the content streams of a PDF: where each image is placed, which fonts show which codes.

Takes a pypdf reader; gives a :class:`Usage`: every image drawn (its page, pixel size and the
size it is placed at, from the current transformation matrix at each ``Do``, through form
XObjects and inline images) and, for every font selected with ``Tf`` in a page, form XObject,
tiling pattern or annotation appearance stream, the character codes it shows and whether any of
them is visible (text rendering mode 3 is invisible).

Content streams are read with vigil's tokenizer (:mod:`vigil.pdf.content`); only the operators
the checks need (``q Q cm Do BT Tf Tr Tj TJ ' " BI``...) are interpreted.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from vigil.pdf.content import Name, Operation, operations
from vigil.pdf.objects import array, dictionary, read_errors, resolve, stream

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject, StreamObject

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
MAX_DEPTH = 12


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m × n`` (PDF row-vector convention: apply ``m`` first, then ``n``)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2, a * b2 + b * d2,
        c * a2 + d * c2, c * b2 + d * d2,
        e * a2 + f * c2 + e2, e * b2 + f * d2 + f2,
    )


@dataclass(frozen=True)
class ImageUse:
    page: int
    name: str
    width_px: int
    height_px: int
    matrix: Matrix

    @property
    def placed_pt(self) -> tuple[float, float]:
        """Width and height of the placed image in points (the unit square through the CTM)."""
        a, b, c, d, _, _ = self.matrix
        return math.hypot(a, b), math.hypot(c, d)

    @property
    def dpi(self) -> float:
        """The lower of the horizontal and vertical effective resolutions (pixels per inch)."""
        width, height = self.placed_pt
        if width <= 0 or height <= 0:
            return math.inf
        return min(self.width_px / (width / 72), self.height_px / (height / 72))


@dataclass
class FontUse:
    font: DictionaryObject         # the font dictionary
    name: str                      # its resource name where it was first used
    first_page: int
    codes: set[bytes] = field(default_factory=set)
    visible: bool = False          # shown at least once in a visible rendering mode
    pages: set[int] = field(default_factory=set)


@dataclass
class Usage:
    images: list[ImageUse] = field(default_factory=list)
    fonts: dict[int, FontUse] = field(default_factory=dict)  # by object number (or id)
    problems: list[tuple[int, str]] = field(default_factory=list)
    # The device colour spaces painted in (DeviceRGB, DeviceCMYK, DeviceGray): PDF/A allows
    # them only with an output intent (the first page each was found on).
    device_colours: dict[str, int] = field(default_factory=dict)


_OPERATIONS_KEPT = 512
_operations: dict[bytes, list[Operation]] = {}


def interpreted(data: bytes) -> list[Operation]:
    """The operations of ``data`` that the walks interpret, remembered by the stream's digest:
    a rebuild in the same process (``vigil watch``) checks pages that did not change without
    reading their content again."""
    key = hashlib.sha256(data).digest()
    found = _operations.get(key)
    if found is None:
        found = [(operands, operator) for operands, operator in operations(data)
                 if operator in _INTERPRETED]
        if len(_operations) >= _OPERATIONS_KEPT:
            _operations.clear()
        _operations[key] = found
    return found


# ---------------------------------------------------------------- walking


@dataclass
class _Summary:
    """What one content stream draws, with matrices relative to the stream's own space."""

    images: list[tuple[Matrix, str, int, int]] = field(default_factory=list)


class _Said(logging.Handler):
    """What pypdf logs while a stream is decoded."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


_INTERPRETED = frozenset(
    (b"q", b"Q", b"cm", b"Tf", b"Tr", b"Tj", b"'", b'"', b"TJ", b"Do", b"scn", b"SCN", b"BI",
     # for the walk of marked content (vigil.check.tagging), which reads the same cache:
     b"BDC", b"BMC", b"EMC", b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"sh",
     b"rg", b"RG", b"k", b"K", b"g", b"G", b"cs", b"CS"))
# Colour operators that paint in a device colour space, and the names of those spaces (with
# the abbreviations of inline images).
_DEVICE_OPERATORS = {b"rg": "DeviceRGB", b"RG": "DeviceRGB", b"k": "DeviceCMYK",
                     b"K": "DeviceCMYK", b"g": "DeviceGray", b"G": "DeviceGray"}
_DEVICE_SPACES = {"/DeviceRGB": "DeviceRGB", "/RGB": "DeviceRGB", "/DeviceCMYK": "DeviceCMYK",
                  "/CMYK": "DeviceCMYK", "/DeviceGray": "DeviceGray", "/G": "DeviceGray"}


class Walker:
    """Walk every page; summaries of form XObjects are computed once and reused."""

    def __init__(self, reader: PdfReader) -> None:
        self.reader = reader
        self.usage = Usage()
        self._forms: dict[int, _Summary] = {}
        self._active: set[int] = set()
        self._page = 0
        self._said = _Said()

    def walk(self) -> Usage:
        logger = logging.getLogger("pypdf")
        logger.addHandler(self._said)
        try:
            return self._walk()
        finally:
            logger.removeHandler(self._said)

    def _data(self, stream: StreamObject | None, what: str, before: int | None = None) -> bytes:
        """A stream's decoded data; a failure, or a complaint pypdf only logs (it returns
        nothing for a damaged Flate stream), is a problem of the page."""
        before = len(self._said.messages) if before is None else before
        try:
            data = stream.get_data() if stream is not None else b""
        except read_errors() as exc:  # a damaged stream
            self.usage.problems.append((self._page, f"{what} cannot be decoded: {exc}"))
            return b""
        if len(self._said.messages) > before:
            self.usage.problems.append(
                (self._page, f"{what} is damaged: {self._said.messages[before]}"))
        return bytes(data)

    def _walk(self) -> Usage:
        for number, page in enumerate(self.reader.pages, start=1):
            self._page = number
            resources = dictionary(page.get("/Resources"))
            before = len(self._said.messages)
            try:
                contents = page.get_contents()  # decodes the streams (pypdf's ContentStream)
            except read_errors() as exc:  # a damaged content stream
                self.usage.problems.append((number, f"the page content cannot be read: {exc}"))
                contents = None
            data = self._data(contents, "the page content", before)
            summary = self._stream(data, resources, 0)
            for matrix, name, width, height in summary.images:
                self.usage.images.append(ImageUse(number, name, width, height, matrix))
            for annotation in resolve(page.get("/Annots")) or []:
                self._annotation(resolve(annotation))
        return self.usage

    def _annotation(self, annotation: object) -> None:
        if not isinstance(annotation, dict):
            return
        appearances = resolve(annotation.get("/AP"))
        if not isinstance(appearances, dict):
            return
        for key in ("/N", "/R", "/D"):
            entry = resolve(appearances.get(key))
            forms = [entry] if hasattr(entry, "get_data") else (
                [resolve(v) for v in entry.values()] if isinstance(entry, dict) else []
            )
            for form in forms:
                if hasattr(form, "get_data"):
                    self._form(form, None, 0)

    def _form(self, stream: StreamObject, parent_resources: DictionaryObject | None,
              depth: int) -> _Summary:
        reference = stream.indirect_reference
        key = reference.idnum if reference is not None else id(stream)
        if key in self._forms:
            return self._forms[key]
        if key in self._active or depth > MAX_DEPTH:
            return _Summary()
        self._active.add(key)
        try:
            resources = dictionary(stream.get("/Resources")) or parent_resources
            data = self._data(stream, "a form's content")
            summary = self._stream(data, resources, depth + 1)
        finally:
            self._active.discard(key)
        self._forms[key] = summary
        return summary

    def _stream(self, data: bytes, resources: DictionaryObject | None, depth: int) -> _Summary:
        summary = _Summary()
        xobjects = dictionary(resources.get("/XObject")) if resources is not None else None
        fonts = dictionary(resources.get("/Font")) if resources is not None else None
        patterns_used: set[str] = set()
        ctm: Matrix = IDENTITY
        font: FontUse | None = None
        mode = 0.0
        stack: list[tuple[Matrix, FontUse | None, float]] = []
        # A page's text shown before any fill colour is chosen is in DeviceGray (black), the
        # initial colour space; a form's takes the colour of where it is drawn.
        coloured = depth > 0
        for operands, operator in interpreted(data):
            if operator == b"q":
                stack.append((ctm, font, mode))
            elif operator == b"Q":
                if stack:
                    ctm, font, mode = stack.pop()
            elif operator == b"cm":
                numbers = [v for v in operands if isinstance(v, float)]
                if len(operands) == 6 and len(numbers) == 6:
                    a, b, c, d, e, f = numbers
                    ctm = multiply((a, b, c, d, e, f), ctm)
            elif operator == b"Tf":
                font = self._font(fonts, operands[0]) if operands else None
            elif operator == b"Tr":
                mode = operands[0] if operands and isinstance(operands[0], float) else 0.0
            elif operator in (b"Tj", b"'", b'"', b"TJ"):
                if not coloured and mode != 3.0:
                    self._device("DeviceGray")
                    coloured = True
                if font is not None and operands:
                    shown = operands[-1]
                    strings = [s for s in shown if isinstance(s, bytes)] \
                        if isinstance(shown, list) else [shown]
                    for string in strings:
                        if isinstance(string, bytes) and string:
                            font.codes.add(string)
                            if mode != 3.0:
                                font.visible = True
            elif operator in _DEVICE_OPERATORS:
                self._device(_DEVICE_OPERATORS[operator])
                coloured = coloured or operator in (b"rg", b"k", b"g")
            elif operator in (b"cs", b"CS"):
                coloured = coloured or operator == b"cs"
                if operands and str(operands[0]) in _DEVICE_SPACES:
                    self._device(_DEVICE_SPACES[str(operands[0])])
            elif operator == b"Do":
                if not operands or not isinstance(operands[0], Name):
                    continue
                xobject = dictionary(xobjects.get(operands[0])) if xobjects is not None else None
                if xobject is None:
                    self.usage.problems.append((self._page, (
                        f"it draws {operands[0]}, a picture or form that is not in the file "
                        "(its resource is missing or refers to a missing object)")))
                    continue
                subtype = xobject.get("/Subtype")
                if subtype == "/Image":
                    space = resolve(xobject.get("/ColorSpace"))
                    if isinstance(space, str) and space in _DEVICE_SPACES \
                            and not xobject.get("/ImageMask"):
                        self._device(_DEVICE_SPACES[space])
                    width, height = _int(xobject.get("/Width")), _int(xobject.get("/Height"))
                    summary.images.append((ctm, str(operands[0]), width, height))
                elif subtype == "/Form":
                    inner = self._form(cast("StreamObject", xobject), resources, depth)
                    matrix = multiply(_matrix(xobject.get("/Matrix")), ctm)
                    for relative, name, width, height in inner.images:
                        summary.images.append((multiply(relative, matrix), name, width, height))
            elif operator in (b"scn", b"SCN"):
                coloured = coloured or operator == b"scn"
                pattern = operands[-1] if operands else None
                if isinstance(pattern, Name) and pattern not in patterns_used:
                    patterns_used.add(pattern)
                    self._pattern(resources, pattern, depth, summary)
            elif operator == b"BI":
                image = operands[0] if operands and isinstance(operands[0], dict) else {}
                space = image.get("/CS", image.get("/ColorSpace"))
                if isinstance(space, str) and space in _DEVICE_SPACES:
                    self._device(_DEVICE_SPACES[space])
                width = _int(image.get("/W", image.get("/Width")))
                height = _int(image.get("/H", image.get("/Height")))
                summary.images.append((ctm, "inline image", width, height))
        return summary

    def _device(self, space: str) -> None:
        self.usage.device_colours.setdefault(space, self._page)

    def _pattern(self, resources: DictionaryObject | None, name: str, depth: int,
                 summary: _Summary) -> None:
        """A tiling pattern draws content of its own (WeasyPrint paints backgrounds so), in
        pattern space: its /Matrix maps it into the space of the stream that uses it."""
        patterns = dictionary(resources.get("/Pattern")) if resources is not None else None
        pattern = stream(patterns.get(name)) if patterns is not None else None
        if pattern is None or pattern.get("/PatternType") != 1:
            return
        inner = self._form(pattern, resources, depth)
        matrix = _matrix(pattern.get("/Matrix"))
        for relative, image, width, height in inner.images:
            summary.images.append((multiply(relative, matrix), image, width, height))

    def _font(self, fonts: DictionaryObject | None, name: object) -> FontUse | None:
        if not isinstance(name, Name) or fonts is None or name not in fonts:
            return None
        reference = fonts.raw_get(name)
        font = dictionary(reference)
        if font is None:
            return None
        key = getattr(reference, "idnum", None) or id(font)
        use = self.usage.fonts.get(key)
        if use is None:
            use = FontUse(font=font, name=str(name), first_page=self._page)
            self.usage.fonts[key] = use
        use.pages.add(self._page)
        return use


def _matrix(value: object) -> Matrix:
    values = array(value)
    try:
        numbers = tuple(float(v) for v in values) if values is not None else ()
    except (TypeError, ValueError):
        return IDENTITY
    if len(numbers) != 6:
        return IDENTITY
    a, b, c, d, e, f = numbers
    return (a, b, c, d, e, f)


def _int(value: object) -> int:
    try:
        return int(resolve(value))
    except (TypeError, ValueError):
        return 0
