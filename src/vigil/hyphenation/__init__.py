"""Hyphenation dictionaries vigil adds to Pyphen's: Azerbaijani (and English means American).

Takes nothing; :func:`register` makes ``hyphens: auto`` work for elements with ``lang="az"``
(or ``az-AZ``, ``az-Latn``...) by adding vigil's ``hyph_az_AZ.dic`` to ``pyphen.LANGUAGES``,
where WeasyPrint looks dictionaries up. The dictionary is generated from syllabification rules
by :mod:`vigil.hyphenation.generate`.

Pyphen lower-cases a word with ``str.lower`` before matching patterns, which turns the capital
İ into two code points (i and a combining dot): every break after it would land one letter too
far. :func:`register` therefore puts a dictionary object into Pyphen's cache that lower-cases
the Azerbaijani way first (İ to i, I to ı), so that "İstiqlal" breaks as İs-tiq-lal.

Parsing a dictionary is slow in Pyphen (a third of a second for English, in every process that
lays out): :func:`register` also puts a :class:`CachedDictionary` for each of Pyphen's
dictionary files into Pyphen's cache of parsed dictionaries, where ``pyphen.Pyphen`` (and so
WeasyPrint) finds it instead of parsing the file. At its first word it reads the patterns kept,
as JSON, in ``$XDG_CACHE_HOME/vigil/hyphenation/`` (``~/.cache``), named after the dictionary
file's SHA-256 and Pyphen's version (a tenth of the time), or has Pyphen parse the file and
keeps them there (:func:`load_dictionary`). Pyphen's own classes are not changed: the few
names of Pyphen vigil needs beyond its public API are in :mod:`vigil.pdf._compat`.
Each file is a record of :class:`vigil.store.Store`: it carries that name as its key and is
refused under another (a file copied over another's). A cache file that cannot be read or
written only makes hyphenation slower, never different. (The folder is ``hyphenation/`` of
vigil's cache: see :mod:`vigil.usercache`.)
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol, TypeAlias

from vigil.jsontypes import JSON
from vigil.resources import data_dir

AZ_DICTIONARY = data_dir("hyphenation") / "hyph_az_AZ.dic"
AZ_LANGUAGES = ("az", "az_AZ", "az_Latn")

# Pyphen's patterns, ``{letters: (offset, values)}`` (a value an int, or for non-standard
# hyphenation an int carrying data); read back from vigil's cache, each is the JSON list
# ``[offset, values]`` (Pyphen unpacks either).
Patterns: TypeAlias = dict[str, tuple[int, list[int]]]
CachedPatterns: TypeAlias = dict[str, list[JSON]]


class HyphDict(Protocol):
    """What vigil asks of Pyphen's parsed dictionary (``pyphen.HyphDict``; Pyphen is
    untyped)."""

    def positions(self, word: str) -> list[int]: ...


def azerbaijani_lower(word: str) -> str:
    """``word`` in lower case by Azerbaijani rules, one letter for one letter."""
    return word.replace("İ", "i").replace("I", "ı").lower()


class CachedDictionary:
    """Pyphen's parsed dictionary of a file, loaded by :func:`load_dictionary` when the first
    word is hyphenated; what ``pyphen.Pyphen`` asks of it (``positions``) is passed on."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._parsed: HyphDict | None = None

    @property
    def parsed(self) -> HyphDict:
        """Pyphen's dictionary object (loaded now if it was not yet)."""
        if self._parsed is None:
            self._parsed = load_dictionary(self.path)
        return self._parsed

    def positions(self, word: str) -> list[int]:
        return self.parsed.positions(word)  # Pyphen's DataInt: an int

    def __getattr__(self, name: str) -> object:  # the rest of Pyphen's dictionary object
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.parsed, name)


class AzerbaijaniDictionary(CachedDictionary):
    """Pyphen's parsed dictionary, fed words lower-cased the Azerbaijani way."""

    def positions(self, word: str) -> list[int]:
        return list(self.parsed.positions(azerbaijani_lower(word)))


