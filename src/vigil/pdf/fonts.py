"""The embedded fonts of a PDF: found, grouped by name, one program and one dictionary per face.

Takes a pypdf ``PdfWriter`` holding the pages of several WeasyPrint PDFs (section-level
typesetting: each chunk is its own ``write_pdf``, the chunks joined page by page) and the font
files the documents were set in (vigil's ``fonts/`` folder); :func:`merge_font_subsets` changes
the writer in place and gives notes (sentences) on what it could not merge.

WeasyPrint names a subset after the font description, not after its glyphs, so the join holds
several different programs named ``ABCDEF+Vigil-Serif``: a PDF/A and preflight defect, and each
chunk's own copy of the face. Every embedded font is found (page resources, form XObjects,
patterns, soft masks and Type 3 fonts recursively, annotation appearances, the AcroForm's
``/DR``) and grouped by ``/BaseFont``:

- programs with the same bytes are kept once;
- a group with several different programs gets ONE: the original font file (found in
  ``font_files`` by the names and ``head`` table the subsets keep) subset to the union of the
  glyphs the members use (the CIDs of their ``/W`` arrays: WeasyPrint writes an ``/Identity``
  ``CIDToGIDMap`` and subsets with retained glyph ids, so CIDs are glyph ids) by HarfBuzz's
  subsetter through uharfbuzz's public ``hb.subset``, with WeasyPrint's settings (glyph ids
  retained, the tables it drops dropped, hinting and the ``.notdef`` outline as the members had
  them). Each member keeps its own text mapping and widths; a ``/CIDSet`` (PDF 1.4) becomes
  the union's;
- members that agree (the same metrics, no CID with two widths or two texts) then share ONE
  Type 0 font dictionary whose ``/W``, ``/ToUnicode`` (:mod:`vigil.pdf.cmap`), encoding and
  ``/CIDSet`` cover them all;
- when the original cannot be found (a font of the user's own) or the members cannot be merged,
  each different program is named after its bytes (:func:`subset_name`, also used by the
  personalised copies), and a note says so.

Replaced objects are freed in the writer. Same input, same output bytes. Font files are indexed
once per process (by path, size and modification time), parsed faces and the last subsets are
kept.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from math import ceil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigil.pdf._compat import add_object, free_object
from vigil.pdf.cmap import CMapError, cid_cmap, parse_cmap, to_unicode_cmap
from vigil.pdf.objects import resolve

if TYPE_CHECKING:
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, IndirectObject, PdfObject, StreamObject

__all__ = ["merge_font_subsets", "rename_subset", "subset_name", "subset_program"]

FILE_KEYS = ("/FontFile2", "/FontFile3", "/FontFile")
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
# The tables WeasyPrint 70 drops from its subsets (weasyprint/pdf/fonts.py, Font.subset).
DROPPED_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF",
                  b"LTSH", b"PCLT", b"SVG ")
_HINTING_TABLES = (b"fpgm", b"prep", b"cvt ")
_KEPT_SUBSETS = 64


def merge_font_subsets(writer: PdfWriter, font_files: Sequence[Path]) -> list[str]:
    """Give every font name in ``writer`` one font program, merging different subsets of a
    face into one subset of its original among ``font_files`` (font files, or folders of
    them); returns notes (sentences) on fonts named after their content instead.

    Call it once all pages are in ``writer`` (it frees the replaced streams, which a later
    ``add_page`` from the same reader would point at again), before ``writer.write``.
    """
    holders: list[DictionaryObject] = []
    fonts = collect_fonts(writer, holders)
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
            _share(writer, members, members[0].reference, freed)
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


# ---------------------------------------------------------------- names


def subset_name(base: str, program: bytes) -> str:
    """The name (without the slash) of a subset of ``base`` (a ``/BaseFont``, with or without
    a subset tag) whose program is ``program``: a tag of six capitals made from its bytes."""
    digest = hashlib.sha256(program).digest()
    tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
    base = base.lstrip("/")
    return f"{tag}+{base.split('+', 1)[1] if '+' in base else base}"


def rename_subset(font: DictionaryObject) -> None:
    """Give the embedded subset ``font`` (a font dictionary whose ``/BaseFont`` has a subset
    tag) the name :func:`subset_name` makes from its program, in its font dictionary, its
    CIDFont and its font descriptor; a font without a tag or a program is left as it is."""
    from pypdf.generic import NameObject

    base = str(font.get("/BaseFont", ""))
    member = _member(font)
    if "+" not in base or member is None:
        return
    name = NameObject("/" + subset_name(base, member.data))
    for holder, entry in ((font, "/BaseFont"), (member.descendant, "/BaseFont"),
                          (member.descriptor, "/FontName")):
        holder[NameObject(entry)] = name


# ---------------------------------------------------------------- finding the fonts


def _raw(holder: DictionaryObject, key: str) -> PdfObject:
    """An entry as written (an IndirectObject stays one)."""
    raw: PdfObject = holder.raw_get(key)
    return raw


def collect_fonts(writer: PdfWriter, holders: list[DictionaryObject] | None = None
                  ) -> list[DictionaryObject]:
    """Every font dictionary the writer's pages (and forms) can use, in document order; the
    ``/Font`` resource dictionaries naming them are added to ``holders``."""
    seen_resources: set[int] = set()
    seen_holders: set[int] = set()
    seen_fonts: set[int] = set()
    fonts: list[DictionaryObject] = []

    def resources(value: object) -> None:
        res = resolve(value)
        if not isinstance(res, dict) or id(res) in seen_resources:
            return
        seen_resources.add(id(res))
        font_dict = resolve(res.get("/Font"))
        if isinstance(font_dict, dict):
            if holders is not None and id(font_dict) not in seen_holders:
                seen_holders.add(id(font_dict))
                holders.append(font_dict)  # type: ignore[arg-type]  # a DictionaryObject
            for key in sorted(font_dict):
                font = resolve(font_dict[key])
                if isinstance(font, dict) and id(font) not in seen_fonts:
                    seen_fonts.add(id(font))
                    fonts.append(font)  # type: ignore[arg-type]  # a DictionaryObject
                    if font.get("/Subtype") == "/Type3":
                        resources(font.get("/Resources"))
        for category in ("/XObject", "/Pattern"):
            entries = resolve(res.get(category))
            if isinstance(entries, dict):
                for key in sorted(entries):
                    entry = resolve(entries[key])
                    if isinstance(entry, dict):
                        resources(entry.get("/Resources"))
        states = resolve(res.get("/ExtGState"))
        if isinstance(states, dict):
            for key in sorted(states):
                state = resolve(states[key])
                mask = resolve(state.get("/SMask")) if isinstance(state, dict) else None
                group = resolve(mask.get("/G")) if isinstance(mask, dict) else None
                if isinstance(group, dict):  # a soft mask's transparency group
                    resources(group.get("/Resources"))

    def appearance(value: object) -> None:
        value = resolve(value)
        if not isinstance(value, dict):
            return
        if "/Resources" in value or hasattr(value, "get_data"):
            resources(value.get("/Resources"))
            return
        for key in sorted(value):
            appearance(value[key])

    for page in writer.pages:
        resources(page.get("/Resources"))
        for annotation in resolve(page.get("/Annots")) or []:
            annotation = resolve(annotation)
            if isinstance(annotation, dict):
                streams = resolve(annotation.get("/AP"))
                if isinstance(streams, dict):
                    for key in ("/N", "/R", "/D"):
                        if key in streams:
                            appearance(streams[key])
    form = resolve(writer.root_object.get("/AcroForm"))
    if isinstance(form, dict):
        resources(form.get("/DR"))
    return fonts


@dataclass
class _Member:
    """One font dictionary with an embedded program."""

    name: str                      # its /BaseFont, with the slash
    font: DictionaryObject
    descendant: DictionaryObject   # the CIDFont of a Type 0 font, else the font itself
    descriptor: DictionaryObject
    key: str                       # /FontFile2, /FontFile3 or /FontFile
    reference: Any                 # the IndirectObject of the program stream (or the stream)
    data: bytes
    digest: bytes


def _member(font: DictionaryObject) -> _Member | None:
    base = font.get("/BaseFont")
    if base is None:
        return None
    descendant = font
    if font.get("/Subtype") == "/Type0":
        descendants = resolve(font.get("/DescendantFonts"))
        if not descendants:
            return None
        descendant = resolve(descendants[0])
        if not isinstance(descendant, dict):
            return None
    descriptor = resolve(descendant.get("/FontDescriptor"))
    if not isinstance(descriptor, dict):
        return None
    for key in FILE_KEYS:
        if key in descriptor:
            reference = _raw(descriptor, key)  # type: ignore[arg-type]  # a DictionaryObject
            stream = resolve(reference)
            if not hasattr(stream, "get_data"):
                continue
            data = bytes(stream.get_data())
            return _Member(str(base), font, descendant, descriptor,  # type: ignore[arg-type]
                           key, reference, data, hashlib.sha256(data).digest())
    return None


# ---------------------------------------------------------------- sharing and renaming


def _indirect(reference: object) -> bool:
    from pypdf.generic import IndirectObject

    return isinstance(reference, IndirectObject)


def _share(writer: PdfWriter, members: list[_Member], reference: Any, freed: set[int]) -> None:
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


def _rename(writer: PdfWriter, members: list[_Member], freed: set[int]) -> None:
    """Name each different program after its bytes; identical ones share one stream."""
    by_digest: dict[bytes, list[_Member]] = {}
    for member in members:
        by_digest.setdefault(member.digest, []).append(member)
    for same in by_digest.values():
        for member in same:
            member.name = "/" + subset_name(member.name, member.data)
        _share(writer, same, same[0].reference, freed)


def _new_stream(writer: PdfWriter, model: _Member, data: bytes) -> IndirectObject:
    from pypdf.generic import NameObject, NumberObject, StreamObject

    stream = StreamObject()
    stream.set_data(data)
    encoded = stream.flate_encode()
    original = resolve(model.reference)
    for key, value in original.items():
        if key not in ("/Length", "/Filter", "/DecodeParms", "/Length1", "/DL"):
            encoded[NameObject(key)] = value
    if model.key == "/FontFile2":
        encoded[NameObject("/Length1")] = NumberObject(len(data))
    reference: IndirectObject = add_object(writer, encoded)
    return reference


def _cidset(cids: set[int]) -> bytes:
    """A /CIDSet's bits: the most significant bit of the first byte is CID 0."""
    bits = bytearray(ceil((max(cids) + 1) / 8))
    for cid in cids:
        bits[cid // 8] |= 0x80 >> (cid % 8)
    return bytes(bits)


def _share_cidset(writer: PdfWriter, members: list[_Member], freed: set[int]) -> None:
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
    stream = StreamObject()
    stream.set_data(_cidset(cids))
    reference = add_object(writer, stream.flate_encode())
    for member in holders:
        old = _raw(member.descriptor, "/CIDSet")
        if isinstance(old, IndirectObject) and old.pdf is writer:
            freed.add(old.idnum)
        member.descriptor[NameObject("/CIDSet")] = reference


def _free(writer: PdfWriter, freed: set[int], fonts: list[DictionaryObject]) -> None:
    """Free the replaced objects, unless a font descriptor still points at one."""
    from pypdf.generic import IndirectObject

    for font in fonts:
        for reference in _program_references(font):
            if isinstance(reference, IndirectObject):
                freed.discard(reference.idnum)
    for idnum in sorted(freed):
        free_object(writer, idnum)


def _program_references(font: DictionaryObject) -> Iterator[PdfObject]:
    descendant: Any = font
    if font.get("/Subtype") == "/Type0":
        descendants = resolve(font.get("/DescendantFonts")) or []
        if not descendants:
            return
        descendant = resolve(descendants[0])
    descriptor = resolve(descendant.get("/FontDescriptor"))
    if isinstance(descriptor, dict):
        for key in (*FILE_KEYS, "/CIDSet"):
            if key in descriptor:
                yield _raw(descriptor, key)  # type: ignore[arg-type]  # a DictionaryObject


# ---------------------------------------------------------------- one dictionary per face


# Widths are in 1/1000 em: members of one face agree exactly, up to how a number was written.
_WIDTH_TOLERANCE = 0.5
_FIXED_PITCH = 1  # FontDescriptor /Flags bit 1
# Entries merged (or replaced) rather than required to be equal.
_FONT_MERGED = frozenset({"/ToUnicode", "/Encoding", "/DescendantFonts"})
_CIDFONT_MERGED = frozenset({"/W", "/FontDescriptor", "/DW"})
_DESCRIPTOR_MERGED = frozenset({"/FontBBox", "/Flags", "/CIDSet", *FILE_KEYS})


@dataclass
class _Union:
    """What the dictionaries of one face's members have together."""

    widths: dict[int, Any]                 # CID → the width as first written
    to_unicode: dict[int, bytes] | None    # CID → UTF-16BE text; None: no member has one
    encoding: dict[int, int] | None        # code → CID of a WP-Encod CMap; None: a name
    bbox: list[float]
    fixed_pitch: bool
    cidset: bytes | None
    encoding_model: StreamObject | None = None  # the first member's WP-Encod CMap stream


def _merge_dictionaries(writer: PdfWriter, groups: dict[str, list[_Member]],
                        holders: list[DictionaryObject], freed: set[int]) -> set[int]:
    """Give the members of each face that share one program ONE Type 0 font dictionary (with
    its CIDFont, descriptor, ``/W``, ``ToUnicode`` and ``/CIDSet`` covering them all), point
    every ``/Font`` resource entry (``holders``) at it, and add the objects only the others
    used to ``freed``; returns the ``id`` of the font dictionaries no longer used.

    Members that disagree (a CID with two widths or two texts, different metrics) keep their
    own dictionaries."""
    from pypdf.generic import IndirectObject, NameObject

    references: dict[int, IndirectObject] = {}  # id(font dictionary) → its reference
    for holder in holders:
        for key in sorted(holder):
            raw = _raw(holder, key)
            if isinstance(raw, IndirectObject) and raw.pdf is writer:
                references.setdefault(id(resolve(raw)), raw)
    replaced: dict[int, IndirectObject] = {}  # id(font dictionary) → what replaces it
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
    for holder in holders:
        for key in sorted(holder):
            target = replaced.get(id(resolve(_raw(holder, key))))
            if target is not None:
                holder[NameObject(key)] = target
    return {font_id for font_id, target in replaced.items()
            if id(resolve(target)) != font_id}


def _references(writer: PdfWriter, value: object, found: set[int] | None = None) -> set[int]:
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
            _references(writer, _raw(value, key), found)  # type: ignore[arg-type]
    elif isinstance(value, list):
        for item in value:
            _references(writer, item, found)
    return found


_Plain = tuple[object, ...] | float | str | None


def _plain(value: object, depth: int = 0) -> _Plain:
    """A comparable form of a PDF value (streams by their bytes)."""
    value = resolve(value)
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


def _same_entries(dictionaries: list[DictionaryObject], merged: frozenset[str]) -> bool:
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
        if len(resolve(member.font.get("/DescendantFonts")) or []) != 1:
            return None
        if member.descendant.get("/Subtype") == "/CIDFontType2" and \
                member.descendant.get("/CIDToGIDMap", "/Identity") != "/Identity":
            return None
    if not (_same_entries([m.font for m in members], _FONT_MERGED)
            and _same_entries([m.descendant for m in members], _CIDFONT_MERGED)
            and _same_entries([m.descriptor for m in members], _DESCRIPTOR_MERGED)):
        return None
    if len({float(resolve(m.descendant.get("/DW", 1000))) for m in members}) != 1:
        return None
    if len({int(resolve(m.descriptor.get("/Flags", 0))) & ~_FIXED_PITCH for m in members}) != 1:
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
    boxes = [[float(resolve(v)) for v in resolve(m.descriptor.get("/FontBBox")) or []]
             for m in members]
    if any(len(box) != 4 for box in boxes):
        return None
    bbox = [min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes)]
    cidsets = [resolve(m.descriptor.get("/CIDSet")) for m in members if "/CIDSet" in m.descriptor]
    cidset = None
    if cidsets:
        data = [s.get_data() for s in cidsets if hasattr(s, "get_data")]
        merged = bytearray(max((len(d) for d in data), default=0))
        for item in data:
            for index, byte in enumerate(item):
                merged[index] |= byte
        cidset = bytes(merged)
    distinct = {float(w) for w in widths.values()}
    model = next((resolve(m.font.get("/Encoding")) for m in members
                  if hasattr(resolve(m.font.get("/Encoding")), "get_data")), None)
    return _Union(widths, to_unicode if isinstance(to_unicode, dict) else None,
                  encoding if isinstance(encoding, dict) else None, bbox,
                  len(widths) > 1 and len(distinct) == 1, cidset, model)


