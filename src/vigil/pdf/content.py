"""The operations of a PDF content stream: vigil's one tokenizer of page and form content.

Takes the decoded bytes of a content stream; gives its operations in order, each as its
operands and its operator (:func:`operations`), or with where the operation starts and ends in
the bytes (:func:`spans`, for a caller that copies operations as they are written). Operands
are Python values: numbers ``float``, ``true``/``false`` ``bool``, ``null`` ``None``, strings
(literal, with their escapes, or hexadecimal) ``bytes``, names :class:`Name` (a ``str`` with
its slash), arrays lists and dictionaries dicts keyed by names. An array of only numbers and
hexadecimal strings (a ``TJ`` as WeasyPrint writes it, a dash pattern) is read as one item:
its strings' bytes joined (``[<0012> -20 <0034>]`` is ``[b"\\x00\\x12\\x004"]``), since what
matters of it to the checks is which codes it shows (``codes_only=False`` reads it item by
item, for a measure of where the glyphs go). An inline image (``BI ... ID data EI``) is one
operation ``([dict], b"BI")``: its dictionary, its data skipped up to ``EI``.

Comments are skipped; so, by default, is a byte that starts no token (as viewers do);
``strict=True`` raises :class:`ContentSyntaxError` for it instead. Only the standard library:
several times faster than pypdf's ``ContentStream.operations``, which matters for the time
budget of a check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TypeAlias

WHITE_SPACE = b"\x00\t\n\x0c\r "
"""PDF's white-space bytes (ISO 32000-1, 7.2.2)."""
DELIMITERS = b"()<>[]{}/%"
"""PDF's delimiter bytes (ISO 32000-1, 7.2.2)."""

_WS = rb"\x00\t\n\x0c\r "
REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
"""A pattern of one regular byte: neither white space nor a delimiter."""
NAME = re.compile(rb"/" + REGULAR + rb"*")
"""A name token: a slash and the regular bytes after it."""
_REGULAR = REGULAR
_TOKEN = re.compile(
    rb"[" + _WS + rb"]*(?:"
    rb"(%[^\r\n]*)"                       # 1 comment
    rb"|(<<|>>|\[|\]|\{|\})"              # 2 delimiter
    rb"|<([^<>]*)>"                       # 3 hex string
    rb"|(/" + _REGULAR + rb"*)"           # 4 name
    rb"|(\()"                             # 5 literal string
    rb"|(" + _REGULAR + rb"+)"            # 6 number, operator, true/false/null
    rb")"
)
_BLANK = re.compile(rb"[" + _WS + rb"]*")
_LITERAL_SPECIAL = re.compile(rb"[()\\]")
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b",
            ord("f"): b"\f", ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}
_END_OF_INLINE_IMAGE = re.compile(rb"[" + _WS + rb"]EI(?=[" + _WS + rb"]|$)")
_NUMBER_START = frozenset(b"+-.0123456789")
_SIMPLE_ARRAY = re.compile(rb"([^\[\]()/]*)\]")
_HEX_IN_ARRAY = re.compile(rb"<([0-9A-Fa-f\x00\t\n\x0c\r ]*)>")


class Name(str):
    """A PDF name operand, ``/F1`` (a str subclass, to tell it from a decoded string)."""


class Operator(bytes):
    """An operator met inside an array or a dictionary, kept there as an operand."""


Operand: TypeAlias = float | bool | bytes | str | list["Operand"] | dict[str, "Operand"] | None
"""An operand: see the module for how each PDF object is given."""
Operation: TypeAlias = tuple[list[Operand], bytes]
"""The operands of an operation and its operator (``b"Tj"``)."""


class ContentSyntaxError(ValueError):
    """A byte that starts no token of a content stream (with ``strict=True``)."""


def operations(data: bytes, strict: bool = False,
               codes_only: bool = True) -> Iterator[Operation]:
    """Yield ``(operands, operator)`` of the content stream ``data`` (see the module);
    ``codes_only=False`` reads every array item by item (the numbers of a ``TJ`` too)."""
    for operands, operator, _, _ in spans(data, strict, codes_only):
        yield operands, operator


