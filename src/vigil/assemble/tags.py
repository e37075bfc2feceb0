"""Merge the structure trees (tags) of PDF parts joined into one pypdf writer.

Takes a :class:`pypdf.PdfWriter` holding the pages of several PDFs (chunks of one publication,
each written by WeasyPrint with ``pdf_tags=True``), the parts in order as ``(reader, pages)`` --
the reader of each part and the writer's pages cloned from ``reader.pages``, in the same order,
as ``writer.add_page`` gives them -- and optionally horizontal shifts of some writer pages
(``{page index: dx}`` in PDF units, for pages whose drawing someone else moves by ``dx``).

Gives the writer one structure tree, as a whole-document WeasyPrint build has it: one
``/StructTreeRoot`` with one ``/Document`` element whose kids are the parts' ``/Document`` kids
in order, every element's ``/Pg`` (and every marked-content and object reference's ``/Pg``
and ``/Obj``) on the writer's own pages and annotations, the pages' ``/StructParents`` and the
annotations' ``/StructParent`` offset by the keys the parts before used, one ``/ParentTree``
(with ``/ParentTreeNextKey``), the parts' ``/RoleMap``, ``/ClassMap``, ``/IDTree`` and PDF 2.0
``/Namespaces`` merged, and ``/MarkInfo << /Marked true >>`` in the catalog.

Details:

- The mapping from a part's objects to the writer's is explicit (reader page ``i`` is
  ``pages[i]``; annotations pair up in ``/Annots`` order), not pypdf's per-reader translation
  table, so the same reader may be given twice (two copies of a part get two sets of elements).
- Elements only the ``/ParentTree`` reaches (WeasyPrint tags the content of page-margin boxes --
  running titles, page numbers -- but leaves their elements out of the tree) are cloned too,
  with the same parents: the merged tree is the whole document's. The assemble stage then
  makes their content pagination artifacts and drops them (:mod:`vigil.assemble.accessible`).
- Element identifiers (``/ID``; WeasyPrint names table headers after PDF object numbers, so two
  parts can use the same one) are made unique: a later part's colliding identifier becomes
  ``ID.N`` (part ``N``), in its ``/ID``, its cells' ``/Headers`` and the ``/IDTree``.
- When the writer's catalog has a ``/Lang`` and a part's catalog another one, the part's
  top-level elements get the part's ``/Lang`` (a Russian section keeps its language).
- A part without a structure tree (an untagged PDF) adds no elements and no keys; its pages and
  annotations lose any ``/StructParents`` or ``/StructParent``. When no part is tagged the
  writer is left untagged.
- The same input gives the same objects in the same order (no sets or ids decide an order).

Heavy imports (pypdf) are inside the functions.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from vigil.pdf._compat import add_object, clone_table
from vigil.pdf.objects import resolve

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

MAX_TREE_DEPTH = 64  # number and name trees: /Kids nesting (WeasyPrint writes one level)


def merge_structure(writer: PdfWriter, parts: Sequence[tuple[PdfReader, Sequence[PageObject]]],
                    shifts: Mapping[int, float] | None = None) -> None:
    """Give ``writer`` one structure tree made of the trees of ``parts``, in order.

    ``parts`` is a sequence of ``(reader, pages)``: a :class:`pypdf.PdfReader` and the writer's
    pages cloned from its pages, one for each of ``reader.pages`` in order. ``shifts`` maps a
    writer page index to a horizontal offset in PDF units: the x coordinates of the ``/BBox``
    attributes of the elements on that page move by it. Raises :class:`ValueError` when a
    part's pages do not match its reader's.
    """
    merger = _Merger(writer, shifts or {})
    for number, (reader, pages) in enumerate(parts):
        merger.add(number, reader, pages)
    merger.finish()


def _tree(node: object, entries: str, depth: int = 0) -> list[tuple[object, object]]:
    """The ``(key, value)`` pairs of a number tree (``entries`` ``/Nums``) or a name tree
    (``/Names``), keys resolved, values not."""
    node = resolve(node)
    pairs: list[tuple[object, object]] = []
    if not isinstance(node, dict) or depth > MAX_TREE_DEPTH:
        return pairs
    flat = resolve(node.get(entries))
    if isinstance(flat, list):
        pairs += [(resolve(flat[i]), flat[i + 1]) for i in range(0, len(flat) - 1, 2)]
    for kid in resolve(node.get("/Kids")) or ():
        pairs.extend(_tree(kid, entries, depth + 1))
    return pairs


def _number_tree(node: object) -> list[tuple[int, object]]:
    """The ``(key, value)`` pairs of a number tree, values unresolved."""
    return [(int(key), value) for key, value in _tree(node, "/Nums")
            if isinstance(key, int) and not isinstance(key, bool)]


def _name_tree(node: object) -> list[tuple[str, object]]:
    """The ``(name, value)`` pairs of a name tree, values unresolved."""
    return [(str(key), value) for key, value in _tree(node, "/Names")]


def _offset_key(source: Mapping[str, object], target: MutableMapping[str, object], name: str,
                offset: int, used: list[int]) -> None:
    """Give ``target`` the ParentTree key ``name`` of ``source`` moved by ``offset`` (and note
    the key in ``used``); without a key in ``source``, ``target`` has none either."""
    from pypdf.generic import NameObject, NumberObject

    key = resolve(source.get(name))
    if isinstance(key, int) and not isinstance(key, bool):
        target[NameObject(name)] = NumberObject(key + offset)
        used.append(key)
    else:
        target.pop(NameObject(name), None)


def _max_int(values: Sequence[object]) -> int:
    numbers = [int(v) for v in values if isinstance(v, int) and not isinstance(v, bool)]
    return max(numbers, default=-1)


class _Merger:
    """The merged tree under construction, and the state of the part being added."""

    def __init__(self, writer: PdfWriter, shifts: Mapping[int, float]) -> None:
        from pypdf import generic

        self.g = generic
        # Direct values of these types are immutable: shared, not cloned.
        self.scalars = frozenset((
            generic.BooleanObject, generic.ByteStringObject, generic.FloatObject,
            generic.NameObject, generic.NullObject, generic.NumberObject,
            generic.TextStringObject,
        ))
        self.writer = writer
        self.shifts = {int(k): float(v) for k, v in shifts.items() if v}
        self.page_index: dict[int, int] = {}
        if self.shifts:
            self.page_index = {page.indirect_reference.idnum: index
                               for index, page in enumerate(writer.pages)
                               if page.indirect_reference is not None}
        # Any: None until the first tagged part, then DictionaryObjects for good (an Optional
        # would need a check at every use); the values read from a part are ``resolve``'s, and
        # the classes of ``self.g`` read as Any (mypy types a module in an attribute as
        # ``ModuleType``), so the methods that return them return Any.
        self.document: Any = None     # the new /Document element (a DictionaryObject)
        self.tree: Any = None         # the new /StructTreeRoot
        self.kids: list[PdfObject] = []     # the /Document element's /K
        self.nums: list[tuple[int, PdfObject]] = []
        self.next_key = 0
        self.role_map: dict[str, PdfObject] = {}
        self.class_map: dict[str, PdfObject] = {}
        self.ids: dict[str, IndirectObject] = {}  # the merged /IDTree
        self.used_ids: set[str] = set()         # identifiers of the parts before this one
        self.namespaces: dict[str, PdfObject] = {}  # namespace URI -> the writer's namespace
        # The part being added:
        self.part = 0
        self.pages: dict[int, IndirectObject] = {}  # reader page idnum -> writer page reference
        self.annotations: dict[int, IndirectObject] = {}  # reader annotation -> writer's
        self.tops: set[int] = set()             # its root and /Document: parent is ours
        self.memo: dict[int, IndirectObject] = {}  # reader element idnum -> writer reference
        # (source, destination, inherited /Pg)
        self.queue: list[tuple[Any, DictionaryObject, PdfObject | None]] = []
        self.made: list[DictionaryObject] = []  # this part's new elements
        self.renamed: dict[str, str] = {}
        self.ns_map: dict[int, PdfObject] = {}
        self.ids_here: set[str] = set()

    # ------------------------------------------------------------ parts

    def add(self, number: int, reader: PdfReader, pages: Sequence[PageObject]) -> None:
        g = self.g
        pages = list(pages)
        reader_pages = list(reader.pages)
        if len(pages) != len(reader_pages):
            raise ValueError(f"part {number} gives {len(pages)} writer pages for the "
                             f"{len(reader_pages)} pages of its PDF")
        catalog = resolve(reader.trailer.get("/Root")) or {}
        source = resolve(catalog.get("/StructTreeRoot"))
        if not isinstance(source, dict):
            for page in pages:
                page.pop(g.NameObject("/StructParents"), None)
                for annotation in resolve(page.get("/Annots")) or ():
                    annotation = resolve(annotation)
                    if isinstance(annotation, dict):
                        annotation.pop(g.NameObject("/StructParent"), None)
            return
        if self.tree is None:
            self._start()
        offset = self.next_key
        self._reset(number)
        declared = resolve(source.get("/ParentTreeNextKey"))
        used: list[int] = [declared - 1] if isinstance(declared, int) else []

        for reader_page, page in zip(reader_pages, pages, strict=True):
            if reader_page.indirect_reference is not None and page.indirect_reference is not None:
                self.pages[reader_page.indirect_reference.idnum] = page.indirect_reference
            _offset_key(reader_page, page, "/StructParents", offset, used)
            theirs = list(resolve(reader_page.get("/Annots")) or [])
            ours = list(resolve(page.get("/Annots")) or [])
            if len(theirs) != len(ours):  # not cloned one for one: ask pypdf's clone table
                table = clone_table(self.writer, reader)
                found = [table.get(getattr(a, "idnum", None)) for a in theirs]
                ours = [g.IndirectObject(n, 0, self.writer) if isinstance(n, int) else None
                        for n in found]
            for original, annotation in zip(theirs, ours, strict=True):
                if hasattr(original, "idnum") and hasattr(annotation, "idnum"):
                    self.annotations[original.idnum] = annotation
                original, target = resolve(original), resolve(annotation)
                if not isinstance(target, dict) or not isinstance(original, dict):
                    continue
                _offset_key(original, target, "/StructParent", offset, used)

        entries = _number_tree(source.get("/ParentTree"))
        used.extend(key for key, _ in entries)
        self.next_key = offset + _max_int(used) + 1

        for reference in resolve(source.get("/Namespaces")) or ():
            self._namespace(reference)
        itself = getattr(source, "indirect_reference", None)
        if itself is not None:
            self.tops.add(itself.idnum)
        kids = resolve(source.get("/K"))
        kids = kids if isinstance(kids, list) else [kids] if kids is not None else []
        top: list[Any] = []
        for kid in kids:
            element = resolve(kid)
            if isinstance(element, dict) and element.get("/S") == "/Document" \
                    and hasattr(kid, "idnum"):
                self.tops.add(kid.idnum)
                if self.document.get("/NS") is None and element.get("/NS") is not None:
                    self.document[g.NameObject("/NS")] = self._namespace(element.get("/NS"))
                inner = resolve(element.get("/K"))
                inner = inner if isinstance(inner, list) else [inner] if inner is not None \
                    else []
                inherited = element.get("/Pg")
                top.extend(self._kid(item, inherited) for item in inner)
            else:
                top.append(self._kid(kid, None))
        top = [item for item in top if item is not None]
        self._drain()
        for key, value in entries:  # elements only the parent tree reaches, then the entries
            self.nums.append((key + offset, self._entry(value)))
        self._drain()
        self._language(catalog, top)
        self.kids.extend(top)
        self._identifiers(source)
        self._maps(source)

    def _start(self) -> None:
        g = self.g
        self.tree = g.DictionaryObject({g.NameObject("/Type"): g.NameObject("/StructTreeRoot")})
        add_object(self.writer, self.tree)
        self.document = g.DictionaryObject({
            g.NameObject("/Type"): g.NameObject("/StructElem"),
            g.NameObject("/S"): g.NameObject("/Document"),
            g.NameObject("/K"): g.ArrayObject(),
            g.NameObject("/P"): self.tree.indirect_reference,
        })
        add_object(self.writer, self.document)

    def _reset(self, number: int) -> None:
        self.part = number
        self.pages, self.annotations, self.memo, self.ns_map = {}, {}, {}, {}
        self.tops, self.made, self.queue = set(), [], []
        self.renamed, self.ids_here = {}, set()

    # ------------------------------------------------------------ elements (the hot path)

    def _element(self, reference: PdfObject, page: PdfObject | None) -> IndirectObject:
        """The writer's reference for the reader's element ``reference``, made on first use
        (filled later, by :meth:`_drain`)."""
        number = getattr(reference, "idnum", None)
        if number is not None:
            known = self.memo.get(number)
            if known is not None:
                return known
        target = self.g.DictionaryObject()
        new = add_object(self.writer, target)
        if number is not None:
            self.memo[number] = new
        self.queue.append((resolve(reference), target, page))
        self.made.append(target)
        return new

    def _drain(self) -> None:
        queue, index = self.queue, 0
        while index < len(queue):  # grows while elements are filled
            self._fill(*queue[index])
            index += 1
        queue.clear()

    def _fill(self, source: Any, target: DictionaryObject, inherited: PdfObject | None) -> None:
        scalars, writer = self.scalars, self.writer
        put = dict.__setitem__  # keys and values are PDF objects: skip pypdf's checks
        page = source.get("/Pg", inherited)
        for key, value in source.items():
            if key == "/K":
                kids = self._kids(value, page)
                if kids is not None:
                    put(target, key, kids)
            elif key == "/P":
                parent = self._parent(value)
                if parent is not None:
                    put(target, key, parent)
            elif key == "/Pg":
                mapped = self._page(value)
                if mapped is not None:
                    put(target, key, mapped)
            elif type(value) in scalars and key != "/ID":
                put(target, key, value)
            elif key == "/A":
                put(target, key, self._attributes(value, page))
            elif key == "/ID":
                put(target, key, self._identifier(value))
            elif key == "/NS":
                put(target, key, self._namespace(value))
            elif key == "/Ref":
                put(target, key, self._references(value, page))
            else:
                put(target, key, value.clone(writer))

    def _parent(self, value: PdfObject) -> Any:
        number = getattr(value, "idnum", None)
        if number is None:
            return None
        if number in self.tops:
            return self.document.indirect_reference
        return self.memo.get(number) or self._element(value, None)

    def _page(self, value: PdfObject | None) -> IndirectObject | None:
        number = getattr(value, "idnum", None)
        return self.pages.get(number) if number is not None else None

    def _kids(self, value: PdfObject, page: PdfObject | None) -> Any:
        g = self.g
        items = value if type(value) is g.ArrayObject else resolve(value)
        if isinstance(items, list):
            kids = g.ArrayObject()
            for item in items:
                kid = self._kid(item, page)
                if kid is not None:
                    kids.append(kid)
            return kids
        return self._kid(value, page)

    def _kid(self, value: Any, page: PdfObject | None) -> Any:
        """One item of a /K: a marked-content identifier, a marked-content or object reference,
        or an element."""
        g = self.g
        kind = type(value)
        if kind is g.NumberObject:
            return value
        if kind is g.IndirectObject:
            known = self.memo.get(value.idnum)
            if known is not None:
                return known
            item = value.get_object()
        else:
            item = resolve(value)
        if isinstance(item, int) and not isinstance(item, bool):
            return g.NumberObject(item)
        if not isinstance(item, dict):
            return None
        if item.get("/Type") not in ("/MCR", "/OBJR"):
            return self._element(value, page)
        copy = g.DictionaryObject()
        for key, part in item.items():
            if key == "/Pg":
                mapped = self._page(part)
                if mapped is not None:
                    copy[key] = mapped
            elif key == "/Obj" and getattr(part, "idnum", None) in self.annotations:
                copy[key] = self.annotations[part.idnum]
            else:
                copy[key] = part.clone(self.writer)
        return add_object(self.writer, copy) if kind is g.IndirectObject else copy

    def _references(self, value: PdfObject, page: PdfObject | None) -> ArrayObject:
        items = resolve(value)
        items = items if isinstance(items, list) else [items]
        return self.g.ArrayObject(self._element(item, page) for item in items
                                  if hasattr(item, "idnum"))

    def _entry(self, value: Any) -> Any:
        """A parent-tree value: an element, or an array of elements (null where none)."""
        g = self.g
        if hasattr(value, "idnum") and not isinstance(resolve(value), list):
            return self._element(value, None)
        items = resolve(value)
        if not isinstance(items, list):
            return g.NullObject()
        return g.ArrayObject(self._element(item, None) if hasattr(item, "idnum")
                             and isinstance(resolve(item), dict) else g.NullObject()
                             for item in items)

    def _attributes(self, value: PdfObject, page: PdfObject | None) -> Any:
        """The element's /A; a /BBox on a shifted page moves by dx."""
        g = self.g
        dx = 0.0
        if self.shifts and page is not None:
            mapped = self._page(page)
            if mapped is not None:
                dx = self.shifts.get(self.page_index.get(mapped.idnum, -1), 0.0)
        if not dx:
            return value.clone(self.writer)

        def moved(attribute: PdfObject) -> Any:
            resolved = resolve(attribute)
            box = resolve(resolved.get("/BBox")) if isinstance(resolved, dict) else None
            if not isinstance(box, list) or len(box) != 4:
                return attribute.clone(self.writer)
            copy = g.DictionaryObject({k: v.clone(self.writer) for k, v in resolved.items()})
            copy[g.NameObject("/BBox")] = g.ArrayObject(
                g.FloatObject(round(float(resolve(v)) + (dx if i % 2 == 0 else 0.0), 6))
                for i, v in enumerate(box))
            return copy

        items = resolve(value)
        if isinstance(items, list):
            return g.ArrayObject(moved(item) for item in items)
        return moved(value)

    def _identifier(self, value: PdfObject) -> Any:
        g = self.g
        text = str(resolve(value))
        name = self.renamed.get(text, text)
        if text not in self.renamed:
            suffix = 0
            while name in self.used_ids:
                suffix += 1
                name = f"{text}.{self.part}" if suffix == 1 else f"{text}.{self.part}.{suffix}"
            if name != text:
                self.renamed[text] = name
        self.ids_here.add(name)
        if name == text:
            return value.clone(self.writer)
        if isinstance(resolve(value), g.ByteStringObject):
            return g.ByteStringObject(name.encode("latin-1", "replace"))
        return g.TextStringObject(name)

    # ------------------------------------------------------------ the rest of the part

    def _namespace(self, value: Any) -> PdfObject:
        number = getattr(value, "idnum", None)
        if number is not None and number in self.ns_map:
            return self.ns_map[number]
        namespace = resolve(value)
        uri = str(resolve(namespace.get("/NS"))) if isinstance(namespace, dict) else ""
        if uri not in self.namespaces:
            self.namespaces[uri] = value.clone(self.writer)
        if number is not None:
            self.ns_map[number] = self.namespaces[uri]
        return self.namespaces[uri]

    def _language(self, catalog: Mapping[str, object], top: list[PdfObject | None]) -> None:
        g = self.g
        ours = resolve(self.writer.root_object.get("/Lang"))
        theirs = resolve(catalog.get("/Lang"))
        if not ours or not theirs or str(ours) == str(theirs):
            return
        for item in top:
            element = resolve(item)
            if hasattr(item, "idnum") and isinstance(element, dict) \
                    and element.get("/Type") not in ("/MCR", "/OBJR") \
                    and "/Lang" not in element:
                element[g.NameObject("/Lang")] = g.TextStringObject(str(theirs))

    def _identifiers(self, source: Mapping[str, object]) -> None:
        """The /IDTree entries, and /Headers that name renamed identifiers."""
        g = self.g
        if self.renamed:
            for element in self.made:
                for attribute in _dictionaries(element.get("/A")):
                    headers = resolve(attribute.get("/Headers"))
                    if isinstance(headers, list) and any(
                            str(resolve(h)) in self.renamed for h in headers):
                        attribute[g.NameObject("/Headers")] = g.ArrayObject(
                            g.TextStringObject(self.renamed[str(resolve(h))])
                            if str(resolve(h)) in self.renamed else h for h in headers)
        for name, reference in _name_tree(source.get("/IDTree")):
            if hasattr(reference, "idnum") and reference.idnum in self.memo:
                self.ids.setdefault(self.renamed.get(name, name), self.memo[reference.idnum])
        self.used_ids |= self.ids_here

    def _maps(self, source: Mapping[str, object]) -> None:
        for key, merged in (("/RoleMap", self.role_map), ("/ClassMap", self.class_map)):
            mapping = resolve(source.get(key))
            if isinstance(mapping, dict):
                for name, value in mapping.items():
                    if name not in merged:
                        merged[name] = value.clone(self.writer)

    # ------------------------------------------------------------ the tree

    def finish(self) -> None:
        g = self.g
        if self.tree is None:
            return
        self.document[g.NameObject("/K")] = g.ArrayObject(self.kids)
        nums = g.ArrayObject()
        for number, value in sorted(self.nums, key=lambda entry: entry[0]):
            nums.extend((g.NumberObject(number), value))
        parent_tree = g.DictionaryObject({g.NameObject("/Nums"): nums})
        self.tree[g.NameObject("/ParentTree")] = add_object(self.writer, parent_tree)
        self.tree[g.NameObject("/K")] = g.ArrayObject([self.document.indirect_reference])
        if self.namespaces:
            self.tree[g.NameObject("/Namespaces")] = g.ArrayObject(self.namespaces.values())
        self.tree[g.NameObject("/ParentTreeNextKey")] = g.NumberObject(self.next_key)
        for key, mapping in (("/RoleMap", self.role_map), ("/ClassMap", self.class_map)):
            if mapping:
                self.tree[g.NameObject(key)] = g.DictionaryObject(
                    {g.NameObject(name): value for name, value in mapping.items()})
        if self.ids:
            names = g.ArrayObject()
            for name in sorted(self.ids):
                names.extend((g.TextStringObject(name), self.ids[name]))
            self.tree[g.NameObject("/IDTree")] = g.DictionaryObject(
                {g.NameObject("/Names"): names})
        catalog = self.writer.root_object
        catalog[g.NameObject("/StructTreeRoot")] = self.tree.indirect_reference
        mark = resolve(catalog.get("/MarkInfo"))
        if not isinstance(mark, dict):
            mark = g.DictionaryObject()
            catalog[g.NameObject("/MarkInfo")] = mark
        mark[g.NameObject("/Marked")] = g.BooleanObject(True)


def _dictionaries(value: object) -> list[dict[str, Any]]:
    """The attribute dictionaries of an /A (one, or an array with revision numbers)."""
    items = resolve(value)
    items = items if isinstance(items, list) else [items]
    found = [resolve(item) for item in items]
    return [item for item in found if isinstance(item, dict)]
