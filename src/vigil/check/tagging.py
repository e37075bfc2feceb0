"""Walk the structure tree (tags) of a PDF and the marked content of its pages: is it what a
screen reader needs, and what PDF/UA-1 asks that a program can check?

Takes a pypdf reader; gives :class:`TagProblem` items (a code, a message, the first page it
concerns). Every problem is something vigil's own outputs once had, and any PDF may have:

- ``tag-orphan``: marked content whose element only the ``/ParentTree`` reaches, not the
  structure root (WeasyPrint tags running heads so); a screen reader never reads it, and it is
  not an artifact either. Running heads, page numbers and rules are ``/Artifact`` content.
- ``tag-parent-tree``: a marked-content identifier (MCID) of a page or form without the
  ``/ParentTree`` entry that leads back to its element, or with one that leads elsewhere; an
  element pointing at marked content that does not exist.
- ``tag-untagged``: text, images, forms or paths drawn outside any marked-content sequence:
  neither real content nor an artifact (an inserted PDF page, drawn as it came).
- ``heading-nested``: a heading element inside another heading.
- ``heading-skip``: heading levels that skip (an H1, then an H3), in reading order.
- ``heading-empty``: a heading element that marks no content.
- ``table-scope``: a table header cell (``/TH``) that does not say what it heads (``/Scope``).
- ``link-description``: a link annotation without a description (``/Contents``), or one that
  is only the name of the anchor it leads to (``foreword``).
- ``text-hyphen``: a line ending with a hyphenation hyphen (U+2010) that text extraction
  keeps as it is (no ``/ActualText`` soft hyphen over it).
- ``text-spacing``: a letter-spaced line without ``/ActualText`` (extracted "B A K U").
- ``language-missing``: the catalog has no ``/Lang``.

The walk is bounded (elements, depth, content streams) so that a hostile file cannot keep it
busy; content streams are read with :func:`vigil.check.content.interpreted` (the operations
the font and image walk read too, remembered by digest: each stream is tokenized once).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from vigil.check.content import interpreted
from vigil.pdf.content import Name
from vigil.pdf.objects import dictionary, read_errors, resolve

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject, StreamObject

MAX_ELEMENTS = 200_000
MAX_DEPTH = 200
MAX_FORM_DEPTH = 12
_HEADING = re.compile(r"^/H([1-6])$")
_TEXT = frozenset((b"Tj", b"TJ", b"'", b'"'))
_PAINT = frozenset((b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"sh"))
_PDFUA = re.compile(rb"pdfuaid:part\s*(?:=\s*[\"'](\d)|>\s*(\d))")


@dataclass(frozen=True)
class TagProblem:
    code: str
    message: str
    page: int | None = None


@dataclass
class _Content:
    """What the marked content of the pages holds."""

    mcids: dict[tuple[int, int], int] = field(default_factory=dict)  # (stream, mcid) -> page
    untagged: dict[int, list[str]] = field(default_factory=dict)     # page -> what
    keys: dict[int, int] = field(default_factory=dict)               # stream -> /StructParents


def _raw(node: DictionaryObject, key: str, default: object = None) -> object:
    """``node[key]`` unresolved (an indirect reference stays one), or ``default``."""
    return node.raw_get(key) if key in node else default


def _number(value: object) -> int | None:
    value = resolve(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return None


def pdfua_claim(reader: PdfReader) -> str | None:
    """``PDF/UA-1`` when the XMP metadata claims PDF/UA, else None."""
    try:
        root = resolve(reader.trailer.get("/Root")) or {}
        metadata = resolve(root.get("/Metadata"))
        xmp = bytes(metadata.get_data()) if metadata is not None else b""
    except read_errors():
        return None
    found = _PDFUA.search(xmp)
    return f"PDF/UA-{(found[1] or found[2]).decode()}" if found else None


def check_tags(reader: PdfReader, text_layer: bool = True) -> list[TagProblem]:
    """The problems of the structure tree and marked content of a tagged PDF (see the
    module); nothing for a PDF without a structure tree (that is another finding).
    ``text_layer=False`` leaves out ``text-hyphen`` and ``text-spacing`` (a build's own
    file: its assemble stage has just given every line its ActualText)."""
    root = resolve(reader.trailer.get("/Root")) or {}
    tree = dictionary(root.get("/StructTreeRoot"))
    if tree is None:
        return []
    pages = {page.indirect_reference.idnum: number
             for number, page in enumerate(reader.pages, start=1)
             if page.indirect_reference is not None}
    walk = _TreeWalk(pages)
    walk.run(tree)
    content = _scan_pages(reader)
    problems: list[TagProblem] = []
    problems += _marked_content(walk, content, tree, pages)
    if content.untagged:
        first = min(content.untagged)
        what = sorted({item for items in content.untagged.values() for item in items})
        problems.append(TagProblem(
            "tag-untagged",
            f"content is neither tagged nor an artifact ({', '.join(what)}) on "
            f"{_pages_text(sorted(content.untagged))}: screen readers skip it without saying "
            "so", first))
    problems += walk.problems
    problems += _links(reader, pages)
    if text_layer:
        problems += _text_layer(reader)
    language = resolve(root.get("/Lang"))
    if not str(language or "").strip():
        problems.append(TagProblem("language-missing",
                                   "the document does not say its language (/Lang)"))
    return problems


def _pages_text(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:8])
    more = f" and {len(numbers) - 8} more" if len(numbers) > 8 else ""
    return f"page{'s' if len(numbers) > 1 else ''} {shown}{more}"


class _TreeWalk:
    """Walk the tree from its root in reading order: the content items each element owns,
    the headings in order, table header cells."""

    def __init__(self, pages: dict[int, int]) -> None:
        self.pages = pages
        self.owner: dict[tuple[int, int], int] = {}  # (stream, mcid) -> element idnum
        self.reached: set[int] = set()
        self.problems: list[TagProblem] = []
        self.last_level = 0
        self.last_heading = ""
        self.count = 0
        self.scope_missing: list[int] = []

    def run(self, tree: DictionaryObject) -> None:
        kids = resolve(tree.get("/K"))
        items = kids if isinstance(kids, list) else [tree.raw_get("/K")] \
            if kids is not None else []
        stack: list[tuple[object, object, int, int]] = [
            (kid, None, 0, 0) for kid in reversed(items)]
        while stack and self.count < MAX_ELEMENTS:
            kid, page, depth, heading_depth = stack.pop()
            number = getattr(kid, "idnum", None)
            element = dictionary(kid)
            if element is None or depth > MAX_DEPTH:
                continue
            if number is not None:
                if number in self.reached:
                    continue
                self.reached.add(number)
            self.count += 1
            page = _raw(element, "/Pg", page)
            page_number = self.pages.get(getattr(page, "idnum", -1))
            role = str(element.get("/S") or "")
            level = _HEADING.match(role)
            inside = heading_depth
            if level:
                self._heading(int(level[1]), role, page_number, heading_depth > 0)
                if not _has_content(element):
                    self.problems.append(TagProblem(
                        "heading-empty", f"a heading ({role[1:]}) has no content"
                        + (f" on page {page_number}" if page_number else ""), page_number))
                inside += 1
            elif role == "/TH" and not _has_scope(element):
                self.scope_missing.append(page_number or 0)
            children = resolve(element.get("/K"))
            raw = _raw(element, "/K")
            items = children if isinstance(children, list) else [raw] if raw is not None else []
            pending = []
            for item in items:
                mcid = _number(item)
                if mcid is not None and not hasattr(item, "idnum"):
                    self._own(page, mcid, None, number)
                    continue
                resolved = dictionary(item)
                if resolved is None:
                    continue
                kind = resolved.get("/Type")
                if kind == "/MCR":
                    mcid = _number(resolved.get("/MCID"))
                    if mcid is not None:
                        where = _raw(resolved, "/Pg", page)
                        stream = _raw(resolved, "/Stm")
                        self._own(where, mcid, stream, number)
                elif kind == "/OBJR":
                    continue
                else:
                    pending.append((item, page, depth + 1, inside))
            stack.extend(reversed(pending))
        if self.scope_missing:
            pages = sorted({p for p in self.scope_missing if p})
            count = len(self.scope_missing)
            self.problems.append(TagProblem(
                "table-scope",
                f"{count} table header cell{'s do' if count > 1 else ' does'} "
                "not say what it heads (/Scope Column or Row)"
                + (f" on {_pages_text(pages)}" if pages else ""), pages[0] if pages else None))

    def _own(self, page: object, mcid: int, stream: object, element: int | None) -> None:
        """Element ``element`` owns ``mcid`` of a content stream: a page's or a form's (the
        references ``page``, ``stream``)."""
        key = getattr(stream, "idnum", None) or getattr(page, "idnum", None)
        if key is not None and element is not None:
            self.owner[(key, mcid)] = element

    def _heading(self, level: int, role: str, page: int | None, nested: bool) -> None:
        where = f" on page {page}" if page else ""
        if nested:
            self.problems.append(TagProblem(
                "heading-nested", f"a heading ({role[1:]}) is inside another heading{where}",
                page))
        elif level > self.last_level + 1:
            before = f"after an H{self.last_level}" if self.last_level else "as the first heading"
            self.problems.append(TagProblem(
                "heading-skip",
                f"heading levels skip: an H{level} {before}{where} (no H{level - 1} between)",
                page))
        if not nested:
            self.last_level = level


def _has_content(element: DictionaryObject) -> bool:
    """Whether an element's subtree marks any content (an MCID or a marked-content
    reference), looked for among a bounded number of descendants."""
    stack, seen = [element], 0
    while stack and seen < 2_000:
        seen += 1
        node = resolve(stack.pop())
        if not isinstance(node, dict):
            continue
        if node.get("/Type") == "/MCR":
            return True
        kids = resolve(node.get("/K"))
        for kid in kids if isinstance(kids, list) else [kids]:
            if _number(kid) is not None and not hasattr(kid, "idnum"):
                return True
            if kid is not None:
                stack.append(kid)
    return False


def _has_scope(element: DictionaryObject) -> bool:
    attributes = resolve(element.get("/A"))
    items = attributes if isinstance(attributes, list) else [attributes]
    for item in items:
        item = resolve(item)
        if isinstance(item, dict) and item.get("/Scope") in ("/Row", "/Column", "/Both"):
            return True
    return False


# ---------------------------------------------------------------- content


def _scan_pages(reader: PdfReader) -> _Content:
    content = _Content()
    for number, page in enumerate(reader.pages, start=1):
        reference = page.indirect_reference
        key = reference.idnum if reference is not None else -number
        structural = _number(page.get("/StructParents"))
        if structural is not None:
            content.keys[key] = structural
        try:
            contents = page.get_contents()
            data = bytes(contents.get_data()) if contents is not None else b""
        except read_errors():
            continue  # a damaged stream is another check's finding
        resources = dictionary(page.get("/Resources"))
        _scan(data, resources, key, number, 0, content, set(), False)
    return content


def _scan(data: bytes, resources: DictionaryObject | dict[str, object] | None, key: int,
          page: int, depth: int, content: _Content, active: set[int], marked: bool) -> None:
    """Record the MCIDs of one stream (keyed ``key``) and what it draws outside marked
    content (``marked``: the stream is drawn inside a marked-content sequence)."""
    resources = resources if isinstance(resources, dict) else {}
    xobjects = resolve(resources.get("/XObject"))
    xobjects = xobjects if isinstance(xobjects, dict) else {}
    level = 0
    for operands, operator in interpreted(data):
        if operator in (b"BDC", b"BMC"):
            level += 1
            properties = operands[-1] if operator == b"BDC" and operands else None
            if isinstance(properties, Name):
                named = resolve(resources.get("/Properties"))
                properties = resolve(named.get(properties)) if isinstance(named, dict) \
                    else None
            if isinstance(properties, dict):
                mcid = properties.get("/MCID", properties.get("MCID"))
                mcid = int(mcid) if isinstance(mcid, (int, float)) and \
                    not isinstance(mcid, bool) else None
                if mcid is not None:
                    content.mcids[(key, mcid)] = page
        elif operator == b"EMC":
            level = max(0, level - 1)
        elif operator == b"Do" or marked or level:
            pass
        elif operator in _TEXT:
            content.untagged.setdefault(page, []).append("text")
        elif operator in _PAINT:
            content.untagged.setdefault(page, []).append("paths")
        elif operator == b"BI":
            content.untagged.setdefault(page, []).append("an image")
        if operator == b"Do" and operands and isinstance(operands[0], Name):
            xobject = xobjects.raw_get(operands[0]) if hasattr(xobjects, "raw_get") and \
                operands[0] in xobjects else None
            form = resolve(xobject)
            if not isinstance(form, dict):
                continue
            if form.get("/Subtype") == "/Image":
                if not (marked or level):
                    content.untagged.setdefault(page, []).append("an image")
                continue
            number = getattr(xobject, "idnum", None)
            if form.get("/Subtype") != "/Form" or number is None or number in active \
                    or depth >= MAX_FORM_DEPTH:
                continue
            structural = _number(form.get("/StructParents"))
            if structural is not None:
                content.keys[number] = structural
            try:
                inner = bytes(_data(form))
            except read_errors():
                continue
            active.add(number)
            _scan(inner, dictionary(form.get("/Resources")) or resources,
                  number if structural is not None else key, page, depth + 1, content, active,
                  marked or level > 0)
            active.discard(number)


def _data(form: dict[str, object]) -> bytes:
    """A form's data (a dictionary without any raises AttributeError, one of read_errors)."""
    return bytes(cast("StreamObject", form).get_data())


