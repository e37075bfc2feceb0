"""Fonts in a written PDF: is each font that shows text embedded, with every glyph it shows?

Takes the fonts found by :mod:`vigil.check.content` (each with the codes it shows) and the
profile's expectations; adds findings to a report:

- ``font-not-embedded``: a Type 0, TrueType, Type 1 or multiple-master font that shows visible
  text has no font program (no ``FontFile``, ``FontFile2`` or ``FontFile3``, or one that
  points at nothing). Type 3 fonts are drawn by the PDF itself. The 14 standard fonts may stay
  unembedded where the profile allows it (a warning for screen).
- ``font-glyph-missing``: the font program is embedded but lacks a glyph the text uses (a subset
  made too small: the viewer then draws whatever it likes) — a glyph absent from the CFF
  charset, a glyph index beyond the font, or an empty TrueType outline for a character that is
  not white space.
- ``font-notdef``: text shows glyph 0, ``.notdef`` (a box or nothing).
- ``font-foreign`` (builds only): a font that is not one of the publication's ``@font-face``
  families, i.e. one the renderer took from this machine.

Glyph checks map codes to glyphs as PDF 2.0 § 9.6.5–9.7.4 says for simple fonts and for
``Identity-H``/``Identity-V`` composite fonts; other CMaps are not checked (not judged as
missing). Each font program is read once per check with fontTools.
"""

from __future__ import annotations

import io
import struct
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vigil.check.content import FontUse, Usage
from vigil.check.expectations import Expectations
from vigil.check.findings import ERROR, WARNING, Report
from vigil.pdf.objects import read_errors, resolve

if TYPE_CHECKING:
    from pypdf.generic import DictionaryObject, StreamObject

STANDARD_14 = {
    "Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic", "Helvetica",
    "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique", "Courier", "Courier-Bold",
    "Courier-Oblique", "Courier-BoldOblique", "Symbol", "ZapfDingbats",
}
_STANDARD_ALIASES = {"Arial", "ArialMT", "TimesNewRoman", "TimesNewRomanPSMT", "CourierNew",
                     "CourierNewPSMT"}
_SHOWN = 6  # characters named in a message


def check_fonts(usage: Usage, expect: Expectations, report: Report,
                families: tuple[str, ...] | None = None,
                exempt: frozenset[int] = frozenset()) -> None:
    """Add font findings for every font ``usage`` saw to ``report``; record each font in
    ``report.fonts`` (name → embedded). ``families``: the @font-face families of a build;
    a font used only on the ``exempt`` pages (PDF inserts) may be another."""
    programs: dict[tuple[str, int] | None, _Program | None] = {}
    for use in usage.fonts.values():
        try:
            foreign = families if families is not None and use.pages - exempt else None
            _check_font(use, expect, report, foreign, programs)
        except Exception as exc:  # pypdf and fontTools fail in many ways on a damaged font
            report.add(ERROR, "font-damaged",
                       f"font {_name(use.font)} cannot be read ({type(exc).__name__}: {exc})",
                       page=use.first_page)


def _name(font: DictionaryObject) -> str:
    return str(font.get("/BaseFont", "(no name)")).lstrip("/")


