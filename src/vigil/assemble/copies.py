"""Personalised copies: the publication's own PDF with each copy's lines drawn over its covers.

Takes the publication's assembled PDF (``base``, the same for every copy), one small typeset
document holding only the copies' lines (``lines``: two pages a copy, its cover line then its
back-cover line, each in the slot the theme gives it, see ``copies.html``) and the variants;
gives each copy's PDF, written as an incremental update of ``base`` (:mod:`.incremental`):

- each line page becomes a form XObject drawn over the cover (first page) or the back cover
  (last page): a new version of that page object, its own drawing wrapped in ``q ... Q``;
- the lines' fonts (one subset per font for all the copies, renamed after their content so
  that no subset shares a name with a different one of ``base``) and the wrappers are
  serialised once and written, with the same numbers, in every copy;
- in a tagged PDF each line is a paragraph (``/P``) of the structure tree, at the end of its
  page's section, its marked content in the form XObject (``/StructParents``, a new entry of
  the parent tree), so that a screen reader reads "A copy for ...".

A line that would take more lines than its slot holds is an error naming the CSV line.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader
    from pypdf.generic import ContentStream, DictionaryObject, IndirectObject, PdfObject

from vigil.assemble.incremental import Base, append_update, open_base, serialise
from vigil.compose import COPY_SECTION_PAGES
from vigil.errors import ContentError, Location, ThemeError
from vigil.pdf._compat import stream_bytes
from vigil.pdf.fonts import rename_subset
from vigil.read.model import Variant

MAX_LINES = 2          # the slot of a line holds this many lines of text (see style.css)
_XOBJECT = "/VigilCopyLine"
_GROUPS = {"/Sect", "/Div", "/Part", "/Art", "/NonStruct"}


@dataclass(frozen=True)
class _Line:
    """One line of a copy: its drawing (decoded), how many MCIDs it marks (0, 1, 2...), the
    sheet of the lines document it is on, its box there and the matrix that puts it in
    place on the base's page."""

    sheet: int
    data: bytes
    mcids: int
    bbox: tuple[float, float, float, float]
    matrix: tuple[float, float, float, float, float, float]


def copies(base: bytes, lines: bytes, variants: Sequence[Variant],
           csv_path: Path) -> Iterator[bytes]:
    """Yield one PDF per variant: ``base`` with the variant's two sections of ``lines`` (its
    cover line, its back-cover line) drawn over its first and last pages. Raises
    ContentError (naming ``csv_path`` and the row's line) for a line too long for its slot,
    before any copy is made."""
    from pypdf import PdfReader

    base_reader = PdfReader(io.BytesIO(base))
    lines_reader = PdfReader(io.BytesIO(lines))
    pages = [base_reader.pages[0], base_reader.pages[len(base_reader.pages) - 1]]
    drawn = _lines(lines_reader, pages, variants, csv_path)
    target = open_base(base, base_reader)
    numbers = _Numbers(target.size)
    shared = _Shared(lines_reader, numbers)
    tagged = "/StructTreeRoot" in base_reader.root_object
    structure = _Structure(base_reader) if tagged else None
    for index in range(len(variants)):
        yield _copy(target, pages, drawn[2 * index: 2 * index + 2], shared, structure,
                    numbers.fork())