def _widths(descendant: DictionaryObject) -> dict[int, Any] | None:
    """A CIDFont's /W array as CID → width (as written), or None if it cannot be read."""
    widths: dict[int, Any] = {}
    array = resolve(descendant.get("/W")) or []
    index, count = 0, len(array)
    try:
        while index < count:
            first = int(resolve(array[index]))
            following = resolve(array[index + 1])
            if isinstance(following, list):
                for offset, width in enumerate(following):
                    widths[first + offset] = resolve(width)
                index += 2
            else:
                width = resolve(array[index + 2])
                for cid in range(first, int(following) + 1):
                    widths[cid] = width
                index += 3
    except (IndexError, TypeError, ValueError):
        return None
    return widths


def _to_unicode(stream: StreamObject) -> dict[int, bytes] | None:
    """A ToUnicode CMap as CID → UTF-16BE text, or None if it is not one of two-byte codes
    (the same for the same bytes: do not change it)."""
    return _read_to_unicode(bytes(stream.get_data()))


@functools.lru_cache(maxsize=256)
def _read_to_unicode(data: bytes) -> dict[int, bytes] | None:
    try:
        cmap = parse_cmap(data)
    except CMapError:
        return None
    if any(len(code) != 2 for code in cmap.unicode):
        return None
    if any(not target for target in cmap.unicode.values()):
        return None
    return {int.from_bytes(code, "big"): target for code, target in cmap.unicode.items()}


