"""Stage 4, assemble: typeset pages become the final PDF.

Takes the :class:`~vigil.typeset.Layout` (the document's parts and where its anchors lie), the
publication and the profile; gives an :class:`Assembled` PDF and notes for the build summary.
A layout by sections is joined first (:mod:`vigil.assemble.join`, vigil's only join); when
pypdf cannot join it, :class:`~vigil.typeset.WholeLayoutNeeded` says why (the pipeline then
lays the document out whole). With pypdf: PDF inserts go into the
pages reserved for them (any profile); for print, as many of the pages reserved before the back
cover are kept as make the count a multiple of four, page labels are set, and crop marks are
drawn outside the bleed (TrimBox and BleedBox come from the layout). A tagged PDF (screen,
archive) gets its tags fixed (:mod:`vigil.assemble.accessible`: running heads become artifacts,
table headers their scope, links their descriptions); an untagged screen PDF without inserts
is final as typeset (laid out whole) or as joined.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vigil.profiles import Profile
from vigil.read import Publication
from vigil.typeset import Layout, WholeLayoutNeeded

__all__ = ["Assembled", "assemble", "joined"]


@dataclass
class Assembled:
    pdf: bytes
    notes: list[str] = field(default_factory=list)
    # The indirect objects of ``pdf`` as assemble held them when it wrote them (object n at
    # index n - 1, None for a free number), or nothing when it did not parse the PDF: the
    # check takes them instead of parsing ``pdf`` again.
    objects: Sequence[Any] = ()


def assemble(layout: Layout, publication: Publication, profile: Profile) -> Assembled:
    """Return the final PDF for ``publication`` under ``profile``; raises
    :class:`~vigil.typeset.WholeLayoutNeeded` when the sections of ``layout`` cannot be
    joined."""
    has_inserts = any(section.insert for section in publication.sections)
    final = not profile.for_print and not has_inserts and not profile.tagged
    if final and layout.whole:
        return Assembled(layout.parts[0].pdf)
    from pypdf.constants import PageLabelStyle

    from vigil.assemble.inserts import place_inserts
    from vigil.assemble.marks import add_crop_marks
    from vigil.assemble.padding import drop_unused_padding

    writer, notes = _writer(layout)
    if final:
        return Assembled(_write(writer), notes)
    settings = publication.meta.print
    notes += place_inserts(writer, layout, publication,
                           settings.bleed if profile.for_print else 0.0)
    if profile.tagged:
        from vigil.assemble.accessible import make_accessible

        make_accessible(writer, _anchor_titles(layout, publication))
    if not profile.for_print:
        return Assembled(_write(writer), notes, _objects(writer))
    notes += drop_unused_padding(writer, layout, publication, profile.pad_to)
    writer.set_page_label(0, len(writer.pages) - 1, style=PageLabelStyle.DECIMAL, start=1)
    if settings.marks:
        add_crop_marks(writer, settings.bleed)
    return Assembled(_write(writer), notes, _objects(writer))


def joined(layout: Layout) -> bytes:
    """The PDF of ``layout`` as one document and nothing more (as an untagged screen PDF
    without inserts is final): its parts joined and written, or the whole layout's PDF."""
    if layout.whole:
        return layout.parts[0].pdf
    return _write(_joined(layout)[0])


def _writer(layout: Layout) -> tuple[Any, list[str]]:
    """A pypdf writer holding the document of ``layout``, not written yet: its parts joined
    (and notes of the join), or the whole layout's PDF."""
    if not layout.whole:
        return _joined(layout)
    from pypdf import PdfWriter

    from vigil.read.inserts import capture_pypdf_messages

    pdf = layout.parts[0].pdf
    with capture_pypdf_messages():  # "object count exceeds trailer size": harmless
        writer = PdfWriter(clone_from=io.BytesIO(pdf))
    # Keep WeasyPrint's version (1.7: tags, PDF/A-3); pypdf would write %PDF-1.3.
    writer.pdf_header = pdf[: pdf.index(b"\n")]
    return writer, []


def _joined(layout: Layout) -> tuple[Any, list[str]]:
    """The parts of ``layout`` joined (see :mod:`vigil.assemble.join`); what pypdf raises on
    a part it cannot read or join becomes :class:`~vigil.typeset.WholeLayoutNeeded`."""
    from pypdf.errors import PyPdfError

    from vigil.assemble.join import join
    from vigil.resources import fonts_dir

    font_files = sorted(fonts_dir().glob("*.[ot]tf"))
    try:
        writer, notes = join([part.pdf for part in layout.parts], layout.placed,
                             list(layout.numbers), layout.identifier, font_files)
    # pypdf's own errors on a part it cannot read; KeyError, IndexError, TypeError and
    # AttributeError where an entry is missing or not of the kind the PDF standard says
    # (pypdf does not check); ValueError and struct.error on numbers and font tables it
    # cannot parse. A VigilError (a user's mistake) is not one of these: it goes on up.
    except (PyPdfError, KeyError, IndexError, TypeError, AttributeError, ValueError,
            struct.error) as error:
        raise WholeLayoutNeeded(f"joining the sections failed ({type(error).__name__}: "
                                f"{str(error)[:120]})") from error
    return writer, notes


def _anchor_titles(layout: Layout, publication: Publication) -> dict[str, str]:
    """Each anchor's section title: the section that starts last at or before its page (the
    publication's title before the first section)."""
    starts = sorted((layout.anchors[section.id], index, section.title)
                    for index, section in enumerate(publication.sections)
                    if section.id in layout.anchors and section.title)
    titles: dict[str, str] = {}
    for name, page in sorted(layout.anchors.items()):
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
