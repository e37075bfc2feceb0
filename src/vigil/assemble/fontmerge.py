"""One font program per face in a PDF joined from several WeasyPrint documents.

Takes a pypdf ``PdfWriter`` holding the pages of several WeasyPrint PDFs (section-level
typesetting: each chunk is its own ``write_pdf``, the chunks joined page by page) and the font
files the documents were set in (vigil's ``fonts/`` folder); changes the writer in place and
gives notes (sentences) on what it could not merge.

WeasyPrint names a subset after the font description, not after its glyphs, so the join holds
several different programs named ``ABCDEF+Vigil-Serif``: a PDF/A and preflight defect, and each
chunk's own copy of the face. Every embedded font is found (page resources, form XObjects,
patterns, soft masks and Type 3 fonts recursively, annotation appearances, the AcroForm's
``/DR``) and grouped by ``/BaseFont``:

- programs with the same bytes are kept once;
- a group with several different programs gets ONE: the original font file (found in
  ``font_files`` by the ``name`` and ``head`` tables the subsets keep) subset to the union of
  the glyphs the members use (the CIDs of their ``/W`` arrays; WeasyPrint writes an
  ``/Identity`` ``CIDToGIDMap`` and subsets with ``RETAIN_GIDS``, so glyph ids agree), exactly
  as ``weasyprint.pdf.fonts.Font._harfbuzz_subset`` does (two HarfBuzz passes, same flags and
  dropped tables; hinting and ``.notdef`` outline as the members had them), so a chunked build
  embeds the same bytes as one document with the same text. Each member keeps its own font
  dictionaries (its ``/W``, its ``ToUnicode``: text extraction is unchanged) pointing at the
  shared stream; a ``/CIDSet`` (PDF 1.4) becomes the union's;
- when the original cannot be found (a font of the user's own) or the members cannot be merged,
  each different program is renamed after its bytes (``_rename_subsets`` in
  :mod:`vigil.assemble.copies` does the same), and a note says so.

Replaced streams are removed from the writer. Same input, same output bytes. Font files are
indexed once per process (by path, size and modification time), HarfBuzz faces are kept.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from math import ceil
from pathlib import Path
from typing import Any

from vigil.pdf._compat import add_object, free_object

__all__ = ["merge_font_subsets"]

_FILE_KEYS = ("/FontFile2", "/FontFile3", "/FontFile")
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
# WeasyPrint 70, Font._harfbuzz_subset: the tables it drops.
_DROP_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF",
                b"LTSH", b"PCLT", b"SVG ")
_HINTING_TABLES = ("fpgm", "prep", "cvt ")
_KEPT_SUBSETS = 64


def merge_font_subsets(writer: Any, font_files: Sequence[Path]) -> list[str]:
    """Give every font name in ``writer`` one font program, merging different subsets of a
    face into one subset of its original among ``font_files`` (font files, or folders of
    them); returns notes (sentences) on fonts renamed after their content instead.

    Call it once all pages are in ``writer`` (it removes the replaced streams, which a later
    ``add_page`` from the same reader would point at again), before ``writer.write``.
    """
    holders: list[Any] = []
    fonts = _collect(writer, holders)
    groups: dict[str, list[_Member]] = {}
    for font in fonts:
        member = _member(font)
        if member is not None:
            groups.setdefault(member.name, []).append(member)
    notes: list[str] = []
    freed: set[int] = set()
    for name, members in groups.items():
        programs = {m.digest for m in members}
        if len(programs) == 1:
            _share(writer, members, _existing(members[0]), freed)
            continue
        if not all(_indirect(m.reference) for m in members):
            notes.append(f"font {name.lstrip('/')}: a font program is not an indirect object; "
                         "left as it is")
            continue
        problem = _unmergeable(members)
        merged = None
        if problem is None:
            merged, problem = _merged_program(members, font_files)
        if merged is not None:
            _share(writer, members, _new_stream(writer, members[0], merged), freed)
            _share_cidset(writer, members, freed)
            continue
        notes.append(f"font {name.lstrip('/')}: {len(programs)} different subsets could not "
                     f"be merged ({problem}); each is named after its content instead")
        _rename(writer, members, freed)
    gone = _merge_dictionaries(writer, groups, holders, freed)
    _free(writer, freed, [font for font in fonts if id(font) not in gone])
    return notes


# ---------------------------------------------------------------- finding the fonts


def _get(obj: Any) -> Any:
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _raw(holder: Any, key: str) -> Any:
    """An entry as written (an IndirectObject stays one)."""
    return holder.raw_get(key)


def _collect(writer: Any, holders: list[Any] | None = None) -> list[Any]:
    """Every font dictionary the writer's pages (and forms) can use, in document order;
    the ``/Font`` resource dictionaries naming them are added to ``holders``."""
    seen_resources: set[int] = set()
    seen_holders: set[int] = set()
    seen_fonts: set[int] = set()
    fonts: list[Any] = []

    def resources(value: Any) -> None:
        res = _get(value)
        if not isinstance(res, dict) or id(res) in seen_resources:
            return
        seen_resources.add(id(res))
        font_dict = _get(res.get("/Font"))
        if isinstance(font_dict, dict):
            if holders is not None and id(font_dict) not in seen_holders:
                seen_holders.add(id(font_dict))
                holders.append(font_dict)
            for key in sorted(font_dict):
                font = _get(font_dict[key])
                if isinstance(font, dict) and id(font) not in seen_fonts:
                    seen_fonts.add(id(font))
                    fonts.append(font)
                    if font.get("/Subtype") == "/Type3":
                        resources(font.get("/Resources"))
        for category in ("/XObject", "/Pattern"):
            entries = _get(res.get(category))
            if isinstance(entries, dict):
                for key in sorted(entries):
                    entry = _get(entries[key])
                    if isinstance(entry, dict):
                        resources(entry.get("/Resources"))
        states = _get(res.get("/ExtGState"))
        if isinstance(states, dict):
            for key in sorted(states):
                state = _get(states[key])
                mask = _get(state.get("/SMask")) if isinstance(state, dict) else None
                group = _get(mask.get("/G")) if isinstance(mask, dict) else None
                if isinstance(group, dict):  # a soft mask's transparency group
                    resources(group.get("/Resources"))

    def appearance(value: Any) -> None:
        value = _get(value)
        if not isinstance(value, dict):
            return
        if "/Resources" in value or hasattr(value, "get_data"):
            resources(value.get("/Resources"))
            return
        for key in sorted(value):
            appearance(value[key])

    for page in writer.pages:
        resources(page.get("/Resources"))
        for annotation in _get(page.get("/Annots")) or []:
            annotation = _get(annotation)
            if isinstance(annotation, dict):
                streams = _get(annotation.get("/AP"))
                if isinstance(streams, dict):
                    for key in ("/N", "/R", "/D"):
                        if key in streams:
                            appearance(streams[key])
    form = _get(writer.root_object.get("/AcroForm"))
    if isinstance(form, dict):
        resources(form.get("/DR"))
    return fonts


@dataclass
class _Member:
    """One font dictionary with an embedded program."""

    name: str                # its /BaseFont, with the slash
    font: Any
    descendant: Any          # the CIDFont of a Type 0 font, else the font itself
    descriptor: Any
    key: str                 # /FontFile2, /FontFile3 or /FontFile
    reference: Any           # the IndirectObject of the program stream
    data: bytes
    digest: bytes


def _member(font: Any) -> _Member | None:
    base = font.get("/BaseFont")
    if base is None:
        return None
    descendant = font
    if font.get("/Subtype") == "/Type0":
        descendants = _get(font.get("/DescendantFonts"))
        if not descendants:
            return None
        descendant = _get(descendants[0])
    descriptor = _get(descendant.get("/FontDescriptor"))
    if not isinstance(descriptor, dict):
        return None
    for key in _FILE_KEYS:
        if key in descriptor:
            reference = _raw(descriptor, key)
            stream = _get(reference)
            if not hasattr(stream, "get_data"):
                continue
            data = stream.get_data()
            return _Member(str(base), font, descendant, descriptor, key, reference, data,
                           hashlib.sha256(data).digest())
    return None


# ---------------------------------------------------------------- sharing and renaming


def _existing(member: _Member) -> Any:
    return member.reference


def _indirect(reference: Any) -> bool:
    from pypdf.generic import IndirectObject

    return isinstance(reference, IndirectObject)


def _share(writer: Any, members: list[_Member], reference: Any, freed: set[int]) -> None:
    """Point every member's descriptor at the program ``reference`` (the others go) and give
    its dictionaries the member's name."""
    from pypdf.generic import IndirectObject, NameObject

    shared = isinstance(reference, IndirectObject)  # a direct stream cannot be shared
    for member in members:
        old = member.reference
        if shared:
            if isinstance(old, IndirectObject) and old.pdf is writer and \
                    old.idnum != reference.idnum:
                freed.add(old.idnum)
            member.descriptor[NameObject(member.key)] = reference
            member.reference = reference
        name = NameObject(member.name)
        for holder, entry in ((member.font, "/BaseFont"), (member.descendant, "/BaseFont"),
                              (member.descriptor, "/FontName")):
            if holder.get(entry) != name:
                holder[NameObject(entry)] = name
    if shared:
        freed.discard(reference.idnum)


