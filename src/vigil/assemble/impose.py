"""Saddle-stitch imposition: pages of a booklet, two to a side, on sheets that fold into it.

Takes PDF bytes (pages of one trim size: A5, A4...) and a sheet (A4, A3, SRA4, SRA3 or
``WIDTHxHEIGHT`` in mm, used landscape); gives the imposed PDF and notes. The page count is
first padded to a multiple of four with blank pages before the last page (the back cover). For
n pages, sheet k (from 1, outermost first) carries on its front pages n-2k+2 and 2k-1, and on
its back pages 2k and n-2k+1, in that order from left to right: print duplex, flipping on the
short edge. Each page is cut at its TrimBox on the spine side and keeps its bleed on the other
three. Creep compensation moves the pages of inner sheets towards the fold by ``creep`` mm per
sheet. Crop marks (at the trim corners, outside the bleed) and fold marks (at the spine) are
drawn where the sheet has room around the spread.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from vigil.errors import VigilError

MM = 72 / 25.4
SHEETS = {"A5": (210.0, 148.0), "A4": (297.0, 210.0), "A3": (420.0, 297.0),
          "SRA4": (320.0, 225.0), "SRA3": (450.0, 320.0)}
DEFAULT_SHEET = {"A6": "A5", "A5": "A4", "A4": "A3"}
PAGE_NAMES = {(105.0, 148.0): "A6", (148.0, 210.0): "A5", (210.0, 297.0): "A4"}
MARK_LENGTH = 5.0  # mm


@dataclass
class Imposed:
    pdf: bytes
    sheets: int
    notes: list[str] = field(default_factory=list)


def sheet_order(pages: int) -> list[tuple[int, int, int, int]]:
    """For ``pages`` (a multiple of 4): per sheet, (front left, front right, back left,
    back right) as 1-based page numbers."""
    return [
        (pages - 2 * k, 2 * k + 1, 2 * k + 2, pages - 2 * k - 1)
        for k in range(pages // 4)
    ]


def parse_sheet(sheet: str | None, page_mm: tuple[float, float]) -> tuple[str, tuple[float, float]]:
    """The sheet's name and landscape size in mm."""
    if sheet is None:
        name = PAGE_NAMES.get((round(page_mm[0]), round(page_mm[1])))
        sheet = DEFAULT_SHEET.get(name or "")
        if sheet is None:
            return (f"{2 * page_mm[0] + 20:g}x{page_mm[1] + 20:g}mm",
                    (2 * page_mm[0] + 20, page_mm[1] + 20))
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
           marks: bool = True) -> Imposed:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    reader = PdfReader(io.BytesIO(pdf))
    if len(reader.pages) == 0:
        raise VigilError("the PDF has no pages to impose")
    trim = reader.pages[0].trimbox
    page_w, page_h = float(trim.width), float(trim.height)
    name, (sheet_w_mm, sheet_h_mm) = parse_sheet(sheet, (page_w / MM, page_h / MM))
    sheet_w, sheet_h = sheet_w_mm * MM, sheet_h_mm * MM
    if 2 * page_w > sheet_w + 0.5 or page_h > sheet_h + 0.5:
        raise VigilError(
            f"two pages of {page_w / MM:.0f}×{page_h / MM:.0f} mm do not fit side by side on "
            f"a {name} sheet ({sheet_w_mm:g}×{sheet_h_mm:g} mm)",
            hint="Choose a larger sheet with --sheet",
        )
    # One writer holds the pages (as form XObjects, clipped by their BBox to the TrimBox)
    # and the sheets that draw them; the pages themselves leave the page tree at the end.
    writer = PdfWriter(clone_from=reader)
    for key in ("/Outlines", "/Names", "/Dests", "/StructTreeRoot", "/MarkInfo",
                "/PageLabels", "/OpenAction"):
        writer._root_object.pop(NameObject(key), None)
    notes = []
    count = len(writer.pages)
    padding = (-count) % 4
    for _ in range(padding):
        writer.insert_blank_page(page_w, page_h, index=count - 1)
    if padding:
        notes.append(f"padded {count} pages to {count + padding} with {padding} blank "
                     f"page{'s' if padding > 1 else ''} before the last page")
    total = len(writer.pages)
    bleed = max(0.0, float(trim.left) - float(reader.pages[0].bleedbox.left))
    x0 = (sheet_w - 2 * page_w) / 2
    y0 = (sheet_h - page_h) / 2
    gap = bleed + 1 * MM
    room = min(x0, y0) >= gap + MARK_LENGTH * MM
    for index, (front_l, front_r, back_l, back_r) in enumerate(sheet_order(total)):
        shift = creep_mm * MM * index
        for left, right in ((front_l, front_r), (back_l, back_r)):
            placed = []
            for number, x, side in ((left, x0 + shift, "left"),
                                    (right, x0 + page_w - shift, "right")):
                form, box = _as_form(writer, writer.pages[number - 1], side)
                placed.append((f"/P{number}", form, x - box[0], y0 - box[1]))
            _add_sheet_side(writer, sheet_w, sheet_h, placed,
                            _marks(x0, y0, page_w, page_h, gap) if marks and room else b"")
    for index in range(total - 1, -1, -1):
        writer.remove_page(index)
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    if marks and not room:
        notes.append(f"no room for crop and fold marks on a {name} sheet")
    if creep_mm:
        notes.append(f"creep compensation {creep_mm:g} mm per sheet "
                     f"(up to {creep_mm * (total // 4 - 1):g} mm at the centre)")
    output = io.BytesIO()
    writer.write(output)
    return Imposed(output.getvalue(), total // 4, notes)


def _as_form(writer: Any, page: Any, side: str) -> tuple[Any, tuple[float, float]]:
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
    return writer._add_object(form), (float(box.left), float(box.bottom))


def _add_sheet_side(writer: Any, width: float, height: float,
                    placed: list[tuple[str, Any, float, float]], marks: bytes) -> None:
    from pypdf.generic import ContentStream, DictionaryObject, NameObject

    side = writer.add_blank_page(width, height)
    ops = [f"q 1 0 0 1 {x:.3f} {y:.3f} cm {name} Do Q" for name, _, x, y in placed]
    stream = ContentStream(None, None)
    stream.set_data("\n".join(ops).encode("ascii") + b"\n" + marks)
    side[NameObject("/Contents")] = writer._add_object(stream)
    xobjects = DictionaryObject({NameObject(name): form for name, form, _, _ in placed})
    side[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): xobjects})


def _marks(x0: float, y0: float, width: float, height: float, gap: float) -> bytes:
    """Crop marks at the spread's corners, ``gap`` points away from the trim (outside the
    bleed), and dashed fold marks at the spine."""
    length = MARK_LENGTH * MM
    left, right, bottom, top = x0, x0 + 2 * width, y0, y0 + height
    lines = []
    for x, y, dx, dy in ((left, bottom, -1, -1), (right, bottom, 1, -1),
                         (left, top, -1, 1), (right, top, 1, 1)):
        lines.append((x + dx * gap, y, x + dx * (gap + length), y))
        lines.append((x, y + dy * gap, x, y + dy * (gap + length)))
    spine = x0 + width
    folds = [(spine, top + gap, spine, top + gap + length),
             (spine, bottom - gap, spine, bottom - gap - length)]
    ops = ["q", "0.25 w", "0 0 0 1 K"]
    ops += [f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S" for a, b, c, d in lines]
    ops += ["[2 2] 0 d"]
    ops += [f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S" for a, b, c, d in folds]
    ops.append("Q")
    return "\n".join(ops).encode("ascii")
