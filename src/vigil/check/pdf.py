"""Checks on the PDF actually written, with pypdf (and fontTools for the font programs).

Takes an open pypdf reader, the file's bytes and the profile's
:class:`~vigil.check.expectations.Expectations` (and, for a build, the publication's trim size,
section titles, font families and image files); gives a :class:`~vigil.check.findings.Report`.

Codes (each has a test in which it fires): ``page-count``, ``page-size``, ``page-size-mixed``,
``trimbox-missing``, ``bleedbox-missing``, ``boxes-inconsistent``, ``bleed-small``,
``font-not-embedded``, ``font-glyph-missing``, ``font-notdef``, ``font-foreign``,
``font-damaged``, ``image-resolution``, ``metadata-title``, ``metadata-language``,
``metadata-author``, ``not-tagged``, ``pdfa-missing``, ``pdfa-identification``,
``pdfa-output-intent``, ``embedded-executable``, ``embedded-file``, ``encrypted``,
``javascript``, ``link-broken``, ``bookmark-broken``, ``bookmark-missing``, ``no-bookmarks``,
``file-size``, ``content-damaged``, ``image-alt`` (a tagged /Figure without /Alt), and the
tag checks of :mod:`vigil.check.tagging` (``tag-orphan``, ``tag-parent-tree``,
``tag-untagged``, ``heading-nested``, ``heading-skip``, ``table-scope``,
``link-description``; ``text-hyphen`` and ``text-spacing``, warnings).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from vigil.check.content import Walker
from vigil.check.expectations import Expectations
from vigil.check.findings import ERROR, WARNING, Report, Severity
from vigil.check.fonts import check_fonts
from vigil.check.pdfa import embedded_files, identification, output_intents
from vigil.pdf.objects import read_errors, resolve
from vigil.pdfart import page_box

if TYPE_CHECKING:
    from pypdf import PdfReader

POINT_MM = 25.4 / 72
TOLERANCE_MM = 0.5
FEW_PAGES = 4           # a standalone file longer than this should have bookmarks
TINY_IMAGE_PX = 4       # 1×1 pixel fills and masks are not pictures
DPI_TOLERANCE = 0.99    # 1748 px over 148 mm is 299.99 dpi: that is 300


def check_document(reader: PdfReader, data: bytes, expect: Expectations, *, name: str | None = None,
                   expected_size_mm: tuple[float, float] | None = None,
                   titles: Sequence[str] | None = None,
                   families: tuple[str, ...] | None = None,
                   image_sources: dict[tuple[int, int], str] | None = None,
                   insert_pages: frozenset[int] = frozenset(), figures: bool = True,
                   text_layer: bool = True) -> Report:
    """Run every check on ``reader`` (the PDF ``data``) for the profile ``expect``
    (``text_layer=False``: not what text extraction gives, see :func:`_structure`)."""
    pages = reader.pages
    report = Report(pages=len(pages), page_size_mm=(0.0, 0.0), profile=expect.name, file=name,
                    bytes=len(data))
    _pages(reader, expect, expected_size_mm, report)
    if expect.boxes:  # print: art that stops at the trim (vigil.check.bleed)
        from vigil.check.bleed import check_bleed

        check_bleed(reader, report)
    usage = Walker(reader).walk()
    for page, problem in usage.problems:
        report.add(ERROR, "content-damaged", problem, page=page)
    claims = _pdfa_claim(reader)
    font_expect = expect
    if claims and expect.standard_fonts_ok:
        from dataclasses import replace

        font_expect = replace(expect, standard_fonts_ok=False)
    check_fonts(usage, font_expect, report, families, insert_pages)
    _images(usage.images, expect, image_sources or {}, report)
    _metadata(reader, expect, report)
    if expect.tagged:
        _tagged(reader, report)
    _structure(reader, expect, report, text_layer)
    if figures:
        _figures(reader, expect, report)
    _archive(reader, expect, claims, report, usage.device_colours)
    _links(reader, report)
    _bookmarks(reader, titles, report)
    _size(len(data), expect, report)
    return report


# ---------------------------------------------------------------- pages and boxes


def _inside(inner: tuple[float, ...], outer: tuple[float, ...], slack: float = 0.01) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` → ``1–3, 7``."""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(f"{start}–{previous}" if previous != start else f"{start}")
        if number is not None:
            start = previous = number
    return ", ".join(parts)


