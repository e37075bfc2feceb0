"""Localised fixed words, quotation marks, dates and numbers for the themes.

Takes a BCP 47 language tag; gives a :class:`Locale` with the theme's fixed words (from
``vigil/locales/<language>.yaml``, one file per language), the quotation marks for Markdown's
typographer, and dates and whole numbers written by Babel (Unicode CLDR) in that language.
A locale file may replace CLDR's thousands separator (``numbers: {group: ...}``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

import yaml

from vigil.errors import ThemeError
from vigil.resources import data_dir

LOCALES = data_dir("locales")

# Spaces never mark decimals, so a number grouped by any of them is whole in every language:
# space, no-break space, narrow no-break space, thin space.
_SPACES = " \u00a0\u202f\u2009"


@dataclass(frozen=True)
class Locale:
    language: str
    words: dict[str, str]
    quotes: str
    group: str | None = None  # the thousands separator, when the locale file replaces CLDR's

    def word(self, key: str) -> str:
        try:
            return self.words[key]
        except KeyError:
            raise ThemeError(
                f"the theme asks for the word '{key}', which locales/{self.primary}.yaml lacks",
                hint="Add it under 'words:' in every locale file",
            ) from None

    @property
    def primary(self) -> str:
        return self.language.split("-")[0].lower()

    @property
    def babel(self) -> str:
        """The Babel locale: the primary language (British usage for English)."""
        return {"en": "en_GB"}.get(self.primary, self.primary)

    def date(self, value: dt.date, style: str = "long") -> str:
        from babel.dates import format_date

        return str(format_date(value, format=style, locale=self.babel))

    @property
    def group_symbol(self) -> str:
        """The thousands separator: the locale file's, else CLDR's."""
        if self.group is not None:
            return self.group
        from babel.numbers import get_group_symbol

        return str(get_group_symbol(self.babel))

    def number(self, value: int) -> str:
        """A whole number written in this language: 1,275 (en), 1 275 (ru), 1.275 (tr)."""
        from babel.numbers import format_decimal, get_group_symbol

        text = str(format_decimal(value, locale=self.babel))
        if self.group is not None:
            text = text.replace(str(get_group_symbol(self.babel)), self.group)
        return text

    def whole_number(self, text: str) -> int | None:
        """The whole number ``text`` writes in this language's way, else None.

        Accepted: digits alone (``1275``, but not ``007``), or digits grouped by threes with
        one kind of space or with this language's thousands separator, CLDR's or the locale
        file's (``1,275`` in English, ``1.275`` in Turkish and Azerbaijani). Anything else
        (``about 1,000``, ``1.5``, ``1,275`` in Russian, where the comma marks decimals) is
        not a whole number here.
        """
        text = text.strip()
        if re.fullmatch(r"0|[1-9]\d*", text):
            return int(text)
        from babel.numbers import get_group_symbol

        separators = re.escape(_SPACES + self.group_symbol + str(get_group_symbol(self.babel)))
        grouped = rf"[1-9]\d{{0,2}}(?P<sep>[{separators}])\d{{3}}(?:(?P=sep)\d{{3}})*"
        if re.fullmatch(grouped, text):
            return int(re.sub(r"\D", "", text))
        return None

    def localise_number(self, text: str) -> str:
        """``text`` rewritten in this language if it is a whole number, else as written."""
        value = self.whole_number(text)
        return text if value is None else self.number(value)


@cache
def available_languages() -> tuple[str, ...]:
    """The languages vigil has words for: one file ``locales/<code>.yaml`` each."""
    return tuple(sorted(path.stem for path in LOCALES.glob("*.yaml")))


@cache
def locale_for(language: str) -> Locale:
    primary = language.split("-")[0].lower()
    path = LOCALES / f"{primary}.yaml"
    if not path.is_file():
        raise ThemeError(f"no locale file for the language '{language}'", hint=f"Add {path}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    numbers = data.get("numbers") or {}
    group = numbers.get("group")
    return Locale(language=language, words=dict(data["words"]), quotes=str(data["quotes"]),
                  group=None if group is None else str(group))
