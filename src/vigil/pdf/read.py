"""PDFs read once: pypdf readers kept by the hash of their bytes, for every stage that reads.

Takes PDF bytes; gives a pypdf reader of them (:func:`reader`), the same one for the same bytes
while it is among the last ``READERS_KEPT`` asked for, so that a document read twice, or again
by the next build in this process (``vigil watch``), is parsed once. :func:`prepare` reads every
object of a PDF now: the section layout (:mod:`vigil.typeset.sections`) calls it on the chunks
laid out while worker processes lay out the others, and the join
(:mod:`vigil.assemble.join`) then only copies. Readers are only read from: a caller clones
their pages and objects into a writer of its own, it never changes them.
"""

from __future__ import annotations

import hashlib
import io
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pypdf import PdfReader

READERS_KEPT = 256
_readers: dict[bytes, PdfReader] = {}
_prepared: weakref.WeakSet[PdfReader] = weakref.WeakSet()  # readers whose objects were all read


def reader(pdf: bytes) -> PdfReader:
    """A pypdf reader of ``pdf``, kept for the next time it is asked for (parsing
    WeasyPrint's object streams is most of the time a join takes)."""
    from pypdf import PdfReader

    key = hashlib.sha256(pdf).digest()
    found = _readers.pop(key, None)
    if found is None:
        found = PdfReader(io.BytesIO(pdf))
    _readers[key] = found
    while len(_readers) > READERS_KEPT:
        del _readers[next(iter(_readers))]
    return found


def prepare(pdf: bytes) -> None:
    """Read every object of ``pdf`` now (while other processes lay out the other chunks), so
    that joining it later only copies: pypdf reads WeasyPrint's object streams slowly, lazily
    and more than once when left to itself."""
    from pypdf.generic import IndirectObject

    found = reader(pdf)
    if found in _prepared:
        return
    numbers = sorted({*found.xref_objStm, *(n for group in found.xref.values() for n in group)})
    for number in numbers:
        found.get_object(IndirectObject(number, 0, found))
    _prepared.add(found)
