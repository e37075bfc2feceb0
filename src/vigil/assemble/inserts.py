"""Put the pages of PDF inserts into the pages reserved for them at layout time.

Takes a pypdf writer holding the typeset document, where its anchors lie and the publication;
draws each chosen insert page, scaled to the trim size or kept at its size and centred, beneath
the reserved page's own content (its page number, when stamped). The reserved page objects
stay, so the contents, bookmarks and links that point at them keep working.
"""

from __future__ import annotations

from typing import Any

from vigil.errors import ContentError, Location
from vigil.limits import TimeLimitExceeded, time_limit
from vigil.read import Publication
from vigil.read.inserts import capture_pypdf_messages, damage
from vigil.typeset import Typeset

MERGE_SECONDS = 20.0


def place_inserts(writer: Any, typeset: Typeset, publication: Publication) -> list[str]:
    from pypdf import PdfReader, PdfWriter, Transformation

    notes = []
    for section in publication.sections:
        insert = section.insert
        if insert is None:
            continue
        dropped = 0
        try:
            with time_limit(MERGE_SECONDS), capture_pypdf_messages():
                reader = PdfReader(insert.path)
                if reader.is_encrypted:
                    reader.decrypt(insert.password or "")
                for n, source_index in enumerate(insert.pages):
                    target = writer.pages[typeset.anchors[f"{section.id}-page-{n}"]]
                    source = reader.pages[source_index]
                    if source.rotation:
                        # pypdf turns a rotated page upright only once it belongs to a writer.
                        source = PdfWriter().add_page(source)
                        source.transfer_rotation_to_content()
                    target.merge_transformed_page(
                        source, _placement(source, target, insert.options.size, Transformation),
                        over=False,
                    )
                    dropped += _drop_internal_links(target)
        except TimeLimitExceeded:
            raise ContentError(
                f"the insert '{insert.path.name}' could not be merged within "
                f"{MERGE_SECONDS:g} s; it is probably damaged", location=Location(insert.path),
            ) from None
        except ContentError:
            raise
        except Exception as exc:  # pypdf raises many kinds of errors on damaged files
            raise ContentError(
                f"the insert '{insert.path.name}' could not be merged ({damage(exc)})",
                location=Location(insert.path),
                hint="Open it in a PDF viewer and save or print it again as a new PDF",
            ) from None
        count = len(insert.pages)
        note = f"inserted {count} page{'s' if count > 1 else ''} of {insert.path.name}"
        if dropped:
            note += (f" (without its {dropped} internal link{'s' if dropped > 1 else ''}, "
                     "which led to its own pages)")
        notes.append(note)
    return notes


def _drop_internal_links(page: Any) -> int:
    """Remove the links an insert brought that lead inside the insert's own document (their
    targets are not pages of the book) and its form fields; keep links to web addresses."""
    from pypdf.generic import ArrayObject, NameObject

    annotations = page.get("/Annots")
    if annotations is None:
        return 0
    kept, dropped = ArrayObject(), 0
    for reference in annotations.get_object():
        annotation = reference.get_object()
        action = annotation.get("/A")
        action = action.get_object() if action is not None else None
        internal = annotation.get("/Subtype") == "/Widget" or (
            annotation.get("/Subtype") == "/Link"
            and ("/Dest" in annotation or (action is not None and action.get("/S") == "/GoTo"))
        )
        if internal:
            dropped += 1
        else:
            kept.append(reference)
    page[NameObject("/Annots")] = kept
    return dropped


def _placement(source: Any, target: Any, size: str, transformation: Any) -> Any:
    box, trim = source.cropbox, target.trimbox
    width, height = float(box.width), float(box.height)
    scale = 1.0
    if size == "scale":
        scale = min(float(trim.width) / width, float(trim.height) / height)
    x = float(trim.left) + (float(trim.width) - width * scale) / 2 - float(box.left) * scale
    y = float(trim.bottom) + (float(trim.height) - height * scale) / 2 - float(box.bottom) * scale
    return transformation().scale(scale, scale).translate(x, y)
