"""Localised fixed words, quotation marks and dates for the themes.

Takes a BCP 47 language tag; gives a :class:`Locale` with the theme's fixed words (from
``vigil/locales/<language>.yaml``, one file per language), the quotation marks for Markdown's
typographer, and dates formatted by Babel in that language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from vigil.errors import ThemeError

LOCALES = Path(__file__).resolve().parent / "locales"


@dataclass(frozen=True)
class Locale:
    language: str
    words: dict[str, str]
    quotes: str

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

    def date(self, value: dt.date, style: str = "long") -> str:
        from babel.dates import format_date

        babel_locale = {"en": "en_GB"}.get(self.primary, self.primary)
        return str(format_date(value, format=style, locale=babel_locale))


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
    return Locale(language=language, words=dict(data["words"]), quotes=str(data["quotes"]))
