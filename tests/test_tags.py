"""vigil.assemble.tags: the structure trees of chunk PDFs joined with pypdf become one tree,
the same as a whole-document WeasyPrint render's.

Each test renders a few small HTML documents with WeasyPrint (``pdf_tags=True``), joins their
pages with pypdf as the section typesetting does, merges the trees, writes and reads the result
again, and compares it with one render of the concatenated HTML.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject

from vigil.assemble.tags import merge_structure
from vigil.check import check_pdf, expectations_for

STYLE = """
@page { size: A6; margin: 12mm; %(margin)s }
body { font-family: serif; font-size: 10pt }
h1 { break-before: page; font-size: 14pt }
img { display: block; width: 60px; height: 40px }
"""

PARTS = [
    """<h1 id="contents">Contents</h1>
<p>See <a href="#second">the second part</a> and <a href="https://example.org/">the museum's
site</a>.</p>
<ul><li>First item</li><li>Second item, a little longer</li></ul>""",
    """<h1 id="second">Second part</h1>
<p>Text with a <a href="#contents">link back</a> and an image.</p>
<img src="red.png" alt="A red rectangle">
<table><thead><tr><th>Year</th><th>Event</th></tr></thead>
<tbody><tr><td>1992</td><td>Remembrance</td></tr><tr><td>2025</td><td>Exhibition</td></tr></tbody>
</table>""",
    """<h1 id="third">Third part</h1>
<h2>A subsection</h2>
""" + "\n".join(f"<p>Paragraph {n}: the words of a longer text that needs more than one line "
                f"on these small pages, so that the part goes on over a second page.</p>"
                for n in range(1, 9)) + """