def _union_to_unicode(members: list[_Member]) -> dict[int, bytes] | bool | None:
    """The members' ToUnicode mappings together; None if none has one, False on a conflict."""
    maps: list[dict[int, bytes] | None] = []
    for member in members:
        stream = resolve(member.font.get("/ToUnicode"))
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
    union: dict[int, bytes] = {}
    for mapping in maps:
        if mapping is None:
            return False
        for cid, target in mapping.items():
            if union.setdefault(cid, target) != target:
                return False
    return union


def _union_encoding(members: list[_Member]) -> dict[int, int] | bool | None:
    """The members' encodings together: None if all are the same name (``/Identity-H``),
    the code → CID map of one ``WP-Encod`` CMap, or False if they disagree."""
    encodings = [resolve(m.font.get("/Encoding")) for m in members]
    names = {str(e) for e in encodings if not hasattr(e, "get_data")}
    if not any(hasattr(e, "get_data") for e in encodings):
        return None if len(names) == 1 else False
    if names - {"/Identity-H"}:
        return False
    union: dict[int, int] = {}

    def add(code: int, cid: int) -> bool:
        return union.setdefault(code, cid) == cid

    for member, encoding in zip(members, encodings, strict=True):
        if not hasattr(encoding, "get_data"):  # Identity-H: the codes it draws are its CIDs
            if not all(add(cid, cid) for cid in _cids(member.descendant)):
                return False
            continue
        if not str(encoding.get("/CMapName", "")).startswith("/WP-Encod") or \
                "/UseCMap" in encoding:
            return False
        try:
            cmap = parse_cmap(bytes(encoding.get_data()))
        except CMapError:
            return False
        if cmap.unicode or cmap.notdef or cmap.uses is not None:
            return False
        for code, cid in cmap.cids.items():
            if len(code) != 2 or not add(int.from_bytes(code, "big"), cid):
                return False
    return union


