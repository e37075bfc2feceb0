"""Incremental updates: a PDF's bytes, unchanged, followed by new and changed objects.

Takes the bytes of a PDF and its pypdf reader (:class:`Base`) and objects given as pypdf
objects or as bytes already serialised (:func:`serialise`); gives the bytes of the updated PDF:
the original file, the objects, then a cross-reference section of the same kind as the
original's (a table, or a compressed cross-reference stream) and a trailer whose ``/Prev``
points at the original's. Nothing of the original is rewritten, so a hundred updates of one
file cost a hundred small appendices, and objects shared by every update can be serialised once
and written with the same numbers (and at the same offsets, when they come first) in each.
The second file identifier is a digest of the update, so the same update gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vigil.pdf.write import shared

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


@dataclass(frozen=True)
class Base:
    """A PDF to update: its bytes, the next free object number, where its last cross-reference
    section is and whether it is a stream, and the trailer entries an update repeats."""

    data: bytes
    size: int
    startxref: int
    xref_stream: bool
    root: Any
    info: Any
    first_id: bytes


def open_base(data: bytes, reader: Any) -> Base:
    """Describe ``data`` (read by ``reader``, a pypdf PdfReader) for :func:`append_update`."""
    match = _STARTXREF.search(data[-1024:])
    if match is None:
        raise ValueError("the PDF does not end with startxref and %%EOF")
    startxref = int(match.group(1))
    trailer = reader.trailer
    identifier = trailer.get("/ID")
    first = bytes(identifier[0].original_bytes) if identifier else b""
    return Base(
        data=data, size=int(trailer["/Size"]), startxref=startxref,
        xref_stream=not data[startxref:startxref + 4].startswith(b"xref"),
        root=trailer.raw_get("/Root"), info=trailer.raw_get("/Info"), first_id=first,
    )


def serialise(number: int, obj: Any) -> bytes:
    """Object ``number`` (generation 0) as it is written in a file: ``N 0 obj ... endobj``."""
    stream = io.BytesIO()
    stream.write(b"%d 0 obj\n" % number)
    shared().write(obj, stream.write)
    stream.write(b"\nendobj\n")
    return stream.getvalue()


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


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted ``numbers``: (first, count)."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and runs[-1][0] + runs[-1][1] == number:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((number, 1))
    return runs


def _id(first: bytes, second: bytes) -> bytes:
    return b"[<" + first.hex().encode() + b"> <" + second.hex().encode() + b">]"


def _common(base: Base, size: int, first: bytes, digest: bytes) -> bytes:
    entries = [b"/Size %d" % size, b"/Root " + _ref(base.root)]
    if base.info is not None:
        entries.append(b"/Info " + _ref(base.info))
    entries += [b"/ID " + _id(first, digest), b"/Prev %d" % base.startxref]
    return b" ".join(entries)


def _ref(reference: Any) -> bytes:
    return b"%d %d R" % (reference.idnum, reference.generation)


def _xref_table(base: Base, offsets: dict[int, int], size: int, position: int,
                first: bytes, digest: bytes) -> bytes:
    # The head of the free list first, as in a full table: readers take a section that does
    # not start at object 0 for a damaged table ("not zero-indexed").
    lines = [b"xref\n0 1\n0000000000 65535 f \n"]
    for start, count in _runs(sorted(offsets)):
        lines.append(b"%d %d\n" % (start, count))
        lines += [b"%010d 00000 n \n" % offsets[n] for n in range(start, start + count)]
    trailer = b"trailer\n<< " + _common(base, size, first, digest) + b" >>\n"
    return b"".join(lines) + trailer + b"startxref\n%d\n%%%%EOF\n" % position


def _xref_stream(base: Base, offsets: dict[int, int], size: int, position: int,
                 first: bytes, digest: bytes) -> bytes:
    own = size  # the xref stream is an object too, listed in itself
    offsets = {**offsets, own: position}
    numbers = sorted(offsets)
    rows = b"".join(b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in numbers)
    data = zlib.compress(rows, 9)
    index = b" ".join(b"%d %d" % run for run in _runs(numbers))
    header = (b"%d 0 obj\n<< /Type /XRef " % own + _common(base, own + 1, first, digest)
              + b" /W [1 4 2] /Index [" + index + b"] /Filter /FlateDecode /Length %d >>\n"
              % len(data))
    return (header + b"stream\n" + data + b"\nendstream\nendobj\n"
            + b"startxref\n%d\n%%%%EOF\n" % position)
