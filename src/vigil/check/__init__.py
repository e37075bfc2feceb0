"""Stage 5, check: read back the PDF that was produced and report what a user would verify.

Takes PDF bytes; gives a :class:`Report` with the page count, page size in millimetres, the
embedded and unembedded fonts, the bookmarks, and findings (errors and warnings) that make a
build fail or are listed after it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from vigil.errors import RenderError

POINT_MM = 25.4 / 72


@dataclass
class Report:
    pages: int
    page_size_mm: tuple[float, float]
    fonts: dict[str, bool] = field(default_factory=dict)
    bookmarks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_pdf(pdf: bytes, expected_size_mm: tuple[float, float] | None = None) -> Report:
    """Inspect ``pdf`` with pypdf."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(pdf))
        pages = reader.pages
        box = pages[0].trimbox
    except (PdfReadError, IndexError, ValueError) as exc:
        raise RenderError(f"the PDF produced cannot be read back: {exc}") from None
    size = (round(float(box.width) * POINT_MM, 1), round(float(box.height) * POINT_MM, 1))
    report = Report(pages=len(pages), page_size_mm=size)
    seen: set[int] = set()
    for page in pages:
        _collect_fonts(page.get("/Resources"), report.fonts, seen)
    report.bookmarks = [str(item.title) for item in reader.outline if not isinstance(item, list)]
    for name, embedded in sorted(report.fonts.items()):
        if not embedded:
            report.errors.append(f"font {name} is not embedded")
    if expected_size_mm:
        for number, page in enumerate(pages, start=1):
            w = float(page.trimbox.width) * POINT_MM
            h = float(page.trimbox.height) * POINT_MM
            if abs(w - expected_size_mm[0]) > 0.5 or abs(h - expected_size_mm[1]) > 0.5:
                report.errors.append(
                    f"page {number} is {w:.1f}×{h:.1f} mm, not "
                    f"{expected_size_mm[0]:g}×{expected_size_mm[1]:g} mm"
                )
    return report


def _collect_fonts(resources: Any, fonts: dict[str, bool], seen: set[int], depth: int = 0) -> None:
    """Record each font of ``resources`` (and of its form XObjects) once, by object number."""
    if resources is None or depth > 8:
        return
    resources = resources.get_object()
    for reference in (resources.get("/Font") or {}).values():
        number = getattr(reference, "idnum", None)
        if number is not None:
            if number in seen:
                continue
            seen.add(number)
        font = reference.get_object()
        name = str(font.get("/BaseFont", "?")).lstrip("/")
        descriptor = font.get("/FontDescriptor")
        if font.get("/Subtype") == "/Type0":
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant.get("/FontDescriptor")
        embedded = font.get("/Subtype") == "/Type3" or (
            descriptor is not None
            and any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        )
        fonts[name] = fonts.get(name, True) and embedded
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            _collect_fonts(xobject.get("/Resources"), fonts, seen, depth + 1)
