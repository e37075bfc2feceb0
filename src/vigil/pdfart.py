"""Where a PDF page puts ink: the rectangles its art covers, for the bleed of print pages.

Takes a pypdf page (its content read with vigil's tokenizer, :mod:`vigil.pdf.content`); gives
the bounding boxes, in the
page's default space, of everything it paints: filled and stroked paths, images (placed, inline
or in form XObjects) and shadings, each cut by the clipping path in force (as its bounding
box). White fills and strokes are paper, not art (many files paint a white page first). Text is
left out: a line of text does not run off a page's edge.

:func:`edges` then says, for each side of the trim, whether the art reaches the trim's edge
and how far beyond it (into the bleed) it goes. Render-free, so it is fast and exact for
the rectangles, images and paths that make backgrounds and full-bleed pictures; a curve's box is
the box of its control points, which can only make it larger.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vigil.pdf.content import operations
from vigil.pdf.objects import dictionary, resolve, stream

if TYPE_CHECKING:
    from pypdf import PageObject
    from pypdf.generic import DictionaryObject

Box = tuple[float, float, float, float]
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
MAX_DEPTH = 8
TOLERANCE = 0.5  # pt: art this close to the trim reaches it
SIDES = ("left", "right", "top", "bottom")

_FILL = frozenset((b"f", b"F", b"f*"))
_STROKE = frozenset((b"S", b"s"))
_BOTH = frozenset((b"B", b"B*", b"b", b"b*"))
_PATH_END = _FILL | _STROKE | _BOTH | {b"n"}


def page_box(page: PageObject, key: str) -> Box | None:
    """The page's ``key`` box (``/TrimBox``...) as (left, bottom, right, top), or None when
    it is missing or not four numbers."""
    value = page.get(key)
    if value is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value.get_object())
    except (TypeError, ValueError):
        return None
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m × n`` (apply ``m`` first, then ``n``)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _box_of(m: Matrix, points: Iterable[tuple[float, float]]) -> Box | None:
    moved = [_apply(m, x, y) for x, y in points]
    if not moved:
        return None
    xs, ys = [p[0] for p in moved], [p[1] for p in moved]
    return (min(xs), min(ys), max(xs), max(ys))


def _cut(box: Box | None, clip: Box | None) -> Box | None:
    if box is None or clip is None:
        return box
    out = (max(box[0], clip[0]), max(box[1], clip[1]), min(box[2], clip[2]), min(box[3], clip[3]))
    return out if out[0] < out[2] and out[1] < out[3] else None


def _white(space: str, values: list[Any]) -> bool:
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return False  # a pattern
    if not numbers:
        return False
    if space in ("/Separation", "/DeviceN") or (space == "/DeviceCMYK" and len(numbers) == 4):
        return all(v == 0 for v in numbers)
    if len(numbers) == 4:
        return all(v == 0 for v in numbers)
    return all(v == 1 for v in numbers)


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    clip: Box | None = None
    fill_space: str = "/DeviceGray"
    stroke_space: str = "/DeviceGray"
    fill_white: bool = False
    stroke_white: bool = False
    width: float = 1.0

    def copy(self) -> _State:
        return _State(self.ctm, self.clip, self.fill_space, self.stroke_space,
                      self.fill_white, self.stroke_white, self.width)


@dataclass
class _Walk:
    boxes: list[Box] = field(default_factory=list)
    active: set[int] = field(default_factory=set)

    def stream(self, data: bytes, resources: DictionaryObject | None, state: _State,
               depth: int) -> None:
        stack: list[_State] = []
        path: list[tuple[float, float]] = []
        clipping = False
        for operands, op in operations(data):
            if op == b"q":
                stack.append(state.copy())
            elif op == b"Q":
                if stack:
                    state = stack.pop()
            elif op == b"cm" and len(operands) == 6:
                state.ctm = multiply(_numbers(operands), state.ctm)  # type: ignore[arg-type]
            elif op == b"w" and operands:
                state.width = _number(operands[0])
            elif op == b"re" and len(operands) == 4:
                x, y, w, h = (_number(v) for v in operands)
                path += [(x, y), (x + w, y), (x, y + h), (x + w, y + h)]
            elif op in (b"m", b"l") and len(operands) == 2:
                path.append((_number(operands[0]), _number(operands[1])))
            elif op in (b"c", b"v", b"y"):
                values = [_number(v) for v in operands]
                path += list(zip(values[::2], values[1::2], strict=False))
            elif op in (b"W", b"W*"):
                clipping = True
            elif op in _PATH_END:
                box = _box_of(state.ctm, path)
                self._paint(op, box, state)
                if clipping and box is not None:
                    state.clip = _cut(box, state.clip) or (0.0, 0.0, 0.0, 0.0)
                path, clipping = [], False
            elif op in (b"g", b"rg", b"k"):
                state.fill_white = _white({b"g": "/DeviceGray", b"rg": "/DeviceRGB",
                                           b"k": "/DeviceCMYK"}[op], operands)
            elif op in (b"G", b"RG", b"K"):
                state.stroke_white = _white({b"G": "/DeviceGray", b"RG": "/DeviceRGB",
                                             b"K": "/DeviceCMYK"}[op], operands)
            elif op == b"cs" and operands:
                state.fill_space = _space(resources, operands[0])
                state.fill_white = False
            elif op == b"CS" and operands:
                state.stroke_space = _space(resources, operands[0])
                state.stroke_white = False
            elif op in (b"sc", b"scn"):
                state.fill_white = _white(state.fill_space, operands)
            elif op in (b"SC", b"SCN"):
                state.stroke_white = _white(state.stroke_space, operands)
            elif op == b"sh":
                self._add(state.clip or (-1e6, -1e6, 1e6, 1e6), state)
            elif op in (b"BI", b"INLINE IMAGE"):
                self._add(_box_of(state.ctm, [(0, 0), (1, 0), (0, 1), (1, 1)]), state)
            elif op == b"Do" and operands:
                self._xobject(resources, operands[0], state, depth)

    def _paint(self, op: bytes, box: Box | None, state: _State) -> None:
        if box is None or op == b"n":
            return
        stroked = op in _STROKE or op in _BOTH
        filled = op in _FILL or op in _BOTH
        if (filled and not state.fill_white) or (stroked and not state.stroke_white):
            grow = 0.0
            if stroked and not state.stroke_white:
                scale = max(abs(state.ctm[0]) + abs(state.ctm[2]),
                            abs(state.ctm[1]) + abs(state.ctm[3]))
                grow = state.width * scale / 2
            self._add((box[0] - grow, box[1] - grow, box[2] + grow, box[3] + grow), state)

    def _add(self, box: Box | None, state: _State) -> None:
        cut = _cut(box, state.clip)
        if cut is not None:
            self.boxes.append(cut)

    def _xobject(self, resources: DictionaryObject | None, name: object, state: _State,
                 depth: int) -> None:
        xobjects = dictionary(resources.get("/XObject")) if resources is not None else None
        xobject = stream(xobjects.get(str(name))) if xobjects is not None else None
        if xobject is None:
            return
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            self._add(_box_of(state.ctm, [(0, 0), (1, 0), (0, 1), (1, 1)]), state)
            return
        if subtype != "/Form" or depth >= MAX_DEPTH or id(xobject) in self.active:
            return
        inner = state.copy()
        matrix = xobject.get("/Matrix")
        if matrix is not None and len(matrix) == 6:
            inner.ctm = multiply(_numbers(matrix), inner.ctm)  # type: ignore[arg-type]
        bbox = xobject.get("/BBox")
        if bbox is not None and len(bbox) == 4:
            x0, y0, x1, y1 = _numbers(bbox)
            inner.clip = _cut(_box_of(inner.ctm, [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]),
                              inner.clip) or (0.0, 0.0, 0.0, 0.0)
        self.active.add(id(xobject))
        try:
            self.stream(xobject.get_data(), dictionary(xobject.get("/Resources")) or resources,
                        inner, depth + 1)
        finally:
            self.active.discard(id(xobject))


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]  # a number, or not: then 0
    except (TypeError, ValueError):
        return 0.0


def _numbers(values: Iterable[object]) -> tuple[float, ...]:
    return tuple(_number(v) for v in values)


def _space(resources: DictionaryObject | None, name: object) -> str:
    """The family of a colour space operand: ``/DeviceRGB``, ``/Separation``, ``/Pattern``..."""
    text = str(name)
    if text in ("/DeviceGray", "/DeviceRGB", "/DeviceCMYK", "/Pattern"):
        return text
    spaces = dictionary(resources.get("/ColorSpace")) if resources is not None else None
    value = resolve(spaces.get(text)) if spaces is not None else None
    if value is None:
        return text
    if isinstance(value, list) and value:
        family = str(value[0])
        if family == "/ICCBased":
            count = int(value[1].get_object().get("/N", 3))
            return {1: "/DeviceGray", 3: "/DeviceRGB", 4: "/DeviceCMYK"}.get(count, family)
        return family
    return str(value)


def painted(page: PageObject) -> list[Box]:
    """The boxes of the art of ``page`` (see the module), in its default space."""
    contents = page.get_contents()
    if contents is None:
        return []
    walk = _Walk()
    walk.stream(contents.get_data(), dictionary(page.get("/Resources")), _State(), 0)
    return walk.boxes


@dataclass(frozen=True)
class Edge:
    """One side of the trim: does the art reach it, and how far beyond it does art go."""

    side: str
    touches: bool
    beyond: float  # points of art outside the trim on this side (0 when none)


def edges(boxes: list[Box], trim: Box) -> dict[str, Edge]:
    """For each side of ``trim``: whether art inside the trim reaches its edge, and how far
    art goes beyond that edge, over the trim's length."""
    left, bottom, right, top = trim
    found: dict[str, Edge] = {}
    for side in SIDES:
        touches, beyond = False, 0.0
        for x0, y0, x1, y1 in boxes:
            if side in ("left", "right"):
                if min(y1, top) - max(y0, bottom) <= 1:
                    continue
                inside = x1 > left + TOLERANCE and x0 < right - TOLERANCE
                if side == "left":
                    touches |= inside and x0 <= left + TOLERANCE
                    if x1 >= left - TOLERANCE:
                        beyond = max(beyond, left - x0)
                else:
                    touches |= inside and x1 >= right - TOLERANCE
                    if x0 <= right + TOLERANCE:
                        beyond = max(beyond, x1 - right)
            else:
                if min(x1, right) - max(x0, left) <= 1:
                    continue
                inside = y1 > bottom + TOLERANCE and y0 < top - TOLERANCE
                if side == "bottom":
                    touches |= inside and y0 <= bottom + TOLERANCE
                    if y1 >= bottom - TOLERANCE:
                        beyond = max(beyond, bottom - y0)
                else:
                    touches |= inside and y1 >= top - TOLERANCE
                    if y0 <= top + TOLERANCE:
                        beyond = max(beyond, y1 - top)
        found[side] = Edge(side, touches, max(0.0, beyond))
    return found
