"""Typography measured from a built PDF: what a book designer checks on the pages.

Takes a PDF written by vigil (WeasyPrint: each line, or each run of one style within a line, is
one ``TJ`` text operator over a Type 0 font with a ``ToUnicode`` map); gives a
:class:`Typography` with, per page and for the document:

- the text block's left and right edges (from the trimmed page's edges: a print PDF's bleed
  and marks do not count), from the justified lines (a justified line runs from
  edge to edge), and so the inner and outer margins of every page that has some;
- the type sizes used (point sizes after the page's transformations, to 0.1 pt);
- the hyphenated words, as the part before the break and the part after it;
- the lines ending in the hyphenation character (U+2010, WeasyPrint's ``hyphenate-character``)
  and whether such a line is display text (not in the body size), the line before the last line
  of a paragraph, or the last line of running text on its page;
- footnote calls (digits raised above the line in a smaller size) and their size;
- word spaces: the widest space between two words of a justified line, in ems of its size
  (the natural space of the bundled serif is about 0.28 em).

Only the page's own content stream is read (not form XObjects: an inserted PDF page is
measured as nothing), with vigil's tokenizer (:mod:`vigil.pdf.content`) and pypdf's public API.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vigil.pdf.content import Operand, operations
from vigil.pdf.objects import array, dictionary, stream

if TYPE_CHECKING:
    from pypdf import PageObject
    from pypdf.generic import PdfObject

HYPHEN = "\u2010"
MM = 72 / 25.4


@dataclass
class Run:
    """One text operator: where it starts and ends on the page, in points from the top left."""

    x0: float
    x1: float
    y: float
    size: float
    text: str
    gaps: list[float] = field(default_factory=list)   # word spaces, in ems
    justified: bool = False                            # spaces widened by justification


@dataclass
class Line:
    runs: list[Run]

    @property
    def x0(self) -> float:
        return min(r.x0 for r in self.runs)

    @property
    def x1(self) -> float:
        return max(r.x1 for r in self.runs)

    @property
    def y(self) -> float:
        return self.runs[0].y

    @property
    def size(self) -> float:
        return Counter(r.size for r in self.runs for _ in r.text).most_common(1)[0][0]

    @property
    def text(self) -> str:
        return "".join(r.text for r in sorted(self.runs, key=lambda r: r.x0))

    @property
    def justified(self) -> bool:
        return any(r.justified for r in self.runs)

    @property
    def widest_gap(self) -> float:
        return max((g for r in self.runs for g in r.gaps), default=0.0)


@dataclass
class PageTypography:
    number: int
    trim: tuple[float, float, float, float]   # the trimmed page: left, top, right, bottom (pt,
    lines: list[Line]                         # from the top left of the media box, as lines)
    body_size: float = 0.0
    left: float | None = None      # text block edges (pt), from justified lines
    right: float | None = None
    marks: list[float] = field(default_factory=list)           # footnote call sizes
    display_hyphens: list[str] = field(default_factory=list)
    last_line_hyphens: list[str] = field(default_factory=list)  # before a paragraph's last line
    page_end_hyphen: str | None = None
    breaks: list[tuple[str, str]] = field(default_factory=list)  # hyphenated words: the parts
    worst_space: float = 0.0       # widest word space of a justified body line, in ems
    worst_line: str = ""

    def down(self, line: Line) -> float:
        """How far down the trimmed page the baseline of ``line`` is, from 0 to 1."""
        return (line.y - self.trim[1]) / (self.trim[3] - self.trim[1])

    @property
    def inner_outer_mm(self) -> tuple[float, float] | None:
        """Inner and outer margins in mm (page 1 is a right-hand page)."""
        if self.left is None or self.right is None:
            return None
        left, right = (self.left - self.trim[0]) / MM, (self.trim[2] - self.right) / MM
        return (left, right) if self.number % 2 == 1 else (right, left)


@dataclass
class Typography:
    pages: list[PageTypography]
    sizes: Counter[float]

    @property
    def worst_space(self) -> float:
        return max((p.worst_space for p in self.pages), default=0.0)

    @property
    def min_mark(self) -> float | None:
        marks = [m for p in self.pages for m in p.marks]
        return min(marks) if marks else None


def _matrix(a: list[float], b: list[float]) -> list[float]:
    """a × b for PDF matrices [a b c d e f]."""
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


class _Font:
    """Widths (per 1000 em) and Unicode text of a Type 0 font's two-byte codes."""

    def __init__(self, reference: PdfObject) -> None:
        font = dictionary(reference)
        if font is None:
            raise ValueError("a font resource is not a dictionary")
        self.widths: dict[int, float] = {}
        self.default = 1000.0
        self.unicode: dict[int, str] = {}
        self.two_bytes = font.get("/Subtype") == "/Type0"
        if self.two_bytes:
            descendants = array(font.get("/DescendantFonts"))
            descendant = dictionary(descendants[0]) if descendants else None
            if descendant is None:
                raise ValueError("a Type 0 font without its descendant font")
            self.default = float(descendant.get("/DW", 1000))
            w = [x.get_object() if hasattr(x, "get_object") else x
                 for x in descendant.get("/W", [])]
            i = 0
            while i < len(w):
                first = int(w[i])
                if isinstance(w[i + 1], list):
                    for k, width in enumerate(w[i + 1]):
                        self.widths[first + k] = float(width)
                    i += 2
                else:
                    for code in range(first, int(w[i + 1]) + 1):
                        self.widths[code] = float(w[i + 2])
                    i += 3
        else:
            first = int(font.get("/FirstChar", 0))
            for k, width in enumerate(font.get("/Widths", [])):
                self.widths[first + k] = float(width)
        unicode = stream(font.get("/ToUnicode"))
        if unicode is not None:
            self._read_cmap(unicode.get_data().decode("latin-1"))

    def _read_cmap(self, data: str) -> None:
        for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
            for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                self.unicode[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be", "replace")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
            for first, last, text in re.findall(
                    r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                start = int(text, 16)
                for k, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                    self.unicode[code] = chr(start + k)

    def codes(self, data: bytes) -> list[int]:
        if self.two_bytes:
            return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2)]
        return list(data)


