"""vigil.pdf: the one resolve (objects), the one content tokenizer (content), the one writer of
objects and cross-reference sections (write), on real pypdf objects and WeasyPrint pages."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from shutil import which

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from tests.conftest import Builds

from vigil.assemble.incremental import append_update, open_base, serialise
from vigil.pdf._compat import add_object
from vigil.pdf.content import ContentSyntaxError, Name, operations, spans
from vigil.pdf.objects import array, dictionary, integer, items, name, number, resolve, stream
from vigil.pdf.write import classic, xref_entry, xref_table

# ---------------------------------------------------------------- the tokenizer


def test_strings_literal_and_hex_are_decoded() -> None:
    data = rb"(a\(b\)c \\ \101\n (nested) x) Tj <48 65 6C6C 6F7> Tj"
    (first, op1), (second, op2) = operations(data)
    assert (op1, op2) == (b"Tj", b"Tj")
    assert first == [b"a(b)c \\ A\n (nested) x"]
    assert second == [b"Hello" + bytes([0x70])]  # an odd last digit is followed by a 0


def test_numbers_names_booleans_arrays_and_dictionaries() -> None:
    data = (b"/F1 12 Tf 1 0 0 1 -3.5 .5 cm [(a) 2 /N] 0 d "
            b"/Span <</ActualText (x) /MCID 3 /Flag true /No null>> BDC EMC")
    found = list(operations(data))
    assert [op for _, op in found] == [b"Tf", b"cm", b"d", b"BDC", b"EMC"]
    assert found[0][0] == [Name("/F1"), 12.0] and isinstance(found[0][0][0], Name)
    assert found[1][0] == [1.0, 0.0, 0.0, 1.0, -3.5, 0.5]
    assert found[2][0] == [[b"a", 2.0, Name("/N")], 0.0]
    assert found[3][0] == [Name("/Span"), {"/ActualText": b"x", "/MCID": 3.0, "/Flag": True,
                                           "/No": None}]


def test_an_array_of_numbers_and_hex_strings_is_read_as_its_codes() -> None:
    (operands, operator), = operations(b"[<0012> -20 <00 34>] TJ")
    assert operator == b"TJ" and operands == [[b"\x00\x12\x004"]]


def test_arrays_item_by_item_when_asked() -> None:
    (operands, operator), = operations(b"[<0012> -20 (a) 3] TJ", codes_only=False)
    assert operator == b"TJ" and operands == [[b"\x00\x12", -20.0, b"a", 3.0]]


def test_inline_image_data_is_skipped_up_to_ei() -> None:
    # the data holds "EI" and ") Tj" that are not operators: it ends at white space + EI
    data = b"q BI /W 2 /H 1 /CS /RGB /BPC 8 /F [/AHx] ID \x00EIx) Tj\xff EI Q (after) Tj"
    found = list(operations(data))
    assert [op for _, op in found] == [b"q", b"BI", b"Q", b"Tj"]
    image = found[1][0][0]
    assert isinstance(image, dict)
    assert image["/W"] == 2.0 and image["/CS"] == "/RGB" and image["/F"] is None
    assert found[3][0] == [b"after"]


def test_comments_and_unexpected_bytes() -> None:
    data = b"% a comment (not a string\n1 w ) 2 w"
    assert [(o, op) for o, op in operations(data)] == [([1.0], b"w"), ([2.0], b"w")]
    with pytest.raises(ContentSyntaxError, match="unexpected byte at 13"):
        list(operations(b"1 w\n   2 w   )", strict=True))
    assert list(operations(b"1 w \n\r\t ", strict=True)) == [([1.0], b"w")]


def test_spans_give_each_operation_as_written() -> None:
    data = b"q 1 0 0 1 5 5 cm\nBT /F1 9 Tf [<0001> 3 <0002>] TJ ET\nQ\n"
    chunks = [data[start:end].strip() for _, _, start, end in spans(data)]
    assert chunks == [b"q", b"1 0 0 1 5 5 cm", b"BT", b"/F1 9 Tf", b"[<0001> 3 <0002>] TJ",
                      b"ET", b"Q"]


def test_the_tokenizer_reads_weasyprint_pages_as_pypdf_does(builds: Builds) -> None:
    reader = PdfReader(builds.sample("eternal-return-2025").pdf)
    checked = 0
    for page in reader.pages[:6]:
        data = page.get_contents().get_data()
        theirs = ContentStream(page.get_contents(), reader).operations
        ours = list(operations(data))
        assert [op for _, op in ours] == [op for _, op in theirs]
        for (mine, op), (pypdfs, _) in zip(ours, theirs, strict=True):
            if op == b"Tf":
                assert mine == [str(pypdfs[0]), float(pypdfs[1])]
            elif op == b"TJ":
                codes = b"".join(bytes(item.original_bytes) for item in pypdfs[0]
                                 if not isinstance(item, (NumberObject, FloatObject)))
                assert mine == [[codes] if codes else []]
                checked += 1
            elif op in (b"cm", b"Tm", b"re"):
                assert mine == [float(value) for value in pypdfs]
    assert checked > 50


# ---------------------------------------------------------------- objects


def _writer_with_objects() -> tuple[PdfWriter, IndirectObject]:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    target = add_object(writer, DictionaryObject({NameObject("/Kind"): NameObject("/Leaf")}))
    return writer, target


def test_resolve_and_the_typed_accessors() -> None:
    _, reference = _writer_with_objects()
    leaf = resolve(reference)
    assert leaf == {"/Kind": "/Leaf"} and dictionary(reference) is leaf
    assert array(reference) is None and stream(reference) is None
    assert name(leaf["/Kind"]) == "/Leaf" and name(TextStringObject("/Leaf")) is None
    assert number(FloatObject("2.5")) == 2.5 and number(NameObject("/X")) is None
    assert integer(NumberObject(3)) == 3 and integer(FloatObject("2.5")) is None
    assert items(ArrayObject([reference, NumberObject(1)])) == [reference, 1]
    assert items(reference) == [reference] and items(None) == []
    assert resolve(None) is None and resolve(5) == 5


def test_a_dangling_or_damaged_reference_reads_as_null() -> None:
    writer, leaf = _writer_with_objects()
    data = io.BytesIO()
    writer.write(data)
    damaged = data.getvalue().replace(b"/Leaf", b"(Leaf", 1)  # the string never ends
    reader = PdfReader(io.BytesIO(damaged), strict=True)
    with pytest.raises(PdfReadError):
        IndirectObject(leaf.idnum, 0, reader).get_object()
    assert resolve(IndirectObject(leaf.idnum, 0, reader)) is None
    assert dictionary(IndirectObject(99, 0, reader)) is None


# ---------------------------------------------------------------- writing


def test_cross_reference_rows_are_twenty_bytes() -> None:
    assert xref_entry(1234, 0, in_use=True) == b"0000001234 00000 n \n"
    assert xref_entry(0, 65535, in_use=False) == b"0000000000 65535 f \n"
    assert xref_table([(0, [xref_entry(0, 65535, False)]), (7, [xref_entry(9, 0, True)])]) == (
        b"xref\n0 1\n0000000000 65535 f \n7 1\n0000000009 00000 n \n")


@pytest.mark.parametrize("compressed", [False, True], ids=["table", "xref-stream"])
def test_an_incremental_update_is_read_by_pypdf_and_qpdf(compressed: bool, tmp_path: Path) -> None:
    writer, _ = _writer_with_objects()
    if compressed:
        buffer = io.BytesIO()
        writer.write(buffer)  # pypdf 7 writes a table; qpdf makes the stream kind below
        qpdf = which("qpdf")
        if qpdf is None:
            pytest.skip("qpdf is not installed")
        source = tmp_path / "in.pdf"
        source.write_bytes(buffer.getvalue())
        subprocess.run([qpdf, "--object-streams=generate", str(source), str(source) + ".x"],
                       check=True)
        data = (tmp_path / "in.pdf.x").read_bytes()
        assert b"/XRef" in data
    else:
        data = classic(writer)
    reader = PdfReader(io.BytesIO(data))
    base = open_base(data, reader)
    assert base.xref_stream is compressed
    page = reader.pages[0].indirect_reference
    changed = DictionaryObject(reader.pages[0])
    changed[NameObject("/Rotate")] = NumberObject(90)
    updated = append_update(base, [(page.idnum, serialise(page.idnum, changed))], base.size)
    assert updated.startswith(data)
    again = PdfReader(io.BytesIO(updated))
    assert again.pages[0]["/Rotate"] == 90 and len(again.pages) == 1
    qpdf = which("qpdf")
    if qpdf is not None:
        (tmp_path / "updated.pdf").write_bytes(updated)
        done = subprocess.run([qpdf, "--check", str(tmp_path / "updated.pdf")],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
