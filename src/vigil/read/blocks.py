"""The structured block types a YAML section can hold, one schema each.

Takes nothing; gives :data:`BLOCK_TYPES`, a map from a block's ``type`` to its schema. Each type
has a template partial ``blocks/<type>.html`` in the theme, so adding a block type is adding a
model here and one partial there.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from vigil.read.schema import StrictModel

Text = Annotated[str, Field(min_length=1)]


class Block(StrictModel):
    """Keys every block accepts."""

    type: str
    title: str | None = None


class ProceedingsItem(StrictModel):
    time: Text
    title: Text
    speaker: str | None = None
    role: str | None = None
    duration: Annotated[int, Field(ge=1, le=600)] | None = None
    note: str | None = None

    @field_validator("time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]?\d|2[0-3])[:.][0-5]\d", value):
            raise ValueError(f"expected a time of day written as HH:MM, found '{value}'")
        return value.replace(".", ":")


class Proceedings(Block):
    """The order of proceedings of an event."""

    items: Annotated[list[ProceedingsItem], Field(min_length=1)]

    @field_validator("items")
    @classmethod
    def _in_order(cls, items: list[ProceedingsItem]) -> list[ProceedingsItem]:
        minutes = [int(i.time.split(":")[0]) * 60 + int(i.time.split(":")[1]) for i in items]
        for index in range(1, len(minutes)):
            if minutes[index] < minutes[index - 1]:
                raise ValueError(
                    f"item {index + 1} ({items[index].time}) starts before item {index} "
                    f"({items[index - 1].time}); list the items in the order they happen"
                )
        return items


class Figure(StrictModel):
    value: Text
    label: Text
    note: str | None = None
    source: str | None = None


class Figures(Block):
    """Numbers with their labels, attributed to a source. A value that is a whole number
    (``1275``, ``1,275``) is written the way of its section's language unless
    ``format_numbers`` is false; see :meth:`vigil.i18n.Locale.whole_number`."""

    source: str | None = None
    format_numbers: bool = True
    note: str | None = None
    items: Annotated[list[Figure], Field(min_length=1)]


class TimelineItem(StrictModel):
    date: Text
    event: Text


class Timeline(Block):
    items: Annotated[list[TimelineItem], Field(min_length=1)]


class Work(StrictModel):
    title: Text
    artist: str | None = None
    year: str | None = None
    medium: str | None = None
    dimensions: str | None = None
    image: str | None = None
    alt: str | None = None
    credit: str | None = None
    note: str | None = None

    @field_validator("alt")
    @classmethod
    def _alt_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("alternative text must not be empty")
        return value


class Catalogue(Block):
    """Exhibited works, each with an optional image."""

    items: Annotated[list[Work], Field(min_length=1)]


class Names(Block):
    """A roll of names set in balanced columns, listed inline or read from a CSV file."""

    columns: Annotated[int, Field(ge=1, le=4)] = 2
    names: list[Text] | None = None
    csv: str | None = None
    note: str | None = None


class Quote(Block):
    text: Text
    attribution: str | None = None


class ListEntry(StrictModel):
    title: Text
    text: str | None = None


class ListBlock(Block):
    style: Literal["numbered", "bulleted"] = "numbered"
    items: Annotated[list[ListEntry | Text], Field(min_length=1)]


class Credit(StrictModel):
    role: Text
    name: Text


class Credits(Block):
    items: Annotated[list[Credit], Field(min_length=1)]
    note: str | None = None


class TextBlock(Block):
    """Markdown prose inside a YAML section."""

    text: Text


class Speaker(StrictModel):
    name: Text
    role: str | None = None
    note: str | None = None


class Speakers(Block):
    items: Annotated[list[Speaker], Field(min_length=1)]


BLOCK_TYPES: dict[str, type[Block]] = {
    "proceedings": Proceedings,
    "figures": Figures,
    "timeline": Timeline,
    "catalogue": Catalogue,
    "names": Names,
    "quote": Quote,
    "list": ListBlock,
    "credits": Credits,
    "text": TextBlock,
    "speakers": Speakers,
}
