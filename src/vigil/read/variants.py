"""Personalised copies: the rows of the CSV file that ``variants:`` names.

Takes the ``variants:`` settings, the publication's folder and name; gives one
:class:`~vigil.read.model.Variant` per row: its fields (the CSV's columns), the copy's file name
(from the ``file:`` pattern) and the cover and back-cover lines (from the ``cover:`` and
``back:`` patterns). A missing column, an empty required value, a pattern naming an unknown
column is an error naming the CSV line; so is a file name that could overwrite another file
(see :func:`check_stem`): two rows giving the same name (letter case aside, as on macOS and
Windows), a name the publication's own PDFs have (``NAME``, ``NAME-print``, ``NAME.ru``...),
one ending as vigil ends the names of other outputs (``-print``...), a name Windows reserves,
or one too long for a file system.
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
# What vigil adds to a name for its other outputs: profiles, imposition (see vigil.pipeline).
_OUTPUT_ENDINGS = ("-print", "-archive", "-imposed")
# Longest name, in UTF-8 bytes: room for "-archive.pdf" within the usual 255.
MAX_STEM_BYTES = 200
_WINDOWS = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)),
            *(f"lpt{n}" for n in range(10))}


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
        check_stem(stem, name, Location(csv_path, line))
        if stem.casefold() in stems:
            raise ContentError(
                f"the row gives the file name '{stem}.pdf', as line {stems[stem.casefold()]} "
                "does (letter case aside): one copy would overwrite the other",
                location=Location(csv_path, line),
                hint="Make the 'file:' pattern of variants include a column that differs",
            )
        stems[stem.casefold()] = line
        variants.append(Variant(
            fields=fields, line=line, stem=stem,
            cover=settings.cover.format_map(values) if settings.cover else None,
            back=settings.back.format_map(values) if settings.back else None,
        ))
    if not variants:
        raise ContentError("the CSV file has no rows", location=Location(csv_path, 1))
    return tuple(variants)


def check_stem(stem: str, name: str, location: Location) -> None:
    """Refuse a copy's file name ``stem`` (already reduced to letters, digits, ``.``, ``-``,
    ``_``) that is empty, too long, reserved by Windows, or could overwrite another output of
    the publication ``name`` (see the module's description)."""
    from vigil.i18n import available_languages

    hint = "Change the 'file:' pattern of variants, or the row's values"
    if not stem:
        raise ContentError("the row gives an empty file name", location=location, hint=hint)
    if len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        raise ContentError(
            f"the row gives a file name of {len(stem.encode('utf-8'))} bytes, more than the "
            f"{MAX_STEM_BYTES} a file system surely takes", location=location, hint=hint,
        )
    folded = stem.casefold()
    if folded.split(".")[0] in _WINDOWS:
        raise ContentError(f"the row gives the file name '{stem}.pdf', which Windows reserves",
                           location=location, hint=hint)
    editions = ("", *(f".{code}" for code in available_languages()))
    own = {f"{name}{ending}{edition}".casefold()
           for ending in ("", "-print", "-archive", "-print-imposed") for edition in editions}
    if folded in own:
        raise ContentError(
            f"the row gives the file name '{stem}.pdf', which is the name of the publication's "
            "own PDF: the copy would overwrite it", location=location,
            hint="Make the 'file:' pattern of variants differ from the publication's name, "
                 "e.g. \"{name}-{row}\"",
        )
    for ending in _OUTPUT_ENDINGS:
        if folded.endswith(ending):
            raise ContentError(
                f"the row gives the file name '{stem}.pdf', which ends in '{ending}' as vigil's "
                "names of other outputs do: it could overwrite one of them",
                location=location, hint=hint,
            )


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
