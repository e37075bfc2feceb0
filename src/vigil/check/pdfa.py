"""PDF/A checks (ISO 19005-2 and -3), each after a clause of the standard as veraPDF tests it:
the identification in the XMP metadata (6.6.4), the output intent (6.2.3, and 6.2.4.3: device
colours need one), embedded files (6.8) and, for vigil, no executable program inside.

Takes a pypdf reader (and, for the output intent, the device colour spaces the content walker
found); gives ``(code, message)`` problems. The claimed clauses and the tests that prove each
are listed in docs/archive.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from vigil.pdf.objects import read_errors, resolve
from vigil.programs import looks_like_program

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf.generic import StreamObject

PDFAID = b"http://www.aiim.org/pdfa/ns/id/"
_DECLARATION = re.compile(rb"xmlns:([\w.-]+)\s*=\s*[\"']([^\"']*)[\"']")
_PROPERTY = re.compile(rb"(?<![\w.-])([\w.-]+):(part|conformance|amd|corr|rev)\b"
                       rb"\s*(?:=\s*[\"']([^\"']*)[\"']|>([^<]*)<)?")
_CONFORMANCE = {1: ("A", "B"), 2: ("A", "B", "U"), 3: ("A", "B", "U"), 4: ("E", "F", "")}


def identification(xmp: bytes) -> list[str]:
    """Clause 6.6.4: the PDF/A identification schema (namespace
    ``http://www.aiim.org/pdfa/ns/id/``) with a valid ``part`` and ``conformance``, each
    property written with the prefix ``pdfaid``."""
    prefixes = {m[1] for m in _DECLARATION.finditer(xmp) if m[2] == PDFAID}
    if not prefixes:
        wrong = [m[2].decode("latin-1") for m in _DECLARATION.finditer(xmp)
                 if m[1] == b"pdfaid"]
        return ["the XMP metadata has no PDF/A identification schema (namespace "
                f"{PDFAID.decode()}{', found ' + wrong[0] if wrong else ''})"]
    problems: list[str] = []
    values: dict[str, str] = {}
    for match in _PROPERTY.finditer(xmp):
        prefix, name = match[1], match[2].decode()
        value = (match[3] if match[3] is not None else match[4] or b"").decode("latin-1").strip()
        if prefix in prefixes:
            if prefix != b"pdfaid":
                problems.append(f"the identification property '{name}' has the prefix "
                                f"'{prefix.decode()}', not 'pdfaid'")
            values.setdefault(name, value)
    part_text = values.get("part")
    if part_text is None:
        problems.append("the PDF/A identification has no pdfaid:part")
        return problems
    if not part_text.isdigit() or int(part_text) not in _CONFORMANCE:
        problems.append(f"pdfaid:part is '{part_text[:20]}', not a part of ISO 19005 (1 to 4)")
        return problems
    allowed = _CONFORMANCE[int(part_text)]
    conformance = values.get("conformance")
    if conformance is None and "" not in allowed:
        problems.append("the PDF/A identification has no pdfaid:conformance")
    elif conformance is not None and conformance not in allowed:
        problems.append(f"pdfaid:conformance is '{conformance[:20]}', not one of "
                        f"{', '.join(c for c in allowed if c)} (for PDF/A-{part_text})")
    return problems


def output_intents(reader: PdfReader, device_colours: dict[str, int]) -> list[str]:
    """Clause 6.2.3: every DestOutputProfile the same ICC stream (test 2), a printer or
    monitor profile in GRAY, RGB or CMYK, of version below 5 (test 1), no
    DestOutputProfileRef in a PDF/X intent (test 3); and 6.2.4.3: a device colour space
    (DeviceRGB, DeviceCMYK, DeviceGray) is used only with a PDF/A output intent."""
    problems: list[str] = []
    intents = [resolve(i) for i in resolve(_root(reader).get("/OutputIntents")) or []]
    intents = [i for i in intents if isinstance(i, dict)]
    profiles = []
    pdfa = None
    for intent in intents:
        kind = str(intent.get("/S") or "")
        if kind == "/GTS_PDFX" and "/DestOutputProfileRef" in intent:
            problems.append("a PDF/X output intent has a DestOutputProfileRef entry")
        reference = intent.raw_get("/DestOutputProfile") if hasattr(intent, "raw_get") and \
            "/DestOutputProfile" in intent else None
        if reference is not None:
            profiles.append((kind, reference))
        if kind == "/GTS_PDFA1":
            pdfa = intent
    numbers = {getattr(ref, "idnum", id(ref)) for _, ref in profiles}
    if len(numbers) > 1:
        problems.append(f"the {len(profiles)} output intents name different ICC profiles "
                        "(they must all name the same one)")
    for kind, reference in profiles:
        header = _icc_problem(resolve(reference))
        if header:
            problems.append(f"the output intent's profile ({kind[1:]}) {header}")
            break
    if device_colours and (pdfa is None or "/DestOutputProfile" not in pdfa):
        used = ", ".join(f"{space} (p. {page})" for space, page in sorted(
            device_colours.items(), key=lambda item: item[1]))
        problems.append(f"device colours are used ({used}) but there is no PDF/A output "
                        "intent with an ICC profile to say what they mean")
    return problems


def _icc_problem(stream: StreamObject) -> str | None:
    """What is wrong with an ICC profile's header, or None."""
    try:
        data = bytes(stream.get_data())[:128]
    except read_errors():  # a damaged profile stream
        return "cannot be read"
    if len(data) < 128 or data[36:40] != b"acsp":
        return "is not an ICC profile"
    device, space, major = data[12:16], data[16:20], data[8]
    if device not in (b"prtr", b"mntr"):
        return (f"is of the class '{device.decode('latin-1').strip()}', not an output (prtr) "
                "or monitor (mntr) profile")
    if space not in (b"GRAY", b"RGB ", b"CMYK"):
        return f"is in the colour space '{space.decode('latin-1').strip()}', not GRAY, RGB or CMYK"
    if major >= 5:
        return f"is an ICC profile of version {major}, not below 5"
    count = resolve(stream.get("/N"))
    expected = {b"GRAY": 1, b"RGB ": 3, b"CMYK": 4}[space]
    if count is not None and count != expected:
        return f"says it has {count} components (/N) but its colour space has {expected}"
    return None


def embedded_files(reader: PdfReader, part: int | None) -> Iterator[tuple[str, str]]:
    """Each embedded file that may not be there: an executable program (never, in a file
    meant to be kept), any file in PDF/A-1 (6.1.11), a file that is not PDF in PDF/A-2 (6.8),
    a file without /AFRelationship or MIME type in PDF/A-3 (6.8). ``(code, message)``."""
    for where, spec in _file_specs(reader):
        name = str(spec.get("/UF") or spec.get("/F") or "unnamed")
        stream = resolve((resolve(spec.get("/EF")) or {}).get("/F")) \
            if isinstance(resolve(spec.get("/EF")), dict) else None
        try:
            head = bytes(stream.get_data())[:16] if stream is not None else b""
        except read_errors():  # a damaged embedded file
            head = b""
        if looks_like_program(name, head):
            yield ("embedded-executable",
                   f"{where} carries the program '{name[:60]}': a file kept in an archive "
                   "must not carry programs")
            continue
        if part == 1:
            yield "embedded-file", f"{where} carries the file '{name[:60]}': PDF/A-1 allows none"
        elif part == 2 and not head.startswith(b"%PDF-"):
            yield ("embedded-file", f"{where} carries the file '{name[:60]}', which is not a "
                   "PDF: PDF/A-2 allows only PDF/A files")
        elif part == 3:
            missing = [key for key, present in (
                ("/AFRelationship", "/AFRelationship" in spec),
                ("a MIME type (/Subtype)", stream is not None and "/Subtype" in stream))
                if not present]
            if missing:
                yield ("embedded-file", f"{where} carries the file '{name[:60]}' without "
                       + " and ".join(missing) + " (PDF/A-3 asks for both)")


def _file_specs(reader: PdfReader) -> Iterator[tuple[str, Any]]:
    names = resolve(resolve(_root(reader).get("/Names") or {}).get("/EmbeddedFiles")) \
        if isinstance(resolve(_root(reader).get("/Names")), dict) else None
    for spec in _name_tree_values(names, 0):
        if isinstance(spec, dict):
            yield "the document", spec
    for number, page in enumerate(reader.pages, start=1):
        for annotation in resolve(page.get("/Annots")) or []:
            annotation = resolve(annotation)
            if isinstance(annotation, dict) and annotation.get("/Subtype") == "/FileAttachment":
                spec = resolve(annotation.get("/FS"))
                if isinstance(spec, dict):
                    yield f"an attachment on page {number}", spec


def _name_tree_values(node: object, depth: int) -> Iterator[Any]:
    node = resolve(node)
    if not isinstance(node, dict) or depth > 16:
        return
    pairs = resolve(node.get("/Names")) or []
    for value in list(pairs)[1::2]:
        yield resolve(value)
    for kid in resolve(node.get("/Kids")) or []:
        yield from _name_tree_values(kid, depth + 1)


def _root(reader: PdfReader) -> Any:
    root = resolve(reader.trailer.get("/Root"))
    return root if isinstance(root, dict) else {}

