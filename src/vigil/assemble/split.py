"""Split a page's drawing into its pieces of text, each drawable on its own.

Takes the decoded content stream of a page that draws only text (as WeasyPrint writes the
lines of personalised copies, see :mod:`vigil.assemble.copies`); gives one :class:`Piece` per
text object (``BT ... ET``) or marked-content sequence holding text (``BDC ... EMC``): a
content stream that draws that piece alone (``q``, the graphics state in force where it was
drawn, the piece, ``Q``), where on the page it starts (in default user space) and its
marked-content identifiers. Painting operators outside the pieces (there are none in such a
page) are dropped; the graphics state they would change is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vigil.pdf.content import ContentSyntaxError, Operand, spans

_MCID = re.compile(rb"/MCID\s+\d+")
# Operators that only set the graphics (or text) state, kept for the pieces drawn after them.
_STATE = {
    b"gs", b"rg", b"RG", b"g", b"G", b"k", b"K", b"cs", b"CS", b"sc", b"scn", b"SC", b"SCN",
    b"w", b"J", b"j", b"M", b"d", b"ri", b"i", b"Tc", b"Tw", b"Tz", b"TL", b"Tf", b"Tr", b"Ts",
}
Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Piece:
    """A piece of text: its own content stream, where it starts, how many MCIDs it marks."""

    data: bytes
    x: float
    y: float
    mcids: int


class SplitError(ValueError):
    """The content stream is not one this module can split."""


def _operations(data: bytes) -> list[tuple[bytes, list[Operand], bytes]]:
    """(operator, operands, the operation's bytes) for each operation of ``data``."""
    try:
        return [(operator, operands, data[start:end].strip())
                for operands, operator, start, end in spans(data, strict=True)]
    except ContentSyntaxError as error:
        raise SplitError(str(error)) from error


def _concat(m: Matrix, ctm: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    A, B, C, D, E, F = ctm
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def split_text(data: bytes) -> list[Piece]:
    """The pieces of text of ``data``, in the order they are drawn."""
    levels: list[tuple[list[bytes], dict[bytes, bytes]]] = [([], {})]
    ctms: list[Matrix] = [_IDENTITY]
    pieces: list[Piece] = []
    group: list[bytes] | None = None
    prefix = b""
    marked = 0
    in_text = False
    origin: tuple[float, float] | None = None
    group_ctm = _IDENTITY
    for operator, operands, chunk in _operations(data):
        if group is not None:
            group.append(chunk)
            if operator == b"BT":
                in_text = True
            elif operator == b"ET":
                in_text = False
            elif operator in (b"BDC", b"BMC"):
                marked += 1
            elif operator == b"EMC":
                marked -= 1
            elif operator == b"cm" and len(operands) == 6 and not in_text:
                group_ctm = _concat(_numbers(operands), group_ctm)
            elif operator == b"Tm" and origin is None and len(operands) == 6:
                _, _, _, _, e, f = _numbers(operands)
                a, b, c, d, tx, ty = group_ctm
                origin = (e * a + f * c + tx, e * b + f * d + ty)
            if not in_text and marked == 0:
                if origin is not None:
                    pieces.append(_piece(prefix, group, origin))
                group, origin = None, None
            continue
        if operator == b"q":
            levels.append(([], {}))
            ctms.append(ctms[-1])
        elif operator == b"Q":
            if len(levels) == 1:
                raise SplitError("Q without q")
            levels.pop()
            ctms.pop()
        elif operator in (b"BDC", b"BMC", b"BT"):
            group, marked, in_text = [chunk], int(operator != b"BT"), operator == b"BT"
            prefix = b"".join(b"\n".join([*cms, *state.values(), b""])
                              for cms, state in levels)
            group_ctm = ctms[-1]
        elif operator == b"cm" and len(operands) == 6:
            levels[-1][0].append(chunk)
            ctms[-1] = _concat(_numbers(operands), ctms[-1])
        elif operator in _STATE:
            state = levels[-1][1]
            key = operator if operator not in (b"gs", b"cs", b"CS") else chunk
            state.pop(key, None)  # set again: drawn after the others
            state[key] = chunk
    if group is not None:
        raise SplitError("the content ends inside a text object or marked content")
    return pieces


def _numbers(operands: list[Operand]) -> Matrix:
    a, b, c, d, e, f = (value if isinstance(value, float) else 0.0 for value in operands)
    return (a, b, c, d, e, f)


def _piece(prefix: bytes, group: list[bytes], origin: tuple[float, float]) -> Piece:
    body = b"\n".join(group)
    return Piece(data=b"q\n" + prefix + body + b"\nQ\n", x=origin[0], y=origin[1],
                 mcids=len(_MCID.findall(body)))


def renumber_mcids(data: bytes) -> tuple[bytes, int]:
    """``data`` with its marked-content identifiers renumbered 0, 1, 2... in order; and how
    many there are (pieces put together into one content stream)."""
    count = 0

    def renumber(_: re.Match[bytes]) -> bytes:
        nonlocal count
        count += 1
        return b"/MCID %d" % (count - 1)

    return _MCID.sub(renumber, data), count