def spans(data: bytes, strict: bool = False,
          codes_only: bool = True) -> Iterator[tuple[list[Operand], bytes, int, int]]:
    """Yield ``(operands, operator, start, end)``: each operation and its bytes
    ``data[start:end]`` (from the end of the operation before, so with the white space
    before it: strip it)."""
    operands: list[Operand] = []
    stack: list[list[Operand]] = []
    pos = start = 0
    length = len(data)
    match_token = _TOKEN.match
    while pos < length:
        match = match_token(data, pos)
        if match is None or match.end() == pos:
            white = _BLANK.match(data, pos)
            blank = white.end() if white is not None else pos
            if blank == length:
                break
            if strict:
                raise ContentSyntaxError(f"unexpected byte at {blank}")
            pos += 1  # an unexpected byte: skip it, as viewers do
            continue
        pos = match.end()
        kind = match.lastindex
        if kind == 6:
            token = match.group(6)
            if token[0] in _NUMBER_START:
                try:
                    operands.append(float(token))
                except ValueError:
                    operands.append(0.0)
            elif token in (b"true", b"false", b"null"):
                operands.append(token == b"true" if token != b"null" else None)
            elif stack:
                operands.append(Operator(token))  # an operator inside an array: keep going
            elif token == b"BI":
                image, pos = _inline_image(data, pos)
                yield [image], b"BI", start, pos
                operands, start = [], pos
            else:
                yield operands, token, start, pos
                operands, start = [], pos
        elif kind == 3:
            operands.append(_hex(match.group(3)))
        elif kind == 4:
            operands.append(Name(match.group(4).decode("latin-1")))
        elif kind == 5:
            text, pos = _literal(data, pos)
            operands.append(text)
        elif kind == 2:
            delimiter = match.group(2)
            if delimiter == b"[" and codes_only:
                simple = _SIMPLE_ARRAY.match(data, pos)
                if simple is not None:
                    digits = b"".join(_HEX_IN_ARRAY.findall(simple.group(1)))
                    operands.append([_hex(digits)] if digits else [])
                    pos = simple.end()
                    continue
            if delimiter in (b"[", b"<<", b"{"):
                stack.append(operands)
                operands = []
            elif stack:
                inner = operands
                operands = stack.pop()
                if delimiter == b">>":
                    operands.append(_dictionary(inner))
                else:
                    operands.append(inner)
        # comments (kind 1) are skipped


def _dictionary(entries: list[Operand]) -> dict[str, Operand]:
    """A dictionary of alternating keys and values; an entry whose key is no name is left
    out."""
    return {key: value for key, value in zip(entries[::2], entries[1::2], strict=False)
            if isinstance(key, str)}


def _hex(digits: bytes) -> bytes:
    try:
        return bytes.fromhex(digits.decode("ascii"))  # white space is ignored
    except (ValueError, UnicodeDecodeError):
        cleaned = re.sub(rb"[^0-9A-Fa-f]", b"", digits)
        if len(cleaned) % 2:
            cleaned += b"0"
        return bytes.fromhex(cleaned.decode("ascii"))


def _literal(data: bytes, pos: int) -> tuple[bytes, int]:
    """Read a literal string whose ``(`` ends before ``pos``; give its bytes and the end."""
    depth = 1
    out = bytearray()
    length = len(data)
    while True:
        match = _LITERAL_SPECIAL.search(data, pos)
        if match is None:
            out += data[pos:]
            return bytes(out), length
        start = match.start()
        out += data[pos:start]
        char = data[start]
        if char == 0x5C:  # backslash
            if start + 1 >= length:
                return bytes(out), length
            following = data[start + 1]
            if following in _ESCAPES:
                out += _ESCAPES[following]
                pos = start + 2
            elif 0x30 <= following <= 0x37:
                end = start + 2
                while end < min(start + 4, length) and 0x30 <= data[end] <= 0x37:
                    end += 1
                out.append(int(data[start + 1:end], 8) & 0xFF)
                pos = end
            elif following in (0x0A, 0x0D):  # line continuation
                pos = start + 2
                if following == 0x0D and pos < length and data[pos] == 0x0A:
                    pos += 1
            else:
                out.append(following)
                pos = start + 2
        elif char == 0x28:
            depth += 1
            out.append(char)
            pos = start + 1
        else:
            depth -= 1
            if depth == 0:
                return bytes(out), start + 1
            out.append(char)
            pos = start + 1


def _inline_image(data: bytes, pos: int) -> tuple[dict[str, Operand], int]:
    """Read an inline image's dictionary after ``BI`` and skip its data up to ``EI``."""
    entries: list[Operand] = []
    while pos < len(data):
        match = _TOKEN.match(data, pos)
        if match is None or match.end() == pos:
            break
        pos = match.end()
        if match.lastindex == 6 and match.group(6) == b"ID":
            pos += 1  # one white-space byte separates ID from the data
            end = _END_OF_INLINE_IMAGE.search(data, pos)
            pos = end.end() if end else len(data)
            break
        if match.lastindex == 4:
            entries.append(Name(match.group(4).decode("latin-1")))
        elif match.lastindex == 6:
            token = match.group(6)
            try:
                entries.append(float(token))
            except ValueError:
                entries.append(token)
        elif match.lastindex == 2 and match.group(2) == b"[":
            entries.append(None)  # an array value (a filter list or decode array)
            close = data.find(b"]", pos)
            pos = close + 1 if close >= 0 else len(data)
        else:
            entries.append(None)
    return _dictionary(entries), pos