def _runs(page: PageObject) -> list[Run]:
    contents = page.get_contents()
    if contents is None:
        return []
    fonts = page.get("/Resources", {}).get("/Font", {})
    height = float(page.mediabox.top)
    cache: dict[str, _Font] = {}
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    stack: list[list[float]] = []
    tm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    line_matrix = list(tm)
    font: _Font | None = None
    size = 0.0
    runs: list[Run] = []
    for operands, operator in operations(contents.get_data(), codes_only=False):
        if operator == b"q":
            stack.append(list(ctm))
        elif operator == b"Q" and stack:
            ctm = stack.pop()
        elif operator == b"cm":
            ctm = _matrix(_numbers(operands), ctm)
        elif operator == b"BT":
            tm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
            line_matrix = list(tm)
        elif operator == b"Tm":
            tm = _numbers(operands)
            line_matrix = list(tm)
        elif operator in (b"Td", b"TD"):
            x, y = [*_numbers(operands[:2]), 0.0, 0.0][:2]
            line_matrix = _matrix([1, 0, 0, 1, x, y], line_matrix)
            tm = list(line_matrix)
        elif operator == b"Tf":
            name = str(operands[0])
            if name not in cache and name in fonts:
                cache[name] = _Font(fonts[name])
            font = cache.get(name)
            size = (_numbers(operands[1:2]) or [0.0])[0]
        elif operator in (b"TJ", b"Tj") and font is not None and operands:
            shown = operands[0]
            items: list[Operand] = shown if isinstance(shown, list) else [shown]
            runs.append(_run(items, font, size, _matrix(tm, ctm), height))
    return [r for r in runs if r.text.strip()]


def _numbers(operands: list[Operand]) -> list[float]:
    """The operands as numbers (0 for one that is not)."""
    return [float(v) if isinstance(v, int | float) else 0.0 for v in operands]