def _parent_tree(tree: DictionaryObject) -> dict[int, Any]:
    """The /ParentTree's entries, values resolved (bounded)."""
    found: dict[int, Any] = {}
    stack = [(tree.get("/ParentTree"), 0)]
    while stack and len(found) < MAX_ELEMENTS:
        node, depth = stack.pop()
        node = resolve(node)
        if not isinstance(node, dict) or depth > 32:
            continue
        nums = resolve(node.get("/Nums"))
        if isinstance(nums, list):
            for index in range(0, len(nums) - 1, 2):
                key = _number(nums[index])
                if key is not None:
                    found[key] = nums[index + 1]
        for kid in resolve(node.get("/Kids")) or ():
            stack.append((kid, depth + 1))
    return found


def _marked_content(walk: _TreeWalk, content: _Content, tree: DictionaryObject,
                    pages: dict[int, int]) -> Iterator[TagProblem]:
    entries = _parent_tree(tree)
    orphans: dict[int, int] = {}
    broken: dict[int, int] = {}
    for (stream, mcid), page in sorted(content.mcids.items(), key=lambda item: item[1]):
        owner = walk.owner.get((stream, mcid))
        key = content.keys.get(stream)
        value = resolve(entries.get(key)) if key is not None else None
        listed = value[mcid] if isinstance(value, list) and 0 <= mcid < len(value) else None
        target = getattr(listed, "idnum", None)
        if owner is None:
            if target is not None and target not in walk.reached:
                orphans[page] = orphans.get(page, 0) + 1
            else:
                broken[page] = broken.get(page, 0) + 1
        elif target != owner:
            broken[page] = broken.get(page, 0) + 1
    if orphans:
        count = sum(orphans.values())
        yield TagProblem(
            "tag-orphan",
            f"{count} piece{'s' if count > 1 else ''} of marked content on "
            f"{_pages_text(sorted(orphans))} belong{'' if count > 1 else 's'} to elements that "
            "only the ParentTree reaches, not the structure root (running heads?): neither "
            "read nor an artifact; mark them /Artifact", min(orphans))
    dangling = [key for key in walk.owner if key not in content.mcids]
    if broken or dangling:
        count = sum(broken.values()) + len(dangling)
        where = f" on {_pages_text(sorted(broken))}" if broken else ""
        yield TagProblem(
            "tag-parent-tree",
            f"the ParentTree and the structure tree disagree about {count} piece"
            f"{'s' if count > 1 else ''} of marked content{where} (a missing or wrong entry, "
            "or an element pointing at content that is not there)",
            min(broken) if broken else None)


