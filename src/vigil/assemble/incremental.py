"""Incremental updates: a PDF's bytes, unchanged, followed by new and changed objects.

Takes the bytes of a PDF and its pypdf reader (:class:`Base`) and objects given as pypdf
objects or as bytes already serialised (:func:`serialise`); gives the bytes of the updated PDF:
the original file, the objects, then a cross-reference section of the same kind as the
original's (a table, or a compressed cross-reference stream) and a trailer whose ``/Prev``
points at the original's. Nothing of the original is rewritten, so a hundred updates of one
file cost a hundred small appendices, and objects shared by every update can be serialised once
and written with the same numbers (and at the same offsets, when they come first) in each.
The second file identifier is a digest of the update, so the same update gives the same bytes.
Objects, cross-reference sections and trailers are formatted by :mod:`vigil.pdf.write`, as
every file vigil writes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vigil.pdf.objects import integer
from vigil.pdf.write import (
    end_of_file,
    inline_dictionary,
    object_bytes,
    runs,
    trailer,
    xref_entry,
    xref_stream,
    xref_table,
)

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject, PdfObject

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


@dataclass(frozen=True)
class Base:
    """A PDF to update: its bytes, the next free object number, where its last cross-reference
    section is and whether it is a stream, and the trailer entries an update repeats."""

    data: bytes
    size: int
    startxref: int
    xref_stream: bool
    root: IndirectObject
    info: IndirectObject | None
    first_id: bytes


def open_base(data: bytes, reader: PdfReader) -> Base:
    """Describe ``data`` (read by ``reader``, a pypdf PdfReader) for :func:`append_update`."""
    match = _STARTXREF.search(data[-1024:])
    if match is None:
        raise ValueError("the PDF does not end with startxref and %%EOF")
    startxref = int(match.group(1))
    trailer = reader.trailer
    identifier = trailer.get("/ID")
    first = bytes(identifier[0].original_bytes) if identifier else b""
    size = integer(trailer.get("/Size"))
    if size is None:
        raise ValueError("the PDF's trailer has no /Size")
    return Base(
        data=data, size=size, startxref=startxref,
        xref_stream=not data[startxref:startxref + 4].startswith(b"xref"),
        root=trailer.raw_get("/Root"), info=trailer.raw_get("/Info"), first_id=first,
    )


def serialise(number: int, obj: PdfObject) -> bytes:
    """Object ``number`` (generation 0) as it is written in a file: ``N 0 obj ... endobj``."""
    return object_bytes(number, obj)


def append_update(base: Base, objects: Sequence[tuple[int, bytes]], size: int) -> bytes:
    """``base`` followed by ``objects`` (number, serialised, in the order given), a
    cross-reference section for them and a trailer; ``size`` is one more than the highest
    object number used (the xref stream, if any, takes ``size`` itself)."""
    head = base.data if base.data.endswith(b"\n") else base.data + b"\n"
    body = b"".join(chunk for _, chunk in objects)
    offsets: dict[int, int] = {}
    position = len(head)
    for number, chunk in objects:
        offsets[number] = position
        position += len(chunk)
    digest = hashlib.md5(body, usedforsecurity=False).digest()
    first = base.first_id or digest
    if base.xref_stream:
        tail = _xref_stream(base, offsets, size, position, first, digest)
    else:
        tail = _xref_table(base, offsets, size, position, first, digest)
    return b"".join((head, body, tail))


def _id(first: bytes, second: bytes) -> bytes:
    return b"[<" + first.hex().encode() + b"> <" + second.hex().encode() + b">]"


def _common(base: Base, size: int, first: bytes, digest: bytes) -> list[bytes]:
    entries = [b"/Size %d" % size, b"/Root " + _ref(base.root)]
    if base.info is not None:
        entries.append(b"/Info " + _ref(base.info))
    entries += [b"/ID " + _id(first, digest), b"/Prev %d" % base.startxref]
    return entries


def _ref(reference: IndirectObject) -> bytes:
    return b"%d %d R" % (reference.idnum, reference.generation)


def _xref_table(base: Base, offsets: dict[int, int], size: int, position: int,
                first: bytes, digest: bytes) -> bytes:
    # The head of the free list first, as in a full table: readers take a section that does
    # not start at object 0 for a damaged table ("not zero-indexed").
    sections = [(0, [xref_entry(0, 65535, in_use=False)])]
    sections += [(start, [xref_entry(offsets[n], 0, in_use=True)
                          for n in range(start, start + count)])
                 for start, count in runs(sorted(offsets))]
    dictionary = inline_dictionary(_common(base, size, first, digest))
    return xref_table(sections) + trailer(dictionary, position)


def _xref_stream(base: Base, offsets: dict[int, int], size: int, position: int,
                 first: bytes, digest: bytes) -> bytes:
    own = size  # the xref stream is an object too, listed in itself
    return (xref_stream(own, {**offsets, own: position}, _common(base, own + 1, first, digest))
            + end_of_file(position))