def _run(items: list[Operand], font: _Font, size: float, matrix: list[float],
         height: float) -> Run:
    """Lay out one ``TJ`` array: text, extent and word spaces. A word space is the space
    glyph's width with the adjustments around it; justification widens it by an adjustment
    after an empty string (WeasyPrint's ``<> -n``)."""
    x = 0.0                      # in thousandths of an em
    text: list[str] = []
    gaps: list[float] = []
    justified = False
    since_glyph = 0.0            # adjustments since the last glyph
    gap: float | None = None     # the word space being measured
    after_empty = False
    ink = 0.0                    # x after the last glyph that is not a space
    for item in items:
        if isinstance(item, bytes):
            data = item
            if not data:
                after_empty = True
                continue
            for code in font.codes(data):
                char = font.unicode.get(code, "")
                width = font.widths.get(code, font.default)
                if char == " ":
                    gap = (gap if gap is not None else since_glyph) + width
                elif char:
                    if gap is not None and text:
                        gaps.append(gap / 1000)
                    gap = None
                text.append(char)
                since_glyph = 0.0
                x += width
                if char.strip():
                    ink = x
            after_empty = False
        elif isinstance(item, int | float):
            shift = -float(item)
            x += shift
            since_glyph += shift
            if gap is not None:
                gap += shift
            if after_empty and shift > 0.5:
                justified = True
            after_empty = False
    scale = (abs(matrix[0] * matrix[3] - matrix[1] * matrix[2])) ** 0.5
    x0 = matrix[4]
    x1 = matrix[4] + matrix[0] * ink / 1000 * size
    return Run(x0=min(x0, x1), x1=max(x0, x1), y=height - matrix[5],
               size=round(size * scale, 1), text="".join(text), gaps=gaps, justified=justified)


def _lines(runs: list[Run]) -> list[Line]:
    """Runs grouped into lines: the same baseline (to 0.6 pt) and touching or close."""
    lines: list[Line] = []
    for run in sorted(runs, key=lambda r: (round(r.y, 0), r.x0)):
        for line in reversed(lines[-6:]):
            last = max(line.runs, key=lambda r: r.x1)
            if abs(line.y - run.y) < 0.6 and run.x0 - last.x1 < run.size * 1.2:
                line.runs.append(run)
                break
        else:
            lines.append(Line([run]))
    return lines


def _raised_marks(lines: list[Line], body: float) -> list[float]:
    """Sizes of footnote calls: digit runs in a smaller size, raised above a line's baseline."""
    marks = []
    for line in lines:
        for run in line.runs:
            if run.text.strip().isdigit() and run.size < body:
                for other in lines:
                    if other is not line and 0.5 < other.y - run.y < body * 0.7 and \
                            other.size == body and other.x0 - 1 <= run.x0 <= other.x1 + 1:
                        marks.append(run.size)
                        break
    return marks


def measure(path: Path) -> Typography:
    """The typography of every page of the PDF at ``path``."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    pages: list[PageTypography] = []
    sizes: Counter[float] = Counter()
    for number, page in enumerate(reader.pages, start=1):
        runs = _runs(page)
        for run in runs:
            sizes[run.size] += len(run.text.strip())
        top, trim = float(page.mediabox.top), page.trimbox
        box = (float(trim.left), top - float(trim.top), float(trim.right), top - float(trim.bottom))
        pages.append(PageTypography(number, box, _lines(runs)))
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    for measured in pages:
        _judge(measured, body)
    return Typography(pages, sizes)


def _judge(page: PageTypography, body: float) -> None:
    page.body_size = body
    lines = page.lines
    justified = [line for line in lines if line.justified and line.size == body]
    if justified:
        page.left = min(line.x0 for line in justified)
        page.right = max(line.x1 for line in justified)
    page.marks = _raised_marks(lines, body)
    # Running text: the body size, or any justified line (a note in a smaller size).
    running = sorted((line for line in lines if line.size == body or line.justified),
                     key=lambda line: line.y)
    for line in lines:
        if not line.text.rstrip().endswith(HYPHEN):
            continue
        if line.size > body or not line.justified:
            # Headings, titles, the inscription; a centred or ragged caption or cover line.
            page.display_hyphens.append(line.text.strip())
            continue
        following = [other for other in running if 0 < other.y - line.y < line.size * 2.2
                     and abs(other.x0 - line.x0) < line.size * 2]
        if following:
            after = min(following, key=lambda other: other.y)
            head = re.findall(r"[^\W\d_]+$", line.text.rstrip().rstrip(HYPHEN))
            tail = re.findall(r"^[^\W\d_]+", after.text.strip())
            if head and tail:
                page.breaks.append((head[0], tail[0]))
        if following and page.right is not None:
            # The next line is a paragraph's last if it stops short of the right edge.
            after = min(following, key=lambda other: other.y)
            if after.x1 < page.right - after.size:
                page.last_line_hyphens.append(line.text.strip())
    if running and running[-1].text.rstrip().endswith(HYPHEN):
        page.page_end_hyphen = running[-1].text.strip()
    for line in justified:
        if line.widest_gap > page.worst_space:
            page.worst_space, page.worst_line = line.widest_gap, line.text.strip()
