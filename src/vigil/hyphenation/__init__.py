"""Hyphenation dictionaries vigil adds to Pyphen's: Azerbaijani.

Takes nothing; :func:`register` makes ``hyphens: auto`` work for elements with ``lang="az"``
(or ``az-AZ``, ``az-Latn``...) by adding vigil's ``hyph_az_AZ.dic`` to ``pyphen.LANGUAGES``,
where WeasyPrint looks dictionaries up. The dictionary is generated from syllabification rules
by :mod:`vigil.hyphenation.generate`.

Pyphen lower-cases a word with ``str.lower`` before matching patterns, which turns the capital
İ into two code points (i and a combining dot): every break after it would land one letter too
far. :func:`register` therefore puts a dictionary object into Pyphen's cache that lower-cases
the Azerbaijani way first (İ to i, I to ı), so that "İstiqlal" breaks as İs-tiq-lal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AZ_DICTIONARY = Path(__file__).resolve().parent / "hyph_az_AZ.dic"
AZ_LANGUAGES = ("az", "az_AZ", "az_Latn")


def azerbaijani_lower(word: str) -> str:
    """``word`` in lower case by Azerbaijani rules, one letter for one letter."""
    return word.replace("İ", "i").replace("I", "ı").lower()


class AzerbaijaniDictionary:
    """Pyphen's parsed dictionary, fed words lower-cased the Azerbaijani way."""

    def __init__(self, hyph_dict: Any) -> None:
        self._dict = hyph_dict

    def positions(self, word: str) -> list[Any]:
        return list(self._dict.positions(azerbaijani_lower(word)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dict, name)


def register() -> None:
    """Make Pyphen (and so WeasyPrint) hyphenate Azerbaijani. Calling it again does nothing."""
    import pyphen

    lowercase = getattr(pyphen, "LANGUAGES_LOWERCASE", {})  # what language_fallback searches
    for name in AZ_LANGUAGES:
        pyphen.LANGUAGES[name] = AZ_DICTIONARY
        lowercase[name.lower()] = name
    cache = getattr(pyphen, "hdcache", None)
    if cache is not None and not isinstance(cache.get(AZ_DICTIONARY), AzerbaijaniDictionary):
        cache[AZ_DICTIONARY] = AzerbaijaniDictionary(pyphen.HyphDict(AZ_DICTIONARY))