def _rename(writer: Any, members: list[_Member], freed: set[int]) -> None:
    """Name each different program after its bytes; identical ones share one stream."""
    by_digest: dict[bytes, list[_Member]] = {}
    for member in members:
        by_digest.setdefault(member.digest, []).append(member)
    for digest, same in by_digest.items():
        tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
        base = same[0].name.lstrip("/")
        base = base.split("+", 1)[1] if "+" in base else base
        for member in same:
            member.name = f"/{tag}+{base}"
        _share(writer, same, _existing(same[0]), freed)


def _new_stream(writer: Any, model: _Member, data: bytes) -> Any:
    from pypdf.generic import NameObject, NumberObject, StreamObject

    stream = StreamObject()
    stream.set_data(data)
    encoded = stream.flate_encode()
    original = _get(model.reference)
    for key, value in original.items():
        if key not in ("/Length", "/Filter", "/DecodeParms", "/Length1", "/DL"):
            encoded[NameObject(key)] = value
    if model.key == "/FontFile2":
        encoded[NameObject("/Length1")] = NumberObject(len(data))
    return add_object(writer, encoded)


def _share_cidset(writer: Any, members: list[_Member], freed: set[int]) -> None:
    """A /CIDSet (written by WeasyPrint for PDF 1.4) of the union of the members' CIDs."""
    from pypdf.generic import IndirectObject, NameObject, StreamObject

    holders = [m for m in members if "/CIDSet" in m.descriptor]
    if not holders:
        return
    cids: set[int] = set()
    for member in members:
        cids.update(_cids(member.descendant))
    if not cids:
        return
    width = ceil((max(cids) + 1) / 8)
    bits = bytearray(width)
    for cid in cids:
        bits[cid // 8] |= 0x80 >> (cid % 8)
    stream = StreamObject()
    stream.set_data(bytes(bits))
    reference = add_object(writer, stream.flate_encode())
    for member in holders:
        old = _raw(member.descriptor, "/CIDSet")
        if isinstance(old, IndirectObject) and old.pdf is writer:
            freed.add(old.idnum)
        member.descriptor[NameObject("/CIDSet")] = reference


def _free(writer: Any, freed: set[int], fonts: list[Any]) -> None:
    """Remove the replaced streams, unless a font descriptor still points at one."""
    from pypdf.generic import IndirectObject

    for font in fonts:
        member = _member_reference(font)
        for reference in member:
            if isinstance(reference, IndirectObject):
                freed.discard(reference.idnum)
    for idnum in sorted(freed):
        free_object(writer, idnum)


def _member_reference(font: Any) -> Iterator[Any]:
    descendant = font
    if font.get("/Subtype") == "/Type0":
        descendants = _get(font.get("/DescendantFonts")) or []
        if not descendants:
            return
        descendant = _get(descendants[0])
    descriptor = _get(descendant.get("/FontDescriptor"))
    if isinstance(descriptor, dict):
        for key in (*_FILE_KEYS, "/CIDSet"):
            if key in descriptor:
                yield _raw(descriptor, key)


# ---------------------------------------------------------------- one dictionary per face


# Widths are in 1/1000 em: members of one face agree exactly, up to how a number was written.
_WIDTH_TOLERANCE = 0.5
_FIXED_PITCH = 1  # FontDescriptor /Flags bit 1
# Entries merged (or replaced) rather than required to be equal.
_FONT_MERGED = frozenset({"/ToUnicode", "/Encoding", "/DescendantFonts"})
_CIDFONT_MERGED = frozenset({"/W", "/FontDescriptor", "/DW"})
_DESCRIPTOR_MERGED = frozenset({"/FontBBox", "/Flags", "/CIDSet", *_FILE_KEYS})
_HEX = r"<([0-9A-Fa-f]*)>"


@dataclass
class _Union:
    """What the dictionaries of one face's members have together."""

    widths: dict[int, Any]                 # CID → the width as first written
    to_unicode: dict[int, str] | None      # CID → UTF-16BE hex; None: no member has one
    encoding: dict[int, int] | None        # code → CID of a WP-Encod CMap; None: a name
    bbox: list[float]
    fixed_pitch: bool
    cidset: bytes | None
    encoding_model: Any = None             # the first member's WP-Encod CMap stream


def _merge_dictionaries(writer: Any, groups: dict[str, list[_Member]], holders: list[Any],
                        freed: set[int]) -> set[int]:
    """Give the members of each face that share one program ONE Type 0 font dictionary (with
    its CIDFont, descriptor, ``/W``, ``ToUnicode`` and ``/CIDSet`` covering them all), point
    every ``/Font`` resource entry (``holders``) at it, and add the objects only the others
    used to ``freed``; returns the ``id`` of the font dictionaries no longer used.

    Members that disagree (a CID with two widths or two texts, different metrics) keep their
    own dictionaries."""
    from pypdf.generic import IndirectObject

    references: dict[int, Any] = {}  # id(font dictionary) → its reference
    for holder in holders:
        for key in sorted(holder):
            raw = _raw(holder, key)
            if isinstance(raw, IndirectObject) and raw.pdf is writer:
                references.setdefault(id(_get(raw)), raw)
    replaced: dict[int, Any] = {}  # id(font dictionary) → the reference that replaces it
    for members in groups.values():
        by_program: dict[tuple[str, int], list[_Member]] = {}
        seen: set[int] = set()
        for member in members:
            if _indirect(member.reference) and id(member.font) not in seen:
                seen.add(id(member.font))
                by_program.setdefault((member.name, member.reference.idnum), []).append(member)
        for same in by_program.values():
            union = _union(same) if len(same) > 1 else None
            if union is None:
                continue
            keeper = same[0]
            reference = references.get(id(keeper.font))
            if reference is None:  # a direct font dictionary: it becomes an object
                reference = add_object(writer, keeper.font)
                replaced[id(keeper.font)] = reference
            before = _references(writer, keeper.font)
            _apply(writer, keeper, union)
            kept = _references(writer, keeper.font)
            freed.update(before - kept)
            for member in same[1:]:
                replaced[id(member.font)] = reference
                freed.update(_references(writer, member.font) - kept)
                if id(member.font) in references:
                    freed.add(references[id(member.font)].idnum)
            freed.difference_update(kept)
            freed.discard(reference.idnum)
    from pypdf.generic import NameObject

    for holder in holders:
        for key in sorted(holder):
            target = replaced.get(id(_get(_raw(holder, key))))
            if target is not None:
                holder[NameObject(key)] = target
    return {font_id for font_id, target in replaced.items()
            if id(_get(target)) != font_id}


def _references(writer: Any, value: Any, found: set[int] | None = None) -> set[int]:
    """The numbers of the writer's objects ``value`` (a font dictionary) refers to."""
    from pypdf.generic import IndirectObject

    found = set() if found is None else found
    if isinstance(value, IndirectObject):
        if value.pdf is not writer or value.idnum in found:
            return found
        found.add(value.idnum)
        value = value.get_object()
    if isinstance(value, dict):
        for key in sorted(value):
            _references(writer, _raw(value, key), found)
    elif isinstance(value, list):
        for item in value:
            _references(writer, item, found)
    return found


def _plain(value: Any, depth: int = 0) -> Any:
    """A comparable form of a PDF value (streams by their bytes)."""
    value = _get(value)
    if depth > 8:
        return None
    if hasattr(value, "get_data"):
        return ("stream", hashlib.sha256(value.get_data()).digest())
    if isinstance(value, dict):
        return tuple((str(k), _plain(value[k], depth + 1)) for k in sorted(value))
    if isinstance(value, list):
        return tuple(_plain(item, depth + 1) for item in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return str(value)


def _same_entries(dictionaries: list[Any], merged: frozenset[str]) -> bool:
    first = dictionaries[0]
    keys = set(first) - merged
    for other in dictionaries[1:]:
        if set(other) - merged != keys:
            return False
        if any(_plain(_raw(other, key)) != _plain(_raw(first, key)) for key in sorted(keys)):
            return False
    return True


def _union(members: list[_Member]) -> _Union | None:
    """The members' dictionaries together, or None if they disagree."""
    for member in members:
        if member.font.get("/Subtype") != "/Type0" or member.descendant is member.font:
            return None
        if len(_get(member.font.get("/DescendantFonts")) or []) != 1:
            return None
        if member.descendant.get("/Subtype") == "/CIDFontType2" and \
                member.descendant.get("/CIDToGIDMap", "/Identity") != "/Identity":
            return None
    if not (_same_entries([m.font for m in members], _FONT_MERGED)
            and _same_entries([m.descendant for m in members], _CIDFONT_MERGED)
            and _same_entries([m.descriptor for m in members], _DESCRIPTOR_MERGED)):
        return None
    if len({float(_get(m.descendant.get("/DW", 1000))) for m in members}) != 1:
        return None
    if len({int(_get(m.descriptor.get("/Flags", 0))) & ~_FIXED_PITCH for m in members}) != 1:
        return None
    widths: dict[int, Any] = {}
    for member in members:
        member_widths = _widths(member.descendant)
        if member_widths is None:
            return None
        for cid, width in member_widths.items():
            known = widths.setdefault(cid, width)
            if abs(float(known) - float(width)) > _WIDTH_TOLERANCE:
                return None
    to_unicode = _union_to_unicode(members)
    if to_unicode is False:
        return None
    encoding = _union_encoding(members)
    if encoding is False:
        return None
    boxes = [[float(_get(v)) for v in _get(m.descriptor.get("/FontBBox")) or []]
             for m in members]
    if any(len(box) != 4 for box in boxes):
        return None
    bbox = [min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes)]
    cidsets = [_get(m.descriptor.get("/CIDSet")) for m in members if "/CIDSet" in m.descriptor]
    cidset = None
    if cidsets:
        data = [s.get_data() for s in cidsets if hasattr(s, "get_data")]
        merged = bytearray(max((len(d) for d in data), default=0))
        for item in data:
            for index, byte in enumerate(item):
                merged[index] |= byte
        cidset = bytes(merged)
    distinct = {float(w) for w in widths.values()}
    model = next((_get(m.font.get("/Encoding")) for m in members
                  if hasattr(_get(m.font.get("/Encoding")), "get_data")), None)
    return _Union(widths, to_unicode if isinstance(to_unicode, dict) else None,
                  encoding if isinstance(encoding, dict) else None, bbox,
                  len(widths) > 1 and len(distinct) == 1, cidset, model)


def _widths(descendant: Any) -> dict[int, Any] | None:
    """A CIDFont's /W array as CID → width (as written), or None if it cannot be read."""
    widths: dict[int, Any] = {}
    array = _get(descendant.get("/W")) or []
    index, count = 0, len(array)
    try:
        while index < count:
            first = int(_get(array[index]))
            following = _get(array[index + 1])
            if isinstance(following, list):
                for offset, width in enumerate(following):
                    widths[first + offset] = _get(width)
                index += 2
            else:
                width = _get(array[index + 2])
                for cid in range(first, int(following) + 1):
                    widths[cid] = width
                index += 3
    except (IndexError, TypeError, ValueError):
        return None
    return widths


def _cmap_text(stream: Any) -> str:
    return bytes(stream.get_data()).decode("latin-1")


def _to_unicode(stream: Any) -> dict[int, str] | None:
    """A ToUnicode CMap as CID → UTF-16BE hex (two-byte codes only), or None."""
    import re

    text = _cmap_text(stream)
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for code, target in re.findall(_HEX + r"\s*" + _HEX, block):
            if len(code) != 4:
                return None
            mapping[int(code, 16)] = target.lower()
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for low, high, rest in re.findall(_HEX + r"\s*" + _HEX + r"\s*(<[^>]*>|\[[^\]]*\])",
                                          block):
            if len(low) != 4 or len(high) != 4:
                return None
            first, last = int(low, 16), int(high, 16)
            if rest.startswith("["):
                targets = re.findall(_HEX, rest)
                for offset, target in enumerate(targets[:last - first + 1]):
                    mapping[first + offset] = target.lower()
            else:
                start = rest[1:-1]
                if not start:
                    return None
                base = int(start, 16)
                for offset in range(last - first + 1):
                    mapping[first + offset] = f"{base + offset:0{len(start)}x}"
    return mapping


def _union_to_unicode(members: list[_Member]) -> dict[int, str] | bool | None:
    """The members' ToUnicode mappings together; None if none has one, False on a conflict."""
    maps: list[dict[int, str] | None] = []
    for member in members:
        stream = _get(member.font.get("/ToUnicode"))
        if stream is None:
            maps.append(None)
            continue
        if not hasattr(stream, "get_data"):
            return False
        maps.append(_to_unicode(stream))
        if maps[-1] is None:
            return False
    if all(m is None for m in maps):
        return None
    if any(m is None for m in maps):
        return False
    union: dict[int, str] = {}
    for mapping in maps:
        assert mapping is not None
        for cid, target in mapping.items():
            if union.setdefault(cid, target) != target:
                return False
    return union


def _union_encoding(members: list[_Member]) -> dict[int, int] | bool | None:
    """The members' encodings together: None if all are the same name (``/Identity-H``),
    the code → CID map of one ``WP-Encod`` CMap, or False if they disagree."""
    import re

    names = {str(_get(m.font.get("/Encoding"))) for m in members
             if not hasattr(_get(m.font.get("/Encoding")), "get_data")}
    streams = [m for m in members if hasattr(_get(m.font.get("/Encoding")), "get_data")]
    if not streams:
        return None if len(names) == 1 else False
    if names - {"/Identity-H"}:
        return False
    union: dict[int, int] = {}

    def add(code: int, cid: int) -> bool:
        return union.setdefault(code, cid) == cid

    for member in members:
        encoding = _get(member.font.get("/Encoding"))
        if not hasattr(encoding, "get_data"):  # Identity-H: the codes it draws are its CIDs
            if not all(add(cid, cid) for cid in _cids(member.descendant)):
                return False
            continue
        if not str(encoding.get("/CMapName", "")).startswith("/WP-Encod") or \
                "/UseCMap" in encoding:
            return False
        text = _cmap_text(encoding)
        if "beginbfrange" in text or "beginnotdef" in text:
            return False
        for block in re.findall(r"begincidchar(.*?)endcidchar", text, re.S):
            for code, cid in re.findall(_HEX + r"\s*(\d+)", block):
                if len(code) != 4 or not add(int(code, 16), int(cid)):
                    return False
        for block in re.findall(r"begincidrange(.*?)endcidrange", text, re.S):
            for low, high, cid in re.findall(_HEX + r"\s*" + _HEX + r"\s*(\d+)", block):
                if len(low) != 4 or len(high) != 4:
                    return False
                for offset in range(int(high, 16) - int(low, 16) + 1):
                    if not add(int(low, 16) + offset, int(cid) + offset):
                        return False
    return union


def _cmap_stream(lines: list[bytes], model: Any) -> Any:
    from pypdf.generic import NameObject, StreamObject

    stream = StreamObject()
    stream.set_data(b"\n".join(lines))
    encoded = stream.flate_encode()
    for key, value in (model.items() if model is not None else ()):
        if key not in ("/Length", "/Filter", "/DecodeParms", "/DL"):
            encoded[NameObject(key)] = value
    return encoded


def _batches(items: list[bytes], begin: str, end: bytes) -> list[bytes]:
    lines: list[bytes] = []
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} {begin}".encode())
        lines.extend(batch)
        lines.append(end)
    return lines