CACHE_FORMAT = 3  # 3: an entry of vigil.store (2: each entry carries its key)


def cache_folder() -> Path:
    """Where parsed dictionaries are kept."""
    from vigil.usercache import folder

    return folder("hyphenation")


def _cache_key(path: Path) -> str:
    """The name of the entry of the dictionary file ``path``: its name, and a hash of its bytes,
    Pyphen's version and the format of the entries."""
    import pyphen

    digest = hashlib.sha256(b"%d\0%s\0" % (CACHE_FORMAT, pyphen.__version__.encode())
                            + path.read_bytes())
    return f"{path.stem}-{digest.hexdigest()[:24]}"


def _read_cached(path: Path) -> tuple[CachedPatterns, int] | None:
    """The patterns (``{letters: [offset, [values]]}``, as Pyphen uses them) and the longest
    pattern of the dictionary ``path`` from the cache, if there."""
    from vigil.store import Store

    try:
        cached = Store(cache_folder()).get(_cache_key(path))
    except OSError:
        return None
    if cached is None:  # not there, or another dictionary's entry, copied here
        return None
    patterns, maxlen = cached.meta.get("patterns"), cached.meta.get("maxlen")
    if not isinstance(patterns, dict) or type(maxlen) is not int or not all(
            type(entry) is list and len(entry) == 2 and type(entry[0]) is int
            and type(entry[1]) is list for entry in patterns.values()):
        return None
    return patterns, maxlen


def _write_cached(path: Path, patterns: Patterns, maxlen: int) -> None:
    """Keep the parsed patterns of ``path``, if they are plain (no non-standard hyphenation):
    a record (no bytes) of :class:`vigil.store.Store`."""
    from vigil.store import Store

    if not all(type(v) is int for _, values in patterns.values() for v in values):
        return
    try:
        Store(cache_folder()).put(_cache_key(path), None,
                                  {"patterns": patterns, "maxlen": maxlen})
    except OSError:
        return


def load_dictionary(path: Path) -> HyphDict:
    """Pyphen's parsed dictionary of the file ``path``: from vigil's cache if it is there,
    else parsed by Pyphen and kept in the cache."""
    from vigil.pdf._compat import dictionary_from_patterns, parse_dictionary

    path = Path(path)
    cached = _read_cached(path)
    if cached is not None:
        kept: HyphDict = dictionary_from_patterns(*cached)
        return kept
    parsed: HyphDict
    parsed, patterns, maxlen = parse_dictionary(path)
    _write_cached(path, patterns, maxlen)
    return parsed


def register() -> None:
    """Make Pyphen (and so WeasyPrint) hyphenate Azerbaijani, and keep the dictionaries it
    parses. Calling it again does nothing."""
    import pyphen

    from vigil.pdf._compat import dictionary_cache

    lowercase = getattr(pyphen, "LANGUAGES_LOWERCASE", {})  # what language_fallback searches
    if "en_US" in pyphen.LANGUAGES:
        # English without a region takes the American patterns (TeX's, and the fuller set):
        # Pyphen's default for "en" is the British file, which breaks "Mil-it-ary" and leaves
        # "Azerbaijani" whole. lang="en-GB" still chooses the British ones.
        pyphen.LANGUAGES["en"] = pyphen.LANGUAGES["en_US"]
        lowercase["en"] = "en"
    for name in AZ_LANGUAGES:
        pyphen.LANGUAGES[name] = AZ_DICTIONARY
        lowercase[name.lower()] = name
    cache = dictionary_cache()
    for path in {Path(path) for path in pyphen.LANGUAGES.values()}:
        if path == AZ_DICTIONARY:
            if not isinstance(cache.get(path), AzerbaijaniDictionary):
                cache[path] = AzerbaijaniDictionary(path)
        elif path not in cache:  # not parsed yet: parsed from vigil's cache when first used
            cache[path] = CachedDictionary(path)
