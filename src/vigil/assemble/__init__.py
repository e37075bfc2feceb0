"""Stage 4, assemble: typeset pages become the final PDF.

Takes the typeset PDF (bytes and where its anchors lie), the publication and the profile; gives
an :class:`Assembled` PDF and notes for the build summary. With pypdf: PDF inserts go into the
pages reserved for them (any profile); for print, as many of the pages reserved before the back
cover are kept as make the count a multiple of four, page labels are set, and crop marks are
drawn outside the bleed (TrimBox and BleedBox come from the layout). A tagged PDF (screen,
archive) gets its tags fixed (:mod:`vigil.assemble.accessible`: running heads become artifacts,
table headers their scope, links their descriptions); an untagged screen PDF without inserts
is final as typeset.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vigil.profiles import Profile
from vigil.read import Publication
from vigil.typeset import Typeset

__all__ = ["Assembled", "assemble"]


@dataclass
class Assembled:
    pdf: bytes
    notes: list[str] = field(default_factory=list)
    # The indirect objects of ``pdf`` as assemble held them when it wrote them (object n at
    # index n - 1, None for a free number), or nothing when it did not parse the PDF: the
    # check takes them instead of parsing ``pdf`` again.
    objects: Sequence[Any] = ()


def assemble(typeset: Typeset, publication: Publication, profile: Profile) -> Assembled:
    """Return the final PDF for ``publication`` under ``profile``."""
    has_inserts = any(section.insert for section in publication.sections)
    if not profile.for_print and not has_inserts and not profile.tagged:
        return Assembled(typeset.data)
    from pypdf import PdfWriter
    from pypdf.constants import PageLabelStyle

    from vigil.assemble.inserts import place_inserts
    from vigil.assemble.marks import add_crop_marks
    from vigil.assemble.padding import drop_unused_padding

    writer = typeset.writer  # laid out section by section: joined, not written yet
    if writer is None:
        from vigil.read.inserts import capture_pypdf_messages

        with capture_pypdf_messages():  # "object count exceeds trailer size": harmless
            writer = PdfWriter(clone_from=io.BytesIO(typeset.pdf))
        # Keep WeasyPrint's version (1.7: tags, PDF/A-3); pypdf would write %PDF-1.3.
        writer.pdf_header = typeset.pdf[: typeset.pdf.index(b"\n")]
    settings = publication.meta.print
    notes = place_inserts(writer, typeset, publication,
                          settings.bleed if profile.for_print else 0.0)
    if profile.tagged:
        from vigil.assemble.accessible import make_accessible

        make_accessible(writer, _anchor_titles(typeset, publication))
    if not profile.for_print:
        return Assembled(_write(writer), notes, _objects(writer))
    notes += drop_unused_padding(writer, typeset, publication, profile.pad_to)
    writer.set_page_label(0, len(writer.pages) - 1, style=PageLabelStyle.DECIMAL, start=1)
    if settings.marks:
        add_crop_marks(writer, settings.bleed)
    return Assembled(_write(writer), notes, _objects(writer))


def _anchor_titles(typeset: Typeset, publication: Publication) -> dict[str, str]:
    """Each anchor's section title: the section that starts last at or before its page (the
    publication's title before the first section)."""
    starts = sorted((typeset.anchors[section.id], index, section.title)
                    for index, section in enumerate(publication.sections)
                    if section.id in typeset.anchors and section.title)
    titles: dict[str, str] = {}
    for name, page in sorted(typeset.anchors.items()):
        found = [title for start, _, title in starts if start <= page]
        titles[name] = found[-1] if found else publication.meta.title
    return titles


def _write(writer: Any) -> bytes:
    from vigil.assemble.compact import compact

    return compact(writer)


def _objects(writer: Any) -> Sequence[Any]:
    """The objects ``_write`` wrote, numbered as in the file (none for an encrypted or
    incremental writer: pypdf wrote it, and may have numbered it otherwise)."""
    from vigil.pdf._compat import objects, writer_encrypted

    if writer_encrypted(writer) or writer.incremental:
        return ()
    return tuple(objects(writer))
