"""Make a tagged document keep what it claims to a screen reader (and to PDF/UA-1).

Takes a pypdf writer holding a tagged document (WeasyPrint's tags, merged by
:mod:`vigil.assemble.tags` when laid out section by section) and, for link descriptions, the
title of the section each anchor belongs to; changes the writer in place:

- marked content whose element only the ``/ParentTree`` reaches, not the structure root
  (WeasyPrint tags the page-margin boxes -- running heads, page numbers -- that way: "it could
  be included as Artifact, but that's only allowed in PDF 2.0") becomes pagination artifact
  content (``/Artifact <</Type /Pagination>> BDC``); its ``/ParentTree`` entries become null
  and its elements, referenced by nothing any more, are dropped;
- every table header cell (``/TH``) says what it heads: ``/Scope /Row`` for the first cell of
  a row of data cells, ``/Scope /Column`` otherwise (WeasyPrint links data cells to headers
  with ``/Headers`` but writes no scope);
- every link annotation's description (``/Contents``) is the title of the section it leads
  to, not the anchor's name (``foreword``) WeasyPrint writes;
- the hyphen that hyphenation adds at the end of a line (U+2010, WeasyPrint's hyphenate
  character) is drawn inside ``/Span <</ActualText <FEFF00AD>>> BDC ... EMC``: programs that
  extract text (copying, search, screen readers) get a soft hyphen, so that "Min-istry" reads
  as "Ministry", while the page shows the same hyphen;
- a line drawn letter-spaced (capitals, as the theme sets places and dates) gets its text as
  ``/ActualText`` in its marked-content properties: pdfium and MuPDF read wide gaps between
  letters as spaces ("B A K U"), a screen reader then spells the word.

Only content as WeasyPrint writes it is rewritten so: ``TJ`` arrays of hex strings with
2-byte codes, whose meaning the font's ``/ToUnicode`` gives.

Deterministic (no sets decide an order). Heavy imports (pypdf) inside the functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vigil.pdf.cmap import CMap, CMapError, decode_utf16, parse_cmap
from vigil.pdf.objects import resolve as _resolve

MAX_ELEMENTS = 500_000
_MARKED = re.compile(rb"/[A-Za-z0-9_.]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")
_ARTIFACT = b"/Artifact <</Type /Pagination>> BDC"


def _raw(node: Any, key: str, default: Any = None) -> Any:
    """``node[key]`` unresolved (an indirect reference stays one), or ``default``."""
    return node.raw_get(key) if key in node else default


def _items(value: Any) -> list[Any]:
    resolved = _resolve(value)
    if isinstance(resolved, list):
        return list(resolved)
    return [] if value is None else [value]


def make_accessible(writer: Any, titles: Mapping[str, str] | None = None) -> None:
    """Fix the tags of the document in ``writer`` (see the module); nothing when untagged.
    ``titles`` maps an anchor (a named destination) to the title its links are described by."""
    root = writer.root_object
    tree = _resolve(root.get("/StructTreeRoot"))
    if not isinstance(tree, dict):
        return
    reached = _reach(tree)
    if _artifacts(writer, tree, reached):
        _drop_unreferenced(writer)
    _describe_links(writer, titles or {})
    _text_layer(writer)


def _drop_unreferenced(writer: Any) -> None:
    """Free every object of ``writer`` that no other object refers to, but the catalog, the
    document information and the file identifier: the running heads' elements, once the
    parent tree lists them no more. The objects ``writer.compress_identical_objects(
    remove_duplicates=False, remove_unreferenced=True)`` frees, found in one walk, without
    hashing every object first (two thirds of its time)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    from vigil.pdf._compat import file_identifier, free_object, info_object, objects

    everything = objects(writer)
    referenced = bytearray(len(everything))
    containers = (DictionaryObject, ArrayObject)
    stack = [obj for obj in everything if isinstance(obj, containers)]
    while stack:
        node = stack.pop()
        for value in node.values() if isinstance(node, DictionaryObject) else node:
            if isinstance(value, IndirectObject):
                if 0 < value.idnum <= len(referenced):
                    referenced[value.idnum - 1] = 1
            elif isinstance(value, containers):
                stack.append(value)
    for kept in (writer.root_object, info_object(writer), file_identifier(writer)):
        reference = getattr(kept, "indirect_reference", None)
        if reference is not None and 0 < reference.idnum <= len(referenced):
            referenced[reference.idnum - 1] = 1
    for number in [index + 1 for index, used in enumerate(referenced) if not used]:
        if everything[number - 1] is not None:
            free_object(writer, number)