def _apply(writer: Any, keeper: _Member, union: _Union) -> None:
    """Make the keeper's dictionaries those of the union (new objects where they differ)."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject, NumberObject

    widths = ArrayObject()
    run: Any = None
    for cid in sorted(union.widths):
        if run is None or cid - 1 not in union.widths:
            run = ArrayObject()
            widths.extend([NumberObject(cid), run])
        run.append(union.widths[cid])
    if _plain(widths) != _plain(keeper.descendant.get("/W")):
        keeper.descendant[NameObject("/W")] = widths
    box = ArrayObject(FloatObject(v) if v != int(v) else NumberObject(int(v))
                      for v in union.bbox)
    if _plain(box) != _plain(keeper.descriptor.get("/FontBBox")):
        keeper.descriptor[NameObject("/FontBBox")] = box
    flags = int(_get(keeper.descriptor.get("/Flags", 0)))
    flags = flags | _FIXED_PITCH if union.fixed_pitch else flags & ~_FIXED_PITCH
    if "/Flags" in keeper.descriptor or flags:
        keeper.descriptor[NameObject("/Flags")] = NumberObject(flags)
    if union.to_unicode is not None and \
            _to_unicode(_get(keeper.font["/ToUnicode"])) != union.to_unicode:
        entries = [f"<{cid:04x}> <{text}>".encode()
                   for cid, text in sorted(union.to_unicode.items())]
        lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
                 b"/CIDSystemInfo", b"<< /Registry (Adobe)", b"/Ordering (UCS)",
                 b"/Supplement 0", b">> def", b"/CMapName /Adobe-Identity-UCS def",
                 b"/CMapType 2 def", b"1 begincodespacerange", b"<0000> <ffff>",
                 b"endcodespacerange", *_batches(entries, "beginbfchar", b"endbfchar"),
                 b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end",
                 b"end"]
        model = _get(keeper.font["/ToUnicode"])
        keeper.font[NameObject("/ToUnicode")] = add_object(writer, _cmap_stream(lines, model))
    if union.encoding is not None:
        model = union.encoding_model
        entries = [f"<{code:04x}> {cid}".encode() for code, cid in sorted(union.encoding.items())]
        name = str(model.get("/CMapName")) if model is not None else "/WP-Encod-0"
        lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
                 b"/CIDSystemInfo", b"3 dict dup begin", b"/Registry (Adobe) def",
                 b"/Ordering (Identity) def", b"/Supplement 0 def", b"end def",
                 f"/CMapName {name} def".encode(), b"/CMapType 1 def",
                 b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange",
                 *_batches(entries, "begincidchar", b"endcidchar"), b"endcmap",
                 b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
        keeper.font[NameObject("/Encoding")] = add_object(writer, _cmap_stream(lines, model))
    if union.cidset is not None:
        old = _get(keeper.descriptor.get("/CIDSet"))
        if not hasattr(old, "get_data") or old.get_data() != union.cidset:
            keeper.descriptor[NameObject("/CIDSet")] = add_object(writer,
                _cmap_stream([union.cidset], None))


# ---------------------------------------------------------------- merging


def _cids(descendant: Any) -> set[int]:
    """The CIDs a CIDFont's /W array gives widths for."""
    cids: set[int] = set()
    widths = _get(descendant.get("/W")) or []
    index, count = 0, len(widths)
    while index < count:
        first = int(_get(widths[index]))
        following = _get(widths[index + 1]) if index + 1 < count else None
        if isinstance(following, list):
            cids.update(range(first, first + len(following)))
            index += 2
        else:
            last = int(following) if following is not None else first
            cids.update(range(first, last + 1))
            index += 3
    return cids


