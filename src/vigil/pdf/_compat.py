"""The only module of vigil that touches private attributes of other libraries.

Takes the objects of pypdf, WeasyPrint, Pyphen, ctypes and CPython that vigil holds; gives what
vigil needs of them where those libraries have no public API for it. Each function names the
attribute it uses and the public API that should replace it; ``tests/test_compat.py`` pins
each one on the installed versions (pypdf 7.1, WeasyPrint 70, Pyphen 0.18), so that a release
that renames or changes one of them fails a test instead of vigil's output. Nothing here
replaces or patches another library's class or function for good: :func:`library_search_off`
swaps ``ctypes.util.find_library`` only for the import of WeasyPrint, and puts it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        PdfObject,
        StreamObject,
    )
    from weasyprint.document import Page
    from weasyprint.text.fonts import FontConfiguration

# --- pypdf ------------------------------------------------------------------------------------


def add_object(writer: PdfWriter, obj: PdfObject) -> IndirectObject:
    """Add ``obj`` to ``writer`` as an indirect object; give its ``IndirectObject`` (the one it
    has when it already is one of ``writer``'s)."""
    # Public replacement: none in pypdf 7.1 (a public ``PdfWriter.add_object``).
    return writer._add_object(obj)


def objects(writer: PdfWriter) -> list[PdfObject | None]:
    """``writer``'s indirect objects in order of their numbers (object n at index n - 1);
    ``None`` for a freed number. The list itself: read it, do not change it."""
    # Public replacement: none (``PdfWriter.get_object(n)`` reads one, and raises for a freed
    # number and past the last one; pypdf has no public count).
    objs: list[PdfObject | None] = writer._objects
    return objs


def free_object(writer: PdfWriter, number: int) -> None:
    """Free the indirect object ``number`` of ``writer``: written as a free entry."""
    # Public replacement: none (``PdfWriter.compress_identical_objects`` frees unreferenced
    # objects, but all of them and after a slow walk).
    writer._objects[number - 1] = None


def resolve_links(writer: PdfWriter) -> None:
    """Point the links of pages copied into ``writer`` at their copies, as ``writer.write``
    does before writing (needed when vigil writes the objects itself)."""
    # Public replacement: ``PdfWriter.write_stream`` does it, but also writes the whole file.
    writer._resolve_links()


def info_object(writer: PdfWriter) -> DictionaryObject | None:
    """``writer``'s document information dictionary (the ``/Info`` of its trailer, an indirect
    object of ``writer``), or None."""
    # Public replacement: ``PdfWriter.metadata`` gives a copy, without its object number.
    return writer._info


def file_identifier(writer: PdfWriter) -> ArrayObject | None:
    """The ``/ID`` array of ``writer``'s trailer, or None."""
    # Public replacement: none (``PdfWriter.generate_file_identifiers`` makes random ones).
    return writer._ID


def set_file_identifier(writer: PdfWriter, identifier: ArrayObject) -> None:
    """Make ``identifier`` (an ``ArrayObject`` of two byte strings) the ``/ID`` of ``writer``."""
    # Public replacement: none (see file_identifier).
    writer._ID = identifier


def writer_encrypted(writer: PdfWriter) -> bool:
    """Whether ``writer`` encrypts what it writes (``PdfWriter.encrypt`` was called)."""
    # Public replacement: none (``PdfWriter.is_encrypted`` is always False).
    return writer._encryption is not None


def stream_bytes(stream: StreamObject) -> bytes:
    """The bytes of ``stream`` as they stand in the file (encoded, if it has a ``/Filter``)."""
    # Public replacement: none (``get_data`` decodes an ``EncodedStreamObject``).
    data: bytes = stream._data
    return data


def clone_table(writer: PdfWriter, reader: PdfReader) -> dict[Any, int]:
    """Which object of ``writer`` each object number of ``reader`` was cloned to (by
    ``PdfWriter.add_page``, ``append``...); empty if none was."""
    # Public replacement: none (``IndirectObject.clone`` gives one object's copy, and clones it
    # if it was not yet).
    # Any: keyed by object numbers, and by pypdf's "PreventGC" (a reader, not a number)
    table: dict[Any, int] = writer._id_translated.get(id(reader), {})
    return table


# --- WeasyPrint -------------------------------------------------------------------------------


def page_box(page: Page) -> Any:  # Any: WeasyPrint is untyped (its private PageBox)
    """The laid-out page box of a WeasyPrint ``Page`` (its margins, width, page type)."""
    # Public replacement: none; ``Page`` gives width, height and bleed only (WeasyPrint's own
    # pdf/tags.py reads ``page._page_box`` as well).
    return page._page_box


def font_files_folder(config: FontConfiguration) -> Path | None:
    """The temporary folder where a WeasyPrint ``FontConfiguration`` keeps the ``@font-face``
    files it loaded, or None (none loaded, or forgotten)."""
    # Public replacement: none; ``FontConfiguration.__del__`` removes it, when (and in whichever
    # process) the object is collected.
    folder = config._folder
    return Path(folder) if folder else None


def forget_font_files_folder(config: FontConfiguration) -> None:
    """Make ``config`` forget its folder of font files (removed by vigil), so that it does
    not remove it again when collected."""
    # Public replacement: none (see font_files_folder).
    config._folder = None


@contextmanager
def library_search_off() -> Iterator[None]:
    """``ctypes.util.find_library`` finding nothing, for the time of the ``with`` block (the
    import of WeasyPrint: see :mod:`vigil.typeset.engine`), then put back."""
    # Public replacement: none; cffi's ``ffi.dlopen`` hands every name it cannot open to
    # ``ctypes.util.find_library``, which runs ldconfig, gcc and ld. A WeasyPrint option to
    # name its libraries (like WEASYPRINT_DLL_DIRECTORIES on Windows) would replace this.
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = _not_searched
    try:
        yield
    finally:
        ctypes.util.find_library = search


def _not_searched(name: str) -> None:
    """``ctypes.util.find_library`` while the search is off."""
    return None


# --- Pyphen -----------------------------------------------------------------------------------


def dictionary_cache() -> dict[Path, Any]:  # Any: Pyphen is untyped (its HyphDict)
    """Pyphen's cache of parsed dictionaries, by the ``Path`` of their file: ``Pyphen`` (and so
    WeasyPrint) uses the object found there for a file instead of parsing it."""
    # Public replacement: none; ``pyphen.hdcache`` is not in pyphen.__all__ (only LANGUAGES,
    # Pyphen and language_fallback are). A public way to give ``Pyphen`` a parsed dictionary.
    import pyphen

    cache: dict[Path, Any] = pyphen.hdcache
    return cache


def parse_dictionary(path: Path) -> tuple[Any, dict[str, Any], int]:
    """Pyphen's parsed dictionary of the file ``path``, with its patterns and longest
    pattern (``HyphDict.patterns``, ``HyphDict.maxlen``)."""
    # Public replacement: none (``pyphen.HyphDict`` is not in pyphen.__all__).
    import pyphen

    parsed = pyphen.HyphDict(Path(path))
    return parsed, parsed.patterns, parsed.maxlen


def dictionary_from_patterns(patterns: dict[str, Any], maxlen: int) -> Any:
    """A Pyphen ``HyphDict`` holding ``patterns`` and ``maxlen`` (as :func:`parse_dictionary`
    gave them), made without reading a file."""
    # Public replacement: none (a HyphDict built from patterns, or Pyphen pickling its own).
    import pyphen

    parsed = pyphen.HyphDict.__new__(pyphen.HyphDict)
    parsed.patterns, parsed.maxlen, parsed.cache = patterns, maxlen, {}
    return parsed


# --- CPython's multiprocessing ----------------------------------------------------------------


def forkserver_pid() -> int | None:
    """The process id of this process's multiprocessing fork server, if it started one (to
    stop it while it still imports what its workers preload: see :func:`vigil.workers.stop`)."""
    # Public replacement: none (multiprocessing.forkserver has no public handle on its server
    # process, nor a public way to stop it; ``_forkserver._forkserver_pid`` is its own record).
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    return pid if isinstance(pid, int) else None