<ol><li>One</li><li>Two</li></ol>
<p>Back to <a href="#contents">the contents</a>.</p>""",
]


def html(bodies: list[str], margin: str = "", lang: str = "en") -> str:
    return (f'<html lang="{lang}"><head><meta charset="utf-8"><title>Tags test</title>'
            f'<meta name="author" content="vigil tests">'
            f"<style>{STYLE % {'margin': margin}}</style></head>"
            f"<body>{''.join(bodies)}</body></html>")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tags")
    Image.new("RGB", (240, 160), (200, 30, 30)).save(path / "red.png")
    return path


_RENDERS: dict[tuple[Any, ...], bytes] = {}
ANCHOR = "vigil-anchor:"  # a link to another chunk's anchor, as vigil.typeset.chunks writes it


def chunk(body: str) -> str:
    """A part as a chunk: links to anchors of other parts become URIs, relinked after the join."""
    own = set(re.findall(r'\sid="([^"]*)"', body))
    return re.sub(r'href="#([^"]*)"', lambda m: f'href="#{m[1]}"' if m[1] in own
                  else f'href="{ANCHOR}{m[1]}"', body)


def render(folder: Path, bodies: list[str], variant: str | None = None, tags: bool = True,
           margin: str = "", lang: str = "en", version: str | None = None) -> bytes:
    """A render of the bodies; of one body, as a chunk. Renders are kept for the session."""
    from weasyprint import HTML

    key = (folder, tuple(bodies), variant, tags, margin, lang, version)
    if key in _RENDERS:
        return _RENDERS[key]
    if len(bodies) == 1:
        bodies = [chunk(bodies[0])]
    options: dict[str, Any] = {"pdf_variant": variant} if variant else {}
    document = HTML(string=html(bodies, margin, lang),
                    base_url=str(folder) + "/").render(**options)
    if version:
        options["pdf_version"] = version
    pdf: bytes = document.write_pdf(pdf_tags=tags, pdf_identifier=b"vigil-tags-test", **options)
    _RENDERS[key] = pdf
    return pdf


def join(chunks: list[bytes], shifts: dict[int, float] | None = None,
         merge: bool = True) -> tuple[PdfWriter, list[tuple[PdfReader, list[Any]]]]:
    """Join the chunks as the section typesetting does; named destinations, language and
    metadata as the rest of the join copies them; then merge the trees."""
    writer = PdfWriter()
    parts: list[tuple[PdfReader, list[Any]]] = []
    for pdf_bytes in chunks:
        reader = PdfReader(io.BytesIO(pdf_bytes))
        pages = [writer.add_page(page) for page in reader.pages]
        parts.append((reader, pages))
    for _, pages in parts:
        for page in pages:
            for reference in page.get("/Annots") or []:
                annotation = reference.get_object()
                uri = str((annotation.get("/A") or {}).get("/URI", ""))
                if uri.startswith(ANCHOR):
                    del annotation["/A"]
                    annotation[NameObject("/Dest")] = pdf_string(uri[len(ANCHOR):])
                    annotation[NameObject("/Contents")] = pdf_string(uri[len(ANCHOR):])
    names: dict[str, Any] = {}
    for reader, pages in parts:
        where = {page.indirect_reference.idnum: ours.indirect_reference
                 for page, ours in zip(reader.pages, pages, strict=True)}
        dests = reader.trailer["/Root"].get("/Names", {}).get("/Dests", {}).get("/Names", [])
        for index in range(0, len(dests), 2):
            target = dests[index + 1].get_object()
            names[str(dests[index])] = ArrayObject(
                [where[target[0].idnum], *(value.clone(writer) for value in target[1:])])
    flat = ArrayObject()
    for name in sorted(names):
        flat.extend((pdf_string(name), names[name]))
    root = writer.root_object
    root[NameObject("/Names")] = DictionaryObject(
        {NameObject("/Dests"): DictionaryObject({NameObject("/Names"): flat})})
    first = parts[0][0].trailer["/Root"]
    for key in ("/Lang", "/ViewerPreferences", "/Metadata"):
        if key in first:
            root[NameObject(key)] = first.raw_get(key).clone(writer)
    writer.add_metadata({k: v for k, v in (parts[0][0].metadata or {}).items()})
    if merge:
        merge_structure(writer, parts, shifts)
    return writer, parts


def pdf_string(text: str) -> Any:
    from pypdf.generic import TextStringObject

    return TextStringObject(text)


def written(writer: PdfWriter) -> bytes:
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


# ---------------------------------------------------------------- reading a tagged PDF


def _kids(element: Any) -> list[Any]:
    kids = element.get("/K")
    if kids is None:
        return []
    kids = kids.get_object() if hasattr(kids, "get_object") else kids
    return list(kids) if isinstance(kids, list) else [element.raw_get("/K")]


def marked_texts(page: Any) -> dict[int, str]:
    """MCID -> the text drawn in that marked content (forms included), whitespace collapsed."""
    texts: dict[int, str] = {}
    stack: list[int | None] = []

    def before(operator: bytes, operands: Any, cm: Any, tm: Any) -> None:
        if operator == b"BDC":
            properties = operands[1] if len(operands) > 1 else None
            mcid = properties.get("/MCID") if hasattr(properties, "get") else None
            stack.append(mcid)
            if mcid is not None:
                texts.setdefault(int(mcid), "")
        elif operator == b"BMC":
            stack.append(None)
        elif operator == b"EMC" and stack:
            stack.pop()

    def text(value: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        current = next((m for m in reversed(stack) if m is not None), None)
        if current is not None:
            texts[current] += value

    page.extract_text(visitor_operand_before=before, visitor_text=text)
    return {mcid: " ".join(value.split()) for mcid, value in texts.items()}


def content_mcids(reader: PdfReader, page: Any) -> Counter[int]:
    """Every MCID in the page's content stream and the form XObjects it draws."""
    from pypdf.generic import ContentStream

    found: Counter[int] = Counter()

    def scan(contents: Any, resources: Any, depth: int) -> None:
        stream = ContentStream(contents, reader)
        xobjects = (resources or {}).get("/XObject") or {}
        for operands, operator in stream.operations:
            if operator == b"BDC" and hasattr(operands[1], "get") and "/MCID" in operands[1]:
                found[int(operands[1]["/MCID"])] += 1
            elif operator == b"Do" and depth < 10:
                form = xobjects.get(operands[0])
                form = form.get_object() if form is not None else None
                if form is not None and form.get("/Subtype") == "/Form":
                    scan(form, form.get("/Resources") or resources, depth + 1)

    contents = page.get_contents()
    if contents is not None:
        scan(contents, page.get("/Resources"), 0)
    return found


