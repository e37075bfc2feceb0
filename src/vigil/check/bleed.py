"""Print check: art that reaches the trim edge must run on into the bleed.

Takes an open pypdf reader and the report; adds a warning ``bleed-art`` for each page (with a
TrimBox) whose art (see :mod:`vigil.pdfart`: filled and stroked paths, images, shadings, not
text) reaches an edge of the TrimBox but stops there, or runs less far than the BleedBox into
the bleed: a guillotine that cuts a hair outside the trim leaves a white line on such a page.
The finding names the page and the sides. Pages whose art stays inside the trim (text pages
with margins) and pages whose art fills the bleed are fine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vigil.check.findings import WARNING, Report
from vigil.pdf.objects import read_errors
from vigil.pdfart import SIDES, TOLERANCE, edges, page_box, painted

if TYPE_CHECKING:
    from pypdf import PdfReader

POINT_MM = 25.4 / 72


def check_bleed(reader: PdfReader, report: Report) -> None:
    """Add a ``bleed-art`` warning for every page whose art stops at the trim (see the module)."""
    for number, page in enumerate(reader.pages, start=1):
        trim = page_box(page, "/TrimBox")
        if trim is None:
            continue
        bleed = page_box(page, "/BleedBox") or trim
        widths = {"left": trim[0] - bleed[0], "bottom": trim[1] - bleed[1],
                  "right": bleed[2] - trim[2], "top": bleed[3] - trim[3]}
        try:
            boxes = painted(page)
        except read_errors():  # damaged content: another check says so
            continue
        short: list[tuple[str, float]] = []
        for side, edge in edges(boxes, trim).items():
            wanted = max(widths[side], 0.0)
            if edge.touches and (wanted < TOLERANCE or edge.beyond < wanted - TOLERANCE):
                short.append((side, edge.beyond))
        if not short:
            continue
        sides = ", ".join(side for side in SIDES if side in dict(short))
        wanted_mm = max(min(widths.values()), 0.0) * POINT_MM
        deepest = max(beyond for _, beyond in short) * POINT_MM
        if wanted_mm < 0.1:
            how = "and the page has no bleed"
        elif deepest < 0.1:
            how = f"and stops there, not running into the {wanted_mm:.0f} mm bleed"
        else:
            how = f"but runs only {deepest:.1f} mm into the {wanted_mm:.0f} mm bleed"
        report.add(WARNING, "bleed-art",
                   f"art reaches the trim edge ({sides}) {how}: a cut a hair outside the trim "
                   "leaves a white line. Extend the art into the bleed (for a PDF insert: "
                   "'bleed: mirror' or 'bleed: scale') (page "
                   f"{number})", page=number)