def _missing_glyphs(font: Any) -> bool:
    """Whether WeasyPrint drew .notdef for missing glyphs (its ``WP-Encod`` CMap)."""
    return font.get("/Encoding") not in ("/Identity-H", "/Identity-V")


def _unmergeable(members: list[_Member]) -> str | None:
    """Why these members cannot share one subset of their original, or None."""
    for member in members:
        if member.font.get("/Subtype") != "/Type0":
            return "not a composite (Type 0) font"
        if member.key == "/FontFile":
            return "a Type 1 font program"
        descendant = member.descendant
        if descendant.get("/Subtype") == "/CIDFontType2" and \
                descendant.get("/CIDToGIDMap", "/Identity") != "/Identity":
            return "its CIDs are not glyph ids"
        encoding = _get(member.font.get("/Encoding"))
        if encoding not in ("/Identity-H", "/Identity-V") and not (
            hasattr(encoding, "get") and str(encoding.get("/CMapName", "")).startswith(
                "/WP-Encod")
        ):
            return "its encoding is not Identity"
        if member.data[:4] not in (b"\x00\x01\x00\x00", b"true", b"OTTO"):
            return "not a TrueType or OpenType program"
    return None


def _merged_program(members: list[_Member], font_files: Sequence[Path]
                    ) -> tuple[bytes | None, str | None]:
    """One program for all members, or (None, why not)."""
    distinct = {m.digest: m.data for m in members}
    identities = {_identity(data, 0) for data in distinct.values()}
    if len(identities) != 1 or None in identities:
        return None, "they are not subsets of one face"
    identity = identities.pop()
    assert identity is not None
    original = _index().find(identity, font_files)
    if original is None:
        return None, "its original font file was not found"
    full = original.data()
    if any(data == full for data in distinct.values()):  # not subset (used in forms)
        return full, None
    glyphs: set[int] = set()
    for member in members:
        glyphs.update(_cids(member.descendant))
    hinting = any(_has_hinting(data) for data in distinct.values())
    notdef = any(_missing_glyphs(m.font) for m in members)
    try:
        subset = _harfbuzz().subset(original, sorted(glyphs), hinting, notdef)
    except OSError as exc:
        return None, f"HarfBuzz-Subset cannot be used: {exc}"
    if subset is None:
        return None, "HarfBuzz could not subset it"
    return subset, None


