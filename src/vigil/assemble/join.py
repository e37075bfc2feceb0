"""Join the PDFs of separately laid-out chunks into one document, as if laid out whole.

Takes the chunks' PDFs (WeasyPrint's, in reading order), for each page of the result which
chunk page it is and how far to move its drawing sideways (a chunk laid out from a right page
that lands on a left one), and the *numbers document* (one page per page of the result, with
only the page numbers); gives a pypdf writer holding the joined document, not written yet
(the assemble stage, :mod:`vigil.assemble`, goes on with it: this is vigil's only join). The
chunks are read through :mod:`vigil.pdf.read`, which the section layout filled while its
workers laid out. With pypdf:

- pages are cloned in order; the numbers page is drawn over each as a form XObject (an
  artifact: pagination, for screen readers);
- links between chunks (``vigil-anchor:NAME``, see :mod:`vigil.typeset.chunks`) become
  internal links again, named destinations and bookmarks of all chunks are merged;
- the structure trees (tags) are merged (:mod:`vigil.assemble.tags`) and the font subsets of
  one face become one subset (:mod:`vigil.pdf.fonts`);
- the catalog's language, viewer preferences, XMP metadata and document information come from
  the first chunk (every chunk has the same head).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from pathlib import Path

    from pypdf import PageObject, PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
    from pypdf.types import OutlineType

from vigil.pdf._compat import add_object, set_file_identifier
from vigil.pdf.read import reader as read_pdf
from vigil.typeset import Placed
from vigil.typeset.chunks import ANCHOR_SCHEME

# Catalog entries not copied from the first chunk: rebuilt from all of them, or pypdf's own.
_REBUILT = {"/Type", "/Pages", "/Names", "/Outlines", "/StructTreeRoot", "/PageLabels",
            "/ParentTree"}


def join(parts: Sequence[bytes], placed: Sequence[Placed], numbers: Sequence[bytes],
         identifier: bytes, font_files: Sequence[Path] = ()) -> tuple[PdfWriter, list[str]]:
    """A pypdf writer holding the joined PDF (not written yet: the assemble stage goes on with
    it), and notes (fonts that could not be merged)."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    readers = [read_pdf(pdf) for pdf in parts]
    writer = PdfWriter()
    writer.pdf_header = parts[0][: parts[0].index(b"\n")]
    pages: list[PageObject] = []
    origin: dict[tuple[int, int], int] = {}
    for index, place in enumerate(placed):
        pages.append(writer.add_page(readers[place.part].pages[place.page]))
        origin[(place.part, place.page)] = index
    shifts = {index: place.shift for index, place in enumerate(placed) if place.shift}
    for index, dx in shifts.items():
        _shift(writer, pages[index], dx)
    if numbers:
        _draw_numbers(writer, pages, [page for pdf in numbers for page in read_pdf(pdf).pages])
    _relink(pages)
    _merge_destinations(writer, readers, origin, pages, placed)
    _merge_outlines(writer, readers, origin, pages, placed)
    _copy_catalog(writer, readers[0])
    notes: list[str] = []
    if any("/StructTreeRoot" in _root(reader) for reader in readers):
        from vigil.assemble.tags import merge_structure

        by_part = [[pages[origin[(part, n)]] for n in range(len(reader.pages))]
                   for part, reader in enumerate(readers)]
        merge_structure(writer, list(zip(readers, by_part, strict=True)), shifts)
    if font_files:
        from vigil.pdf.fonts import merge_font_subsets

        notes += merge_font_subsets(writer, font_files)
    set_file_identifier(writer, ArrayObject([ByteStringObject(identifier),
                                             ByteStringObject(identifier)]))
    return writer, notes


def _stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    return add_object(writer, stream)


def _wrap(writer: PdfWriter, page: PageObject, before: bytes, after: bytes) -> None:
    """Put ``before`` and ``after`` around the page's drawing."""
    from pypdf.generic import ArrayObject, NameObject

    contents = page.get("/Contents")
    existing: list[IndirectObject] = []
    if contents is not None:
        target = contents.get_object()
        existing = list(target) if isinstance(target, ArrayObject) else [page.raw_get("/Contents")]
    page[NameObject("/Contents")] = ArrayObject(
        [_stream(writer, before), *existing, _stream(writer, after)])


