"""CMaps of PDF fonts (ISO 32000-1, 9.7.5 and 9.10.3), read with a tokenizer and written.

Takes the decoded bytes of a CMap stream: a font's ``/ToUnicode`` (``bfchar``/``bfrange``: code
→ UTF-16BE text) or a CID-keyed encoding such as WeasyPrint's ``WP-Encod`` (``cidchar``/
``cidrange``: code → CID); gives a :class:`CMap`. :func:`tokens` splits the PostScript-like
syntax into :class:`Token` s (hex strings, names, numbers, literal strings, keywords,
delimiters), and :func:`parse_cmap` runs the operators a CMap uses over them; anything else is
skipped. :func:`to_unicode_cmap` and :func:`cid_cmap` write the two kinds back, in batches of
100 entries as PDF allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum

__all__ = ["CMap", "CMapError", "Kind", "Token", "cid_cmap", "parse_cmap", "to_unicode_cmap",
           "tokens"]

BATCH = 100            # entries between one begin…/end… pair at most (PDF's limit)
_LONGEST_RANGE = 0x10000  # a range of more codes than two bytes hold is not a font's


class CMapError(ValueError):
    """The bytes are not a CMap this module can read (a broken token)."""


class Kind(Enum):
    HEX = "hex"              # <0041>: its value is the bytes it spells
    NAME = "name"            # /CMapName: its value is the name without the slash
    NUMBER = "number"
    STRING = "string"        # (Adobe): its value is the raw bytes between the parentheses
    KEYWORD = "keyword"      # beginbfchar, def...
    DELIMITER = "delimiter"  # [ ] << >> { }


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    value: bytes


_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_TOKEN = re.compile(
    rb"(?P<space>(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)+)"
    rb"|(?P<hex><[0-9A-Fa-f\x00\t\n\x0c\r ]*>)"
    rb"|(?P<delimiter><<|>>|[\[\]{}])"
    rb"|(?P<name>/" + _REGULAR + rb"*)"
    rb"|(?P<string>\()"
    rb"|(?P<word>" + _REGULAR + rb"+)")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
_WHITE = re.compile(rb"[\x00\t\n\x0c\r ]")


def tokens(data: bytes) -> Iterator[Token]:
    """The tokens of ``data``, in order; :class:`CMapError` at the first byte that starts
    none (an unclosed or broken hex or literal string, a stray ``>`` or ``)``)."""
    position, end = 0, len(data)
    match_at = _TOKEN.match
    while position < end:
        match = match_at(data, position)
        if match is None:
            raise CMapError(f"no token at byte {position}: {data[position:position + 8]!r}")
        kind = match.lastgroup
        position = match.end()
        if kind == "hex":
            digits = match.group()[1:-1]
            try:
                value = bytes.fromhex(digits.decode("ascii"))
            except ValueError:  # an odd last digit stands for its high half
                value = bytes.fromhex((_WHITE.sub(b"", digits) + b"0").decode("ascii"))
            yield Token(Kind.HEX, value)
        elif kind == "word":
            word = match.group()
            yield Token(Kind.NUMBER if _NUMBER.fullmatch(word) else Kind.KEYWORD, word)
        elif kind == "name":
            yield Token(Kind.NAME, match.group()[1:])
        elif kind == "delimiter":
            yield Token(Kind.DELIMITER, match.group())
        elif kind == "string":
            close = _string_end(data, match.start())
            yield Token(Kind.STRING, data[match.start() + 1:close])
            position = close + 1


def _string_end(data: bytes, start: int) -> int:
    """The index of the ``)`` closing the literal string that opens at ``start``."""
    depth, index = 0, start
    while index < len(data):
        byte = data[index]
        if byte == 0x5C:  # backslash: the next byte is escaped
            index += 2
            continue
        if byte == 0x28:
            depth += 1
        elif byte == 0x29:
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise CMapError(f"an unclosed literal string at byte {start}")


@dataclass(frozen=True)
class CMap:
    """What a CMap maps. Codes are the bytes a font's strings hold (two for a Type 0 font)."""

    name: str | None = None                                      # its /CMapName
    unicode: dict[bytes, bytes] = field(default_factory=dict)    # code → UTF-16BE text
    cids: dict[bytes, int] = field(default_factory=dict)         # code → CID
    notdef: bool = False     # has notdefchar or notdefrange entries
    uses: str | None = None  # the CMap it builds on (usecmap)

    def text(self, code: bytes) -> str:
        """The text of ``code`` ("" if it has none, or not valid UTF-16BE)."""
        return decode_utf16(self.unicode.get(code, b""))


def decode_utf16(data: bytes) -> str:
    """UTF-16BE ``data`` as text; "" if it is not valid UTF-16BE."""
    try:
        return data.decode("utf-16-be")
    except UnicodeDecodeError:
        return ""


_Operand = Token | list[Token]


