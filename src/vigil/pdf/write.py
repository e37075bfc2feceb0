"""PDF bytes of pypdf objects, written by vigil: the bytes pypdf writes, with names encoded once.

Takes pypdf objects (streams, dictionaries, arrays, names, numbers, strings,
booleans, null, indirect references) and gives their bytes, exactly as their own
``write_to_stream`` gives them. Names (``/Type``, ``/StructElem``, ``/K``...) are written tens of
thousands of times in a tagged booklet and pypdf encodes each one character by character
(``NameObject.renumber``): a :class:`Serializer` keeps the bytes of each name it wrote. Only
plain dictionaries, arrays and streams (whose class keeps pypdf's ``write_to_stream`` of
``DictionaryObject``, ``ArrayObject``, ``StreamObject``) are walked here; any other object
writes itself with its own public ``write_to_stream``, so a subclass that writes differently
(a ``Destination``, a ``ContentStream``) keeps its bytes. Streams too: their bytes are read
with :func:`vigil.pdf._compat.stream_bytes`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import IO, TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        NameObject,
        NumberObject,
        PdfObject,
        StreamObject,
    )

NAMES_KEPT = 50_000
Write = Callable[[bytes], object]
"""Where bytes go: a list's ``append``, a file's ``write``."""
# How objects of one class are written: a dispatch table by class, so each writer takes the
# class it is registered for (hence Any for the table's entries).
_Writer = Callable[[Any, Write], None]


class Serializer:
    """Writes pypdf objects (see the module); keeps up to :data:`NAMES_KEPT` names' bytes."""

    def __init__(self) -> None:
        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

        self.names: dict[str, bytes] = {}
        self._array, self._dictionary, self._name_class = ArrayObject, DictionaryObject, NameObject
        self._writers: dict[type, _Writer] = {
            NameObject: self._name, IndirectObject: _reference,
            ArrayObject: self._items, DictionaryObject: self._entries,
        }

    def serialize(self, obj: PdfObject) -> bytes:
        """The bytes of ``obj``."""
        parts: list[bytes] = []
        self.write(obj, parts.append)
        return b"".join(parts)

    def write(self, obj: PdfObject, write: Write) -> None:
        """Write the bytes of ``obj`` with ``write``."""
        kind = type(obj)
        (self._writers.get(kind) or self._learn(kind))(obj, write)

    def _writer_of(self, kind: type) -> _Writer:
        """How objects of a class met for the first time are written."""
        from pypdf.generic import NameObject, NumberObject, StreamObject

        method = getattr(kind, "write_to_stream", None)
        if issubclass(kind, StreamObject):
            return self._stream if method is StreamObject.write_to_stream else _itself
        if issubclass(kind, NumberObject) and method is NumberObject.write_to_stream:
            return _number
        if issubclass(kind, self._dictionary) and method is self._dictionary.write_to_stream:
            return self._entries
        if issubclass(kind, self._array) and method is self._array.write_to_stream:
            return self._items
        if issubclass(kind, NameObject) and method is NameObject.write_to_stream:
            return self._name
        return _itself

    def _name(self, name: NameObject, write: Write) -> None:
        data = self.names.get(name)
        if data is None:
            if len(self.names) >= NAMES_KEPT:
                self.names.clear()
            data = self.names[str(name)] = name.renumber()
        write(data)

    def _items(self, array: ArrayObject, write: Write) -> None:
        writers = self._writers
        write(b"[")
        for item in array:
            write(b" ")
            (writers.get(type(item)) or self._learn(type(item)))(item, write)
        write(b" ]")

    def _entries(self, dictionary: DictionaryObject, write: Write) -> None:
        writers, name, name_class = self._writers, self._name, self._name_class
        write(b"<<\n")
        for key, value in dictionary.items():
            if len(key) > 2 and key[1] == "%" and key[-1] == "%":
                continue  # as pypdf: a "/%...%" key is its own bookkeeping, not written
            if type(key) is name_class:
                name(key, write)
            else:
                (writers.get(type(key)) or self._learn(type(key)))(key, write)
            write(b" ")
            (writers.get(type(value)) or self._learn(type(value)))(value, write)
            write(b"\n")
        write(b">>")

    def _stream(self, stream: StreamObject, write: Write) -> None:
        """As ``StreamObject.write_to_stream``: the dictionary with ``/Length`` set (in its
        place, or last), then the bytes as they are (``stream`` itself is not changed)."""
        from vigil.pdf._compat import stream_bytes

        data = stream_bytes(stream)
        length = b"%d" % len(data)
        write(b"<<\n")
        for key, value in stream.items():
            if len(key) > 2 and key[1] == "%" and key[-1] == "%":
                continue
            self.write(key, write)
            write(b" ")
            if key == "/Length":
                write(length)
            else:
                self.write(value, write)
            write(b"\n")
        if "/Length" not in stream:
            write(b"/Length " + length + b"\n")
        write(b">>\nstream\n")
        write(data)
        write(b"\nendstream")

    def _learn(self, kind: type) -> _Writer:
        writer = self._writers[kind] = self._writer_of(kind)
        return writer


def _number(number: NumberObject, write: Write) -> None:
    write(repr(number).encode())  # as NumberObject.write_to_stream


def _reference(reference: IndirectObject, write: Write) -> None:
    write(b"%d %d R" % (reference.idnum, reference.generation))


class _Sink:
    """A file-like ``write`` target for ``write_to_stream``."""

    __slots__ = ("write",)

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self.write = write