def _text_layer(reader: PdfReader) -> Iterator[TagProblem]:
    """Lines whose extracted text is not what they say: a hyphenation hyphen (U+2010) with no
    soft-hyphen ActualText over it ("Min-" and "istry" stay two words), letter-spaced lines
    without their ActualText ("B A K U")."""
    from vigil.assemble.accessible import FontText, page_fonts, text_layer

    memo: dict[int, FontText] = {}
    hyphens: dict[int, int] = {}
    spaced: dict[int, int] = {}
    for number, page in enumerate(reader.pages, start=1):
        fonts = page_fonts(page, memo)
        if not any(font.chars for font in fonts.values()):
            continue
        try:
            contents = page.get_contents()
            data = bytes(contents.get_data()) if contents is not None else b""
        except read_errors():
            continue
        _, cut, wide = text_layer(data, fonts)
        if cut:
            hyphens[number] = cut
        if wide:
            spaced[number] = wide
    if hyphens:
        total = sum(hyphens.values())
        yield TagProblem(
            "text-hyphen",
            f"{total} line{'s end' if total > 1 else ' ends'} with a hyphenation hyphen "
            f"(U+2010) on {_pages_text(sorted(hyphens))} that text extraction keeps: copied or "
            "searched, the word stays cut in two (give it /ActualText, a soft hyphen)",
            min(hyphens))
    if spaced:
        total = sum(spaced.values())
        yield TagProblem(
            "text-spacing",
            f"{total} letter-spaced line{'s' if total > 1 else ''} on "
            f"{_pages_text(sorted(spaced))} without /ActualText: text extraction reads the "
            "gaps between letters as spaces (\"B A K U\")", min(spaced))


def _links(reader: PdfReader, pages: dict[int, int]) -> Iterator[TagProblem]:
    """Link annotations have a description that says more than an anchor's name."""
    try:
        names = {str(name) for name in reader.named_destinations}
    except read_errors():
        names = set()
    bare: list[int] = []
    for number, page in enumerate(reader.pages, start=1):
        for reference in resolve(page.get("/Annots")) or ():
            annotation = resolve(reference)
            if not isinstance(annotation, dict) or annotation.get("/Subtype") != "/Link":
                continue
            text = str(resolve(annotation.get("/Contents")) or "").strip()
            destination = resolve(annotation.get("/Dest"))
            anchor = str(destination) if isinstance(destination, str) else None
            if not text or text in names or text == anchor:
                bare.append(number)
    if bare:
        pages_with = sorted(set(bare))
        yield TagProblem(
            "link-description",
            f"{len(bare)} link{'s have' if len(bare) > 1 else ' has'} no description "
            f"(/Contents) but the name of an anchor or nothing, on {_pages_text(pages_with)}: "
            "a screen reader announces it as it is", pages_with[0])