def _reach(tree: Any) -> set[int]:
    """The object numbers of the elements the root reaches; header cells get their scope."""
    reached: set[int] = set()
    stack = list(reversed(_items(_raw(tree, "/K"))))
    while stack and len(reached) < MAX_ELEMENTS:
        kid = stack.pop()
        number = getattr(kid, "idnum", None)
        element = _resolve(kid)
        if not isinstance(element, dict) or element.get("/Type") in ("/MCR", "/OBJR"):
            continue
        if number is not None:
            if number in reached:
                continue
            reached.add(number)
        if element.get("/S") == "/TR":
            _scope(element)
        stack.extend(reversed([item for item in _items(_raw(element, "/K"))
                               if hasattr(item, "idnum") or isinstance(item, dict)]))
    return reached


def _scope(row: Any) -> None:
    """Give the header cells of a table row their /Scope."""
    from pypdf.generic import DictionaryObject, NameObject

    cells = [_resolve(cell) for cell in _items(_raw(row, "/K"))]
    cells = [cell for cell in cells if isinstance(cell, dict) and cell.get("/S") in
             ("/TH", "/TD")]
    headers_only = all(cell.get("/S") == "/TH" for cell in cells)
    for position, cell in enumerate(cells):
        if cell.get("/S") != "/TH":
            continue
        scope = "/Column" if headers_only or position > 0 else "/Row"
        attributes = _resolve(cell.get("/A"))
        target = None
        for item in (attributes if isinstance(attributes, list) else [attributes]):
            item = _resolve(item)
            if isinstance(item, dict) and item.get("/O") == "/Table":
                target = item
                break
        if target is None:
            target = DictionaryObject({NameObject("/O"): NameObject("/Table")})
            if isinstance(attributes, list):
                attributes.append(target)
            elif isinstance(attributes, dict):
                from pypdf.generic import ArrayObject

                cell[NameObject("/A")] = ArrayObject([_raw(cell, "/A"), target])
            else:
                cell[NameObject("/A")] = target
        if "/Scope" not in target:
            target[NameObject("/Scope")] = NameObject(scope)


def _parent_tree(tree: Any) -> dict[int, Any]:
    """The parent tree's entries by key (values unresolved)."""
    found: dict[int, Any] = {}
    stack = [tree.get("/ParentTree")]
    depth = 0
    while stack and depth < 10_000:
        depth += 1
        node = _resolve(stack.pop())
        if not isinstance(node, dict):
            continue
        nums = _resolve(node.get("/Nums"))
        if isinstance(nums, list):
            for index in range(0, len(nums) - 1, 2):
                key = _resolve(nums[index])
                if isinstance(key, int) and not isinstance(key, bool):
                    found[int(key)] = nums[index + 1]
        stack.extend(_items(node.get("/Kids")))
    return found


def _artifacts(writer: Any, tree: Any, reached: set[int]) -> bool:
    """Turn marked content that only the parent tree reaches into pagination artifacts;
    True when anything changed."""
    from pypdf.generic import NullObject

    entries = _parent_tree(tree)
    changed = False
    for page in writer.pages:
        key = _resolve(page.get("/StructParents"))
        if not isinstance(key, int) or isinstance(key, bool):
            continue
        values = _resolve(entries.get(int(key)))
        if not isinstance(values, list):
            continue
        orphans = {index for index, value in enumerate(values)
                   if hasattr(value, "idnum") and value.idnum not in reached}
        if not orphans:
            continue
        for index in sorted(orphans):
            values[index] = NullObject()
        _mark_artifacts(page, orphans)
        changed = True
    return changed


def _mark_artifacts(page: Any, orphans: set[int]) -> None:
    """Rewrite ``/Tag <</MCID n>> BDC`` for the MCIDs ``orphans`` in the page's content."""

    def replace(match: re.Match[bytes]) -> bytes:
        return _ARTIFACT if int(match[1]) in orphans else match[0]

    for reference in _items(_raw(page, "/Contents")):
        stream = _resolve(reference)
        if not hasattr(stream, "get_data"):
            continue
        data = stream.get_data()
        new = _MARKED.sub(replace, data)
        if new != data:
            stream.set_data(new)


