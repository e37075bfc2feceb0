"""PDF objects as vigil reads them: indirect references resolved, values of the kind expected.

Takes pypdf objects (of a reader or a writer: values of dictionaries and arrays, indirect
references, ``None`` for a missing entry); gives the object a reference points to
(:func:`resolve`), or the value as the kind a caller expects -- a dictionary, an array, a
stream, a name, a number -- or ``None`` when it is not of that kind (:func:`dictionary`,
:func:`array`, :func:`stream`, :func:`name`, :func:`number`, :func:`integer`). A dangling
or damaged reference of a damaged file reads as ``None``, as viewers read it as null.

:func:`read_errors` names the exceptions pypdf raises on a damaged file, for the ``except``
clauses of the checks. Nothing here imports pypdf until it is needed (``vigil --help`` stays
fast): the kinds are tested with the built-in classes pypdf's derive from (``dict``, ``list``,
``str``...).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from pypdf.generic import ArrayObject, DictionaryObject, StreamObject


@cache
def read_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged PDF with pypdf raises: its own errors (``PdfReadError``,
    ``PdfStreamError``, ``LimitReachedError``...), the built-in errors of its parsers (a bad
    number, a missing key, a short buffer, a wrong type where an object was expected, a
    damaged compressed stream, a reference cycle deeper than Python's stack) and ``OSError``
    of the file itself; ``NotImplementedError`` for a filter or an encryption it does not
    decode, ``DependencyError`` for one that needs a package not installed. Evaluated when an
    exception is matched: ``except read_errors():``."""
    import struct
    import zlib

    from pypdf.errors import DependencyError, PyPdfError

    return (PyPdfError, DependencyError, NotImplementedError, ValueError, LookupError, TypeError,
            AttributeError, ArithmeticError, OSError, zlib.error, struct.error, RecursionError)


def resolve(value: Any) -> Any:
    """The object ``value`` refers to (``value`` itself when it is not a reference); ``None``
    for a reference that cannot be read (a dangling or damaged object of a damaged file).
    The result is any PDF object: the accessors below say which kind it is."""
    if value is None or not hasattr(value, "get_object"):
        return value
    try:
        return value.get_object()
    except read_errors():  # a dangling or damaged reference reads as null
        return None


def raw(node: DictionaryObject, key: str) -> Any:
    """``node[key]`` unresolved (an indirect reference stays one), or ``None``."""
    return node.raw_get(key) if key in node else None


def dictionary(value: object) -> DictionaryObject | None:
    """``value``, resolved, when it is a dictionary (or a stream's dictionary); else None."""
    if value is not None and hasattr(value, "get_object"):  # resolve(), inlined: often called
        try:
            value = value.get_object()
        except read_errors():
            return None
    return cast("DictionaryObject", value) if isinstance(value, dict) else None


def array(value: object) -> ArrayObject | None:
    """``value``, resolved, when it is an array; else None."""
    resolved = resolve(value)
    return cast("ArrayObject", resolved) if isinstance(resolved, list) else None


def stream(value: object) -> StreamObject | None:
    """``value``, resolved, when it is a stream (it has data to decode); else None."""
    resolved = resolve(value)
    return cast("StreamObject", resolved) \
        if isinstance(resolved, dict) and hasattr(resolved, "get_data") else None


def items(value: object) -> list[Any]:
    """The items of an array (unresolved), a single value as a one-item list, [] for None:
    the entries that may be one object or an array of them (``/K``, ``/Contents``...)."""
    resolved = resolve(value)
    if isinstance(resolved, list):
        return list(resolved)
    return [] if value is None else [value]


def name(value: object) -> str | None:
    """A name (``/Image``, with its slash), resolved; else None."""
    from pypdf.generic import NameObject

    resolved = resolve(value)
    return str(resolved) if isinstance(resolved, NameObject) else None


def number(value: object) -> float | None:
    """A number (integer or real), resolved; else None (booleans are not numbers)."""
    resolved = resolve(value)
    if isinstance(resolved, (int, float)) and not isinstance(resolved, bool):
        return float(resolved)
    return None


def integer(value: object) -> int | None:
    """An integer, resolved; else None (a real or a boolean is not one)."""
    resolved = resolve(value)
    if isinstance(resolved, int) and not isinstance(resolved, bool):
        return int(resolved)
    return None