# ---------------------------------------------------------------- sfnt tables


def _tables(data: bytes, offset: int) -> dict[str, tuple[int, int]]:
    count = struct.unpack_from(">H", data, offset + 4)[0]
    tables = {}
    for index in range(count):
        tag, _, start, length = struct.unpack_from(">4sIII", data, offset + 12 + 16 * index)
        tables[tag.decode("latin-1")] = (start, length)
    return tables


def _has_hinting(data: bytes) -> bool:
    try:
        return any(tag in _tables(data, 0) for tag in _HINTING_TABLES)
    except struct.error:
        return False


_Identity = tuple[str, str, bytes]


def _identity(data: bytes, offset: int) -> _Identity | None:
    """What a subset keeps of its face: names (PostScript, or family and style; version) and
    the ``head`` table's revision, units per em and dates."""
    try:
        tables = _tables(data, offset)
        start, _ = tables["head"]
        head = data[start + 4:start + 8] + data[start + 18:start + 36]
        start, _ = tables["name"]
        _, count, strings = struct.unpack_from(">HHH", data, start)
        names: dict[int, tuple[int, str]] = {}
        for index in range(count):
            platform, encoding, language, name_id, size, where = struct.unpack_from(
                ">HHHHHH", data, start + 6 + 12 * index)
            if name_id not in (1, 2, 4, 5, 6):
                continue
            raw = data[start + strings + where:start + strings + where + size]
            if platform == 3 or platform == 0:
                rank = 0 if (platform, language) == (3, 0x409) else 1
                text = raw.decode("utf-16-be", "replace")
            elif platform == 1 and encoding == 0:
                rank, text = 2, raw.decode("mac-roman", "replace")
            else:
                continue
            if name_id not in names or rank < names[name_id][0]:
                names[name_id] = (rank, text)
    except (KeyError, struct.error, ValueError):
        return None
    face = names.get(6, (0, ""))[1] or "/".join(
        names.get(i, (0, ""))[1] for i in (1, 2, 4))
    if not face:
        return None
    return face, names.get(5, (0, ""))[1], head