def _lines(reader: PdfReader, pages: list[PageObject], variants: Sequence[Variant],
           csv_path: Path) -> list[_Line | None]:
    """The lines of each copy, two a copy (None for a line not drawn): the lines document
    is made of sheets, each a stack of sections, two a copy, each drawing one line in its
    first page's height (the rest of the section catches a line too long for its slot: see
    COPY_SECTION_PAGES); its text is split into pieces (vigil.assemble.split) and each piece
    goes to the section it starts in."""
    from vigil.assemble.split import renumber_mcids, split_text

    height = float(pages[0].trimbox.height)
    pitch = height * COPY_SECTION_PAGES  # a section: the page, then room for a line too long
    found: list[list[bytes]] = [[] for _ in range(2 * len(variants))]
    baselines: list[set[float]] = [set() for _ in found]  # lines of text, by height
    placed: dict[int, tuple[int, float, float, float]] = {}
    for sheet, page in enumerate(reader.pages):
        left, bottom = _corner(page)
        top = bottom + float(page.trimbox.height)
        per_sheet = int(float(page.trimbox.height) // pitch)
        data = (cast("ContentStream", page.get_contents()).get_data()
                if page.get("/Contents") is not None else b"")
        for piece in split_text(data):
            local = int((top - piece.y) // pitch)
            section = sheet * per_sheet + local
            if not 0 <= local < per_sheet or section >= len(found):
                raise ThemeError(
                    "a line of the personalised copies is drawn outside the page it belongs "
                    "to", hint="Keep .variant-slot inside its page in style.css")
            found[section].append(piece.data)
            baselines[section].add(round(piece.y, 1))
            placed[section] = (sheet, left, top - local * pitch - height,
                               float(page.trimbox.width))
    result: list[_Line | None] = []
    for section, parts in enumerate(found):
        if not parts:
            result.append(None)
            continue
        variant = variants[section // 2]
        count = len(baselines[section])
        if count > MAX_LINES:
            which, text = ("cover", variant.cover) if section % 2 == 0 else \
                ("back cover", variant.back)
            raise ContentError(
                f"the {which} line '{text}' takes {count} lines, but its place on the "
                f"{which} holds {MAX_LINES}",
                location=Location(csv_path, variant.line),
                hint="Shorten the value, or the 'cover:' or 'back:' pattern of variants",
            )
        sheet, left, bottom, width = placed[section]
        there = _corner(pages[section % 2])
        data, mcids = renumber_mcids(b"".join(parts))
        result.append(_Line(
            sheet=sheet, data=data, mcids=mcids,
            bbox=(left, bottom, left + width, bottom + height),
            matrix=(1, 0, 0, 1, there[0] - left, there[1] - bottom),
        ))
    return result


def _corner(page: PageObject) -> tuple[float, float]:
    """The lower left corner of the page's trim box (its media box if it has none)."""
    box = page.trimbox if "/TrimBox" in page else page.mediabox
    return float(box.left), float(box.bottom)


# A line's place in the structure tree: the element it joins (its reference, None for the
# root's only child missing, and the element), where in its /K, and the line's own element.
_Placed = tuple["IndirectObject | None", "DictionaryObject", int, "IndirectObject"]


class _Numbers:
    """Object numbers for an update: the shared objects' first, then each copy's own."""

    def __init__(self, start: int) -> None:
        self.next = start

    def take(self) -> int:
        self.next += 1
        return self.next - 1

    def fork(self) -> _Numbers:
        """Numbers for one copy, after the shared ones (the same in every copy)."""
        return _Numbers(self.next)


class _Shared:
    """What every copy holds: the lines' resources (fonts...) and the two wrapper streams,
    copied out of the lines document once, renumbered, serialised once."""

    def __init__(self, reader: PdfReader, numbers: _Numbers) -> None:
        from pypdf.generic import StreamObject

        self.numbers = numbers
        self.memo: dict[int, int] = {}
        self.objects: dict[int, PdfObject] = {}
        fonts = {}
        for page in reader.pages:
            for font in (cast("DictionaryObject", page["/Resources"]).get("/Font") or {}).values():
                fonts[id(font.get_object())] = font.get_object()
        for font in fonts.values():  # renamed in the lines document, then copied
            rename_subset(font)
        self.resources = [self.copy(page.raw_get("/Resources")) for page in reader.pages]
        self.wrappers = []
        # The line's form is drawn inside a marked-content sequence (/P, no MCID): its own
        # content carries the MCIDs of its /P element (/StructParents of the form), and a
        # checker that does not look into forms (pdfua) sees no drawing outside any sequence.
        for data in (b"q\n", b"\nQ\n/P BMC q " + _XOBJECT.encode() + b" Do Q EMC\n"):
            stream = StreamObject()
            stream.set_data(data)  # a plain StreamObject: its bytes as they are
            number = numbers.take()
            self.objects[number] = stream
            self.wrappers.append(number)
        self.chunks = [(n, serialise(n, self.objects[n])) for n in sorted(self.objects)]

    def copy(self, obj: PdfObject) -> PdfObject:
        """``obj`` of the lines document, its indirect objects renumbered for the copies."""
        from pypdf.generic import (
            ArrayObject,
            DictionaryObject,
            IndirectObject,
            NameObject,
            StreamObject,
        )

        if isinstance(obj, IndirectObject):
            if obj.idnum not in self.memo:
                number = self.memo[obj.idnum] = self.numbers.take()
                self.objects[number] = self.copy(cast("PdfObject", obj.get_object()))
            return IndirectObject(self.memo[obj.idnum], 0, None)
        if isinstance(obj, StreamObject):
            stream = StreamObject()
            for key, value in obj.items():
                if key != "/Length":
                    stream[NameObject(key)] = self.copy(value)
            stream.set_data(stream_bytes(obj))  # as encoded: the /Filter is copied
            return stream
        if isinstance(obj, DictionaryObject):
            result = DictionaryObject()
            for key, value in obj.items():
                result[NameObject(key)] = self.copy(value)
            return result
        if isinstance(obj, ArrayObject):
            return ArrayObject(self.copy(value) for value in obj)
        return obj


class _Structure:
    """The base's structure tree, as far as a copy changes it: the parent tree and, for the
    cover and the back cover, the element a copy's line joins."""

    def __init__(self, reader: PdfReader) -> None:
        catalog = cast("DictionaryObject", reader.trailer["/Root"])
        root = cast("DictionaryObject", catalog["/StructTreeRoot"])
        self.root_ref: IndirectObject = catalog.raw_get("/StructTreeRoot")
        self.root = root
        self.parent_tree_ref: IndirectObject = root.raw_get("/ParentTree")
        self.parent_tree = cast("DictionaryObject", root["/ParentTree"])
        self.next_key = _next_key(self.parent_tree, root)
        self.document_ref, self.document = _document(root)

    def parent_for(self, page_ref: IndirectObject
                   ) -> tuple[IndirectObject | None, DictionaryObject, int]:
        """The element a line on ``page_ref`` joins, its reference, and where in its /K."""
        kids = _kids(self.document)
        last = None
        for position, kid in enumerate(kids):
            element = kid.get_object()
            if hasattr(element, "get") and _same(element.raw_get("/Pg"), page_ref):
                last = (position, kid, element)
        if last is None:
            return self.document_ref, self.document, len(kids)
        position, kid, element = last
        if element.get("/S") in _GROUPS:
            return kid, element, len(_kids(element))
        return self.document_ref, self.document, position + 1


def _same(a: PdfObject | None, b: IndirectObject | None) -> bool:
    return a is not None and b is not None and getattr(a, "idnum", None) == b.idnum


# Any: a structure element's kids are references, dictionaries or MCIDs, which pypdf gives as
# ``PdfObject | None`` unions (a cast at every use otherwise).
def _kids(element: DictionaryObject) -> list[Any]:
    from pypdf.generic import ArrayObject

    kids = element.get("/K")
    if kids is None:
        return []
    kids = kids.get_object() if hasattr(kids, "get_object") else kids
    return list(kids) if isinstance(kids, ArrayObject) else [element.raw_get("/K")]


def _document(root: DictionaryObject) -> tuple[IndirectObject | None, DictionaryObject]:
    """The element lines join when no section of their page is found: the root's only kid
    (WeasyPrint's /Document), else the root itself."""
    kids = _kids(root)
    if len(kids) == 1 and hasattr(kids[0], "idnum"):
        return kids[0], kids[0].get_object()
    return None, root


def _next_key(tree: DictionaryObject, root: DictionaryObject) -> int:
    """One more than the highest key of the parent tree (a number tree)."""
    highest = -1
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop().get_object()
        nums = node.get("/Nums") or []
        highest = max([highest, *(int(nums[i]) for i in range(0, len(nums), 2))])
        stack.extend(node.get("/Kids") or [])
    return max(highest + 1, int(root.get("/ParentTreeNextKey", 0)))


def _copy(target: Base, pages: list[PageObject], drawn: Sequence[_Line | None], shared: _Shared,
          structure: _Structure | None, numbers: _Numbers) -> bytes:
    """One copy: the shared objects, then its line XObjects, pages and structure."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        IndirectObject,
        NameObject,
        NumberObject,
        StreamObject,
    )

    own: dict[int, PdfObject] = {}
    changed: dict[int, DictionaryObject] = {}   # new versions of the base's objects, by number
    new_nums: list[PdfObject] = []
    key = structure.next_key if structure else 0
    placed: list[_Placed] = []
    for page, line in zip(pages, drawn, strict=True):
        if line is None:
            continue
        form = StreamObject()
        form.update({
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(v) for v in line.bbox),
            NameObject("/Matrix"): ArrayObject(FloatObject(v) for v in line.matrix),
            NameObject("/Resources"): shared.resources[line.sheet],
            NameObject("/Filter"): NameObject("/FlateDecode"),
        })
        form.set_data(zlib.compress(line.data, 6))  # a plain StreamObject: kept as given
        form_number = numbers.take()
        own[form_number] = form
        form_ref = IndirectObject(form_number, 0, None)
        page_ref = cast("IndirectObject", page.indirect_reference)
        version = DictionaryObject(page.items())
        contents = page.raw_get("/Contents")
        resolved = contents.get_object()
        listed = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
        wrappers = [IndirectObject(n, 0, None) for n in shared.wrappers]
        version[NameObject("/Contents")] = ArrayObject([wrappers[0], *listed, wrappers[1]])
        resources = DictionaryObject(cast("DictionaryObject", page["/Resources"]).items())
        xobjects = DictionaryObject((resources.get("/XObject") or {}).items())
        xobjects[NameObject(_XOBJECT)] = form_ref
        resources[NameObject("/XObject")] = xobjects
        version[NameObject("/Resources")] = resources
        changed[page_ref.idnum] = version
        if structure is not None and line.mcids > 0:
            form[NameObject("/StructParents")] = NumberObject(key)
            parent_ref, parent, position = structure.parent_for(page_ref)
            element_number = numbers.take()
            element_ref = IndirectObject(element_number, 0, None)
            own[element_number] = DictionaryObject({
                NameObject("/Type"): NameObject("/StructElem"),
                NameObject("/S"): NameObject("/P"),
                NameObject("/P"): parent_ref if parent_ref is not None else structure.root_ref,
                NameObject("/Pg"): page_ref,
                NameObject("/K"): ArrayObject(DictionaryObject({
                    NameObject("/Type"): NameObject("/MCR"),
                    NameObject("/Pg"): page_ref,
                    NameObject("/Stm"): form_ref,
                    NameObject("/MCID"): NumberObject(mcid),
                }) for mcid in range(line.mcids)),
            })
            by_mcid = ArrayObject(element_ref for _ in range(line.mcids))
            new_nums += [NumberObject(key), by_mcid]
            key += 1
            placed.append((parent_ref, parent, position, element_ref))
    if structure is not None and placed:
        _join(structure, placed, changed, own, numbers, new_nums, key)
    objects = dict(own)
    for number, version in changed.items():
        objects[number] = version
    chunks = list(shared.chunks)
    chunks += [(n, serialise(n, objects[n])) for n in sorted(objects)]
    return append_update(target, chunks, max(numbers.next, shared.numbers.next))


def _join(structure: _Structure, placed: list[_Placed],
          changed: dict[int, DictionaryObject], own: dict[int, PdfObject], numbers: _Numbers,
          new_nums: list[PdfObject], key: int) -> None:
    """New versions of the elements the lines join, of the parent tree and of the root."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        NameObject,
        NumberObject,
    )

    kids_of: dict[int, tuple[DictionaryObject, list[Any]]] = {}
    # From the last place to the first, so that the places found stay right; of two lines
    # at one place, the later one first, so that the cover's line comes first.
    order = sorted(range(len(placed)), key=lambda i: (-placed[i][2], -i))
    for parent_ref, parent, position, element_ref in (placed[i] for i in order):
        number = parent_ref.idnum if parent_ref is not None else structure.root_ref.idnum
        if number not in kids_of:
            kids_of[number] = (parent, _kids(parent))
        kids_of[number][1].insert(position, element_ref)
    for number, (parent, kids) in kids_of.items():
        version = DictionaryObject(parent.items())
        version[NameObject("/K")] = ArrayObject(kids)
        changed[number] = version
    tree = structure.parent_tree
    tree_version = DictionaryObject(tree.items())
    if "/Kids" in tree:  # a tree of nodes: the new keys (after all others) are a new leaf
        leaf = DictionaryObject({
            NameObject("/Limits"): ArrayObject([new_nums[0], new_nums[-2]]),
            NameObject("/Nums"): ArrayObject(new_nums),
        })
        own[numbers.take()] = leaf
        tree_version[NameObject("/Kids")] = ArrayObject(
            [*tree.raw_get("/Kids").get_object(), IndirectObject(numbers.next - 1, 0, None)])
    else:
        tree_version[NameObject("/Nums")] = ArrayObject([*(tree.get("/Nums") or []), *new_nums])
    changed[structure.parent_tree_ref.idnum] = tree_version
    if "/ParentTreeNextKey" in structure.root:
        root = changed.get(structure.root_ref.idnum) or DictionaryObject(structure.root.items())
        root[NameObject("/ParentTreeNextKey")] = NumberObject(key)
        changed[structure.root_ref.idnum] = root
