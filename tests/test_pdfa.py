"""The archive preflight against veraPDF's verdicts (#16 item 8): the PDF/A clauses vigil claims
to check (listed in docs/archive.md), each with files that must pass and files that must fail,
from the veraPDF corpus where it is here (../shared/corpus) and built with pypdf otherwise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT, manifest_with, write_publication

CORPUS = ROOT.parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not (CORPUS / "fonts-embedded").is_dir(),
                                  reason="the veraPDF files are not in ../shared/corpus")

XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">A test</rdf:li></rdf:Alt></dc:title>
</rdf:Description>
<rdf:Description rdf:about="" {identification}/>
</rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""
GOOD_ID = 'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="2" pdfaid:conformance="B"'


def srgb(device: bytes = b"mntr", space: bytes = b"RGB ", version: int = 4) -> bytes:
    from PIL import ImageCms

    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    data[12:16], data[16:20], data[8] = device, space, version
    return bytes(data)


class RawPdf:
    """A PDF written object by object (to make exactly the faults a test needs)."""

    def __init__(self) -> None:
        self.objects: list[bytes] = []

    def add(self, body: bytes | str) -> int:
        self.objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(self.objects)

    def stream(self, data: bytes, entries: str = "") -> int:
        return self.add(b"<< %s /Length %d >>\nstream\n" % (entries.encode(), len(data))
                        + data + b"\nendstream")

    def bytes(self, root: int) -> bytes:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        start = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += (b"trailer\n<< /Size %d /Root %d 0 R /ID [<00112233445566778899aabbccddeeff> "
                b"<00112233445566778899aabbccddeeff>] >>\nstartxref\n%d\n%%%%EOF\n"
                % (len(self.objects) + 1, root, start))
        return bytes(out)


Intents = Callable[[RawPdf], list[str]]


def intent(pdf: RawPdf, kind: str = "/GTS_PDFA1", profile: int | None = None, n: int = 3,
           extra: str = "") -> str:
    number = profile or pdf.stream(srgb(), f"/N {n}")
    return (f"<< /Type /OutputIntent /S {kind} /OutputConditionIdentifier (sRGB) "
            f"/DestOutputProfile {number} 0 R {extra} >>")


def pdfa(identification: str = GOOD_ID, content: bytes = b"0 0 1 rg 10 10 50 50 re f",
         intents: Intents | None = None, attach: tuple[str, bytes] | None = None) -> bytes:
    """A one-page PDF/A-2B-like file: a blue square (DeviceRGB), XMP identification, and the
    output intents ``intents`` makes (default: one GTS_PDFA1 intent with sRGB)."""
    pdf = RawPdf()
    made = intents(pdf) if intents else [intent(pdf)]
    contents = pdf.stream(content)
    icc = pdf.stream(srgb(), "/N 3")
    metadata = pdf.stream(XMP.format(identification=identification).encode(),
                          "/Type /Metadata /Subtype /XML")
    pages = len(pdf.objects) + 2
    page = pdf.add(f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 200 200] /Contents "
                   f"{contents} 0 R /Resources << /ColorSpace << /CS0 [/ICCBased {icc} 0 R] "
                   ">> >> >>")
    pdf.add(f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>")
    names = ""
    if attach:
        file = pdf.stream(attach[1], "/Type /EmbeddedFile")
        spec = pdf.add(f"<< /Type /Filespec /F ({attach[0]}) /UF ({attach[0]}) "
                       f"/EF << /F {file} 0 R >> >>")
        names = f"/Names << /EmbeddedFiles << /Names [({attach[0]}) {spec} 0 R] >> >>"
    info = pdf.add("<< /Title (A test) >>")
    del info  # written, not referred to from the catalog
    root = pdf.add(f"<< /Type /Catalog /Pages {pages} 0 R /Metadata {metadata} 0 R "
                   f"/Lang (en) {names} "
                   + (f"/OutputIntents [{' '.join(made)}]" if made else "") + " >>")
    return pdf.bytes(root)


def findings(tmp_path: Path, data: bytes, profile: str = "archive") -> dict[str, list[str]]:
    from vigil.check import check_file

    path = tmp_path / "file.pdf"
    path.write_bytes(data)
    report = check_file(path, profile)
    found: dict[str, list[str]] = {}
    for finding in report.findings:
        if finding.severity == "error":
            found.setdefault(finding.code, []).append(finding.message)
    return found


def test_a_good_file_passes_every_pdfa_clause(tmp_path: Path) -> None:
    found = findings(tmp_path, pdfa())
    assert not {"pdfa-identification", "pdfa-output-intent", "pdfa-missing",
                "embedded-executable", "embedded-file"} & set(found), found


# ---------------------------------------------------------------- 6.6.4 identification


@pytest.mark.parametrize("identification", [
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id" pdfaid:part="2" pdfaid:conformance="B"',
    'xmlns:pdfaid="http://example.org/pdfa/" pdfaid:part="2" pdfaid:conformance="B"',
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:conformance="B"',
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="7" pdfaid:conformance="B"',
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="two" pdfaid:conformance="B"',
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="2" pdfaid:conformance="X"',
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="2" pdfaid:conformance="b"',
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="2"',
    'xmlns:pdfa="http://www.aiim.org/pdfa/ns/id/" pdfa:part="2" pdfa:conformance="B"',
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" xmlns:id="http://www.aiim.org/pdfa/ns/id/" '
    'pdfaid:part="2" id:conformance="B"',
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" xmlns:id="http://www.aiim.org/pdfa/ns/id/" '
    'pdfaid:part="2" pdfaid:conformance="B" id:amd="2005"',
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" xmlns:id="http://www.aiim.org/pdfa/ns/id/" '
    'pdfaid:part="2" pdfaid:conformance="B" id:corr="1"',
], ids=["namespace-without-slash", "wrong-namespace", "no-part", "part-7", "part-not-a-number",
        "conformance-X", "conformance-lowercase", "no-conformance", "prefix-pdfa",
        "conformance-prefix", "amd-prefix", "corr-prefix"])
def test_identification_faults_are_caught(tmp_path: Path, identification: str) -> None:
    found = findings(tmp_path, pdfa(identification))
    assert "pdfa-identification" in found or "pdfa-missing" in found, found


@pytest.mark.parametrize("identification", [
    GOOD_ID,
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="3" pdfaid:conformance="U"',
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="1" pdfaid:conformance="A"',
    'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="2" pdfaid:conformance="B" '
    'pdfaid:amd="2005"',
])
def test_valid_identifications_pass(tmp_path: Path, identification: str) -> None:
    found = findings(tmp_path, pdfa(identification))
    assert "pdfa-identification" not in found and "pdfa-missing" not in found, found


def test_identification_written_as_elements_is_read(tmp_path: Path) -> None:
    elements = ('xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><pdfaid:part>2</pdfaid:part>'
                "<pdfaid:conformance>B</pdfaid:conformance></rdf:Description><rdf:Description "
                'rdf:about=""')
    found = findings(tmp_path, pdfa(elements))
    assert "pdfa-identification" not in found, found
    bad = elements.replace(">B<", ">Q<")
    assert "pdfa-identification" in findings(tmp_path, pdfa(bad))


# ---------------------------------------------------------------- 6.2.3 output intent


def _two_profiles(pdf: RawPdf) -> list[str]:
    return [intent(pdf), intent(pdf, "/GTS_PDFX")]


def _same_profile_twice(pdf: RawPdf) -> list[str]:
    shared = pdf.stream(srgb(), "/N 3")
    return [intent(pdf, profile=shared), intent(pdf, "/GTS_PDFX", profile=shared)]


@pytest.mark.parametrize("intents, says", [
    (lambda p: [], "device colours"),
    (_two_profiles, "different ICC profiles"),
    (lambda p: [intent(p, profile=p.stream(srgb(device=b"scnr"), "/N 3"))], "class 'scnr'"),
    (lambda p: [intent(p, profile=p.stream(srgb(device=b"abst"), "/N 3"))], "class 'abst'"),
    (lambda p: [intent(p, profile=p.stream(srgb(space=b"Lab "), "/N 3"))],
     "colour space 'Lab'"),
    (lambda p: [intent(p, profile=p.stream(srgb(version=5), "/N 3"))], "version 5"),
    (lambda p: [intent(p, profile=p.stream(b"not an ICC profile" * 10))],
     "not an ICC profile"),
    (lambda p: [intent(p), intent(p, "/GTS_PDFX", extra="/DestOutputProfileRef << >>")],
     "DestOutputProfileRef"),
    (lambda p: [intent(p, n=4)], "components"),
    (lambda p: [intent(p, "/GTS_PDFX")], "no PDF/A output intent"),
], ids=["none", "two-profiles", "scanner-class", "abstract-class", "lab-space", "version-5",
        "not-icc", "profile-ref", "wrong-n", "pdfx-only"])
def test_output_intent_faults_are_caught(tmp_path: Path, intents: Intents, says: str) -> None:
    found = findings(tmp_path, pdfa(intents=intents))
    assert "pdfa-output-intent" in found, found
    assert any(says in message for message in found["pdfa-output-intent"]), found


@pytest.mark.parametrize("content, intents", [
    (b"0 0 1 rg 10 10 50 50 re f", None),
    (b"0 0 1 rg 10 10 50 50 re f", _same_profile_twice),
    # no device colour: an ICC-based colour space needs no output intent (6.2.4.3)
    (b"/CS0 cs 0 0 1 scn 10 10 50 50 re f", lambda p: []),
    (b"10 10 50 50 re f", lambda p: []),  # a path in the initial colour: veraPDF passes it
], ids=["srgb-intent", "same-profile-twice", "icc-colour-no-intent", "no-colour-no-intent"])
def test_good_output_intents_pass(tmp_path: Path, content: bytes,
                                  intents: Intents | None) -> None:
    found = findings(tmp_path, pdfa(content=content, intents=intents))
    assert "pdfa-output-intent" not in found, found


@needs_corpus
@pytest.mark.parametrize("pdf", sorted((CORPUS / "fonts-embedded").glob("*.pdf"))
                         + sorted((CORPUS / "fonts-not-embedded").glob("*.pdf")),
                         ids=lambda p: p.stem)
def test_verapdf_files_pass_identification_output_intent_and_bookmarks(tmp_path: Path,
                                                                       pdf: Path) -> None:
    """Every veraPDF file here is valid PDF/A-2B but for its font clause: no other PDF/A
    finding, and their bookmarks (headings without destinations) are not broken."""
    found = findings(tmp_path, pdf.read_bytes())
    for code in ("pdfa-identification", "pdfa-output-intent", "pdfa-missing",
                 "bookmark-broken", "link-broken", "content-damaged"):
        assert code not in found, (code, found[code])
    fails = "-fail-" in pdf.name
    assert bool({"font-not-embedded", "font-glyph-missing"} & set(found)) == fails, found


# ---------------------------------------------------------------- embedded files


@pytest.mark.parametrize("name, data", [
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60),
    ("tool", b"\x7fELF\x02\x01\x01" + b"\x00" * 60),
    ("run.sh", b"#!/bin/sh\necho hi\n"),
    ("photo.jpg", b"MZ\x90\x00 a Windows program named as a picture"),
    ("macro.vbs", b"MsgBox 1"),
])
def test_an_embedded_program_is_an_error(tmp_path: Path, name: str, data: bytes) -> None:
    found = findings(tmp_path, pdfa(attach=(name, data)))
    assert "embedded-executable" in found, found
    assert name in found["embedded-executable"][0]


def test_an_embedded_text_file_in_pdfa2_is_an_error_but_a_pdf_is_not(tmp_path: Path) -> None:
    assert "embedded-file" in findings(tmp_path, pdfa(attach=("notes.txt", b"words")))
    found = findings(tmp_path, pdfa(attach=("other.pdf", b"%PDF-1.7\n%%EOF\n")))
    assert "embedded-file" not in found and "embedded-executable" not in found, found


# ---------------------------------------------------------------- inserts


def _insert(tmp_path: Path, fault: str) -> Path:
    """A one-page A5 insert carrying a program, or drawing a picture whose object is missing."""
    pdf = RawPdf()
    if fault == "program":
        contents = pdf.stream(b"0 0 1 rg 10 10 50 50 re f")
        resources = ""
        file = pdf.stream(b"MZ\x90\x00" + b"\x00" * 200, "/Type /EmbeddedFile")
        spec = pdf.add(f"<< /Type /Filespec /F (update.exe) /UF (update.exe) "
                       f"/EF << /F {file} 0 R >> >>")
        annotation = pdf.add(f"<< /Type /Annot /Subtype /FileAttachment /Rect [10 10 30 30] "
                             f"/FS {spec} 0 R /Contents (update) >>")
        names = f"/Names << /EmbeddedFiles << /Names [(update.exe) {spec} 0 R] >> >>"
        annots = f"/Annots [{annotation} 0 R]"
    else:
        contents = pdf.stream(b"q 100 0 0 100 10 10 cm /Im1 Do Q")
        resources = "/Resources << /XObject << /Im1 999 0 R >> >>"
        names = annots = ""
    pages = len(pdf.objects) + 2
    page = pdf.add(f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 419.53 595.28] "
                   f"/Contents {contents} 0 R {resources} {annots} >>")
    pdf.add(f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>")
    root = pdf.add(f"<< /Type /Catalog /Pages {pages} 0 R {names} >>")
    folder = write_publication(tmp_path / "p", manifest=manifest_with(
        sections=("intro.md", "insert: inserts/in.pdf")))
    (folder / "inserts").mkdir()
    (folder / "inserts" / "in.pdf").write_bytes(pdf.bytes(root))
    return folder


@pytest.mark.parametrize("fault, says", [("program", "update.exe"),
                                         ("missing-picture", "not in the file")])
@pytest.mark.parametrize("profile", ["archive", "screen"])
def test_a_bad_insert_never_reaches_a_pdf_that_says_ready(tmp_path: Path, fault: str,
                                                          says: str, profile: str) -> None:
    from conftest import run_cli, user_error

    folder = _insert(tmp_path, fault)
    code, out, err = run_cli("build", folder, "-o", tmp_path / "out", "--profile", profile,
                             "--jobs", "1")
    message = user_error(code, out, err)
    assert "in.pdf" in message.text and says in message.text, message
    written = list((tmp_path / "out").glob("p*.pdf")) if (tmp_path / "out").exists() else []
    assert not written