class Tree:
    """A tagged PDF's tree read back: elements in order with their roles and texts."""

    def __init__(self, pdf: bytes) -> None:
        self.reader = PdfReader(io.BytesIO(pdf))
        self.catalog = self.reader.trailer["/Root"]
        self.root = self.catalog["/StructTreeRoot"]
        self.page_of = {page.indirect_reference.idnum: index
                        for index, page in enumerate(self.reader.pages)}
        self.texts = [marked_texts(page) for page in self.reader.pages]
        self.walked: list[tuple[int | None, str, str]] = []  # (page, role, text)
        self.references: Counter[tuple[int, int]] = Counter()  # (page, mcid) from the tree
        self.owner: dict[tuple[int, int], int] = {}           # (page, mcid) -> element idnum
        self.elements: dict[int, Any] = {}
        for kid in _kids(self.root):
            self._visit(kid, None)

    def _visit(self, reference: Any, page: int | None) -> None:
        element = reference.get_object()
        self.elements[reference.idnum] = element
        if "/Pg" in element:
            page = self.page_of[element.raw_get("/Pg").idnum]
        own: list[str] = []
        children = []
        for kid in _kids(element):
            item = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(item, int):
                assert page is not None
                own.append(self.texts[page].get(int(item), ""))
                self.references[(page, int(item))] += 1
                self.owner[(page, int(item))] = reference.idnum
            elif item.get("/Type") == "/MCR":
                on = self.page_of[item.raw_get("/Pg").idnum] if "/Pg" in item else page
                assert on is not None
                own.append(self.texts[on].get(int(item["/MCID"]), ""))
                self.references[(on, int(item["/MCID"]))] += 1
                self.owner[(on, int(item["/MCID"]))] = reference.idnum
            elif item.get("/Type") != "/OBJR":
                children.append(kid)
        self.walked.append((page, str(element["/S"]), " ".join(own)))
        for kid in children:
            self._visit(kid, page)

    def by_page(self) -> dict[int | None, list[tuple[str, str]]]:
        pages: dict[int | None, list[tuple[str, str]]] = {}
        for page, role, text in self.walked:
            pages.setdefault(page, []).append((role, text))
        return pages

    def parent_tree(self) -> dict[int, Any]:
        entries: dict[int, Any] = {}

        def collect(node: Any) -> None:
            node = node.get_object()
            nums = node.get("/Nums") or []
            for index in range(0, len(nums), 2):
                assert int(nums[index]) not in entries, f"key {nums[index]} twice"
                entries[int(nums[index])] = nums[index + 1]
            for kid in node.get("/Kids") or []:
                collect(kid)

        collect(self.root["/ParentTree"])
        return entries

    def mapped(self) -> dict[int, list[tuple[str, str]]]:
        """Page -> (role, text) of each MCID's element by the parent tree, in MCID order."""
        tree = self.parent_tree()
        result: dict[int, list[tuple[str, str]]] = {}
        for index, page in enumerate(self.reader.pages):
            if "/StructParents" not in page:
                continue
            entry = tree[int(page["/StructParents"])].get_object()
            result[index] = [(str(e.get_object()["/S"]), self.texts[index].get(mcid, ""))
                             for mcid, e in enumerate(entry)]
        return result


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("variant", [None, "pdf/ua-1"])
def test_joined_tree_is_the_whole_documents_tree(folder: Path, variant: str | None) -> None:
    chunks = [render(folder, [body], variant) for body in PARTS]
    writer, _ = join(chunks)
    pdf = written(writer)
    joined = Tree(pdf)
    whole = Tree(render(folder, PARTS, variant))

    assert len(joined.reader.pages) == len(whole.reader.pages) == 4
    # One root, one Document element, whose kids are the parts' Document kids in order.
    assert len(_kids(joined.root)) == 1
    document = _kids(joined.root)[0].get_object()
    assert document["/S"] == "/Document"
    assert document.raw_get("/P").idnum == joined.catalog.raw_get("/StructTreeRoot").idnum
    expected_kids = sum(len(_kids(PdfReader(io.BytesIO(c)).trailer["/Root"]["/StructTreeRoot"]
                                  ["/K"][0].get_object())) for c in chunks)
    assert len(_kids(document)) == expected_kids
    for kid in _kids(document):
        assert kid.get_object().raw_get("/P").idnum == _kids(joined.root)[0].idnum
    # The same roles with the same texts, page by page, as a whole-document render.
    assert joined.walked[0] == whole.walked[0] == (None, "/Document", "")
    pages_joined, pages_whole = joined.by_page(), whole.by_page()
    assert sorted(pages_joined, key=str) == sorted(pages_whole, key=str)
    for page in pages_whole:
        assert pages_joined[page] == pages_whole[page], f"page {page}"
    assert joined.walked == whole.walked
    assert any(role == "/Table" for _, role, _ in joined.walked)
    assert pages_joined[1][:2] == [("/H1", ""), ("/Span", "Second part")]
    # Every element's /Pg is a page of the joined file; parents point up.
    for number, element in joined.elements.items():
        if "/Pg" in element:
            assert element.raw_get("/Pg").idnum in joined.page_of
        parent = element["/P"].get_object()
        assert parent["/Type"] == "/StructTreeRoot" or number in {k.idnum for k in _kids(parent)}
    # Every MCID of every page's content is referenced exactly once from the tree.
    for index, page in enumerate(joined.reader.pages):
        drawn = content_mcids(joined.reader, page)
        assert drawn, f"page {index} has no marked content"
        assert all(count == 1 for count in drawn.values())
        from_tree = Counter({mcid: n for (p, mcid), n in joined.references.items()
                             if p == index})
        assert from_tree == drawn, f"page {index}"
    # The parent tree: each page's entry maps its MCIDs to the elements that hold them.
    tree = joined.parent_tree()
    keys = [int(page["/StructParents"]) for page in joined.reader.pages]
    annotation_keys = [int(a.get_object()["/StructParent"]) for page in joined.reader.pages
                       for a in page.get("/Annots") or []]
    assert len(set(keys + annotation_keys)) == len(keys) + len(annotation_keys)
    assert set(tree) == set(keys + annotation_keys)
    assert int(joined.root["/ParentTreeNextKey"]) == max(tree) + 1
    for index, key in enumerate(keys):
        entry = tree[key].get_object()
        assert len(entry) == len(content_mcids(joined.reader, joined.reader.pages[index]))
        for mcid, element in enumerate(entry):
            assert element.idnum == joined.owner[(index, mcid)], (index, mcid)
    assert joined.mapped() == whole.mapped()
    # Link annotations: their /StructParent leads to a Link element holding them.
    links = 0
    for page in joined.reader.pages:
        for reference in page.get("/Annots") or []:
            annotation = reference.get_object()
            link = tree[int(annotation["/StructParent"])].get_object()
            assert link["/S"] == "/Link"
            assert link.raw_get("/Pg").idnum == page.indirect_reference.idnum
            objr = [k.get_object() for k in _kids(link)
                    if not isinstance(k.get_object(), int)]
            assert [o.raw_get("/Obj").idnum for o in objr] == [reference.idnum]
            assert objr[0].raw_get("/Pg").idnum == page.indirect_reference.idnum
            links += 1
    assert links == sum(len(page.get("/Annots") or []) for page in whole.reader.pages) >= 4
    # The figure keeps its alternative text and its box.
    figures = [e for e in joined.elements.values() if e["/S"] == "/Figure"]
    whole_figures = [e for e in whole.elements.values() if e["/S"] == "/Figure"]
    assert [str(f["/Alt"]) for f in figures] == ["A red rectangle"]
    assert list(figures[0]["/A"]["/BBox"]) == list(whole_figures[0]["/A"]["/BBox"])
    # Tagged and marked; once the assemble stage has given the header cells their scope and
    # the links their descriptions, vigil's preflight of a screen PDF has nothing to say.
    assert joined.catalog["/MarkInfo"]["/Marked"].value is True
    from vigil.assemble.accessible import make_accessible

    make_accessible(writer, {name: f"The part {name}" for name in joined.reader.named_destinations})
    report = check_pdf(written(writer), expect=expectations_for("screen"))
    assert [(f.code, f.message) for f in report.findings] == []