def _describe_links(writer: Any, titles: Mapping[str, str]) -> None:
    """A link's /Contents: the title of the section its anchor belongs to."""
    from pypdf.generic import NameObject, TextStringObject

    contents = NameObject("/Contents")
    for page in writer.pages:
        for reference in _items(page.get("/Annots")):
            annotation = _resolve(reference)
            if not isinstance(annotation, dict) or annotation.get("/Subtype") != "/Link":
                continue
            destination = _resolve(annotation.get("/Dest"))
            action = _resolve(annotation.get("/A"))
            if destination is None and isinstance(action, dict) and action.get("/S") == "/GoTo":
                destination = _resolve(action.get("/D"))
            if not isinstance(destination, str):
                if isinstance(action, dict) and action.get("/S") == "/URI" and \
                        not str(annotation.get("/Contents") or "").strip():
                    annotation[contents] = TextStringObject(str(action.get("/URI")))
                continue
            name = str(destination).removeprefix("#")
            title = titles.get(name)
            if title:
                annotation[contents] = TextStringObject(title)


# ---------------------------------------------------------------- the text layer

_TOKENS = re.compile(  # the lookahead lets the scan skip what cannot start a token
    rb"(?=[/\[BE])(?:(?P<font>/(?P<name>[^\s/<>\[\]()]+)\s+[-\d.]+\s+Tf)"
    rb"|(?P<tj>\[(?P<array>(?:<[0-9A-Fa-f\s]*>|[-+\d.\s])*)\]\s*TJ)"
    rb"|(?P<begin>\bBDC\b|\bBMC\b)|(?P<end>\bEMC\b))")
_ARRAY_ITEMS = re.compile(rb"<([0-9A-Fa-f\s]*)>|([-+\d.]+)")
_WIDE = re.compile(rb"-(?:[5-9]\d|\d{3,})(?:\.\d*)?")  # a gap of 0.05 em or more
_LAST_CODE = re.compile(rb"<([0-9A-Fa-f]{4})(?=[^<]*$)")
_HYPHEN = "\u2010"
_SOFT = b"/Span <</ActualText <FEFF00AD>>> BDC "
_HEX = re.compile(rb"<([0-9A-Fa-f]*)>")
_WHITESPACE = b" \t\n\r\f\v"  # what rb"\s" matches
SPACED = 50.0         # a gap between two letters wider than 0.05 em: letter spacing
SPACED_SHARE = 0.8    # ... between this share of the letters of a line, at least


@dataclass(frozen=True)
class FontText:
    """What the codes of a font (2-byte codes, a Type0 font) mean, from its /ToUnicode."""

    chars: Mapping[bytes, str]   # code as 4 upper-case hex digits -> its text
    hyphens: frozenset[bytes]    # the codes of U+2010


_NO_TEXT = FontText({}, frozenset())


def _font_text(font: Any, memo: dict[int, FontText]) -> FontText:
    number = getattr(font, "idnum", None)
    if number is not None and number in memo:
        return memo[number]
    chars: dict[bytes, str] = {}
    resolved = _resolve(font)
    unicode = _resolve(resolved.get("/ToUnicode")) if isinstance(resolved, dict) else None
    if resolved is not None and resolved.get("/Subtype") == "/Type0" and \
            hasattr(unicode, "get_data"):
        try:
            cmap = parse_cmap(_data(unicode))
        except CMapError:
            cmap = CMap()
        for code, text in cmap.unicode.items():
            if len(code) == 2:
                chars[code.hex().upper().encode("ascii")] = decode_utf16(text)
    found = FontText(chars, frozenset(code for code, text in chars.items() if text == _HYPHEN))
    if number is not None:
        memo[number] = found
    return found


def _data(stream: Any) -> bytes:
    return bytes(stream.get_data())


def page_fonts(page: Any, memo: dict[int, FontText]) -> dict[bytes, FontText]:
    """For each font resource name of ``page`` (without the slash), what its codes mean;
    ``memo`` is kept between pages."""
    resources = _resolve(page.get("/Resources"))
    fonts = _resolve(resources.get("/Font")) if isinstance(resources, dict) else None
    if not isinstance(fonts, dict):
        return {}
    return {str(name)[1:].encode("latin-1"): _font_text(_raw(fonts, name), memo)
            for name in fonts}


def _text_layer(writer: Any) -> None:
    memo: dict[int, FontText] = {}
    for page in writer.pages:
        fonts = page_fonts(page, memo)
        if not any(font.chars for font in fonts.values()):
            continue
        for reference in _items(_raw(page, "/Contents")):
            stream = _resolve(reference)
            if hasattr(stream, "get_data"):
                data = stream.get_data()
                new, _, _ = text_layer(data, fonts)
                if new != data:
                    stream.set_data(new)


@dataclass
class _Sequence:
    given: bool                  # it, or one around it, has an ActualText already
    properties: tuple[int, int] | None  # where its property list << ... >> is
    arrays: list[tuple[re.Match[bytes], bytes]] = field(default_factory=list)  # TJ, font


