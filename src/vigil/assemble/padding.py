"""Pad a print PDF to signatures: keep the pages reserved before the back cover that are needed.

Takes a pypdf writer holding the typeset document (laid out with ``pad_to - 1`` reserved pages,
anchored ``pad-0``, ``pad-1``...), where the anchors lie and the signature size; keeps the last
reserved pages that are needed (so that a memorial page, laid out last, always stands just
before the back cover, on the last recto), removes the others and their named destinations, and
says what it kept: ``padded 29 pages to 32 with 2 ruled Notes pages and a memorial page before
the back cover (signatures of 4)``.
"""

from __future__ import annotations

from typing import Any

from vigil.read import Publication
from vigil.typeset import Layout


def drop_unused_padding(
    writer: Any, typeset: Layout, publication: Publication, pad_to: int
) -> list[str]:
    starts = [index for name, index in typeset.anchors.items() if name.startswith("pad-")]
    if not starts:
        return []
    # Every page from the first reserved one up to the back cover (the last page).
    reserved = list(range(min(starts), typeset.pages - 1))
    content_pages = typeset.pages - len(reserved)
    needed = (-content_pages) % pad_to
    unused = reserved[:len(reserved) - needed]
    for index in sorted(unused, reverse=True):
        del writer.pages[index]
    dropped = {name for name, index in typeset.anchors.items()
               if name.startswith("pad-") and index in unused}
    _drop_destinations(writer, dropped)
    if not needed:
        return []
    return [
        f"padded {content_pages} pages to {content_pages + needed} with "
        f"{describe(publication.meta.print.padding, needed)} before the back cover "
        f"(signatures of {pad_to})"
    ]


def describe(style: str, pages: int) -> str:
    """``3 blank pages``, ``a ruled Notes page``, ``2 ruled Notes pages and a memorial page``."""
    def count(number: int, what: str) -> str:
        return f"{'a' if number == 1 else number} {what} page{'s' if number > 1 else ''}"

    if style == "memorial":
        notes = f"{count(pages - 1, 'ruled Notes')} and " if pages > 1 else ""
        return f"{notes}a memorial page"
    return count(pages, "ruled Notes" if style == "notes" else "blank")


def _drop_destinations(writer: Any, names: set[str]) -> None:
    """Remove the named destinations of removed pages (WeasyPrint writes a flat name array)."""
    root = writer.root_object
    if "/Names" not in root or "/Dests" not in root["/Names"]:
        return
    dests = root["/Names"]["/Dests"].get_object()
    array = dests.get("/Names")
    if array is None:
        return
    kept = []
    for position in range(0, len(array) - 1, 2):
        if str(array[position]) not in names:
            kept.extend([array[position], array[position + 1]])
    array.clear()
    array.extend(kept)
