"""Put the pages of PDF inserts into the pages reserved for them at layout time.

Takes a pypdf writer holding the typeset document, where its anchors lie and the publication;
draws each chosen insert page, scaled to the trim size or kept at its size and centred, beneath
the reserved page's own content (its page number, when stamped). The reserved page objects
stay, so the contents, bookmarks and links that point at them keep working.

In a tagged document each inserted page is one ``/Figure`` element whose alternative text
(``/Alt``) is the insert's ``alt:``: its drawing is one marked-content sequence of the page
(a new MCID, a new entry of the page's ``/ParentTree`` array), and the element joins the
insert's section on that page (after its hidden title), or the document after the elements of
the pages before it. (An insert's own tags are not
grafted: its pages are read as a picture with a description.)
"""

from __future__ import annotations

from typing import Any

from vigil.errors import ContentError, Location
from vigil.limits import TimeLimitExceeded, time_limit
from vigil.read import Publication
from vigil.read.inserts import capture_pypdf_messages
from vigil.typeset import Typeset

MERGE_SECONDS = 20.0


def place_inserts(writer: Any, typeset: Typeset, publication: Publication) -> list[str]:
    from pypdf import PdfReader, PdfWriter, Transformation

    notes = []
    tagged = "/StructTreeRoot" in writer.root_object
    for section in publication.sections:
        insert = section.insert
        if insert is None:
            continue
        dropped = 0
        try:
            with time_limit(MERGE_SECONDS), capture_pypdf_messages():
                reader = PdfReader(insert.path)
                if reader.is_encrypted:
                    reader.decrypt(insert.password or "")
                for n, source_index in enumerate(insert.pages):
                    target = writer.pages[typeset.anchors[f"{section.id}-page-{n}"]]
                    source = reader.pages[source_index]
                    if source.rotation or tagged:
                        # pypdf turns a rotated page upright only once it belongs to a writer.
                        source = PdfWriter().add_page(source)
                        source.transfer_rotation_to_content()
                    if tagged:
                        _as_figure(writer, source, target, insert.options.alt)
                    target.merge_transformed_page(
                        source, _placement(source, target, insert.options.size, Transformation),
                        over=False,
                    )
                    dropped += _drop_internal_links(target)
        except TimeLimitExceeded:
            raise ContentError(
                f"the insert '{insert.path.name}' could not be merged within "
                f"{MERGE_SECONDS:g} s; it is probably damaged", location=Location(insert.path),
            ) from None
        except ContentError:
            raise
        except Exception as exc:  # pypdf raises many kinds of errors on damaged files
            raise ContentError(
                f"the insert '{insert.path.name}' could not be merged ({type(exc).__name__}: "
                f"{str(exc)[:160]})", location=Location(insert.path),
                hint="Open it in a PDF viewer and save or print it again as a new PDF",
            ) from None
        count = len(insert.pages)
        note = f"inserted {count} page{'s' if count > 1 else ''} of {insert.path.name}"
        if dropped:
            note += (f" (without its {dropped} internal link{'s' if dropped > 1 else ''}, "
                     "which led to its own pages)")
        notes.append(note)
    return notes


def _drop_internal_links(page: Any) -> int:
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


def _placement(source: Any, target: Any, size: str, transformation: Any) -> Any:
    box, trim = source.cropbox, target.trimbox
    width, height = float(box.width), float(box.height)
    scale = 1.0
    if size == "scale":
        scale = min(float(trim.width) / width, float(trim.height) / height)
    x = float(trim.left) + (float(trim.width) - width * scale) / 2 - float(box.left) * scale
    y = float(trim.bottom) + (float(trim.height) - height * scale) / 2 - float(box.bottom) * scale
    return transformation().scale(scale, scale).translate(x, y)


def _as_figure(writer: Any, source: Any, target: Any, alt: str | None) -> None:
    """Make the insert page ``source`` (a page of its own writer) one marked-content sequence
    of ``target``, the content of a new /Figure element of ``writer``'s structure tree."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    tree = writer.root_object["/StructTreeRoot"].get_object()
    nums = _parent_array(writer, tree, target)
    mcid = len(nums)
    contents = source.get_contents()
    data = contents.get_data() if contents is not None else b""
    source.replace_contents(_stream(
        f"/Figure <</MCID {mcid}>> BDC\n".encode() + data + b"\nEMC\n"))
    kids = tree["/K"].get_object()
    document = kids[0].get_object() if isinstance(kids, ArrayObject) and kids else tree
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
    reference = writer._add_object(figure)
    nums.append(reference)
    top = _kids_array(document)
    for kid in reversed(top):  # the insert's own section (its hidden title) holds the Figure
        element: Any = kid.get_object() if hasattr(kid, "get_object") else kid
        page = element.raw_get("/Pg") if hasattr(element, "raw_get") and "/Pg" in element \
            else None
        if getattr(page, "idnum", None) == target.indirect_reference.idnum and \
                element.get("/S") in ("/Sect", "/Part", "/Art", "/Div") and \
                hasattr(kid, "idnum"):
            figure[NameObject("/P")] = kid
            _kids_array(element).append(reference)
            return
    order = {page.indirect_reference.idnum: index for index, page in enumerate(writer.pages)}
    here = order.get(target.indirect_reference.idnum, 0)
    position = len(top)
    for index, kid in enumerate(top):
        element = kid.get_object() if hasattr(kid, "get_object") else kid
        page = element.get("/Pg") if isinstance(element, dict) else None
        if page is not None and order.get(page.idnum, -1) > here:
            position = index
            break
    top.insert(position, reference)


def _kids_array(element: Any) -> Any:
    """The element's /K as an array (made one when it is a single kid or none)."""
    from pypdf.generic import ArrayObject, NameObject

    kids = element.get("/K")
    kids = kids.get_object() if kids is not None else None
    if isinstance(kids, ArrayObject):
        return kids
    array = ArrayObject([element.raw_get("/K")] if kids is not None else [])
    element[NameObject("/K")] = array
    return array


def _stream(data: bytes) -> Any:
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def _parent_array(writer: Any, tree: Any, page: Any) -> Any:
    """The /ParentTree array of ``page``'s marked content (made when the page has none)."""
    from pypdf.generic import ArrayObject, NameObject, NumberObject

    parent_tree = tree["/ParentTree"].get_object()
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
