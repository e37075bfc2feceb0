"""Writing pypdf's documents compactly (object streams, a cross-reference stream): the same
document as pypdf writes it, read without complaint by pypdf, poppler and vigil's checks, in
fewer bytes, and the same bytes every time."""

from __future__ import annotations

import io
import logging
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

import vigil
from conftest import CONTENT
from vigil.assemble.compact import compact
from vigil.check import check_pdf
from vigil.options import BuildOptions


@pytest.fixture(scope="module")
def whole_booklet(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("compact")
    return vigil.build(CONTENT / "eternal-return-2025", out,
                       BuildOptions(force=True, whole=True)).output.read_bytes()


def _texts(data: bytes, tmp_path: Path, name: str) -> list[str]:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout.split("\f")


def test_compact_is_the_same_document_in_fewer_bytes(
        whole_booklet: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    plain = io.BytesIO()
    PdfWriter(clone_from=io.BytesIO(whole_booklet)).write(plain)
    small = compact(PdfWriter(clone_from=io.BytesIO(whole_booklet)))
    assert len(small) < 0.9 * len(plain.getvalue())
    assert small == compact(PdfWriter(clone_from=io.BytesIO(whole_booklet)))
    with caplog.at_level(logging.WARNING, logger="pypdf"):
        reader = PdfReader(io.BytesIO(small), strict=True)
        assert len(reader.pages) == len(PdfReader(io.BytesIO(whole_booklet)).pages)
        assert reader.trailer["/Root"]["/StructTreeRoot"] is not None
        assert reader.metadata is not None and reader.metadata.title
    assert not caplog.records
    assert _texts(small, tmp_path, "small.pdf") == _texts(plain.getvalue(), tmp_path, "p.pdf")
    shown = subprocess.run(["pdftoppm", "-r", "20", "-f", "1", "-l", "2", "-png",
                            str(tmp_path / "small.pdf"), str(tmp_path / "page")],
                           capture_output=True, text=True)
    assert shown.returncode == 0 and not shown.stderr
    report = check_pdf(small, (148.0, 210.0))
    assert not report.errors


def test_builds_write_object_streams(tmp_path: Path) -> None:
    result = vigil.build(CONTENT / "institute-programme-2025", tmp_path,
                         BuildOptions(profile="print", force=True))
    data = result.output.read_bytes()
    assert b"/Type /ObjStm" in data and b"/Type /XRef" in data
    assert b"\nxref\n" not in data