def _shift(writer: PdfWriter, page: PageObject, dx: float) -> None:
    """Move the page's drawing and its link areas ``dx`` points to the right."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject

    _wrap(writer, page, f"q 1 0 0 1 {dx:.4f} 0 cm\n".encode(), b"\nQ\n")
    for reference in page.get("/Annots") or []:
        annotation = reference.get_object()
        rect = annotation.get("/Rect")
        if rect is not None:
            values = [float(v) for v in rect]
            annotation[NameObject("/Rect")] = ArrayObject(
                FloatObject(round(v + dx, 4)) if i % 2 == 0 else FloatObject(v)
                for i, v in enumerate(values))


def _draw_numbers(writer: PdfWriter, pages: list[PageObject], numbers: list[PageObject]) -> None:
    """Draw page ``i`` of the numbers document (``numbers``: its pages, from one or several
    parts) over page ``i`` as a form XObject."""
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, StreamObject

    for page, source in zip(pages, numbers, strict=True):
        data = source.get_contents()
        if data is None:
            continue
        content = data.get_data()
        if not content.strip():
            continue
        form = StreamObject()
        form.set_data(content)
        box = source.mediabox
        form.update({
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(float(v)) for v in
                                             (box.left, box.bottom, box.right, box.top)),
            NameObject("/Resources"): source["/Resources"].clone(writer),
        })
        reference = add_object(writer, form)
        # WeasyPrint shares one resource dictionary between the pages of a document: each
        # page gets its own (the same entries), with its own numbers.
        resources = DictionaryObject(cast("DictionaryObject", page["/Resources"].get_object()))
        xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
        xobjects[NameObject("/VigilNumbers")] = reference
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        _wrap(writer, page, b"q\n", b"\nQ\n/Artifact <</Type /Pagination>> BDC\n"
              b"q /VigilNumbers Do Q\nEMC\n")


def _relink(pages: list[PageObject]) -> None:
    """Links to anchors of other chunks, written as URI actions, become internal links."""
    from pypdf.generic import NameObject, TextStringObject

    for page in pages:
        for reference in page.get("/Annots") or []:
            annotation = reference.get_object()
            action = annotation.get("/A")
            if action is None:
                continue
            uri = str(action.get_object().get("/URI", ""))
            if not uri.startswith(ANCHOR_SCHEME):
                continue
            name = uri[len(ANCHOR_SCHEME):]
            del annotation["/A"]
            annotation[NameObject("/Dest")] = TextStringObject(name)
            annotation[NameObject("/Contents")] = TextStringObject(name)


def _destination(writer_page: PageObject, array: ArrayObject, dx: float) -> ArrayObject:
    from pypdf.generic import ArrayObject, FloatObject

    values = list(array)
    values[0] = writer_page.indirect_reference
    if len(values) > 2 and str(values[1]) == "/XYZ" and values[2] is not None:
        with contextlib.suppress(TypeError, ValueError):
            values[2] = FloatObject(round(float(values[2]) + dx, 4))
    return ArrayObject(values)


def _merge_destinations(writer: PdfWriter, readers: list[PdfReader],
                        origin: dict[tuple[int, int], int], pages: list[PageObject],
                        placed: Sequence[Placed]) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    entries: dict[str, ArrayObject] = {}
    for part, reader in enumerate(readers):
        numbers = {cast("IndirectObject", page.indirect_reference).idnum: n
                   for n, page in enumerate(reader.pages)}
        root = _root(reader)
        names = root.get("/Names")
        if names is None or "/Dests" not in names.get_object():
            continue
        flat = names.get_object()["/Dests"].get_object().get("/Names") or []
        for position in range(0, len(flat) - 1, 2):
            name = str(flat[position])
            array = flat[position + 1].get_object()
            page_number = numbers.get(array[0].idnum) if len(array) else None
            if page_number is None or name in entries:
                continue
            index = origin[(part, page_number)]
            entries[name] = _destination(pages[index], array, placed[index].shift)
    if not entries:
        return
    flat_names = ArrayObject()
    for name in sorted(entries):
        flat_names.extend([TextStringObject(name), entries[name]])
    dests = DictionaryObject({NameObject("/Names"): flat_names})
    writer.root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/Dests"): add_object(writer, dests)})


def _merge_outlines(writer: PdfWriter, readers: list[PdfReader],
                    origin: dict[tuple[int, int], int], pages: list[PageObject],
                    placed: Sequence[Placed]) -> None:
    from pypdf.generic import Fit

    def add(items: OutlineType, reader: PdfReader, part: int,
            parent: IndirectObject | None) -> None:
        last = None
        for item in items:
            if isinstance(item, list):
                if last is not None:
                    add(cast("OutlineType", item), reader, part, last)  # nested: the same type
                continue
            page_number = cast(int, reader.get_destination_page_number(item))
            index = origin[(part, page_number)]
            left = item.get("/Left")
            top = item.get("/Top")
            dx = placed[index].shift
            fit = Fit.xyz(None if left is None else round(float(left) + dx, 4),
                          None if top is None else float(top), 0)
            count = item.get("/Count", 0) or 0
            last = writer.add_outline_item(title=str(item.title), page_number=pages[index],
                                           parent=parent, fit=fit, is_open=int(count) >= 0)

    for part, reader in enumerate(readers):
        add(reader.outline, reader, part, None)


def _copy_catalog(writer: PdfWriter, first: PdfReader) -> None:
    from pypdf.generic import NameObject

    root = _root(first)
    for key, value in root.items():
        if key in _REBUILT:
            continue
        writer.root_object[NameObject(key)] = value.clone(writer)
    info = first.metadata
    if info is not None:
        writer.add_metadata(dict(info))


def _root(reader: PdfReader) -> DictionaryObject:
    """The catalog of ``reader`` (its trailer's ``/Root``, resolved by pypdf)."""
    return cast("DictionaryObject", reader.trailer["/Root"])