def text_layer(data: bytes, fonts: Mapping[bytes, FontText]) -> tuple[bytes, int, int]:
    """``data`` with an ActualText for what text extraction would get wrong (see the
    module), the number of hyphens and of letter-spaced lines given one (``data`` itself
    when both are 0)."""
    open_: list[_Sequence] = []
    font = b""
    edits: list[tuple[int, int, bytes]] = []
    hyphens = spaced = 0
    for match in _TOKENS.finditer(data):
        if match["font"]:
            font = match["name"]
        elif match["tj"]:
            if open_ and not open_[-1].given:
                open_[-1].arrays.append((match, font))
        elif match["begin"]:
            before = data[max(0, match.start() - 300):match.start()]
            opened = before.rfind(b"<<")
            closed = before.rfind(b">>")
            properties = None
            actual = False
            if opened >= 0 and closed > opened:
                base = max(0, match.start() - 300)
                properties = (base + opened, base + closed + 2)
                actual = b"/ActualText" in before[opened:]
            open_.append(_Sequence(actual or (bool(open_) and open_[-1].given), properties))
        elif match["end"] and open_:
            sequence = open_.pop()
            if sequence.given or not sequence.arrays:
                continue
            text = _spaced_text(sequence.arrays, fonts)
            if text is not None and sequence.properties is not None:
                start, end = sequence.properties
                encoded = ("\ufeff" + text).encode("utf-16-be").hex().upper().encode()
                edits.append((end - 2, end - 2, b" /ActualText <" + encoded + b">"))
                spaced += 1
                continue
            last, name = sequence.arrays[-1]
            edit = _hyphen_edit(last, fonts.get(name, _NO_TEXT))
            if edit is not None:
                edits.append(edit)
                hyphens += 1
    if not edits:
        return data, 0, 0
    out, position = bytearray(), 0
    for start, end, replacement in sorted(edits):
        out += data[position:start] + replacement
        position = end
    out += data[position:]
    return bytes(out), hyphens, spaced


def _hyphen_edit(match: re.Match[bytes], font: FontText) -> tuple[int, int, bytes] | None:
    """Split a line's last TJ before its last code when that code is U+2010, the hyphen
    drawn inside a soft-hyphen ActualText."""
    array = match["array"]
    code = _LAST_CODE.search(array)
    if code is None or code[1].upper() not in font.hyphens:
        return None
    before, after = array[:code.start()], array[code.start():]
    replacement = b"[" + before + b"] TJ " if _HEX.search(before) is not None else b""
    return match.start(), match.end(), replacement + _SOFT + b"[" + after + b"] TJ EMC"


def _spaced_text(arrays: list[tuple[re.Match[bytes], bytes]],
                 fonts: Mapping[bytes, FontText]) -> str | None:
    """The text of a line drawn letter-spaced (most gaps between its letters wider than
    SPACED thousandths of an em), or None when it is not."""
    if not any(_WIDE.search(match["array"]) for match, _ in arrays):
        return None  # no wide gap at all (most lines): not parsed
    # A wide gap needs a negative number before the letter it ends, so there are at most as
    # many wide gaps as minus signs: a line is given up as soon as it has more narrow gaps
    # than a quarter of its minus signs (a justified line, whose wide gaps are between its
    # words, after a few letters). The answer is the one reading it to the end gives.
    numbers = sum(match["array"].count(b"-") for match, _ in arrays)
    text: list[str] = []
    gaps = wide = narrow = 0
    for match, name in arrays:
        chars = fonts.get(name, _NO_TEXT).chars
        if not chars:
            return None
        gap: float | None = None  # since the last letter of this array
        for item in _ARRAY_ITEMS.finditer(match["array"]):
            if item[1] is not None:
                digits = item[1].translate(None, _WHITESPACE)
                for index in range(0, len(digits) - 3, 4):
                    char = chars.get(digits[index:index + 4].upper())
                    if char is None:
                        return None
                    if gap is not None and char.strip() and text and text[-1].strip():
                        gaps += 1
                        if gap <= -SPACED:
                            wide += 1
                        else:
                            narrow += 1
                            if 4 * narrow > numbers:  # wide >= 0.8 * gaps cannot be
                                return None
                    text.append(char)
                    gap = 0.0
            elif gap is not None:
                try:
                    gap += float(item[2])
                except ValueError:
                    return None
    if gaps < 2 or wide < SPACED_SHARE * gaps:
        return None
    return "".join(text)
