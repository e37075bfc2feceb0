"""Stage 4, assemble: typeset pages become the final PDF.

Takes the typeset PDF (bytes and where its anchors lie), the publication and the profile; gives
an :class:`Assembled` PDF and notes for the build summary. For the screen profile the typeset
document is final. For print, with pypdf: keep as many of the pages reserved before the back
cover as make the count a multiple of four, set page labels, and add crop marks outside the
bleed (TrimBox and BleedBox come from the layout).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from vigil.profiles import Profile
from vigil.read import Publication
from vigil.typeset import Typeset

__all__ = ["Assembled", "assemble"]


@dataclass
class Assembled:
    pdf: bytes
    notes: list[str] = field(default_factory=list)


def assemble(typeset: Typeset, publication: Publication, profile: Profile) -> Assembled:
    """Return the final PDF for ``publication`` under ``profile``."""
    if not profile.for_print:
        return Assembled(typeset.pdf)
    from pypdf import PdfWriter
    from pypdf.constants import PageLabelStyle

    from vigil.assemble.marks import add_crop_marks
    from vigil.assemble.padding import drop_unused_padding

    writer = PdfWriter(clone_from=io.BytesIO(typeset.pdf))
    notes = drop_unused_padding(writer, typeset, publication, profile.pad_to)
    writer.set_page_label(0, len(writer.pages) - 1, style=PageLabelStyle.DECIMAL, start=1)
    settings = publication.meta.print
    if settings.marks:
        add_crop_marks(writer, settings.bleed)
    output = io.BytesIO()
    writer.write(output)
    return Assembled(output.getvalue(), notes)
