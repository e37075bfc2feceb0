"""Put the pages of PDF inserts into the pages reserved for them at layout time.

Takes a pypdf writer holding the typeset document, where its anchors lie, the publication and
(for print) the bleed in mm; draws each chosen insert page, its TrimBox scaled to the trim size
or kept at its size and centred, beneath the reserved page's own content (its page number, when
stamped). The reserved page objects stay, so the contents, bookmarks and links that point at
them keep working.

For print, an insert page whose art reaches its trim edge (see :mod:`vigil.pdfart`) without a
bleed of its own gets one, as the insert's ``bleed:`` says: ``mirror`` (the default) draws the
page mirrored at each such edge into the bleed strip (and the corners), so the art stays exactly
where its designer put it and only the strip the guillotine takes away is made up; ``scale``
enlarges the page about its centre until it covers the bleed (a few per cent: the outer 3 mm of
the art are cut off); ``none`` leaves the bleed white, and the print check warns
(``bleed-art``). An insert that brings its own bleed (a TrimBox inside its MediaBox) keeps it.
Every insert page is clipped to the BleedBox, so nothing reaches the crop marks.

In a tagged document each inserted page is one ``/Figure`` element whose alternative text
(``/Alt``) is the insert's ``alt:``: its drawing is one marked-content sequence of the page
(a new MCID, a new entry of the page's ``/ParentTree`` array), and the element joins the
insert's section on that page (after its hidden title), or the document after the elements of
the pages before it. (An insert's own tags are not
grafted: its pages are read as a picture with a description.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from pypdf import PageObject, PdfWriter, Transformation
    from pypdf.generic import (
        ArrayObject,
        ContentStream,
        DecodedStreamObject,
        DictionaryObject,
        IndirectObject,
        RectangleObject,
    )

from vigil.errors import ContentError, Location
from vigil.limits import TimeLimitExceeded, time_limit
from vigil.pdf._compat import add_object
from vigil.read import Publication
from vigil.read.inserts import capture_pypdf_messages, damage
from vigil.typeset import Layout

MERGE_SECONDS = 20.0
OVERLAP = 1.0  # pt


def place_inserts(writer: PdfWriter, typeset: Layout, publication: Publication,
                  bleed_mm: float = 0.0) -> list[str]:
    from pypdf import PdfReader, PdfWriter, Transformation

    notes = []
    tagged = "/StructTreeRoot" in writer.root_object
    for section in publication.sections:
        insert = section.insert
        if insert is None:
            continue
        dropped = 0
        extended: list[str] = []
        try:
            with time_limit(MERGE_SECONDS), capture_pypdf_messages():
                reader = PdfReader(insert.path)
                if reader.is_encrypted:
                    reader.decrypt(insert.password or "")
                for n, source_index in enumerate(insert.pages):
                    index = typeset.anchors[f"{section.id}-page-{n}"]
                    target = writer.pages[index]
                    source = reader.pages[source_index]
                    if source.rotation or tagged:
                        # pypdf turns a rotated page upright only once it belongs to a writer.
                        source = PdfWriter().add_page(source)
                        source.transfer_rotation_to_content()
                    mode, sides = "none", []
                    if bleed_mm > 0:
                        sides = _bare_edges(source, target, insert.options.size)
                        mode = insert.options.bleed if sides else "none"
                    placement = _placement(source, target, insert.options.size, Transformation,
                                           cover=mode == "scale")
                    art = _content(source)  # mirrored into the bleed, untagged (an artifact)
                    if tagged:
                        _as_figure(writer, source, target, insert.options.alt)
                    target.merge_transformed_page(source, placement, over=False)
                    dropped += _drop_internal_links(target)
                    if bleed_mm > 0:
                        # Named by the page: pages may share a resource dictionary.
                        _clip_to_bleed(writer, target, source, art, placement.ctm,
                                       sides if mode == "mirror" else [], f"/VigilBleed{index}")
                    if mode != "none":
                        extended.append(f"{index + 1}")
        except TimeLimitExceeded:
            raise ContentError(
                f"the insert '{insert.path.name}' could not be merged within "
                f"{MERGE_SECONDS:g} s; it is probably damaged", location=Location(insert.path),
            ) from None
        except ContentError:
            raise
        except Exception as exc:  # pypdf raises many kinds of errors on damaged files
            raise ContentError(
                f"the insert '{insert.path.name}' could not be merged ({damage(exc)})",
                location=Location(insert.path),
                hint="Open it in a PDF viewer and save or print it again as a new PDF",
            ) from None
        count = len(insert.pages)
        note = f"inserted {count} page{'s' if count > 1 else ''} of {insert.path.name}"
        if dropped:
            note += (f" (without its {dropped} internal link{'s' if dropped > 1 else ''}, "
                     "which led to its own pages)")
        if extended:
            how = ("its edges mirrored into the bleed" if insert.options.bleed == "mirror"
                   else "scaled to cover the bleed")
            pages = ", ".join(extended)
            note += (f"; its art reaches the trim, so it got a {bleed_mm:g} mm bleed: {how} "
                     f"(page{'s' if len(extended) > 1 else ''} {pages}; bleed: "
                     f"{insert.options.bleed})")
        notes.append(note)
    return notes


def _drop_internal_links(page: PageObject) -> int:
    """Remove the links an insert brought that lead inside the insert's own document (their
    targets are not pages of the book) and its form fields; keep links to web addresses."""
    from pypdf.generic import ArrayObject, NameObject

    annotations = page.get("/Annots")
    if annotations is None:
        return 0
    kept, dropped = ArrayObject(), 0
    for reference in annotations.get_object():
        annotation = reference.get_object()
        action = annotation.get("/A")
        action = action.get_object() if action is not None else None
        internal = annotation.get("/Subtype") == "/Widget" or (
            annotation.get("/Subtype") == "/Link"
            and ("/Dest" in annotation or (action is not None and action.get("/S") == "/GoTo"))
        )
        if internal:
            dropped += 1
        else:
            kept.append(reference)
    page[NameObject("/Annots")] = kept
    return dropped


def _placement(source: PageObject, target: PageObject, size: str,
               transformation: type[Transformation], cover: bool = False) -> Transformation:
    """Source's TrimBox onto the target's: fitted (``scale``) or at its size, centred; with
    ``cover``, scaled so that it covers the target's BleedBox."""
    box, trim = source.trimbox, target.trimbox
    width, height = float(box.width), float(box.height)
    scale = 1.0
    if size == "scale":
        scale = min(float(trim.width) / width, float(trim.height) / height)
    if cover:
        bleed = target.bleedbox
        scale = max(float(bleed.width) / width, float(bleed.height) / height)
    x = float(trim.left) + (float(trim.width) - width * scale) / 2 - float(box.left) * scale
    y = float(trim.bottom) + (float(trim.height) - height * scale) / 2 - float(box.bottom) * scale
    return transformation().scale(scale, scale).translate(x, y)