def test_links_between_parts_still_lead_to_their_targets(folder: Path) -> None:
    writer, _ = join([render(folder, [body]) for body in PARTS])
    reader = PdfReader(io.BytesIO(written(writer)))
    dests = reader.named_destinations
    assert {name: reader.get_destination_page_number(dests[name]) for name in
            ("contents", "second", "third")} == {"contents": 0, "second": 1, "third": 2}


def test_elements_only_the_parent_tree_reaches(folder: Path) -> None:
    """WeasyPrint tags the text of page-margin boxes but leaves their elements out of the
    tree: they are cloned too, and every MCID of the pages keeps its element."""
    margin = '@top-center { content: "Running title"; font-size: 8pt }'
    chunks = [render(folder, [body], margin=margin) for body in PARTS]
    writer, _ = join(chunks)
    joined = Tree(written(writer))
    whole = Tree(render(folder, PARTS, margin=margin))
    assert joined.walked == whole.walked
    assert joined.mapped() == whole.mapped()
    assert all(("/Span", "Running title") in entries for entries in joined.mapped().values())
    tree = joined.parent_tree()
    document = _kids(joined.root)[0].idnum
    for page in joined.reader.pages:
        entry = tree[int(page["/StructParents"])].get_object()
        assert len(entry) == len(content_mcids(joined.reader, page))
        for reference in entry:
            element, depth = reference.get_object(), 0
            while element["/S"] != "/Document":   # every ancestor chain ends at our Document
                if "/Pg" in element:
                    assert element.raw_get("/Pg").idnum == page.indirect_reference.idnum
                parent = element.raw_get("/P")
                element, depth = parent.get_object(), depth + 1
                assert depth < 50
            assert parent.idnum == document