def _cmap_stream(data: bytes, model: StreamObject | None) -> StreamObject:
    from pypdf.generic import NameObject, StreamObject

    stream = StreamObject()
    stream.set_data(data)
    encoded = stream.flate_encode()
    for key, value in (model.items() if model is not None else ()):
        if key not in ("/Length", "/Filter", "/DecodeParms", "/DL"):
            encoded[NameObject(key)] = value
    return encoded


def _apply(writer: PdfWriter, keeper: _Member, union: _Union) -> None:
    """Make the keeper's dictionaries those of the union (new objects where they differ)."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject, NumberObject

    widths = ArrayObject()
    run: ArrayObject | None = None
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
    flags = int(resolve(keeper.descriptor.get("/Flags", 0)))
    flags = flags | _FIXED_PITCH if union.fixed_pitch else flags & ~_FIXED_PITCH
    if "/Flags" in keeper.descriptor or flags:
        keeper.descriptor[NameObject("/Flags")] = NumberObject(flags)
    if union.to_unicode is not None and \
            _to_unicode(resolve(keeper.font["/ToUnicode"])) != union.to_unicode:
        model = resolve(keeper.font["/ToUnicode"])
        keeper.font[NameObject("/ToUnicode")] = add_object(
            writer, _cmap_stream(to_unicode_cmap(union.to_unicode), model))
    if union.encoding is not None:
        model = union.encoding_model
        name = str(model.get("/CMapName")) if model is not None else "/WP-Encod-0"
        keeper.font[NameObject("/Encoding")] = add_object(
            writer, _cmap_stream(cid_cmap(name.lstrip("/"), union.encoding), model))
    if union.cidset is not None:
        old = resolve(keeper.descriptor.get("/CIDSet"))
        if not hasattr(old, "get_data") or old.get_data() != union.cidset:
            keeper.descriptor[NameObject("/CIDSet")] = add_object(
                writer, _cmap_stream(union.cidset, None))


# ---------------------------------------------------------------- merging


def _cids(descendant: DictionaryObject) -> set[int]:
    """The CIDs a CIDFont's /W array gives widths for."""
    cids: set[int] = set()
    widths = resolve(descendant.get("/W")) or []
    index, count = 0, len(widths)
    while index < count:
        first = int(resolve(widths[index]))
        following = resolve(widths[index + 1]) if index + 1 < count else None
        if isinstance(following, list):
            cids.update(range(first, first + len(following)))
            index += 2
        else:
            last = int(following) if following is not None else first
            cids.update(range(first, last + 1))
            index += 3
    return cids