def _check_font(use: FontUse, expect: Expectations, report: Report,
                families: tuple[str, ...] | None,
                programs: dict[tuple[str, int] | None, _Program | None]) -> None:
    font = use.font
    name = _name(font)
    subtype = str(font.get("/Subtype", "?")).lstrip("/")
    if subtype == "Type3":
        report.fonts[name] = report.fonts.get(name, True)
        return
    descendant = None
    if subtype == "Type0":
        descendants = resolve(font.get("/DescendantFonts"))
        descendant = resolve(descendants[0]) if descendants else None
        descriptor = resolve(descendant.get("/FontDescriptor")) if descendant else None
    else:
        descriptor = resolve(font.get("/FontDescriptor"))
    stream, key = _font_file(descriptor)
    embedded = stream is not None
    report.fonts[name] = report.fonts.get(name, True) and embedded
    if families is not None and not _from_families(name, families):
        report.add(ERROR, "font-foreign",
                   f"font {name} is not one of the publication's fonts "
                   f"({', '.join(families)}): the renderer took it from this machine",
                   page=use.first_page)
    if not use.visible:
        return
    if stream is None:
        base = name.split("+", 1)[-1]
        standard = base in STANDARD_14 or base.split(",")[0] in _STANDARD_ALIASES
        what = f"font {name} ({subtype}) is not embedded"
        if descriptor is not None and any(
            k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
        ):
            what += " (its font file entry points at nothing)"
        if standard and expect.standard_fonts_ok:
            report.add(WARNING, "font-not-embedded",
                       what + "; viewers substitute a standard font", page=use.first_page)
        else:
            report.add(ERROR, "font-not-embedded",
                       what + "; a printer or viewer will substitute another font",
                       page=use.first_page)
        return
    if key not in programs:
        programs[key] = _Program.read(stream, descriptor)
    program = programs[key]
    if program is None:
        return
    problems = _glyph_problems(font, subtype, descendant, program, use.codes)
    if problems.missing:
        shown = ", ".join(problems.missing[:_SHOWN])
        more = f" and {len(problems.missing) - _SHOWN} more" if len(problems.missing) > _SHOWN \
            else ""
        report.add(ERROR, "font-glyph-missing",
                   f"font {name} is embedded without glyphs its text uses: {shown}{more}",
                   page=use.first_page)
    if problems.notdef:
        shown = ", ".join(problems.notdef[:_SHOWN])
        report.add(ERROR, "font-notdef",
                   f"font {name} shows its .notdef glyph (an empty box) for {shown}",
                   page=use.first_page)


def _from_families(name: str, families: tuple[str, ...]) -> bool:
    base = name.split("+", 1)[-1]
    return any(base.startswith(family.replace(" ", "-")) for family in families)


def _font_file(
        descriptor: DictionaryObject | None) -> tuple[StreamObject | None, tuple[str, int] | None]:
    """The font program stream of a descriptor and a key for it, or (None, None)."""
    if not isinstance(descriptor, dict):
        return None, None
    for key in ("/FontFile2", "/FontFile3", "/FontFile"):
        reference = descriptor.raw_get(key) if hasattr(descriptor, "raw_get") and \
            key in descriptor else None
        stream = resolve(reference)
        if stream is None or not hasattr(stream, "get_data"):
            continue
        try:
            if not stream.get_data():
                continue
        except read_errors():  # a damaged font program stream
            continue
        return stream, (key, getattr(reference, "idnum", id(stream)))
    return None, None


# ---------------------------------------------------------------- font programs