def test_an_untagged_part_has_no_tags(folder: Path) -> None:
    chunks = [render(folder, [PARTS[0]]), render(folder, [PARTS[1]], tags=False),
              render(folder, [PARTS[2]])]
    writer, _ = join(chunks)
    joined = Tree(written(writer))
    whole = Tree(render(folder, PARTS))
    assert "/StructParents" not in joined.reader.pages[1]
    assert all("/StructParent" not in a.get_object()
               for a in joined.reader.pages[1].get("/Annots") or [])
    assert not content_mcids(joined.reader, joined.reader.pages[1])
    expected = {page: entries for page, entries in whole.by_page().items() if page != 1}
    assert joined.by_page() == expected
    for index in (0, 2, 3):
        page = joined.reader.pages[index]
        from_tree = Counter({m: n for (p, m), n in joined.references.items() if p == index})
        assert from_tree == content_mcids(joined.reader, page)


def test_no_tagged_part_leaves_the_writer_untagged(folder: Path) -> None:
    writer, _ = join([render(folder, [body], tags=False) for body in PARTS[:2]])
    catalog = PdfReader(io.BytesIO(written(writer))).trailer["/Root"]
    assert "/StructTreeRoot" not in catalog
    assert "/MarkInfo" not in catalog


def test_shifted_pages_move_their_figure_boxes(folder: Path) -> None:
    chunks = [render(folder, [body]) for body in PARTS]
    plain = Tree(written(join(chunks)[0]))
    moved = Tree(written(join(chunks, shifts={1: 12.5, 3: -4.0})[0]))
    before = next(e for e in plain.elements.values() if e["/S"] == "/Figure")["/A"]["/BBox"]
    after = next(e for e in moved.elements.values() if e["/S"] == "/Figure")["/A"]["/BBox"]
    assert [float(v) for v in after] == pytest.approx(
        [float(before[0]) + 12.5, float(before[1]), float(before[2]) + 12.5, float(before[3])])
    assert moved.walked == plain.walked


