"""vigil.pdf.cmap: the CMaps WeasyPrint writes (and the other forms PDF allows) read with a
tokenizer, and written back so that they read the same."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from vigil.pdf.cmap import (
    CMap,
    CMapError,
    Kind,
    Token,
    cid_cmap,
    parse_cmap,
    to_unicode_cmap,
    tokens,
)


def test_tokens_of_every_kind() -> None:
    data = (b"%!PS comment\n/CIDInit /ProcSet findresource begin\n"
            b"<< /Registry (Adobe (nested) \\) ok) >> def [<0A 1> 12 -3.5] {x}")
    assert list(tokens(data)) == [
        Token(Kind.NAME, b"CIDInit"), Token(Kind.NAME, b"ProcSet"),
        Token(Kind.KEYWORD, b"findresource"), Token(Kind.KEYWORD, b"begin"),
        Token(Kind.DELIMITER, b"<<"), Token(Kind.NAME, b"Registry"),
        Token(Kind.STRING, b"Adobe (nested) \\) ok"), Token(Kind.DELIMITER, b">>"),
        Token(Kind.KEYWORD, b"def"), Token(Kind.DELIMITER, b"["),
        Token(Kind.HEX, b"\x0a\x10"),  # an odd last digit stands for its high half
        Token(Kind.NUMBER, b"12"), Token(Kind.NUMBER, b"-3.5"), Token(Kind.DELIMITER, b"]"),
        Token(Kind.DELIMITER, b"{"), Token(Kind.KEYWORD, b"x"), Token(Kind.DELIMITER, b"}"),
    ]


@pytest.mark.parametrize("broken", [b"<00zz>", b"<0041", b"(open", b"a > b", b"x ) y"])
def test_broken_tokens_raise(broken: bytes) -> None:
    with pytest.raises(CMapError):
        parse_cmap(b"1 beginbfchar " + broken + b" endbfchar")


def test_bfchar_and_both_forms_of_bfrange() -> None:
    cmap = parse_cmap(
        b"/CMapName /Test-UCS def\n"
        b"2 beginbfchar\n<0003> <0041>\n<0004> <00660069>\nendbfchar\n"
        b"2 beginbfrange\n<0010> <0012> <0061>\n<0020> <0021> [<d83dde00> <0042>]\n"
        b"endbfrange\n"
        b"1 beginbfchar\n<0005> /glyphname\nendbfchar\n")  # a name: not text, skipped
    assert cmap.name == "Test-UCS"
    assert {code.hex(): cmap.text(code) for code in cmap.unicode} == {
        "0003": "A", "0004": "fi", "0010": "a", "0011": "b", "0012": "c",
        "0020": "\U0001F600", "0021": "B"}


def test_cid_cmap_notdef_and_usecmap() -> None:
    cmap = parse_cmap(b"/WP-Encod-1 usecmap\n2 begincidchar <0001> 7 <0002> 12 endcidchar\n"
                      b"1 begincidrange <0010> <0012> 100 endcidrange\n"
                      b"1 beginnotdefrange <0000> <001f> 1 endnotdefrange")
    assert cmap.uses == "WP-Encod-1" and cmap.notdef and not cmap.unicode
    assert {int.from_bytes(code, "big"): cid for code, cid in cmap.cids.items()} == {
        1: 7, 2: 12, 16: 100, 17: 101, 18: 102}


def test_ranges_that_are_not_ranges_are_skipped() -> None:
    cmap = parse_cmap(b"3 beginbfrange <0010> <000f> <0041> <0001> <000001> <0041>"
                      b" <00> <ff> <0041> endbfrange")
    assert sorted(cmap.unicode) == [bytes([n]) for n in range(256)]  # one-byte codes
    assert parse_cmap(b"") == CMap()


def test_written_cmaps_read_the_same() -> None:
    texts = {cid: chr(0x41 + cid % 50).encode("utf-16-be") for cid in range(3, 260)}
    texts[300] = "\U0001F600".encode("utf-16-be")
    written = to_unicode_cmap(texts)
    assert written.count(b"beginbfchar") == 3  # batches of at most 100
    cmap = parse_cmap(written)
    assert cmap.name == "Adobe-Identity-UCS"
    assert {int.from_bytes(c, "big"): t for c, t in cmap.unicode.items()} == texts
    cids = {code: code + 5 for code in range(0, 150)}
    encoding = parse_cmap(cid_cmap("WP-Encod-2", cids))
    assert encoding.name == "WP-Encod-2"
    assert {int.from_bytes(c, "big"): cid for c, cid in encoding.cids.items()} == cids


def test_weasyprint_to_unicode_reads_as_its_text() -> None:
    """The ToUnicode CMap of a real WeasyPrint PDF gives the characters of its text."""
    from weasyprint import HTML

    text = "Zoë Quinn (1914–1918) — Jakob Müller"
    pdf = HTML(string=f"<p>{text}</p>").write_pdf()
    reader: Any = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"].values()
    found = set()
    for reference in fonts:
        cmap = parse_cmap(reference.get_object()["/ToUnicode"].get_object().get_data())
        assert cmap.unicode and all(len(code) == 2 for code in cmap.unicode)
        found.update(cmap.text(code) for code in cmap.unicode)
    assert set(text) - {" "} <= found