@dataclass
class _Original:
    path: Path
    index: int
    stamp: tuple[int, int]  # size and modification time of the file when indexed
    _data: bytes | None = None

    def data(self) -> bytes:
        if self._data is None:
            self._data = self.path.read_bytes()
        return self._data


@dataclass
class _Index:
    """Font files by what their subsets keep, per process."""

    files: dict[Path, tuple[int, int, list[tuple[_Identity, int]]]] = field(
        default_factory=dict)
    originals: dict[tuple[Path, int], _Original] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def find(self, identity: _Identity, font_files: Sequence[Path]) -> _Original | None:
        with self.lock:
            for path in _expand(font_files):
                for face, index in self._faces(path):
                    if face == identity:
                        return self._original(path, index, self.files[path][:2])
        return None

    def _faces(self, path: Path) -> list[tuple[_Identity, int]]:
        try:
            stat = path.stat()
        except OSError:
            return []
        known = self.files.get(path)
        if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return known[2]
        faces: list[tuple[_Identity, int]] = []
        try:
            data = path.read_bytes()
            offsets = [0]
            if data[:4] == b"ttcf":
                count = struct.unpack_from(">I", data, 8)[0]
                offsets = list(struct.unpack_from(f">{count}I", data, 12))
            for index, offset in enumerate(offsets):
                identity = _identity(data, offset)
                if identity is not None:
                    faces.append((identity, index))
        except (OSError, struct.error):
            faces = []
        self.files[path] = (stat.st_size, stat.st_mtime_ns, faces)
        for key in [k for k in self.originals if k[0] == path]:
            del self.originals[key]  # the file changed
        return faces

    def _original(self, path: Path, index: int, stamp: tuple[int, int]) -> _Original:
        key = (path, index)
        if key not in self.originals:
            self.originals[key] = _Original(path, index, stamp)
        return self.originals[key]


