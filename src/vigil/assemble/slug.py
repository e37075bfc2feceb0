"""The slug font: a few lines of text outside the trim (the slug of an imposed sheet) in the
bundled sans, embedded as a subset so that the sheets pass a print preflight.

Takes a pypdf writer and every text the sheets will show; gives a :class:`SlugFont` that adds
one Type 0 font (CIDFontType2, Identity-H, with a ToUnicode map so that the text can be
searched and extracted) and encodes text for ``Tj``. Characters the font lacks are shown as
``?``. Deterministic: the same texts give the same bytes (the font's timestamps are kept). The
subset is kept in the user's cache, by the font's bytes and the characters.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from pypdf import PdfWriter
    from pypdf.generic import IndirectObject, PdfObject

from vigil.pdf._compat import add_object
from vigil.resources import fonts_dir

FONT_FILE = "NotoSans-Regular.ttf"
CACHE_FORMAT = 1
POSTSCRIPT_NAME = "NotoSans-Regular"


class _Metrics(TypedDict):
    """The font descriptor's numbers, in 1/1000 em."""

    bbox: list[int]
    ascent: int
    descent: int
    cap: int


class SlugFont:
    """One embedded subset of the bundled sans holding the characters of ``texts``."""

    def __init__(self, writer: PdfWriter, texts: Iterable[str]) -> None:
        from fontTools.ttLib import TTFont

        source = (fonts_dir() / FONT_FILE).read_bytes()
        wanted = sorted({ord(c) for text in texts for c in text} | {ord("?"), ord(" ")})
        program = _subset(source, wanted)
        font = TTFont(io.BytesIO(program), recalcTimestamp=False, recalcBBoxes=False)
        cmap = font.getBestCmap()
        self.codepoints = [c for c in wanted if c in cmap]
        self.units = font["head"].unitsPerEm
        self.gids = {c: font.getGlyphID(cmap[c]) for c in self.codepoints}
        metrics = font["hmtx"].metrics
        self.advance = {c: metrics[cmap[c]][0] * 1000 / self.units for c in self.codepoints}
        os2 = font["OS/2"]
        head = font["head"]
        scale = 1000 / self.units
        self.ascent = round(max(os2.sTypoAscender, font["hhea"].ascent) * scale)
        tag = _tag(program)
        self.reference = _write_font(writer, program, f"{tag}+{POSTSCRIPT_NAME}", {
            "bbox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
            "ascent": self.ascent,
            "descent": round(os2.sTypoDescender * scale),
            "cap": round(getattr(os2, "sCapHeight", 714) * scale),
        }, {self.gids[c]: self.advance[c] for c in self.codepoints},
            {self.gids[c]: c for c in self.codepoints})

    def _known(self, text: str) -> list[int]:
        return [ord(c) if ord(c) in self.gids else ord("?") for c in text]

    def encode(self, text: str) -> bytes:
        """``<hex glyph ids>`` for ``Tj``."""
        return b"<" + "".join(f"{self.gids[c]:04X}" for c in self._known(text)).encode() + b">"

    def width(self, text: str, size: float) -> float:
        """The advance width of ``text`` at ``size`` points, in points."""
        return float(sum(self.advance[c] for c in self._known(text)) * size / 1000)


def _subset(source: bytes, codepoints: list[int]) -> bytes:
    """The font ``source`` cut to ``codepoints`` (those it has), kept in the user's cache
    (:mod:`vigil.usercache`): subsetting takes a tenth of a second, reading it back nothing."""
    import fontTools

    from vigil.usercache import folder

    key = hashlib.sha256(b"%d\0%s\0%s\0" % (
        CACHE_FORMAT, fontTools.version.encode(), ",".join(map(str, codepoints)).encode())
        + source).hexdigest()[:24]
    cached = folder("slug") / f"{key}.ttf"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(source), recalcTimestamp=False, recalcBBoxes=False)
    for tag in ("GSUB", "GPOS", "GDEF", "DSIG"):  # no shaping: a slug is plain text, and
        if tag in font:                             # reading these takes most of the time
            del font[tag]
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = []
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    data = io.BytesIO()
    font.save(data)
    program = data.getvalue()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(program)
        partial.replace(cached)
    except OSError:
        pass  # a cache that cannot be written only makes the next imposition slower
    return program


def _tag(program: bytes) -> str:
    """Six capital letters derived from the subset, as PDF subset names have."""
    digest = hashlib.sha256(program).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def _write_font(writer: PdfWriter, program: bytes, name: str, metrics: _Metrics,
                widths: dict[int, float], unicodes: dict[int, int]) -> IndirectObject:
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        StreamObject,
        TextStringObject,
    )

    def stream(data: bytes, **extra: PdfObject) -> IndirectObject:
        obj = StreamObject()
        obj.set_data(data)
        obj = obj.flate_encode()
        for key, value in extra.items():
            obj[NameObject(f"/{key}")] = value
        return add_object(writer, obj)

    file2 = stream(program, Length1=NumberObject(len(program)))
    descriptor = add_object(writer, DictionaryObject({
        NameObject("/Type"): NameObject("/FontDescriptor"),
        NameObject("/FontName"): NameObject(f"/{name}"),
        NameObject("/Flags"): NumberObject(32),
        NameObject("/FontBBox"): ArrayObject([NumberObject(v) for v in metrics["bbox"]]),
        NameObject("/ItalicAngle"): NumberObject(0),
        NameObject("/Ascent"): NumberObject(metrics["ascent"]),
        NameObject("/Descent"): NumberObject(metrics["descent"]),
        NameObject("/CapHeight"): NumberObject(metrics["cap"]),
        NameObject("/StemV"): NumberObject(80),
        NameObject("/FontFile2"): file2,
    }))
    w = ArrayObject()
    for gid in sorted(widths):
        w.extend([NumberObject(gid), ArrayObject([FloatObject(round(widths[gid], 3))])])
    descendant = add_object(writer, DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/CIDFontType2"),
        NameObject("/BaseFont"): NameObject(f"/{name}"),
        NameObject("/CIDSystemInfo"): DictionaryObject({
            NameObject("/Registry"): TextStringObject("Adobe"),
            NameObject("/Ordering"): TextStringObject("Identity"),
            NameObject("/Supplement"): NumberObject(0),
        }),
        NameObject("/FontDescriptor"): descriptor,
        NameObject("/DW"): NumberObject(1000),
        NameObject("/W"): w,
        NameObject("/CIDToGIDMap"): NameObject("/Identity"),
    }))
    lines = "\n".join(f"<{gid:04X}> <{_utf16(unicodes[gid])}>" for gid in sorted(unicodes))
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{len(unicodes)} beginbfchar\n{lines}\nendbfchar\n"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )
    return add_object(writer, DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type0"),
        NameObject("/BaseFont"): NameObject(f"/{name}"),
        NameObject("/Encoding"): NameObject("/Identity-H"),
        NameObject("/DescendantFonts"): ArrayObject([descendant]),
        NameObject("/ToUnicode"): stream(cmap.encode("ascii")),
    }))


def _utf16(codepoint: int) -> str:
    return chr(codepoint).encode("utf-16-be").hex().upper()
