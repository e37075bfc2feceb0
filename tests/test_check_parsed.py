"""The check of a build takes the objects its assemble stage wrote the PDF from instead of
parsing the PDF again: its findings must be those of the bytes read from scratch."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest

# A tagged page with what the check finds fault with in WeasyPrint's own tags: a running head
# only the parent tree reaches (tag-orphan), table headers without a scope (table-scope), a
# link described by its anchor's name (link-description), a heading level skipped.
HTML = """<html lang="en"><head><style>
@page { size: A5; @top-center { content: "Running head" } }
</style></head><body>
<h1 id="top">Title</h1><h3>Skipped a level</h3>
<p>See <a href="#top">the top</a> or <a href="https://example.org/">a site</a>.</p>
<table><tr><th>Year</th><th>Event</th></tr><tr><td>1918</td><td>March days</td></tr></table>
<p style="break-before: page">A second page.</p>
</body></html>"""


def _findings(report: Any) -> list[tuple[Any, ...]]:
    return [dataclasses.astuple(finding) for finding in report.findings]


@pytest.fixture(scope="module")
def written() -> tuple[bytes, tuple[Any, ...]]:
    from pypdf import PdfWriter

    from vigil.assemble import _objects
    from vigil.assemble.compact import compact
    from vigil.typeset.engine import load

    typeset = load().HTML(string=HTML).write_pdf(pdf_tags=True)
    writer = PdfWriter(clone_from=io.BytesIO(typeset))
    writer.pdf_header = typeset[: typeset.index(b"\n")]
    data = compact(writer)
    return data, tuple(_objects(writer))


def test_the_objects_given_find_what_the_bytes_find(
        written: tuple[bytes, tuple[Any, ...]]) -> None:
    from vigil.check import check_pdf, expectations_for

    data, objects = written
    expect = expectations_for("screen")
    parsed_again = check_pdf(data, expect=expect)
    given = check_pdf(data, expect=expect, parsed=objects)
    codes = {finding[2] for finding in _findings(parsed_again)}
    assert {"tag-orphan", "table-scope", "link-description", "heading-skip"} <= codes
    assert _findings(given) == _findings(parsed_again)
    assert (given.pages, given.page_size_mm, given.bytes) == \
        (parsed_again.pages, parsed_again.page_size_mm, parsed_again.bytes)


def test_the_reader_reads_only_the_cross_reference_of_the_bytes(
        written: tuple[bytes, tuple[Any, ...]]) -> None:
    """Every object the check looks at is one of those given, none parsed from the file."""
    from vigil.check.structure import open_pdf

    data, objects = written
    reader = open_pdf(data, "the PDF", parsed=objects)
    root = reader.trailer["/Root"].get_object()
    number = root.indirect_reference.idnum
    assert root is objects[number - 1]
    assert all(page.get_object()["/Contents"].get_object() is
               objects[page.get_object().raw_get("/Contents").idnum - 1]
               for page in reader.pages)