def _bare_edges(source: PageObject, target: PageObject, size: str) -> list[str]:
    """The sides of the trim where the placed insert page's art reaches the target's trim
    edge and has no bleed of its own."""
    from pypdf import Transformation

    from vigil.pdfart import TOLERANCE, edges, painted

    if not _covers(target.bleedbox, target.trimbox):
        return []
    strim = source.trimbox
    own = (float(strim.left), float(strim.bottom), float(strim.right), float(strim.top))
    try:
        found = edges(painted(source), own)
    except Exception:  # a damaged insert's drawing: its edges unknown, no bleed added
        return []
    ctm = _placement(source, target, size, Transformation).ctm
    x0, y0 = ctm[0] * own[0] + ctm[4], ctm[3] * own[1] + ctm[5]
    x1, y1 = ctm[0] * own[2] + ctm[4], ctm[3] * own[3] + ctm[5]
    trim = target.trimbox
    placed = {"left": abs(x0 - float(trim.left)), "right": abs(x1 - float(trim.right)),
              "bottom": abs(y0 - float(trim.bottom)), "top": abs(y1 - float(trim.top))}
    return [side for side, edge in found.items()
            if edge.touches and edge.beyond < TOLERANCE and placed[side] < TOLERANCE]


def _content(page: PageObject) -> bytes:
    """The page's content stream, decoded (b"" when it has none)."""
    contents = page.get_contents()
    return bytes(contents.get_data()) if contents is not None else b""


def _covers(outer: RectangleObject, inner: RectangleObject) -> bool:
    return (float(outer.left) < float(inner.left) and float(outer.bottom) < float(inner.bottom)
            and float(outer.right) > float(inner.right) and float(outer.top) > float(inner.top))