def _expand(font_files: Sequence[Path]) -> Iterator[Path]:
    for path in font_files:
        path = Path(path)
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix.lower() in _FONT_SUFFIXES)
        else:
            yield path


@functools.cache
def _index() -> _Index:
    return _Index()


# ---------------------------------------------------------------- HarfBuzz


_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef uint32_t hb_codepoint_t;
typedef uint32_t hb_tag_t;
typedef int hb_bool_t;
hb_blob_t * hb_blob_create (const char *data, unsigned int length, int mode,
                            void *user_data, void *destroy);
void hb_blob_destroy (hb_blob_t *blob);
const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
hb_blob_t * hb_face_reference_blob (hb_face_t *face);
hb_tag_t hb_tag_from_string (const char *str, int len);
hb_bool_t hb_version_atleast (unsigned int major, unsigned int minor, unsigned int micro);
void hb_set_add_sorted_array (hb_set_t *set, const hb_codepoint_t *sorted_codepoints,
                              unsigned int num_codepoints);
hb_subset_input_t * hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t * hb_subset_input_glyph_set (hb_subset_input_t *input);
hb_set_t * hb_subset_input_set (hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned int value);
hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""
# hb-subset.h
_NO_HINTING, _RETAIN_GIDS, _DESUBROUTINIZE = 0x1, 0x2, 0x4
_PASSTHROUGH_UNRECOGNIZED, _NOTDEF_OUTLINE = 0x20, 0x40
_SETS_DROP_TABLE_TAG = 3
_MEMORY_MODE_DUPLICATE = 0


