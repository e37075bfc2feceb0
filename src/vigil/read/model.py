"""The publication model: what :func:`vigil.read.read_publication` gives to the later stages.

``PublicationMeta`` is the schema of ``publication.yaml``; ``Section`` is one validated section
in reading order. Every section remembers the file it came from so later stages can name it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from vigil.read.blocks import Block
from vigil.read.inserts import Insert
from vigil.read.schema import StrictModel, check_translation_languages

PAGE_SIZES = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "A6": (105.0, 148.0)}


# The page block of a classic A5 book, in millimetres: the outer margin wider than the inner
# (the two inner margins of a spread make one gutter) and the foot deeper than the head. Other
# sizes scale it by their width; a programme (a folded sheet of dense lists) keeps more text.
CLASSIC_MARGINS = {"inner": 15.0, "top": 18.0, "outer": 21.0, "bottom": 27.0}
PROGRAMME_MARGINS = {"inner": 15.0, "top": 16.0, "outer": 18.0, "bottom": 22.0}


class Margins(StrictModel):
    """The margins of the text pages in millimetres; a side left out takes the theme's default
    for the page size (see :func:`Page.margins_mm`)."""

    inner: Annotated[float, Field(ge=3, le=60)] | None = None
    outer: Annotated[float, Field(ge=3, le=60)] | None = None
    top: Annotated[float, Field(ge=3, le=60)] | None = None
    bottom: Annotated[float, Field(ge=3, le=60)] | None = None


class Page(StrictModel):
    size: Literal["A4", "A5", "A6"] = "A5"
    margins: Margins = Margins()

    @property
    def millimetres(self) -> tuple[float, float]:
        return PAGE_SIZES[self.size]

    def margins_mm(self, kind: str = "booklet") -> dict[str, float]:
        """Inner, outer, top and bottom margins: the ones written, else the classic page block
        of A5 scaled by the page's width (the programme's own for a programme)."""
        defaults = PROGRAMME_MARGINS if kind == "programme" else CLASSIC_MARGINS
        scale = self.millimetres[0] / PAGE_SIZES["A5"][0]
        written = self.margins.model_dump()
        margins = {side: written[side] if written[side] is not None
                   else round(value * scale, 1) for side, value in defaults.items()}
        width, height = self.millimetres
        if margins["inner"] + margins["outer"] > width * 0.6 \
                or margins["top"] + margins["bottom"] > height * 0.6:
            raise ValueError(
                f"the margins leave too little of the {self.size} page for text "
                f"(inner + outer at most {width * 0.6:.0f} mm, top + bottom at most "
                f"{height * 0.6:.0f} mm); make them smaller")
        return margins

    @model_validator(mode="after")
    def _margins_fit(self) -> Page:
        self.margins_mm()
        return self


class Cover(StrictModel):
    kicker: str | None = None
    # The title broken by sense, one phrase a line (the title itself stays ``title:``).
    title_lines: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    note: str | None = None
    image: str | None = None
    alt: str | None = None


class Back(StrictModel):
    text: str | None = None


class PrintSettings(StrictModel):
    """How the ``print`` profile prepares the file for a print shop."""

    bleed: Annotated[float, Field(ge=0, le=20)] = 3.0
    marks: bool = True
    # The pages that make up the last signature, before the back cover: the memorial page (on
    # the last recto) after ruled Notes pages, ruled Notes pages only, or blank pages.
    padding: Literal["memorial", "notes", "blank"] = "memorial"
    sheet: str | None = None
    creep: Annotated[float, Field(ge=0, le=2)] = 0.0


class VariantSettings(StrictModel):
    """Personalised copies: one PDF per row of a CSV file (a school, a class...)."""

    csv: Annotated[str, Field(min_length=1)]
    file: Annotated[str, Field(min_length=1)] = "{name}-{row}"
    cover: str | None = None
    back: str | None = None
    required: tuple[str, ...] = ()


class SectionFile(StrictModel):
    """A section given as a mapping; today only ``file:``, later ``insert:`` too."""

    file: Annotated[str, Field(min_length=1)]


# A file name, or a mapping: ``file:`` (a section) or ``insert:`` (a PDF insert), which the read
# stage validates with the right schema so that its errors name the right keys.
SectionEntry = Annotated[str, Field(min_length=1)] | dict[str, object]


class CoverTranslation(StrictModel):
    kicker: str | None = None
    title_lines: tuple[Annotated[str, Field(min_length=1)], ...] | None = None
    note: str | None = None
    alt: str | None = None


class BackTranslation(StrictModel):
    text: str | None = None


class Translation(StrictModel):
    """The text of ``publication.yaml`` in another language, under ``translations: CODE:``."""

    title: Annotated[str, Field(min_length=1)] | None = None
    subtitle: str | None = None
    organiser: str | None = None
    author: str | None = None
    place: str | None = None
    description: str | None = None
    keywords: tuple[str, ...] | None = None
    cover: CoverTranslation = CoverTranslation()
    back: BackTranslation = BackTranslation()


# The translatable text of publication.yaml, by the name a warning gives it.
TRANSLATABLE = ("title", "subtitle", "organiser", "author", "place", "description", "keywords",
                "cover.kicker", "cover.title_lines", "cover.note", "cover.alt", "back.text")


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
    variants: VariantSettings | None = None
    sections: Annotated[list[SectionEntry], Field(min_length=1)]
    translations: dict[str, Translation] = Field(default_factory=dict)

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        return check_language(value)

    @model_validator(mode="after")
    def _title_lines_spell_the_title(self) -> PublicationMeta:
        pairs = [("cover.title_lines", self.title, self.cover.title_lines)]
        pairs += [(f"translations.{code}.cover.title_lines", t.title or self.title,
                   t.cover.title_lines or ()) for code, t in self.translations.items()]
        for key, title, lines in pairs:
            if lines and " ".join(" ".join(lines).split()) != " ".join(title.split()):
                raise ValueError(
                    f"{key} must be the title broken into lines, word for word: "
                    f"{' / '.join(lines)!r} does not spell {title!r}")
        return self

    @field_validator("translations")
    @classmethod
    def _translation_languages(
        cls, value: dict[str, Translation], info: ValidationInfo
    ) -> dict[str, Translation]:
        check_translation_languages(value, info.data.get("language"))
        return value

    def translated(self, language: str) -> tuple[PublicationMeta, tuple[str, ...]]:
        """This publication's text in ``language`` (a tag whose primary code has a
        translation, or not), and the names of the fields left in the original language."""
        translation = self.translations.get(language.split("-")[0].lower(), Translation())
        update: dict[str, object] = {"language": language}
        cover: dict[str, object] = {}
        back: dict[str, object] = {}
        untranslated = []
        for name in TRANSLATABLE:
            group, _, key = name.rpartition(".")
            source = getattr(self, group) if group else self
            original = getattr(source, key) if source is not None else None
            value = getattr(getattr(translation, group) if group else translation, key)
            if value is not None:
                {"": update, "cover": cover, "back": back}[group][key] = value
            elif original:
                untranslated.append(name)
        if translation.title is not None and translation.cover.title_lines is None \
                and self.cover.title_lines:
            # The original's lines break the original's title: the translated title is set
            # whole (and not reported as untranslated).
            cover["title_lines"] = ()
            untranslated.remove("cover.title_lines")
        if cover:
            update["cover"] = self.cover.model_copy(update=cover)
        if back:
            update["back"] = (self.back or Back()).model_copy(update=back)
        return self.model_copy(update=update), tuple(untranslated)

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
class Variant:
    """One personalised copy: its CSV row's fields, where the row is, and its file name."""

    fields: dict[str, str]
    line: int
    stem: str
    cover: str | None = None
    back: str | None = None


@dataclass(frozen=True)
class Publication:
    """A validated publication: its folder, metadata, sections and every file it read."""

    folder: Path
    meta: PublicationMeta
    sections: tuple[Section, ...]
    sources: tuple[Path, ...]
    warnings: tuple[str, ...] = ()
    # A translated edition: its language code (``ru``), the original's language, and the
    # fields of publication.yaml left in the original language (see PublicationMeta.translated).
    edition: str | None = None
    original_language: str | None = None
    untranslated: tuple[str, ...] = ()
    variants: tuple[Variant, ...] = ()

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def language(self) -> str:
        return self.meta.language