def _clip_to_bleed(writer: PdfWriter, target: PageObject, source: PageObject, art: bytes,
                   ctm: tuple[float, float, float, float, float, float], sides: list[str],
                   name: str) -> None:
    """Clip the insert page to its BleedBox; draw the source (placed by ``ctm``) mirrored at
    each of ``sides`` into the bleed strip there, and into a corner between two of them."""
    from pypdf.generic import (
        ArrayObject,
        ContentStream,
        DictionaryObject,
        FloatObject,
        NameObject,
        StreamObject,
    )

    from vigil.pdfart import multiply

    bleed, trim = target.bleedbox, target.trimbox
    bx0, by0, bx1, by1 = (float(v) for v in (bleed.left, bleed.bottom, bleed.right, bleed.top))
    tx0, ty0, tx1, ty1 = (float(v) for v in (trim.left, trim.bottom, trim.right, trim.top))
    ops = [f"q {bx0:.3f} {by0:.3f} {bx1 - bx0:.3f} {by1 - by0:.3f} re W n"]
    if sides:
        form = StreamObject()
        form.set_data(art)
        form = form.flate_encode()
        form[NameObject("/Type")] = NameObject("/XObject")
        form[NameObject("/Subtype")] = NameObject("/Form")
        media = source.mediabox
        form[NameObject("/BBox")] = ArrayObject(
            [FloatObject(float(v)) for v in (media.left, media.bottom, media.right, media.top)])
        resources = source.raw_get("/Resources") if "/Resources" in source else None
        if resources is not None:
            form[NameObject("/Resources")] = resources.clone(writer)
        reference = add_object(writer, form)
        # Any: pypdf resolves to ``PdfObject | None`` (a cast at every use otherwise).
        page_resources: Any = target["/Resources"].get_object()
        xobjects = page_resources.get("/XObject")
        if xobjects is None:
            xobjects = DictionaryObject()
            page_resources[NameObject("/XObject")] = xobjects
        xobjects.get_object()[NameObject(name)] = reference
        # (clip rectangle, reflection) for each strip and corner
        # Each strip reaches OVERLAP into the trim, under the page itself (drawn after it), and
        # mirrors about a line OVERLAP / 2 inside the trim, so that the two overlap and no
        # hairline seam shows where they meet (a 0.2 mm shift of the mirrored art in the bleed).
        half = OVERLAP / 2
        ix0, iy0, ix1, iy1 = tx0 + OVERLAP, ty0 + OVERLAP, tx1 - OVERLAP, ty1 - OVERLAP
        mx0, my0, mx1, my1 = 2 * (tx0 + half), 2 * (ty0 + half), 2 * (tx1 - half), 2 * (ty1 - half)
        strips = {
            "left": ((bx0, ty0, ix0, ty1), (-1, 0, 0, 1, mx0, 0)),
            "right": ((ix1, ty0, bx1, ty1), (-1, 0, 0, 1, mx1, 0)),
            "bottom": ((tx0, by0, tx1, iy0), (1, 0, 0, -1, 0, my0)),
            "top": ((tx0, iy1, tx1, by1), (1, 0, 0, -1, 0, my1)),
        }
        corners = {
            ("left", "bottom"): ((bx0, by0, ix0, iy0), (-1, 0, 0, -1, mx0, my0)),
            ("right", "bottom"): ((ix1, by0, bx1, iy0), (-1, 0, 0, -1, mx1, my0)),
            ("left", "top"): ((bx0, iy1, ix0, by1), (-1, 0, 0, -1, mx0, my1)),
            ("right", "top"): ((ix1, iy1, bx1, by1), (-1, 0, 0, -1, mx1, my1)),
        }
        chosen = [strips[side] for side in sides]
        chosen += [value for pair, value in corners.items() if set(pair) <= set(sides)]
        for (x0, y0, x1, y1), reflection in chosen:
            matrix = multiply(tuple(float(v) for v in ctm),  # type: ignore[arg-type]
                              tuple(float(v) for v in reflection))  # type: ignore[arg-type]
            ops.append(f"/Artifact BMC q {x0:.3f} {y0:.3f} {x1 - x0:.3f} {y1 - y0:.3f} re W n "
                       + " ".join(f"{v:.5f}" for v in matrix) + f" cm {name} Do Q EMC")
    existing = target.get("/Contents")
    array = ArrayObject([_stream(writer, ContentStream, "\n".join(ops).encode("ascii"))])
    existing_object = existing.get_object() if existing is not None else None
    if isinstance(existing_object, ArrayObject):
        array.extend(existing_object)
    elif existing is not None:
        array.append(existing)
    array.append(_stream(writer, ContentStream, b"Q"))
    target[NameObject("/Contents")] = array