class _PerPage:
    """Collect one problem over many pages; report it once, naming the pages."""

    def __init__(self) -> None:
        self.pages: dict[tuple[Severity, str, str], list[int]] = {}

    def add(self, severity: Severity, code: str, message: str, page: int) -> None:
        self.pages.setdefault((severity, code, message), []).append(page)

    def report(self, report: Report, total: int) -> None:
        for (severity, code, message), pages in self.pages.items():
            where = "every page" if len(pages) == total and total > 1 else (
                f"page {pages[0]}" if len(pages) == 1 else f"pages {_ranges(pages)}")
            report.add(severity, code, f"{message} ({where})", page=pages[0])


def _pages(reader: PdfReader, expect: Expectations, expected: tuple[float, float] | None,
           report: Report) -> None:
    pages = reader.pages
    count = len(pages)
    if expect.pad_to > 1 and count % expect.pad_to:
        padded = count + expect.pad_to - count % expect.pad_to
        report.add(ERROR, "page-count",
                   f"{count} pages is not a multiple of {expect.pad_to}: a folded booklet needs "
                   f"{padded} (add {padded - count} pages)")
    per_page = _PerPage()
    sizes: dict[tuple[float, float], list[int]] = {}
    for number, page in enumerate(pages, start=1):
        media = page_box(page, "/MediaBox") or (0.0, 0.0, 612.0, 792.0)
        crop = page_box(page, "/CropBox")
        trim = page_box(page, "/TrimBox")
        bleed = page_box(page, "/BleedBox")
        shown = trim or crop or media
        width = round((shown[2] - shown[0]) * POINT_MM, 1)
        height = round((shown[3] - shown[1]) * POINT_MM, 1)
        rotate = int(page.get("/Rotate", 0) or 0) % 180
        if rotate:
            width, height = height, width
        if number == 1:
            report.page_size_mm = (width, height)
        sizes.setdefault((width, height), []).append(number)
        if expected and (abs(width - expected[0]) > TOLERANCE_MM
                         or abs(height - expected[1]) > TOLERANCE_MM):
            per_page.add(ERROR, "page-size",
                         f"the page is {width:g}×{height:g} mm, not the trim size "
                         f"{expected[0]:g}×{expected[1]:g} mm", number)
        if expect.boxes:
            if trim is None:
                per_page.add(ERROR, "trimbox-missing",
                             "no TrimBox: the print shop cannot tell where to cut", number)
            if bleed is None:
                per_page.add(ERROR, "bleedbox-missing",
                             "no BleedBox: the print shop cannot tell how far images bleed",
                             number)
        if trim and not _inside(trim, bleed or media):
            per_page.add(ERROR, "boxes-inconsistent",
                         "the TrimBox is not inside the " + ("BleedBox" if bleed else "MediaBox"),
                         number)
        if bleed and not _inside(bleed, media):
            per_page.add(ERROR, "boxes-inconsistent", "the BleedBox is not inside the MediaBox",
                         number)
        if expect.boxes and expect.bleed_mm and trim and bleed and _inside(trim, bleed):
            margin = min(trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2],
                         bleed[3] - trim[3]) * POINT_MM
            if margin < expect.bleed_mm - 0.1:
                per_page.add(WARNING, "bleed-small",
                             f"the bleed is {max(margin, 0):.1f} mm; print shops ask for "
                             f"{expect.bleed_mm:g} mm around the trim", number)
    if expected is None and len(sizes) > 1:
        common = max(sizes, key=lambda size: len(sizes[size]))
        odd = sorted(n for size, numbers in sizes.items() if size != common for n in numbers)
        report.add(WARNING, "page-size-mixed",
                   f"pages differ in size: most are {common[0]:g}×{common[1]:g} mm, "
                   f"pages {_ranges(odd)} are not", page=odd[0])
    per_page.report(report, count)


# ---------------------------------------------------------------- images