def _missing_glyphs(font: DictionaryObject) -> bool:
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
        encoding = resolve(member.font.get("/Encoding"))
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
    faces = {digest: _parse(data) for digest, data in distinct.items()}
    identities = {face.identity if face is not None else None for face in faces.values()}
    if len(identities) != 1 or None in identities:
        return None, "they are not subsets of one face"
    identity = identities.pop()
    assert identity is not None
    original = _index().find(identity, font_files)
    if original is None:
        return None, "its original font file was not found"
    if any(data == original.data for data in distinct.values()):  # not subset (forms)
        return original.data, None
    glyphs: set[int] = set()
    for member in members:
        glyphs.update(_cids(member.descendant))
    hinting = any(face is not None and face.hinted for face in faces.values())
    notdef = any(_missing_glyphs(m.font) for m in members)
    subset = _subsets().get(original, sorted(glyphs), hinting, notdef)
    if subset is None:
        return None, "HarfBuzz could not subset it"
    return subset, None


# ---------------------------------------------------------------- faces and font files


_Identity = tuple[str, str, bytes]


@dataclass(frozen=True)
class _Face:
    """What a program keeps of its face: its identity (PostScript name, or family, style and
    full name; version string; the ``head`` table's revision, units per em and dates, which a
    subsetter keeps) and whether it has hinting tables."""

    identity: _Identity
    hinted: bool


