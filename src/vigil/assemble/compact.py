"""Write a pypdf writer's document compactly: small objects in compressed object streams.

Takes a :class:`pypdf.PdfWriter` holding a finished document; gives the PDF's bytes, like
``writer.write`` but with every object that is not a stream (dictionaries of pages, fonts,
structure elements, annotations...) packed into ``/ObjStm`` object streams, and a
cross-reference stream instead of a table (PDF 1.5, as WeasyPrint writes). pypdf writes each
object as plain text: a tagged document then takes about twice the bytes WeasyPrint gave it.
Deterministic: the same document gives the same bytes.

An object pypdf holds as a bare ``null`` (a placeholder nothing fills, or an object dropped
after its references were cloned) is written as a free entry of the cross-reference stream,
not as ``null`` inside an object stream: a reference to a free object reads as null all the
same (PDF 32000-1, 7.3.10), and MuPDF refuses an object stream holding a bare ``null``
("object was not found in its object stream").

Objects are serialized by :class:`vigil.pdf.write.Serializer` (pypdf's bytes, each name encoded
once); pypdf itself is not changed.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from vigil.pdf._compat import (
    file_identifier,
    info_object,
    objects,
    resolve_links,
    writer_encrypted,
)
from vigil.pdf.write import shared

PER_STREAM = 100  # objects in one object stream


def compact(writer: Any) -> bytes:
    """The bytes of ``writer``'s document, with object streams (see the module)."""
    from pypdf.generic import NullObject, StreamObject

    if writer_encrypted(writer) or writer.incremental:
        output = io.BytesIO()
        writer.write(output)
        return output.getvalue()
    resolve_links(writer)
    serializer = shared()
    everything = objects(writer)
    out = io.BytesIO()
    out.write(writer.pdf_header.encode() + b"\n%\xe2\xe3\xcf\xd3\n")
    entries: dict[int, tuple[int, int, int]] = {}
    packed: list[tuple[int, bytes]] = []
    for number, obj in enumerate(everything, start=1):
        if obj is None or isinstance(obj, NullObject):
            continue  # a free entry (see the module)
        if isinstance(obj, StreamObject):
            entries[number] = (1, out.tell(), 0)
            out.write(f"{number} 0 obj\n".encode())
            serializer.write(obj, out.write)
            out.write(b"\nendobj\n")
        else:
            packed.append((number, serializer.serialize(obj)))
    next_number = len(everything) + 1
    for start in range(0, len(packed), PER_STREAM):
        group = packed[start:start + PER_STREAM]
        offsets, body, position = [], io.BytesIO(), 0
        for index, (number, data) in enumerate(group):
            offsets.append(f"{number} {position}")
            body.write(data + b"\n")
            position += len(data) + 1
            entries[number] = (2, next_number, index)
        header = " ".join(offsets).encode() + b"\n"
        data = zlib.compress(header + body.getvalue(), 9)
        entries[next_number] = (1, out.tell(), 0)
        out.write(f"{next_number} 0 obj\n<< /Type /ObjStm /N {len(group)} /First {len(header)} "
                  f"/Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode())
        out.write(data + b"\nendstream\nendobj\n")
        next_number += 1
    xref_number, xref_offset = next_number, out.tell()
    entries[xref_number] = (1, xref_offset, 0)
    size = xref_number + 1
    rows = bytearray(struct.pack(">BIH", 0, 0, 65535))
    for number in range(1, size):
        kind, field, index = entries.get(number, (0, 0, 0))
        rows += struct.pack(">BIH", kind, field, index)
    data = zlib.compress(bytes(rows), 9)
    trailer = io.BytesIO()
    trailer.write(f"/Root {writer.root_object.indirect_reference.idnum} 0 R".encode())
    info, identifier = info_object(writer), file_identifier(writer)
    if info is not None:
        reference = info.indirect_reference
        assert reference is not None  # the writer's /Info is always one of its indirect objects
        trailer.write(f" /Info {reference.idnum} 0 R".encode())
    if identifier is not None:
        trailer.write(b" /ID " + serializer.serialize(identifier))
    out.write(f"{xref_number} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 2] ".encode()
              + trailer.getvalue()
              + f" /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode())
    out.write(data + b"\nendstream\nendobj\n")
    out.write(f"startxref\n{xref_offset}\n%%EOF\n".encode())
    return out.getvalue()