def _stream(writer: PdfWriter, kind: type[ContentStream], data: bytes) -> IndirectObject:
    stream = kind(None, None)
    stream.set_data(data)
    return add_object(writer, stream)


def _as_figure(writer: PdfWriter, source: PageObject, target: PageObject,
               alt: str | None) -> None:
    """Make the insert page ``source`` (a page of its own writer) one marked-content sequence
    of ``target``, the content of a new /Figure element of ``writer``'s structure tree."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    tree = cast("DictionaryObject", writer.root_object["/StructTreeRoot"].get_object())
    nums = _parent_array(writer, tree, target)
    mcid = len(nums)
    source.replace_contents(_decoded_stream(  # type: ignore[arg-type]  # pypdf takes any stream
        f"/Figure <</MCID {mcid}>> BDC\n".encode() + _content(source) + b"\nEMC\n"))
    kids: Any = tree["/K"].get_object()
    document: Any = kids[0].get_object() if isinstance(kids, ArrayObject) and kids else tree
    figure = DictionaryObject({
        NameObject("/Type"): NameObject("/StructElem"),
        NameObject("/S"): NameObject("/Figure"),
        NameObject("/P"): document.indirect_reference if document is not tree
        else tree.indirect_reference,
        NameObject("/Pg"): target.indirect_reference,
        NameObject("/K"): NumberObject(mcid),
    })
    if alt and alt.strip():
        figure[NameObject("/Alt")] = TextStringObject(alt.strip())
    reference = add_object(writer, figure)
    nums.append(reference)
    top = _kids_array(document)
    for kid in reversed(top):  # the insert's own section (its hidden title) holds the Figure
        element: Any = kid.get_object() if hasattr(kid, "get_object") else kid
        page = element.raw_get("/Pg") if hasattr(element, "raw_get") and "/Pg" in element \
            else None
        if getattr(page, "idnum", None) == _number(target) and \
                element.get("/S") in ("/Sect", "/Part", "/Art", "/Div") and \
                hasattr(kid, "idnum"):
            figure[NameObject("/P")] = kid
            _kids_array(element).append(reference)
            return
    order = {_number(page): index for index, page in enumerate(writer.pages)}
    here = order.get(_number(target), 0)
    position = len(top)
    for index, kid in enumerate(top):
        element = kid.get_object() if hasattr(kid, "get_object") else kid
        page = element.get("/Pg") if isinstance(element, dict) else None
        if page is not None and order.get(page.idnum, -1) > here:
            position = index
            break
    top.insert(position, reference)


def _number(page: PageObject) -> int:
    """The object number of ``page`` (a page of a writer: it has one)."""
    return cast("IndirectObject", page.indirect_reference).idnum


def _kids_array(element: DictionaryObject) -> ArrayObject:
    """The element's /K as an array (made one when it is a single kid or none)."""
    from pypdf.generic import ArrayObject, NameObject

    kids = element.get("/K")
    kids = kids.get_object() if kids is not None else None
    if isinstance(kids, ArrayObject):
        return kids
    array = ArrayObject([element.raw_get("/K")] if kids is not None else [])
    element[NameObject("/K")] = array
    return array


def _decoded_stream(data: bytes) -> DecodedStreamObject:
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def _parent_array(writer: PdfWriter, tree: DictionaryObject, page: PageObject) -> ArrayObject:
    """The /ParentTree array of ``page``'s marked content (made when the page has none)."""
    from pypdf.generic import ArrayObject, NameObject, NumberObject

    parent_tree: Any = tree["/ParentTree"].get_object()
    nums = parent_tree.get("/Nums")
    if nums is None:
        nums = ArrayObject()
        parent_tree[NameObject("/Nums")] = nums
    nums = nums.get_object()
    key = page.get("/StructParents")
    if key is not None:
        for index in range(0, len(nums) - 1, 2):
            if int(nums[index]) == int(key):
                found = nums[index + 1].get_object()
                if isinstance(found, ArrayObject):
                    return found
    key = int(tree.get("/ParentTreeNextKey", 0) or 0)
    for index in range(0, len(nums) - 1, 2):
        key = max(key, int(nums[index]) + 1)
    array = ArrayObject()
    nums.extend([NumberObject(key), array])
    tree[NameObject("/ParentTreeNextKey")] = NumberObject(key + 1)
    page[NameObject("/StructParents")] = NumberObject(key)
    return array