@dataclass
class _Program:
    kind: str                                  # "truetype" | "cff" | "type1"
    glyph_count: int = 0
    glyph_order: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    cmaps: dict[tuple[int, int], dict[int, str]] = field(default_factory=dict)
    unicode_of: dict[str, int] = field(default_factory=dict)
    builtin: list[str | None] | None = None   # a CFF font's own encoding
    cid_keyed: bool = False
    font: Any = None                           # the fontTools TTFont (untyped), for outlines
    offsets: list[int] | None = None           # its loca table
    index: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, stream: StreamObject, descriptor: DictionaryObject | None) -> _Program | None:
        """Parse a font program with fontTools; None when it is not one vigil can judge."""
        data = stream.get_data()
        subtype = str(stream.get("/Subtype", "")).lstrip("/")
        try:
            if data[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO") or subtype == "OpenType":
                return cls._truetype(data)
            if subtype in ("Type1C", "CIDFontType0C"):
                return cls._cff(data)
        except Exception:  # fontTools fails in many ways on a damaged program
            # A font program fontTools cannot read: the viewer may not either, but judging
            # glyphs is not possible; the embedding itself was checked.
            return None
        return None  # a Type 1 (FontFile) program: glyphs are not checked

    @classmethod
    def _truetype(cls, data: bytes) -> _Program:
        from fontTools.ttLib import TTFont

        font = TTFont(io.BytesIO(data), lazy=True)
        program = cls(kind="truetype", font=font)
        program.glyph_order = font.getGlyphOrder()
        program.glyph_count = len(program.glyph_order)
        program.names = set(program.glyph_order)
        if "cmap" in font:
            for table in font["cmap"].tables:
                try:
                    mapping = dict(table.cmap)
                except Exception:  # fontTools decodes a damaged cmap lazily, and fails so
                    continue
                program.cmaps[(table.platformID, table.platEncID)] = mapping
                if table.platformID in (0, 3):
                    for code, glyph in mapping.items():
                        program.unicode_of.setdefault(glyph, code)
        if "CFF " in font:
            top = font["CFF "].cff.topDictIndex[0]
            program.kind = "cff"
            program.cid_keyed = hasattr(top, "ROS")
        return program

    @classmethod
    def _cff(cls, data: bytes) -> _Program:
        from fontTools.cffLib import CFFFontSet

        fonts = CFFFontSet()
        fonts.decompile(io.BytesIO(data), None)
        top = fonts[fonts.fontNames[0]]
        program = cls(kind="cff")
        program.glyph_order = list(top.charset)
        program.glyph_count = len(program.glyph_order)
        program.names = set(program.glyph_order)
        program.cid_keyed = hasattr(top, "ROS")
        encoding = getattr(top, "Encoding", None)
        if isinstance(encoding, list):
            program.builtin = list(encoding)
        elif encoding == "ExpertEncoding":
            program.builtin = None
        else:
            from fontTools.encodings.StandardEncoding import StandardEncoding

            program.builtin = list(StandardEncoding)
        return program

    def inked(self, glyph: str) -> bool:
        """Whether a glyph has an outline (TrueType: its data in ``glyf`` is not empty, read
        from ``loca`` without decoding outlines); CFF glyphs in the charset count as present,
        as subsetting removes them rather than emptying them."""
        if self.kind != "truetype" or self.font is None or "glyf" not in self.font:
            return True
        try:
            if self.offsets is None:
                self.offsets = list(self.font["loca"].locations)
                self.index = {name: number for number, name in enumerate(self.glyph_order)}
            number = self.index[glyph]
            return bool(self.offsets[number + 1] > self.offsets[number])
        except Exception:  # a damaged loca table (fontTools decodes lazily)
            try:
                return bool(self.font["glyf"][glyph].numberOfContours != 0)
            except Exception:  # and a damaged glyf table, in as many ways
                return False


@dataclass
class _Problems:
    missing: list[str] = field(default_factory=list)
    notdef: list[str] = field(default_factory=list)


def _glyph_problems(font: DictionaryObject, subtype: str, descendant: DictionaryObject | None,
                    program: _Program, codes: set[bytes]) -> _Problems:
    problems = _Problems()
    if subtype == "Type0":
        encoding = resolve(font.get("/Encoding"))
        if encoding not in ("/Identity-H", "/Identity-V") or descendant is None:
            return problems  # another CMap: codes cannot be mapped without it
        pairs = bytearray()
        for string in codes:
            pairs += string[:len(string) & ~1]
            if len(string) % 2:
                problems.missing.append(f"a code cut short (byte {string[-1]:#04x} of two)")
        cids = set(struct.unpack(f">{len(pairs) // 2}H", pairs))
        _check_cids(sorted(cids), descendant, program, problems)
        return problems
    used = sorted({byte for string in codes for byte in string})
    _check_simple(used, font, subtype, program, problems)
    return problems


def _describe(char: str | None, code: str) -> str:
    if char and char.isprintable() and not char.isspace():
        return f"'{char}' ({code})"
    return code


def _check_cids(cids: list[int], descendant: DictionaryObject, program: _Program,
                problems: _Problems) -> None:
    cid_to_gid = resolve(descendant.get("/CIDToGIDMap"))
    table = b""
    if hasattr(cid_to_gid, "get_data"):
        try:
            table = cid_to_gid.get_data()
        except read_errors():  # a damaged CIDToGIDMap stream
            table = b""
    for cid in cids:
        if program.kind == "cff" and program.cid_keyed:
            glyph = f"cid{cid:05d}" if cid else ".notdef"
            if cid == 0:
                problems.notdef.append(f"CID {cid}")
            elif glyph not in program.names:
                problems.missing.append(f"CID {cid}")
            continue
        gid = cid
        if table:
            gid = int.from_bytes(table[2 * cid:2 * cid + 2], "big") \
                if 2 * cid + 2 <= len(table) else 0
        if gid == 0:
            problems.notdef.append(f"CID {cid}")
            continue
        if gid >= program.glyph_count:
            problems.missing.append(f"glyph {gid} (beyond the font's {program.glyph_count})")
            continue
        name = program.glyph_order[gid]
        if not program.inked(name):
            code = program.unicode_of.get(name)
            char = chr(code) if code is not None else None
            if char is not None and not _blank(char):
                problems.missing.append(_describe(char, f"glyph {gid}, U+{code:04X}"))


def _blank(char: str) -> bool:
    """White space and invisible format characters, which need no outline."""
    return char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp", "Cc", "Cf")


def _encoding_names(font: DictionaryObject) -> list[str | None] | None:
    """The 256 glyph names of a simple font's /Encoding (None: the font's own encoding)."""
    encoding = resolve(font.get("/Encoding"))
    base: list[str | None] | None = None
    differences: list[Any] = []
    if isinstance(encoding, dict):
        base_name = encoding.get("/BaseEncoding")
        base = _named_encoding(str(base_name)) if base_name is not None else None
        differences = list(resolve(encoding.get("/Differences")) or [])
    elif encoding is not None:
        base = _named_encoding(str(encoding))
    if differences:
        base = list(base) if base is not None else [None] * 256
        code = 0
        for item in differences:
            item = resolve(item)
            if isinstance(item, int | float) and not isinstance(item, bool):
                code = int(item)
            elif isinstance(item, str) and 0 <= code < 256:
                base[code] = item.lstrip("/")
                code += 1
    return base


def _named_encoding(name: str) -> list[str | None] | None:
    from fontTools import agl

    name = name.lstrip("/")
    if name == "WinAnsiEncoding":
        names: list[str | None] = []
        for code in range(256):
            try:
                char = bytes([code]).decode("cp1252")
            except UnicodeDecodeError:
                names.append("bullet" if code >= 0x80 else None)
                continue
            names.append(agl.UV2AGL.get(ord(char), f"uni{ord(char):04X}") if code >= 32
                          else None)
        return names
    if name == "MacRomanEncoding":
        from fontTools.encodings.MacRoman import MacRoman

        return [n if n != ".notdef" else None for n in MacRoman]
    if name == "StandardEncoding":
        from fontTools.encodings.StandardEncoding import StandardEncoding

        return [n if n != ".notdef" else None for n in StandardEncoding]
    return None  # MacExpertEncoding or unknown: the font's own


def _check_simple(codes: list[int], font: DictionaryObject, subtype: str, program: _Program,
                  problems: _Problems) -> None:
    from fontTools import agl

    names = _encoding_names(font)
    mac_index: dict[str, int] = {}
    if program.kind == "truetype" and (1, 0) in program.cmaps:
        from fontTools.encodings.MacRoman import MacRoman

        mac_index = {n: i for i, n in enumerate(MacRoman)}
    for code in codes:
        name = names[code] if names is not None else None
        if program.kind == "cff" and not program.cid_keyed:
            if name is None and program.builtin is not None:
                name = program.builtin[code]
            char = agl.toUnicode(name) if name else ""
            if not name or name == ".notdef":
                problems.notdef.append(f"code {code}")
            elif name not in program.names:
                problems.missing.append(_describe(char, f"/{name}"))
            continue
        if program.kind != "truetype":
            continue
        char = agl.toUnicode(name) if name else ""
        candidates: list[str | None] = []
        if name:
            if char:
                candidates.append(program.cmaps.get((3, 1), {}).get(ord(char[0])))
                candidates.append(program.cmaps.get((0, 3), {}).get(ord(char[0])))
            candidates.append(name if name in program.names else None)
            if name in mac_index:
                candidates.append(program.cmaps.get((1, 0), {}).get(mac_index[name]))
        symbolic = program.cmaps.get((3, 0), {})
        candidates += [symbolic.get(code), symbolic.get(0xF000 + code),
                       symbolic.get(0xF100 + code), symbolic.get(0xF200 + code),
                       program.cmaps.get((1, 0), {}).get(code)]
        if not name:
            candidates.append(program.cmaps.get((3, 1), {}).get(code))
        found = [c for c in candidates if c and c != ".notdef"]
        label = _describe(char, f"code {code}" + (f" /{name}" if name else ""))
        if not found:
            if char and _blank(char):
                continue
            problems.missing.append(label)
            continue
        if any(program.inked(glyph) for glyph in found):
            continue
        known = char or "".join(
            chr(program.unicode_of[g]) for g in found[:1] if g in program.unicode_of
        )
        if known and not _blank(known[0]):
            problems.missing.append(label)
