"""The publication model: what :func:`vigil.read.read_publication` gives to the later stages.

``PublicationMeta`` is the schema of ``publication.yaml``; ``Section`` is one validated section
in reading order. Every section remembers the file it came from so later stages can name it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from vigil.read.blocks import Block
from vigil.read.inserts import Insert
from vigil.read.schema import StrictModel

PAGE_SIZES = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "A6": (105.0, 148.0)}


class Page(StrictModel):
    size: Literal["A4", "A5", "A6"] = "A5"

    @property
    def millimetres(self) -> tuple[float, float]:
        return PAGE_SIZES[self.size]


class Cover(StrictModel):
    kicker: str | None = None
    note: str | None = None
    image: str | None = None
    alt: str | None = None


class Back(StrictModel):
    text: str | None = None


class PrintSettings(StrictModel):
    """How the ``print`` profile prepares the file for a print shop."""

    bleed: Annotated[float, Field(ge=0, le=20)] = 3.0
    marks: bool = True
    padding: Literal["blank", "notes"] = "blank"
    sheet: str | None = None
    creep: Annotated[float, Field(ge=0, le=2)] = 0.0


class SectionFile(StrictModel):
    """A section given as a mapping; today only ``file:``, later ``insert:`` too."""

    file: Annotated[str, Field(min_length=1)]


# A file name, or a mapping: ``file:`` (a section) or ``insert:`` (a PDF insert), which the read
# stage validates with the right schema so that its errors name the right keys.
SectionEntry = Annotated[str, Field(min_length=1)] | dict[str, Any]


class PublicationMeta(StrictModel):
    kind: Literal["booklet", "programme"]
    title: Annotated[str, Field(min_length=1)]
    subtitle: str | None = None
    language: str = "en"
    date: dt.date
    organiser: str | None = None
    author: str | None = None
    place: str | None = None
    description: str | None = None
    keywords: tuple[str, ...] = ()
    theme: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")] = "memorial"
    page: Page = Page()
    cover: Cover = Cover()
    back: Back | None = None
    print: PrintSettings = PrintSettings()
    sections: Annotated[list[SectionEntry], Field(min_length=1)]

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        return check_language(value)

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError(f"expected a date written as YYYY-MM-DD, found '{value}'")
        return value


def check_language(value: str) -> str:
    """Accept a BCP 47 tag whose primary language vigil has words for (``az``, ``az-Latn``...)."""
    from vigil.i18n import available_languages

    primary = value.split("-")[0].lower()
    accepted = available_languages()
    if primary not in accepted:
        raise ValueError(f"unsupported language '{value}' (accepted: {', '.join(accepted)})")
    return value


class SectionMeta(StrictModel):
    """Front matter of a Markdown section, and the section keys of a YAML section."""

    title: str | None = None
    language: str | None = None
    new_page: bool = True
    toc: bool = True
    intro: str | None = None

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        return None if value is None else check_language(value)


@dataclass(frozen=True)
class Section:
    """One section of the publication, validated, in reading order."""

    id: str
    title: str
    language: str
    source: Path
    new_page: bool = True
    toc: bool = True
    markdown: str | None = None
    markdown_line: int = 1
    intro: str | None = None
    blocks: tuple[Block, ...] = ()
    insert: Insert | None = None


@dataclass(frozen=True)
class Publication:
    """A validated publication: its folder, metadata, sections and every file it read."""

    folder: Path
    meta: PublicationMeta
    sections: tuple[Section, ...]
    sources: tuple[Path, ...]
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def language(self) -> str:
        return self.meta.language
