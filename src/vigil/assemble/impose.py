"""Saddle-stitch imposition: pages of a booklet, two to a side, on sheets a print shop can trim.

Takes PDF bytes (pages of one trim size: A5, A4...) and a sheet (A4, A3, SRA4, SRA3 or
``WIDTHxHEIGHT`` in mm, used landscape; by default the SRA sheet that holds two pages with their
bleed and marks: SRA4 for A5 pages, SRA3 for A4, A4 for A6); gives the imposed PDF and notes.
The page count is first padded to a multiple of four with blank pages before the last page
(the back cover). For n pages, sheet k (from 1, outermost first) carries on its front pages
n-2k+2 and 2k-1, and on its back pages 2k and n-2k+1, in that order from left to right: print
duplex, flipping on the short edge. Each page is cut at its TrimBox on the spine side and keeps
its bleed on the other three. Creep compensation moves the pages of inner sheets towards the
fold by ``creep`` mm per sheet.

Around the two pages (the spread) each side of a sheet carries, outside the bleed and in the
registration colour (``/Separation /All``: ink on every plate): crop marks at the spread's
corners, dashed fold marks at the spine, registration targets beside the spread, and a slug
line under it (title, sheet n of m, front or back, the pages and the sheet; the text in the
bundled sans, embedded). The sheet's TrimBox is the trimmed spread and its BleedBox the spread
with its bleed, as imposition tools write them (one TrimBox per PDF page; the marks lie
outside it). A sheet without room for the bleed and marks is refused, unless marks are turned
off. The PDF header gives the source's version (at least 1.4).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, IndirectObject

    from vigil.assemble.slug import SlugFont

from vigil.errors import VigilError
from vigil.pdf._compat import add_object

MM = 72 / 25.4
SHEETS = {"A5": (210.0, 148.0), "A4": (297.0, 210.0), "A3": (420.0, 297.0),
          "SRA4": (320.0, 225.0), "SRA3": (450.0, 320.0)}
DEFAULT_SHEET = {"A6": "A4", "A5": "SRA4", "A4": "SRA3"}
PAGE_NAMES = {(105.0, 148.0): "A6", (148.0, 210.0): "A5", (210.0, 297.0): "A4"}
MARK_GAP = 0.5         # mm between the bleed and a mark
MARK_LENGTH = 5.0      # mm, at most
MARK_MIN = 2.5         # mm, at least
EDGE = 1.0             # mm kept clear at the sheet's edge
SLUG_SIZE = 5.0        # pt
TARGET_RADIUS = 2.5    # mm, at most, of a registration target
MIN_VERSION = "1.4"


@dataclass
class Imposed:
    pdf: bytes
    sheets: int
    notes: list[str] = field(default_factory=list)
    sheet: str = ""
    sheet_mm: tuple[float, float] = (0.0, 0.0)


def sheet_order(pages: int) -> list[tuple[int, int, int, int]]:
    """For ``pages`` (a multiple of 4): per sheet, (front left, front right, back left,
    back right) as 1-based page numbers."""
    return [
        (pages - 2 * k, 2 * k + 1, 2 * k + 2, pages - 2 * k - 1)
        for k in range(pages // 4)
    ]


def room_needed(bleed_mm: float, marks: bool = True) -> float:
    """Millimetres needed around the spread for the bleed (and the marks)."""
    return bleed_mm + (MARK_GAP + MARK_MIN + EDGE if marks else 0.0)


def parse_sheet(sheet: str | None, page_mm: tuple[float, float],
                bleed_mm: float = 3.0) -> tuple[str, tuple[float, float]]:
    """The sheet's name and landscape size in mm (by default, one with room for the bleed
    and marks around two pages)."""
    if sheet is None:
        name = PAGE_NAMES.get((round(page_mm[0]), round(page_mm[1])))
        sheet = DEFAULT_SHEET.get(name or "")
        if sheet is None:
            margin = 2 * (room_needed(bleed_mm) + 2 * MARK_LENGTH)
            width = float(round(2 * page_mm[0] + margin))
            height = float(round(page_mm[1] + margin))
            return f"{width:g}x{height:g}mm", (width, height)
    key = sheet.strip().upper()
    if key in SHEETS:
        return key, SHEETS[key]
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*[X×]\s*(\d+(?:\.\d+)?)\s*(MM)?", key)
    if not match:
        raise VigilError(
            f"unknown sheet '{sheet}'",
            hint="Give A4, A3, SRA4, SRA3, or a size in millimetres such as 330x240",
        )
    width, height = float(match[1]), float(match[2])
    return sheet, (max(width, height), min(width, height))


def impose(pdf: bytes, sheet: str | None = None, creep_mm: float = 0.0,
           marks: bool = True, title: str | None = None) -> Imposed:
    """Impose ``pdf`` on ``sheet`` (see the module); ``title`` for the slug line (default: the
    PDF's own title)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    reader = PdfReader(io.BytesIO(pdf))
    if len(reader.pages) == 0:
        raise VigilError("the PDF has no pages to impose")
    trim = reader.pages[0].trimbox
    page_w, page_h = float(trim.width), float(trim.height)
    bleed = max(0.0, float(trim.left) - float(reader.pages[0].bleedbox.left))
    name, (sheet_w_mm, sheet_h_mm) = parse_sheet(sheet, (page_w / MM, page_h / MM), bleed / MM)
    sheet_w, sheet_h = sheet_w_mm * MM, sheet_h_mm * MM
    pages_text = f"{page_w / MM:.0f}×{page_h / MM:.0f} mm"
    if 2 * page_w > sheet_w + 0.5 or page_h > sheet_h + 0.5:
        raise VigilError(
            f"two pages of {pages_text} do not fit side by side on "
            f"{_a(name)} sheet ({sheet_w_mm:g}×{sheet_h_mm:g} mm)",
            hint="Choose a larger sheet with --sheet",
        )
    x0 = (sheet_w - 2 * page_w) / 2
    y0 = (sheet_h - page_h) / 2
    room_mm = max(0.0, min(x0, y0) / MM)
    notes = []
    if marks and room_mm + 0.01 < room_needed(bleed / MM):
        default = parse_sheet(None, (page_w / MM, page_h / MM), bleed / MM)[0]
        raise VigilError(
            f"{_a(name)} sheet ({sheet_w_mm:g}×{sheet_h_mm:g} mm) leaves {room_mm:.1f} mm around "
            f"two pages of {pages_text}; their {bleed / MM:g} mm bleed and the crop marks need "
            f"{room_needed(bleed / MM):.1f} mm, so a print shop could not trim the sheets",
            hint=f"Leave the sheet out (--sheet, or print: sheet: in publication.yaml) to use "
                 f"{default}, which has room, choose a larger sheet, or impose without marks "
                 "(--no-marks, or print: marks: false)",
        )
    if not marks and room_mm + 0.01 < bleed / MM:
        notes.append(
            f"no room for the {bleed / MM:g} mm bleed on {_a(name)} sheet: the pages are cut at "
            "their trim edge and the sheets cannot be trimmed (fine for folding at a desk; a "
            "print shop needs an SRA sheet)")
    elif not marks:
        notes.append("no crop, fold or registration marks and no slug (marks turned off)")
    source_title = " ".join(
        str(title or (reader.metadata.title if reader.metadata else None) or "").split())
    version = _version(reader)
    # One writer holds the pages (as form XObjects, clipped by their BBox to the TrimBox)
    # and the sheets that draw them; the pages themselves leave the page tree at the end.
    writer = PdfWriter(clone_from=reader)
    for key in ("/Outlines", "/Names", "/Dests", "/StructTreeRoot", "/MarkInfo",
                "/PageLabels", "/OpenAction"):
        writer.root_object.pop(NameObject(key), None)
    count = len(writer.pages)
    padding = (-count) % 4
    for _ in range(padding):
        writer.insert_blank_page(page_w, page_h, index=count - 1)
    if padding:
        notes.append(f"padded {count} pages to {count + padding} with {padding} blank "
                     f"page{'s' if padding > 1 else ''} before the last page")
    total = len(writer.pages)
    order = sheet_order(total)
    geometry = _Geometry(sheet_w, sheet_h, x0, y0, page_w, page_h, bleed)
    slugs = [(f"{source_title} · " if source_title else "")
             + f"sheet {index + 1} of {len(order)} · {side}" for index in range(len(order))
             for side in ("front", "back")]
    folios = [f"pages {a} | {b} · {name} {sheet_w_mm:g}×{sheet_h_mm:g} mm"
              for sheet_pages in order for a, b in (sheet_pages[:2], sheet_pages[2:])]
    font = None
    if marks:
        from vigil.assemble.slug import SlugFont

        font = SlugFont(writer, [*slugs, *folios, "…"])
    for index, (front_l, front_r, back_l, back_r) in enumerate(order):
        shift = creep_mm * MM * index
        for turn, (left, right) in enumerate(((front_l, front_r), (back_l, back_r))):
            placed = []
            for number, x, side in ((left, x0 + shift, "left"),
                                    (right, x0 + page_w - shift, "right")):
                form, box = _as_form(writer, writer.pages[number - 1], side)
                placed.append((f"/P{number}", form, x - box[0], y0 - box[1]))
            drawn = b""
            if font is not None:
                drawn = _marks(geometry, font, slugs[2 * index + turn],
                               folios[2 * index + turn])
            _add_sheet_side(writer, geometry, placed, drawn, font)
    for index in range(total - 1, -1, -1):
        writer.remove_page(index)
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    if creep_mm:
        notes.append(f"creep compensation {creep_mm:g} mm per sheet "
                     f"(up to {creep_mm * (total // 4 - 1):g} mm at the centre)")
    writer.pdf_header = f"%PDF-{version}"
    from vigil.pdf.write import classic

    return Imposed(classic(writer), total // 4, notes, name, (sheet_w_mm, sheet_h_mm))


def _a(name: str) -> str:
    """``an A4``, ``an SRA3``, ``a 330x240``."""
    return f"{'an' if name[:1].upper() in 'AEFHILMNORSX' else 'a'} {name}"


def _version(reader: PdfReader) -> str:
    """The PDF version the sheets need: the source's (header or catalogue /Version, the later),
    and at least 1.4, for the transparency a typeset page may carry."""
    versions = [MIN_VERSION]
    header = re.match(r"%PDF-(\d\.\d)", str(reader.pdf_header))
    if header:
        versions.append(header[1])
    declared = cast("DictionaryObject", reader.trailer["/Root"]).get("/Version")
    if declared is not None and re.fullmatch(r"/?\d\.\d", str(declared)):
        versions.append(str(declared).lstrip("/"))
    return max(versions, key=lambda v: tuple(int(p) for p in v.split(".")))


@dataclass(frozen=True)
class _Geometry:
    """Where a sheet side's spread lies, in points."""

    width: float
    height: float
    x0: float
    y0: float
    page_w: float
    page_h: float
    bleed: float

    @property
    def trim(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x0 + 2 * self.page_w, self.y0 + self.page_h)

    @property
    def bleed_box(self) -> tuple[float, float, float, float]:
        left, bottom, right, top = self.trim
        b = self.bleed
        return (max(0.0, left - b), max(0.0, bottom - b),
                min(self.width, right + b), min(self.height, top + b))


def _as_form(writer: PdfWriter, page: PageObject, side: str
             ) -> tuple[IndirectObject, tuple[float, float]]:
    """The page as a form XObject cut by its BBox: at the TrimBox on the spine side, at the
    BleedBox on the others (so crop marks outside the bleed never come along). Gives the form
    and the trim corner it is placed by."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject, StreamObject

    box, bleed = page.trimbox, page.bleedbox
    if side == "left":
        cut = (bleed.left, bleed.bottom, box.right, bleed.top)
    else:
        cut = (box.left, bleed.bottom, bleed.right, bleed.top)
    contents = page.get_contents()
    form = StreamObject()
    form.set_data(contents.get_data() if contents is not None else b"")
    form = form.flate_encode()
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = ArrayObject([FloatObject(v) for v in cut])
    if "/Resources" in page:
        form[NameObject("/Resources")] = page.raw_get("/Resources")
    return add_object(writer, form), (float(box.left), float(box.bottom))


def _add_sheet_side(writer: PdfWriter, geometry: _Geometry,
                    placed: list[tuple[str, IndirectObject, float, float]], marks: bytes,
                    font: SlugFont | None) -> None:
    from pypdf.generic import (
        ArrayObject,
        ContentStream,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        RectangleObject,
    )

    side = writer.add_blank_page(geometry.width, geometry.height)
    ops = [f"q 1 0 0 1 {x:.3f} {y:.3f} cm {name} Do Q" for name, _, x, y in placed]
    stream = ContentStream(None, None)
    stream.set_data("\n".join(ops).encode("ascii") + b"\n" + marks)
    side[NameObject("/Contents")] = add_object(writer, stream.flate_encode())
    resources = DictionaryObject({NameObject("/XObject"): DictionaryObject(
        {NameObject(name): form for name, form, _, _ in placed})})
    if font is not None:
        resources[NameObject("/Font")] = DictionaryObject({NameObject("/FSlug"): font.reference})
        resources[NameObject("/ColorSpace")] = DictionaryObject({
            NameObject("/CSReg"): ArrayObject([
                NameObject("/Separation"), NameObject("/All"), NameObject("/DeviceCMYK"),
                DictionaryObject({
                    NameObject("/FunctionType"): NumberObject(2),
                    NameObject("/Domain"): ArrayObject([NumberObject(0), NumberObject(1)]),
                    NameObject("/C0"): ArrayObject([NumberObject(0)] * 4),
                    NameObject("/C1"): ArrayObject([NumberObject(1)] * 4),
                    NameObject("/N"): NumberObject(1),
                }),
            ])})
    side[NameObject("/Resources")] = resources
    side[NameObject("/TrimBox")] = RectangleObject([FloatObject(round(v, 4))
                                                    for v in geometry.trim])
    side[NameObject("/BleedBox")] = RectangleObject([FloatObject(round(v, 4))
                                                     for v in geometry.bleed_box])


def _marks(g: _Geometry, font: SlugFont, slug: str, folio: str) -> bytes:
    """Crop marks at the spread's corners and dashed fold marks at the spine, starting
    ``MARK_GAP`` outside the bleed and as long as the sheet allows (up to ``MARK_LENGTH``);
    registration targets beside the spread, when there is room; the slug line under the spread:
    ``slug`` under the left page, ``folio`` under the right. All in the registration colour."""
    gap = g.bleed + MARK_GAP * MM
    edge = EDGE * MM
    across = min(MARK_LENGTH * MM, g.x0 - gap - edge)   # horizontal marks, beside the spread
    along = min(MARK_LENGTH * MM, g.y0 - gap - edge)    # vertical marks, above and below
    left, bottom, right, top = g.trim
    lines = []
    for x, y, dx, dy in ((left, bottom, -1, -1), (right, bottom, 1, -1),
                         (left, top, -1, 1), (right, top, 1, 1)):
        lines.append((x + dx * gap, y, x + dx * (gap + across), y))
        lines.append((x, y + dy * gap, x, y + dy * (gap + along)))
    spine = left + g.page_w
    folds = [(spine, top + gap, spine, top + gap + along),
             (spine, bottom - gap, spine, bottom - gap - along)]
    ops = ["q", "/CSReg CS 1 SCN", "0.25 w"]
    ops += [f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S" for a, b, c, d in lines]
    radius = min(TARGET_RADIUS * MM, (g.x0 - gap - edge) / 2)
    if radius >= 1.5 * MM:
        middle = (bottom + top) / 2
        for centre in (left - gap - radius, right + gap + radius):
            ops += _target(centre, middle, radius)
    ops += ["[2 2] 0 d"]
    ops += [f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S" for a, b, c, d in folds]
    ops.append("Q")
    # The slug: the top of its line (the font's ascent) MARK_GAP below the bleed.
    baseline = bottom - gap - font.ascent * SLUG_SIZE / 1000
    room = g.page_w - 2 * (6 * MM)
    ops += ["q", "/CSReg cs 1 scn", "BT", f"/FSlug {SLUG_SIZE:g} Tf"]
    for text, flush in ((slug, "left"), (folio, "right")):
        text = _fit(font, text, room)
        start = (left + 6 * MM if flush == "left"
                 else right - 6 * MM - font.width(text, SLUG_SIZE))
        ops.append(f"1 0 0 1 {start:.3f} {baseline:.3f} Tm {font.encode(text).decode()} Tj")
    ops += ["ET", "Q"]
    return "\n".join(ops).encode("ascii")


def _fit(font: SlugFont, text: str, room: float) -> str:
    """``text``, shortened with an ellipsis to fit ``room`` points."""
    if font.width(text, SLUG_SIZE) <= room:
        return text
    while text and font.width(text + "…", SLUG_SIZE) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _target(x: float, y: float, r: float) -> list[str]:
    """A registration target: a circle of radius ``0.6 r`` and a cross of arms ``r``."""
    c = 0.6 * r
    k = 0.5523 * c  # Bézier control distance for a quarter circle
    circle = (f"{x + c:.3f} {y:.3f} m "
              f"{x + c:.3f} {y + k:.3f} {x + k:.3f} {y + c:.3f} {x:.3f} {y + c:.3f} c "
              f"{x - k:.3f} {y + c:.3f} {x - c:.3f} {y + k:.3f} {x - c:.3f} {y:.3f} c "
              f"{x - c:.3f} {y - k:.3f} {x - k:.3f} {y - c:.3f} {x:.3f} {y - c:.3f} c "
              f"{x + k:.3f} {y - c:.3f} {x + c:.3f} {y - k:.3f} {x + c:.3f} {y:.3f} c S")
    return [circle, f"{x - r:.3f} {y:.3f} m {x + r:.3f} {y:.3f} l S",
            f"{x:.3f} {y - r:.3f} m {x:.3f} {y + r:.3f} l S"]