def _parse(data: bytes, index: int = 0) -> _Face | None:
    """The :class:`_Face` of a font program, or None if it is not an OpenType font."""
    import uharfbuzz as hb

    return _face_of(hb.Face(hb.Blob(data), index))


def _face_of(face: Any) -> _Face | None:
    """The :class:`_Face` of a uharfbuzz ``Face`` (untyped: uharfbuzz has no stubs)."""
    head = bytes(face.reference_table("head").data)
    if len(head) < 36:
        return None
    names = [face.get_name(name_id) or "" for name_id in (6, 1, 2, 4, 5)]
    name = names[0] or "/".join(names[1:4])
    if not name.strip("/"):
        return None
    tags = set(face.table_tags)
    hinted = any(tag.encode("latin-1") in _HINTING_TABLES for tag in tags)
    return _Face((name, names[4], head[4:8] + head[18:36]), hinted)


@dataclass
class _Original:
    """A face of a font file, parsed once."""

    path: Path
    index: int
    stamp: tuple[int, int]  # size and modification time of the file when indexed
    data: bytes
    face: Any = field(repr=False)  # its uharfbuzz Face


@dataclass
class _Index:
    """Font files by what their subsets keep, per process."""

    files: dict[Path, tuple[tuple[int, int], list[tuple[_Identity, _Original]]]] = field(
        default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def find(self, identity: _Identity, font_files: Sequence[Path]) -> _Original | None:
        with self.lock:
            for path in _expand(font_files):
                for face, original in self._faces(path):
                    if face == identity:
                        return original
        return None

    def _faces(self, path: Path) -> list[tuple[_Identity, _Original]]:
        import uharfbuzz as hb

        try:
            stat = path.stat()
        except OSError:
            return []
        stamp = (stat.st_size, stat.st_mtime_ns)
        known = self.files.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        faces: list[tuple[_Identity, _Original]] = []
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        blob = hb.Blob(data)
        for index in range(hb.Face(blob).count if data else 0):
            face = hb.Face(blob, index)
            parsed = _face_of(face)
            if parsed is not None:
                faces.append((parsed.identity, _Original(path, index, stamp, data, face)))
        self.files[path] = (stamp, faces)  # a changed file replaces what it was
        return faces


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


# ---------------------------------------------------------------- subsetting


def subset_program(face: Any, glyphs: Sequence[int], hinting: bool, notdef: bool
                   ) -> bytes | None:
    """The subset of the uharfbuzz ``face`` to the glyph ids ``glyphs``, as WeasyPrint 70
    makes its subsets (``Font.subset``): glyph ids retained (the glyphs after the last one
    kept are left out), CFF desubroutinized, tables the subsetter does not know passed
    through, :data:`DROPPED_TABLES` dropped; hinting only with ``hinting``; the ``.notdef``
    outline with ``notdef`` (WeasyPrint draws it for missing characters). None if HarfBuzz
    cannot subset it."""
    import uharfbuzz as hb

    if not glyphs:
        return None
    subset_input = hb.SubsetInput()
    subset_input.glyph_set.update(glyphs)
    flags = (hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
             | hb.SubsetFlags.DESUBROUTINIZE)
    if not hinting:
        flags |= hb.SubsetFlags.NO_HINTING
    if notdef:
        flags |= hb.SubsetFlags.NOTDEF_OUTLINE
    subset_input.flags = flags
    subset_input.drop_table_tag_set.update(
        int.from_bytes(tag, "big") for tag in DROPPED_TABLES)
    try:
        subset = hb.subset(face, subset_input)
    except RuntimeError:  # hb_subset_or_fail failed
        return None
    data = bytes(subset.blob.data)
    return data or None


class _Subsets:
    """The last subsets made (rebuilds, as ``vigil watch`` runs them, ask for them again)."""

    def __init__(self) -> None:
        self.kept: OrderedDict[tuple[object, ...], bytes | None] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, original: _Original, glyphs: list[int], hinting: bool,
            notdef: bool) -> bytes | None:
        key = (original.path, original.index, original.stamp, tuple(glyphs), hinting, notdef)
        with self.lock:
            if key in self.kept:
                self.kept.move_to_end(key)
                return self.kept[key]
            data = subset_program(original.face, glyphs, hinting, notdef)
            self.kept[key] = data
            while len(self.kept) > _KEPT_SUBSETS:
                self.kept.popitem(last=False)
            return data


@functools.cache
def _subsets() -> _Subsets:
    return _Subsets()