def _itself(obj: PdfObject, write: Write) -> None:
    """An object written by its own ``write_to_stream`` (numbers, strings, streams...)."""
    obj.write_to_stream(cast("IO[bytes]", _Sink(write)))  # all it calls is write()


def write_object(number: int, obj: PdfObject, write: Write,
                 serializer: Serializer | None = None) -> None:
    """Write object ``number`` (generation 0) as it is in a file: ``N 0 obj ... endobj``."""
    write(b"%d 0 obj\n" % number)
    (serializer or shared()).write(obj, write)
    write(b"\nendobj\n")


def object_bytes(number: int, obj: PdfObject, serializer: Serializer | None = None) -> bytes:
    """The bytes :func:`write_object` writes."""
    parts: list[bytes] = []
    write_object(number, obj, parts.append, serializer)
    return b"".join(parts)


def xref_entry(offset: int, generation: int, in_use: bool) -> bytes:
    """One 20-byte row of a cross-reference table: where an object in use is, or (free) the
    next free object number."""
    return b"%010d %05d %s \n" % (offset, generation, b"n" if in_use else b"f")


def xref_table(sections: Iterable[tuple[int, Sequence[bytes]]]) -> bytes:
    """A cross-reference table: ``xref``, then each subsection's first object number, its
    count and its rows (:func:`xref_entry`)."""
    parts = [b"xref\n"]
    for first, rows in sections:
        parts.append(b"%d %d\n" % (first, len(rows)))
        parts += rows
    return b"".join(parts)


def trailer(dictionary: bytes, startxref: int) -> bytes:
    """The end of a file whose cross-reference table ends before it: ``trailer``, the trailer
    dictionary's bytes, and where the last cross-reference section starts."""
    return b"trailer\n" + dictionary + b"\n" + end_of_file(startxref)


def end_of_file(startxref: int) -> bytes:
    """``startxref``, the offset of the last cross-reference section, and ``%%EOF``."""
    return b"startxref\n%d\n%%%%EOF\n" % startxref


def inline_dictionary(entries: Iterable[bytes]) -> bytes:
    """A dictionary on one line, ``<< /Key value ... >>``, of entries already written."""
    return b"<< " + b" ".join(entries) + b" >>"


def runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive runs of the sorted ``numbers``: (first, count)."""
    found: list[tuple[int, int]] = []
    for number in numbers:
        if found and found[-1][0] + found[-1][1] == number:
            found[-1] = (found[-1][0], found[-1][1] + 1)
        else:
            found.append((number, 1))
    return found


def xref_stream(number: int, offsets: Mapping[int, int], entries: Iterable[bytes]) -> bytes:
    """Object ``number``: a compressed cross-reference stream (``/W [1 4 2]``) of the objects
    at ``offsets`` (object number: offset, itself among them), with the trailer ``entries``
    (``/Size``, ``/Root``...) in its dictionary."""
    numbers = sorted(offsets)
    rows = b"".join(b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in numbers)
    data = zlib.compress(rows, 9)
    index = b" ".join(b"%d %d" % run for run in runs(numbers))
    dictionary = inline_dictionary([
        b"/Type /XRef", *entries, b"/W [1 4 2] /Index [" + index + b"]",
        b"/Filter /FlateDecode /Length %d" % len(data)])
    return (b"%d 0 obj\n" % number + dictionary + b"\nstream\n" + data
            + b"\nendstream\nendobj\n")


@cache
def shared() -> Serializer:
    """This process's serializer: the bytes of the names it wrote are kept from one document to
    the next (``vigil watch``, personalised copies)."""
    return Serializer()


def classic(writer: PdfWriter) -> bytes:
    """The bytes ``writer.write`` gives for ``writer`` (a cross-reference table, every object
    written plainly), with its names encoded by :func:`shared`. An encrypted or incremental
    writer is left to pypdf."""
    import io

    from pypdf.generic import DictionaryObject, NameObject, NumberObject

    from vigil.pdf._compat import (
        file_identifier,
        info_object,
        objects,
        resolve_links,
        writer_encrypted,
    )

    output = io.BytesIO()
    if writer_encrypted(writer) or writer.incremental:
        writer.write(output)
        return output.getvalue()
    resolve_links(writer)
    serializer, write = shared(), output.write
    everything = objects(writer)
    write(writer.pdf_header.encode() + b"\n" + b"%\xe2\xe3\xcf\xd3\n")
    positions, free = [], []
    for number, obj in enumerate(everything, start=1):
        if obj is None:
            positions.append(-1)
            free.append(number)
            continue
        positions.append(output.tell())
        write_object(number, obj, write, serializer)
    free.append(0)
    table = output.tell()
    rows = [xref_entry(free[0], 65535, in_use=False)]
    freed = iter(free[1:])
    for position in positions:
        rows.append(xref_entry(position, 0, in_use=True) if position > 0
                    else xref_entry(next(freed), 1, in_use=False))
    write(xref_table([(0, rows)]))
    dictionary = DictionaryObject({
        NameObject("/Size"): NumberObject(len(everything) + 1),
        NameObject("/Root"): writer.root_object.indirect_reference,
    })
    info, identifier = info_object(writer), file_identifier(writer)
    if info is not None:
        dictionary[NameObject("/Info")] = info.indirect_reference
    if identifier is not None:
        dictionary[NameObject("/ID")] = identifier
    write(trailer(serializer.serialize(dictionary), table))
    return output.getvalue()
