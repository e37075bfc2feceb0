"""Pad a print PDF to signatures: keep the pages reserved before the back cover that are needed.

Takes a pypdf writer holding the typeset document (laid out with ``pad_to - 1`` reserved pages,
anchored ``pad-0``, ``pad-1``...), where the anchors lie and the signature size; removes the
reserved pages that are not needed and their named destinations, and says what it did.
"""

from __future__ import annotations

from typing import Any

from vigil.read import Publication
from vigil.typeset import Typeset


def drop_unused_padding(
    writer: Any, typeset: Typeset, publication: Publication, pad_to: int
) -> list[str]:
    starts = [index for name, index in typeset.anchors.items() if name.startswith("pad-")]
    if not starts:
        return []
    # Every page from the first reserved one up to the back cover (the last page).
    reserved = list(range(min(starts), typeset.pages - 1))
    content_pages = typeset.pages - len(reserved)
    needed = (-content_pages) % pad_to
    for index in sorted(reserved[needed:], reverse=True):
        del writer.pages[index]
    dropped = {name for name, index in typeset.anchors.items()
               if name.startswith("pad-") and index in reserved[needed:]}
    _drop_destinations(writer, dropped)
    if not needed:
        return []
    kind = "ruled Notes" if publication.meta.print.padding == "notes" else "blank"
    return [
        f"padded {content_pages} pages to {content_pages + needed} with {needed} {kind} "
        f"page{'s' if needed > 1 else ''} before the back cover (signatures of {pad_to})"
    ]


def _drop_destinations(writer: Any, names: set[str]) -> None:
    """Remove the named destinations of removed pages (WeasyPrint writes a flat name array)."""
    root = writer._root_object
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