def parse_cmap(data: bytes) -> CMap:
    """The mappings of the CMap ``data`` (decoded stream bytes). Entries that are not what
    their operator takes (a glyph name as a destination, codes of different lengths in one
    range, a range of more than 65,536 codes) are skipped; a broken token raises
    :class:`CMapError`."""
    name: str | None = None
    uses: str | None = None
    notdef = False
    unicode: dict[bytes, bytes] = {}
    cids: dict[bytes, int] = {}
    stack: list[_Operand] = []
    arrays: list[list[Token]] = []
    for token in tokens(data):
        if token.kind is Kind.DELIMITER:
            if token.value == b"[":
                arrays.append([])
            elif token.value == b"]" and arrays:
                items = arrays.pop()
                if arrays:
                    arrays[-1].extend(items)
                else:
                    stack.append(items)
            continue
        if arrays:
            arrays[-1].append(token)
            continue
        if token.kind is not Kind.KEYWORD:
            stack.append(token)
            continue
        operator = token.value
        if operator == b"def" and len(stack) >= 2:
            key, value = _name(stack[-2]), _name(stack[-1])
            if key == b"CMapName" and value is not None:
                name = value.decode("latin-1")
        elif operator == b"usecmap" and stack:
            used = _name(stack[-1])
            uses = used.decode("latin-1") if used is not None else None
        elif operator == b"endbfchar":
            for source, target in _groups(stack, 2):
                code, text = _hex(source), _hex(target)
                if code is not None and text is not None:
                    unicode[code] = text
        elif operator == b"endbfrange":
            for low, high, target in _groups(stack, 3):
                start = _hex(target)
                for code, offset in _range(low, high):
                    if start is not None:
                        unicode[code] = _add(start, offset)
                    elif isinstance(target, list) and offset < len(target):
                        text = _hex(target[offset])
                        if text is not None:
                            unicode[code] = text
        elif operator == b"endcidchar":
            for source, number in _groups(stack, 2):
                code, cid = _hex(source), _cid(number)
                if code is not None and cid is not None:
                    cids[code] = cid
        elif operator == b"endcidrange":
            for low, high, number in _groups(stack, 3):
                cid = _cid(number)
                for code, offset in _range(low, high):
                    if cid is not None:
                        cids[code] = cid + offset
        elif operator in (b"endnotdefchar", b"endnotdefrange"):
            notdef = notdef or bool(stack)
        stack.clear()
    return CMap(name, unicode, cids, notdef, uses)


def _of(operand: _Operand, kind: Kind) -> bytes | None:
    """The value of ``operand`` if it is a token of ``kind``."""
    return operand.value if isinstance(operand, Token) and operand.kind is kind else None


def _hex(operand: _Operand) -> bytes | None:
    return _of(operand, Kind.HEX)


def _name(operand: _Operand) -> bytes | None:
    return _of(operand, Kind.NAME)


def _cid(operand: _Operand) -> int | None:
    """A CID: a whole number (not signed, no point)."""
    value = _of(operand, Kind.NUMBER)
    return int(value) if value is not None and value.isdigit() else None


def _groups(stack: list[_Operand], size: int) -> Iterator[tuple[_Operand, ...]]:
    """The operands between ``begin…`` (which took its count) and ``end…``, ``size`` at a
    time (an incomplete last group is left out)."""
    for index in range(0, len(stack) - size + 1, size):
        yield tuple(stack[index:index + size])


def _range(low: _Operand, high: _Operand) -> Iterator[tuple[bytes, int]]:
    """The codes from ``low`` to ``high`` (hex strings of one length), with their offset."""
    start, end = _hex(low), _hex(high)
    if not start or end is None or len(start) != len(end):
        return
    first, last = int.from_bytes(start, "big"), int.from_bytes(end, "big")
    if not 0 <= last - first < _LONGEST_RANGE:
        return
    width = len(start)
    for offset in range(last - first + 1):
        yield (first + offset).to_bytes(width, "big"), offset


def _add(value: bytes, offset: int) -> bytes:
    """``value`` as a big-endian number plus ``offset``, in as many bytes (wrapping)."""
    if not value:
        return value
    number = (int.from_bytes(value, "big") + offset) % (1 << (8 * len(value)))
    return number.to_bytes(len(value), "big")


# ---------------------------------------------------------------- writing


def _batches(entries: list[bytes], operator: str) -> list[bytes]:
    lines: list[bytes] = []
    for start in range(0, len(entries), BATCH):
        batch = entries[start:start + BATCH]
        lines.append(f"{len(batch)} begin{operator}".encode())
        lines.extend(batch)
        lines.append(f"end{operator}".encode())
    return lines


def to_unicode_cmap(mapping: Mapping[int, bytes]) -> bytes:
    """A ``/ToUnicode`` CMap (``Adobe-Identity-UCS``) of two-byte codes: code → UTF-16BE
    text, in order of the codes."""
    entries = [f"<{code:04x}> <{target.hex()}>".encode()
               for code, target in sorted(mapping.items())]
    return b"\n".join([
        b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
        b"/CIDSystemInfo", b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0",
        b">> def", b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
        b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange",
        *_batches(entries, "bfchar"), b"endcmap",
        b"CMapName currentdict /CMap defineresource pop", b"end", b"end"])


def cid_cmap(name: str, mapping: Mapping[int, int]) -> bytes:
    """A CID-keyed encoding CMap named ``name`` (without the slash; ``Adobe-Identity``
    ordering) of two-byte codes: code → CID, in order of the codes."""
    entries = [f"<{code:04x}> {cid}".encode() for code, cid in sorted(mapping.items())]
    return b"\n".join([
        b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
        b"/CIDSystemInfo", b"3 dict dup begin", b"/Registry (Adobe) def",
        b"/Ordering (Identity) def", b"/Supplement 0 def", b"end def",
        f"/CMapName /{name} def".encode(), b"/CMapType 1 def",
        b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange",
        *_batches(entries, "cidchar"), b"endcmap",
        b"CMapName currentdict /CMap defineresource pop", b"end", b"end"])
