"""Crop marks outside the bleed, as a print shop expects them.

Takes a pypdf writer whose pages have a TrimBox and a BleedBox (from the layout) and the bleed
in millimetres; grows each page's MediaBox by a margin for the marks and draws eight hairlines
at the trim corners, starting just outside the bleed so they never show on the trimmed page.
"""

from __future__ import annotations

from typing import Any

from vigil.pdf._compat import add_object

MM = 72 / 25.4
MARK_LENGTH = 5 * MM
MARK_GAP = 1 * MM


def add_crop_marks(writer: Any, bleed_mm: float) -> None:
    from pypdf.generic import ArrayObject, ContentStream, NameObject, RectangleObject

    margin = bleed_mm * MM + MARK_GAP + MARK_LENGTH + 1 * MM
    for page in writer.pages:
        trim = page.trimbox
        left, bottom = float(trim.left), float(trim.bottom)
        right, top = float(trim.right), float(trim.top)
        media = RectangleObject(
            [left - margin, bottom - margin, right + margin, top + margin]
        )
        start = bleed_mm * MM + MARK_GAP
        lines = []
        for x, y, dx, dy in (
            (left, bottom, -1, -1), (right, bottom, 1, -1),
            (left, top, -1, 1), (right, top, 1, 1),
        ):
            lines.append((x + dx * start, y, x + dx * (start + MARK_LENGTH), y))
            lines.append((x, y + dy * start, x, y + dy * (start + MARK_LENGTH)))
        ops = ["q", "0.25 w", "0 0 0 1 K"]
        ops += [f"{x1:.3f} {y1:.3f} m {x2:.3f} {y2:.3f} l S" for x1, y1, x2, y2 in lines]
        ops.append("Q")
        contents = page.get("/Contents")
        existing = contents.get_object() if contents is not None else None
        # The page's own drawing is wrapped in q ... Q so that its graphics state cannot
        # leak into the marks.
        array = ArrayObject([_stream(writer, ContentStream, b"q")])
        if isinstance(existing, ArrayObject):
            array.extend(existing)
        elif contents is not None:
            array.append(contents)
        array.append(_stream(writer, ContentStream, b"Q"))
        array.append(_stream(writer, ContentStream, "\n".join(ops).encode("ascii")))
        page[NameObject("/Contents")] = array
        page.mediabox = media
        page.cropbox = media


def _stream(writer: Any, kind: Any, data: bytes) -> Any:
    stream = kind(None, None)
    stream.set_data(data)
    return add_object(writer, stream)