def _images(images: Sequence[Any], expect: Expectations, sources: dict[tuple[int, int], str],
            report: Report) -> None:
    seen: set[tuple[int, str]] = set()
    for image in images:
        if image.width_px * image.height_px <= TINY_IMAGE_PX or (image.page, image.name) in seen:
            continue
        dpi = image.dpi
        if dpi >= expect.warn_dpi * DPI_TOLERANCE:
            continue
        seen.add((image.page, image.name))
        width, height = (v * POINT_MM for v in image.placed_pt)
        source = sources.get((image.width_px, image.height_px))
        what = f"image {source}" if source else "an image"
        severity = ERROR if expect.error_dpi and dpi < expect.error_dpi * DPI_TOLERANCE \
            else WARNING
        report.add(severity, "image-resolution",
                   f"{what} ({image.width_px}×{image.height_px} px) is placed at "
                   f"{width:.0f}×{height:.0f} mm: {dpi:.0f} dpi, below the {expect.warn_dpi} dpi "
                   f"the {expect.name} profile asks for", page=image.page)


# ---------------------------------------------------------------- document


def _root(reader: PdfReader) -> Any:
    root = reader.trailer.get("/Root")
    return root.get_object() if root is not None else {}


def _xmp(reader: PdfReader) -> bytes:
    try:
        metadata = _root(reader).get("/Metadata")
        return bytes(metadata.get_object().get_data()) if metadata is not None else b""
    except read_errors():
        return b""


_PDFA_PART = re.compile(rb"pdfaid:part\s*(?:=\s*[\"'](\d)|>\s*(\d))")
_PDFA_CONFORMANCE = re.compile(rb"pdfaid:conformance\s*(?:=\s*[\"']([A-Za-z])|>\s*([A-Za-z]))")


def _pdfa_claim(reader: PdfReader) -> str | None:
    """``PDF/A-2B`` when the XMP metadata identifies the file as PDF/A, else None."""
    xmp = _xmp(reader)
    part = _PDFA_PART.search(xmp)
    if not part:
        return None
    conformance = _PDFA_CONFORMANCE.search(xmp)
    level = (conformance[1] or conformance[2]).decode().upper() if conformance else ""
    return f"PDF/A-{(part[1] or part[2]).decode()}{level}"


def _metadata(reader: PdfReader, expect: Expectations, report: Report) -> None:
    info: dict[str, object] = reader.metadata or {}
    xmp = _xmp(reader)
    required: Severity = ERROR if expect.title_language_required else WARNING
    title = str(info.get("/Title") or "").strip()
    if not title and not re.search(rb"<dc:title>\s*<rdf:Alt>\s*<rdf:li[^>]*>\s*[^<\s]", xmp):
        report.add(required, "metadata-title",
                   "the document has no title in its metadata (viewers show the file name)")
    language = _root(reader).get("/Lang")
    if not language or not str(language).strip():
        report.add(required, "metadata-language",
                   "the document does not say its language (/Lang): screen readers and "
                   "hyphenation need it")
    author = str(info.get("/Author") or "").strip()
    if not author and not re.search(rb"<dc:creator>\s*<rdf:Seq>\s*<rdf:li[^>]*>\s*[^<\s]", xmp):
        report.add(WARNING, "metadata-author", "the document names no author in its metadata")


def _tagged(reader: PdfReader, report: Report) -> None:
    root = _root(reader)
    mark = root.get("/MarkInfo")
    marked = bool(mark.get_object().get("/Marked")) if mark is not None else False
    if "/StructTreeRoot" not in root or not marked:
        report.add(ERROR, "not-tagged",
                   "the PDF is not tagged (no structure tree or MarkInfo /Marked): screen "
                   "readers cannot read it in order")


def _structure(reader: PdfReader, expect: Expectations, report: Report,
               text_layer: bool = True) -> None:
    """The structure tree and marked content (:mod:`vigil.check.tagging`): errors for a
    profile that promises tags (screen) and for any file that claims PDF/UA; warnings for
    another tagged file."""
    from vigil.check.tagging import check_tags, pdfua_claim

    if "/StructTreeRoot" not in _root(reader):
        return
    claim = pdfua_claim(reader)
    severity: Severity = ERROR if expect.tagged or claim else WARNING
    for problem in check_tags(reader, text_layer):
        if problem.code == "language-missing":
            continue  # metadata-language says it
        if problem.code in ("text-hyphen", "text-spacing"):  # what extraction gives
            report.add(WARNING, problem.code, problem.message, page=problem.page)
            continue
        message = f"the file claims {claim} but {problem.message}" if claim else \
            problem.message
        report.add(severity, problem.code, message, page=problem.page)


