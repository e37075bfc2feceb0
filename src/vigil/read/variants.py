"""Personalised copies: the rows of the CSV file that ``variants:`` names.

Takes the ``variants:`` settings, the publication's folder and name; gives one
:class:`~vigil.read.model.Variant` per row: its fields (the CSV's columns), the copy's file name
(from the ``file:`` pattern) and the cover and back-cover lines (from the ``cover:`` and
``back:`` patterns). A missing column, an empty required value, a pattern naming an unknown
column, or two rows giving the same file name is an error naming the CSV line.
"""

from __future__ import annotations

import csv
import io
import re
import string
from pathlib import Path

from vigil.errors import ContentError, Location
from vigil.read.model import Variant, VariantSettings
from vigil.read.sourcefile import read_text

_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)


def read_variants(settings: VariantSettings, csv_path: Path, name: str,
                  manifest: Location) -> tuple[Variant, ...]:
    reader = csv.DictReader(io.StringIO(read_text(csv_path)))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    if not columns:
        raise ContentError("the CSV file is empty; its first line must name the columns",
                           location=Location(csv_path, 1))
    for column in settings.required:
        if column not in columns:
            raise ContentError(
                f"the required column '{column}' is missing (columns: {', '.join(columns)})",
                location=Location(csv_path, 1),
                hint="Add the column to the first line of the CSV file",
            )
    for key, pattern in (("file", settings.file), ("cover", settings.cover),
                         ("back", settings.back)):
        for field in _fields(pattern or "", key, manifest):
            if field not in columns and field not in ("name", "row"):
                raise ContentError(
                    f"the pattern '{pattern}' names '{{{field}}}', which is not a column of "
                    f"{csv_path.name} (columns: {', '.join(columns)})",
                    location=manifest, key=f"variants.{key}",
                )
    variants: list[Variant] = []
    stems: dict[str, int] = {}
    for number, row in enumerate(reader, start=1):
        line = reader.line_num
        if None in row:
            raise ContentError(
                f"the row has more values than the {len(columns)} columns",
                location=Location(csv_path, line),
                hint="Put quotes around a value that contains a comma",
            )
        fields = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        for column in settings.required:
            if not fields.get(column):
                raise ContentError(
                    f"the required value '{column}' is empty", location=Location(csv_path, line),
                    key=column,
                )
        values = {**fields, "name": name, "row": str(number)}
        stem = _UNSAFE.sub("-", settings.file.format_map(values)).strip("-.")
        if not stem:
            raise ContentError("the row gives an empty file name",
                               location=Location(csv_path, line))
        if stem in stems:
            raise ContentError(
                f"the row gives the file name '{stem}.pdf', as line {stems[stem]} does",
                location=Location(csv_path, line),
                hint="Make the 'file:' pattern of variants include a column that differs",
            )
        stems[stem] = line
        variants.append(Variant(
            fields=fields, line=line, stem=stem,
            cover=settings.cover.format_map(values) if settings.cover else None,
            back=settings.back.format_map(values) if settings.back else None,
        ))
    if not variants:
        raise ContentError("the CSV file has no rows", location=Location(csv_path, 1))
    return tuple(variants)


def _fields(pattern: str, key: str, manifest: Location) -> list[str]:
    """The column names ``pattern`` uses. Only plain names are allowed: no attribute or index
    (``{who.__class__}``, ``{who[0]}``), conversion (``{who!r}``) or format specification
    (``{who:>2000000000}``), which could show Python's internals or make a huge string."""
    hint = "Write fields as {column}; double braces for a brace"
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ContentError(
            f"the pattern '{pattern}' is not valid ({exc})", location=manifest,
            key=f"variants.{key}", hint=hint,
        ) from None
    fields = []
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if not field or spec or conversion or any(mark in field for mark in ".[]"):
            written = "{" + field + (f"!{conversion}" if conversion else "") + \
                (f":{spec}" if spec else "") + "}"
            raise ContentError(
                f"the pattern '{pattern[:80]}' has the field '{written[:60]}'; a field is only "
                "the name of a column, without '.', '[', '!' or ':'", location=manifest,
                key=f"variants.{key}", hint=hint,
            )
        fields.append(field)
    return fields
