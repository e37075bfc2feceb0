"""Personalised copies: the shared pages of a publication with each copy's own covers.

Takes the assembled PDF of the first copy (its body is the same in every copy) and one small
typeset document holding the cover and back cover of each other copy, two pages a copy; gives
each copy's PDF, made by putting that copy's two pages in place of the first and last pages.
The page objects stay (so the contents, bookmarks and links keep working); their drawing and
resources are replaced. Font subsets brought in are renamed after their content, so that one
file never holds two different subsets under the same name.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import Any


def copies(base: bytes, covers: bytes, count: int, marks_bleed: float | None) -> Iterator[bytes]:
    """Yield ``count`` PDFs: ``base`` with pages 2k and 2k+1 of ``covers`` as its first and
    last pages. With ``marks_bleed`` (print), crop marks are drawn on the covers first."""
    from pypdf import PdfReader, PdfWriter

    covers_writer = PdfWriter(clone_from=io.BytesIO(covers))
    if marks_bleed is not None:
        from vigil.assemble.marks import add_crop_marks

        add_crop_marks(covers_writer, marks_bleed)
    covers_reader = PdfReader(_written(covers_writer))
    base_reader = PdfReader(io.BytesIO(base))
    for index in range(count):
        writer = PdfWriter(clone_from=base_reader)
        last = len(writer.pages) - 1
        for target, source in ((0, 2 * index), (last, 2 * index + 1)):
            _replace(writer, writer.pages[target], covers_reader.pages[source])
        yield _written(writer).getvalue()


def _replace(writer: Any, target: Any, source: Any) -> None:
    from pypdf.generic import NameObject

    page = writer.add_page(source)  # clones the page's objects into this writer
    target[NameObject("/Contents")] = page.raw_get("/Contents")
    target[NameObject("/Resources")] = page.raw_get("/Resources")
    writer.remove_page(len(writer.pages) - 1)
    _rename_subsets(target["/Resources"].get_object())


def _rename_subsets(resources: Any) -> None:
    """Give each embedded font subset a tag made from its font program's bytes."""
    from pypdf.generic import NameObject

    for reference in (resources.get("/Font") or {}).values():
        font = reference.get_object()
        base = str(font.get("/BaseFont", ""))
        if "+" not in base:
            continue
        descendant = font
        if font.get("/Subtype") == "/Type0":
            descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant.get("/FontDescriptor")
        program = None
        if descriptor is not None:
            descriptor = descriptor.get_object()
            for key in ("/FontFile2", "/FontFile3", "/FontFile"):
                if key in descriptor:
                    program = descriptor[key].get_object().get_data()
        if program is None:
            continue
        digest = hashlib.sha256(program).digest()
        tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
        name = NameObject(f"/{tag}+{base.split('+', 1)[1]}")
        font[NameObject("/BaseFont")] = name
        if descendant is not font:
            descendant[NameObject("/BaseFont")] = name
        if descriptor is not None:
            descriptor[NameObject("/FontName")] = name


def _written(writer: Any) -> io.BytesIO:
    output = io.BytesIO()
    writer.write(output)
    output.seek(0)
    return output