MAX_STRUCTURE_NODES = 200_000


def _figures(reader: PdfReader, expect: Expectations, report: Report) -> None:
    """In a tagged PDF, every /Figure structure element has alternative text (/Alt)."""
    root = _root(reader).get("/StructTreeRoot")
    if root is None:
        return
    missing = 0
    stack: list[tuple[Any, int]] = [(root, 0)]
    seen: set[int] = set()
    visited = 0
    while stack and visited < MAX_STRUCTURE_NODES:
        node, depth = stack.pop()
        number = getattr(node, "idnum", None)
        if number is not None:
            if number in seen:
                continue
            seen.add(number)
        node = node.get_object() if hasattr(node, "get_object") else node
        visited += 1
        if isinstance(node, dict):
            if node.get("/S") == "/Figure" and not str(node.get("/Alt") or node.get(
                    "/ActualText") or "").strip():
                missing += 1
            kids = node.get("/K")
            if depth < 200 and kids is not None:
                kids = kids.get_object() if hasattr(kids, "get_object") else kids
                items = kids if isinstance(kids, list) else [kids]
                stack.extend((kid, depth + 1) for kid in items if not isinstance(kid, int))
    if missing:
        severity: Severity = ERROR if expect.strict and expect.strict_applies else WARNING
        report.add(severity, "image-alt",
                   f"{missing} figure{'s have' if missing > 1 else ' has'} no alternative text "
                   "(/Alt): screen readers skip them")


def _archive(reader: PdfReader, expect: Expectations, claims: str | None, report: Report,
             device_colours: dict[str, int]) -> None:
    """PDF/A (see vigil.check.pdfa): identification, the output intent, embedded files, no
    encryption, no JavaScript. A file that claims PDF/A is held to it under any profile (a
    merge must not leave a false claim)."""
    judged = expect.pdfa or claims is not None
    severity: Severity = ERROR if judged else WARNING
    claim = f"claims {claims} but " if claims else ""
    if expect.pdfa and not claims:
        report.add(ERROR, "pdfa-missing",
                   "the XMP metadata does not identify the file as PDF/A (pdfaid:part)")
    if claims:
        for problem in identification(_xmp(reader)):
            report.add(ERROR, "pdfa-identification", f"the file {claim}{problem}")
    if judged:
        for problem in output_intents(reader, device_colours):
            report.add(ERROR, "pdfa-output-intent", f"the file {claim}{problem}")
    part = int(claims[6]) if claims and claims[6:7].isdigit() else None
    for code, message in embedded_files(reader, part if claims else None):
        report.add(severity if code == "embedded-file" else
                   ERROR if judged or expect.name == "print" else WARNING, code, message)
    if reader.is_encrypted:
        report.add(severity if judged or expect.name == "print" else WARNING, "encrypted",
                   f"the file {claim}is encrypted")
    script = _javascript(reader)
    if script:
        report.add(severity, "javascript", f"the file {claim}contains JavaScript ({script})")


def _javascript(reader: PdfReader) -> str | None:
    root = _root(reader)
    names = root.get("/Names")
    if names is not None and "/JavaScript" in names.get_object():
        return "a document-level script"
    if _is_script(root.get("/OpenAction")):
        return "run when the file opens"
    if root.get("/AA") is not None:
        return "document actions"
    for number, page in enumerate(reader.pages, start=1):
        if page.get("/AA") is not None:
            return f"page actions on page {number}"
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if _is_script(annotation.get("/A")) or annotation.get("/AA") is not None:
                return f"an annotation on page {number}"
    return None


def _is_script(action: object) -> bool:
    action = resolve(action)
    return isinstance(action, dict) and action.get("/S") == "/JavaScript"