def test_the_same_part_twice_gets_its_own_elements_and_identifiers(folder: Path) -> None:
    """Two chunks with the same bytes: two sets of elements; the table headers' identifiers
    (WeasyPrint names them after object numbers) are made unique, and the cells follow."""
    chunk = render(folder, [PARTS[1]])
    writer, _ = join([chunk, chunk])
    joined = Tree(written(writer))
    cells = [e for e in joined.elements.values() if e["/S"] in ("/TH", "/TD")]
    ids = [str(e["/ID"]) for e in cells if "/ID" in e]
    assert len(ids) == 4 and len(set(ids)) == 4
    for half in (0, 1):
        headers = {str(e["/ID"]) for e in cells if "/ID" in e
                   and e.raw_get("/Pg").idnum == joined.reader.pages[half].indirect_reference.idnum}
        for cell in cells:
            if cell["/S"] == "/TD" and \
                    cell.raw_get("/Pg").idnum == joined.reader.pages[half].indirect_reference.idnum:
                assert {str(h) for h in cell["/A"]["/Headers"]} <= headers
                assert cell["/A"]["/Headers"]
    assert len(set(joined.elements)) == len(joined.walked)
    first, second = joined.by_page()[0], joined.by_page()[1]
    assert first == second


def with_maps(pdf: bytes, roles: dict[str, str]) -> bytes:
    """The chunk with a /RoleMap and an /IDTree of its table headers (WeasyPrint writes
    neither)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    root = writer.root_object["/StructTreeRoot"]
    root[NameObject("/RoleMap")] = DictionaryObject(
        {NameObject(k): NameObject(v) for k, v in roles.items()})
    found: list[tuple[str, Any]] = []

    def visit(reference: Any) -> None:
        element = reference.get_object()
        if "/ID" in element:
            found.append((str(element["/ID"]), reference))
        for kid in _kids(element):
            if hasattr(kid, "idnum") and kid.get_object().get("/Type") not in ("/MCR", "/OBJR"):
                visit(kid)

    for kid in _kids(root):
        visit(kid)
    names = ArrayObject()
    for name, reference in sorted(found, key=lambda item: item[0]):
        names.extend((pdf_string(name), reference))
    root[NameObject("/IDTree")] = DictionaryObject({NameObject("/Names"): names})
    return written(writer)


def test_role_maps_and_identifier_trees_are_merged(folder: Path) -> None:
    chunk = render(folder, [PARTS[1]])
    first = with_maps(chunk, {"/Note": "/P"})
    second = with_maps(chunk, {"/Note": "/Span", "/Aside": "/Div"})
    joined = Tree(written(join([first, second])[0]))
    assert {k: str(v) for k, v in joined.root["/RoleMap"].items()} == {
        "/Note": "/P", "/Aside": "/Div"}
    names = joined.root["/IDTree"]["/Names"]
    pairs = [(str(names[i]), names[i + 1]) for i in range(0, len(names), 2)]
    assert len(pairs) == 4 and [n for n, _ in pairs] == sorted({n for n, _ in pairs})
    for name, reference in pairs:
        element = reference.get_object()
        assert element["/S"] == "/TH" and str(element["/ID"]) == name
        assert reference.idnum in joined.elements


def test_a_part_in_another_language_keeps_it(folder: Path) -> None:
    chunks = [render(folder, [PARTS[0]]), render(folder, [PARTS[1]], lang="ru"),
              render(folder, [PARTS[2]])]
    joined = Tree(written(join(chunks)[0]))
    assert str(joined.catalog["/Lang"]) == "en"
    top = [kid.get_object() for kid in _kids(_kids(joined.root)[0].get_object())]
    second = joined.reader.pages[1].indirect_reference.idnum
    on_second = [e for e in top if e.raw_get("/Pg").idnum == second]
    assert on_second and {str(e.get("/Lang")) for e in on_second} == {"ru"}
    assert all("/Lang" not in e for e in top if e.raw_get("/Pg").idnum != second)


def test_pdf_2_namespaces_become_one(folder: Path) -> None:
    chunks = [render(folder, [body], version="2.0") for body in PARTS]
    joined = Tree(written(join(chunks)[0]))
    whole = Tree(render(folder, PARTS, version="2.0"))
    namespaces = joined.root["/Namespaces"]
    assert len(namespaces) == 1
    assert str(namespaces[0].get_object()["/NS"]) == "http://iso.org/pdf2/ssn"
    document = _kids(joined.root)[0].get_object()
    assert document.raw_get("/NS").idnum == namespaces[0].idnum
    assert joined.walked == whole.walked


def test_annotations_dropped_after_the_clone_keep_the_others_right(folder: Path) -> None:
    """When a page's /Annots no longer pairs up with its reader's, pypdf's clone table finds
    which annotation is which."""
    writer, parts = join([render(folder, [body]) for body in PARTS], merge=False)
    annots = parts[0][1][0]["/Annots"]
    kept = annots[1]
    parts[0][1][0][NameObject("/Annots")] = ArrayObject([kept])
    merge_structure(writer, parts)
    joined = Tree(written(writer))
    tree = joined.parent_tree()
    (reference,) = joined.reader.pages[0]["/Annots"]
    link = tree[int(reference.get_object()["/StructParent"])].get_object()
    assert link["/S"] == "/Link"
    assert reference.idnum in [k.get_object().raw_get("/Obj").idnum for k in _kids(link)
                               if not isinstance(k.get_object(), int)]


def test_merging_is_deterministic(folder: Path) -> None:
    chunks = [render(folder, [body], "pdf/ua-1") for body in PARTS]
    assert written(join(chunks)[0]) == written(join(chunks)[0])


def test_pages_that_do_not_match_their_reader_are_refused(folder: Path) -> None:
    chunk = render(folder, [PARTS[0]])
    writer = PdfWriter()
    reader = PdfReader(io.BytesIO(chunk))
    with pytest.raises(ValueError, match="1 pages"):
        merge_structure(writer, [(reader, [])])


def test_a_booklet_of_48_pages_merges_quickly(folder: Path) -> None:
    """15 chunks, 48 pages: the merge takes a few milliseconds per chunk."""
    def sections(count: int) -> str:
        return "".join(
            f"<h2>Section {n}</h2><p>A paragraph with <a href='https://example.org/{n}'>a "
            f"link</a> and <em>some</em> emphasis, long enough to wrap over a few lines of the "
            f"page.</p><ul><li>An item</li><li>Another item</li></ul>" for n in range(count))

    three = render(folder, [f"<h1>Three</h1>{sections(8)}"])
    four = render(folder, [f"<h1>Four</h1>{sections(11)}"])
    sizes = {len(PdfReader(io.BytesIO(c)).pages) for c in (three, four)}
    chunks = [four] * 3 + [three] * 12
    counts = [len(PdfReader(io.BytesIO(c)).pages) for c in chunks]
    if sizes != {3, 4}:
        pytest.skip(f"the sample chunks have {sizes} pages, not 3 and 4")
    assert sum(counts) == 48
    best = float("inf")
    for _ in range(5):
        writer, parts = join(chunks, merge=False)
        started = time.perf_counter()
        merge_structure(writer, parts)
        best = min(best, time.perf_counter() - started)
    reader = PdfReader(io.BytesIO(written(writer)))
    assert len(reader.pages) == 48
    nums = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    entries = {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums), 2)}
    for page in reader.pages[::7]:
        assert len(entries[int(page["/StructParents"])]) == len(content_mcids(reader, page))
    assert best < 0.1, f"merging 48 pages took {best * 1000:.0f} ms"


def test_module_imports_no_heavy_library() -> None:
    source = Path(__file__).parents[1].joinpath("src/vigil/assemble/tags.py").read_text()
    top = source.split("\ndef ", 1)[0]
    assert not re.search(r"^(from|import) (pypdf|weasyprint)", top, re.M)