class _HarfBuzz:
    """WeasyPrint's HarfBuzz libraries, with the few calls its bindings lack (making a face
    from bytes); faces are kept per original."""

    def __init__(self) -> None:
        import sys

        cffi: Any = importlib.import_module("cffi")  # the library WeasyPrint binds with

        # The same libraries WeasyPrint loads (not importing WeasyPrint for it: that takes a
        # second, in a process that only joins chunks other processes laid out).
        weasyprint_ffi = sys.modules.get("weasyprint.text.ffi")
        if weasyprint_ffi is not None and weasyprint_ffi.harfbuzz_subset is None:
            raise OSError("HarfBuzz-Subset is not installed")
        self.ffi = cffi.FFI()
        self.ffi.cdef(_CDEF)
        self.hb = self._open("libharfbuzz.so.0", "libharfbuzz-0", "harfbuzz",
                             "libharfbuzz.0.dylib", "libharfbuzz-0.dll")
        self.subsetter = self._open("libharfbuzz-subset.so.0", "libharfbuzz-subset-0",
                                    "harfbuzz-subset", "libharfbuzz-subset.0.dylib",
                                    "libharfbuzz-subset-0.dll")
        if not self.hb.hb_version_atleast(4, 1, 0):
            raise OSError("HarfBuzz is older than 4.1")
        self.faces: dict[tuple[Path, int, tuple[int, int]], Any] = {}
        # Rebuilds (vigil watch) ask for the same subsets again: the last few are kept.
        self.subsets: OrderedDict[tuple[Any, ...], bytes | None] = OrderedDict()
        self.drop = self.ffi.new(f"hb_codepoint_t[{len(_DROP_TABLES)}]", sorted(
            self.hb.hb_tag_from_string(tag, -1) for tag in _DROP_TABLES))
        self.lock = threading.Lock()

    def _open(self, *names: str) -> Any:
        error: OSError | None = None
        for name in names:
            try:
                return self.ffi.dlopen(name)
            except OSError as exc:
                error = exc
        raise error or OSError(names[0])

    def _face(self, original: _Original) -> Any:
        key = (original.path, original.index, original.stamp)
        if key not in self.faces:
            for old in [k for k in self.faces if k[:2] == key[:2]]:
                del self.faces[old]  # the file changed
            data = original.data()
            blob = self.hb.hb_blob_create(data, len(data), _MEMORY_MODE_DUPLICATE,
                                          self.ffi.NULL, self.ffi.NULL)
            face = self.hb.hb_face_create(blob, original.index)
            self.hb.hb_blob_destroy(blob)
            self.faces[key] = self.ffi.gc(face, self.hb.hb_face_destroy)
        return self.faces[key]

    def subset(self, original: _Original, glyphs: list[int], hinting: bool,
               notdef: bool) -> bytes | None:
        """``Font._harfbuzz_subset`` of WeasyPrint 70, on the original file."""
        if not glyphs:
            return None
        key = (original.path, original.index, original.stamp, tuple(glyphs), hinting, notdef)
        with self.lock:
            if key in self.subsets:
                self.subsets.move_to_end(key)
                return self.subsets[key]
            data = self._subset(original, glyphs, hinting, notdef)
            self.subsets[key] = data
            while len(self.subsets) > _KEPT_SUBSETS:
                self.subsets.popitem(last=False)
            return data

    def _subset(self, original: _Original, glyphs: list[int], hinting: bool,
                notdef: bool) -> bytes | None:
        ffi, hb, sub = self.ffi, self.hb, self.subsetter
        face = self._face(original)
        subset_input = ffi.gc(sub.hb_subset_input_create_or_fail(),
                              sub.hb_subset_input_destroy)
        if subset_input == ffi.NULL:
            return None
        glyph_set = sub.hb_subset_input_glyph_set(subset_input)
        hb.hb_set_add_sorted_array(
            glyph_set, ffi.new(f"hb_codepoint_t[{len(glyphs)}]", glyphs), len(glyphs))
        extra = _NOTDEF_OUTLINE if notdef else 0
        sub.hb_subset_input_set_flags(
            subset_input, _RETAIN_GIDS | _PASSTHROUGH_UNRECOGNIZED | _DESUBROUTINIZE | extra)
        drop = sub.hb_subset_input_set(subset_input, _SETS_DROP_TABLE_TAG)
        hb.hb_set_add_sorted_array(drop, self.drop, len(_DROP_TABLES))
        first = sub.hb_subset_or_fail(face, subset_input)
        if first == ffi.NULL:
            return None
        first = ffi.gc(first, hb.hb_face_destroy)
        # Second pass: drop the empty glyphs after the last one used.
        keep = list(range(glyphs[-1] + 1))
        glyph_set = sub.hb_subset_input_glyph_set(subset_input)
        hb.hb_set_add_sorted_array(
            glyph_set, ffi.new(f"hb_codepoint_t[{len(keep)}]", keep), len(keep))
        flags = _PASSTHROUGH_UNRECOGNIZED | _DESUBROUTINIZE | extra
        if not hinting:
            flags |= _NO_HINTING
        sub.hb_subset_input_set_flags(subset_input, flags)
        second = sub.hb_subset_or_fail(first, subset_input)
        if second == ffi.NULL:
            return None
        second = ffi.gc(second, hb.hb_face_destroy)
        blob = hb.hb_face_reference_blob(second)
        length = ffi.new("unsigned int *")
        pointer = hb.hb_blob_get_data(blob, length)
        data = None if pointer == ffi.NULL else ffi.unpack(pointer, int(length[0]))
        hb.hb_blob_destroy(blob)
        return data or None


@functools.cache
def _harfbuzz() -> _HarfBuzz:
    return _HarfBuzz()