# ---------------------------------------------------------------- links and bookmarks


def _page_numbers(reader: PdfReader) -> dict[int, int]:
    """Object number of each page → its 1-based page number."""
    numbers = {}
    for index, page in enumerate(reader.pages, start=1):
        reference = page.indirect_reference
        if reference is not None:
            numbers[reference.idnum] = index
    return numbers


def _target(destination: object, reader: PdfReader, pages: dict[int, int],
            named: dict[str, Any]) -> int | None:
    """The 1-based page a destination leads to, or None when it leads nowhere."""
    if destination is None:
        return None
    destination = resolve(destination)
    if isinstance(destination, dict) and "/D" in destination:
        destination = destination["/D"]
    if isinstance(destination, str):
        found = named.get(str(destination))
        if found is None:
            return None
        return _target(found, reader, pages, {})
    if hasattr(destination, "page"):  # a pypdf Destination
        page = destination.page
    elif isinstance(destination, list) and destination:
        page = destination[0]
    else:
        return None
    if isinstance(page, int) and not hasattr(page, "idnum"):
        return page + 1 if 0 <= page < len(reader.pages) else None
    number = getattr(page, "idnum", None)
    return pages.get(number) if number is not None else None


def _named(reader: PdfReader) -> dict[str, Any]:
    try:
        return dict(reader.named_destinations)
    except read_errors():
        return {}


def _links(reader: PdfReader, report: Report) -> None:
    """Internal links lead to pages of the document (the assemble stage drops an insert's own
    internal links, so this holds on insert pages too)."""
    pages = _page_numbers(reader)
    named = _named(reader)
    for number, page in enumerate(reader.pages, start=1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            action = action.get_object() if action is not None else None
            if isinstance(action, dict) and action.get("/S") != "/GoTo":
                continue  # a web address, another file, a script: not an internal link
            destination = action.get("/D") if isinstance(action, dict) else \
                annotation.get("/Dest")
            if _target(destination, reader, pages, named) is None:
                shown = resolve(destination)
                report.add(ERROR, "link-broken",
                           f"a link leads to a page that does not exist ({str(shown)[:60]})",
                           page=number)


def _bookmarks(reader: PdfReader, titles: Sequence[str] | None, report: Report) -> None:
    pages = _page_numbers(reader)
    named = _named(reader)
    found: list[str] = []
    broken: list[str] = []

    def walk(items: Any, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                if depth < 16:
                    walk(item, depth + 1)
                continue
            title = str(item.title or "").strip()
            found.append(title)
            node = getattr(item, "node", None)
            if isinstance(node, dict) and "/Dest" not in node and "/A" not in node:
                continue  # a heading without a destination (allowed): it leads nowhere wrong
            if _target(item, reader, pages, named) is None:
                broken.append(f"'{title[:50]}'")

    try:
        walk(reader.outline, 0)
    except read_errors() as exc:
        report.add(ERROR, "bookmark-broken", f"the bookmarks cannot be read ({exc})")
    report.bookmarks = found
    if broken:
        more = f" and {len(broken) - 3} more" if len(broken) > 3 else ""
        report.add(ERROR, "bookmark-broken",
                   f"{len(broken)} bookmark{'s lead' if len(broken) > 1 else ' leads'} nowhere: "
                   + ", ".join(broken[:3]) + more)
    if titles is not None:
        present = {" ".join(t.split()) for t in found}
        for title in titles:
            if " ".join(title.split()) not in present:
                report.add(ERROR, "bookmark-missing", f"no bookmark for the section '{title}'")
    elif not found and len(reader.pages) > FEW_PAGES:
        report.add(WARNING, "no-bookmarks",
                   f"the file has {len(reader.pages)} pages and no bookmarks to find one's way")


def _size(size: int, expect: Expectations, report: Report) -> None:
    if expect.max_bytes is None or size <= expect.max_bytes:
        return
    budget = expect.max_bytes / 1_000_000
    report.add(ERROR if expect.max_bytes_is_error else WARNING, "file-size",
               f"the file is {size / 1_000_000:.2f} MB, over the {budget:g} MB budget of the "
               f"{expect.name} profile")
