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
lays out): :func:`register` also makes Pyphen keep each dictionary it parses, as JSON, in
``$XDG_CACHE_HOME/vigil/hyphenation/`` (``~/.cache``), named after the dictionary file's
SHA-256 and Pyphen's version, and read it from there next time (in a tenth of the time).
Each file carries that name as its key and is refused under another (a file copied over
another's). A cache file that cannot be read or written only makes hyphenation slower, never
different. (The folder is ``hyphenation/`` of vigil's cache: see :mod:`vigil.usercache`.)
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from vigil.resources import data_dir

AZ_DICTIONARY = data_dir("hyphenation") / "hyph_az_AZ.dic"
AZ_LANGUAGES = ("az", "az_AZ", "az_Latn")


def azerbaijani_lower(word: str) -> str:
    """``word`` in lower case by Azerbaijani rules, one letter for one letter."""
    return word.replace("İ", "i").replace("I", "ı").lower()


class AzerbaijaniDictionary:
    """Pyphen's parsed dictionary, fed words lower-cased the Azerbaijani way; the file is
    parsed (or read from the cache) when the first word is hyphenated."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._parsed: Any = None

    @property
    def _dict(self) -> Any:
        if self._parsed is None:
            import pyphen

            self._parsed = pyphen.HyphDict(self._path)
        return self._parsed

    def positions(self, word: str) -> list[Any]:
        return list(self._dict.positions(azerbaijani_lower(word)))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._dict, name)


CACHE_FORMAT = 2  # 2: each entry carries its key (its file name)


def cache_folder() -> Path:
    """Where parsed dictionaries are kept."""
    from vigil.usercache import folder

    return folder("hyphenation")


def _cache_file(path: Path, data: bytes) -> Path:
    import pyphen

    digest = hashlib.sha256(b"%d\0%s\0" % (CACHE_FORMAT, pyphen.__version__.encode()) + data)
    return cache_folder() / f"{path.stem}-{digest.hexdigest()[:24]}.json"


def _read_cached(path: Path) -> tuple[dict[str, Any], int] | None:
    """The patterns (``{letters: [offset, [values]]}``, as Pyphen uses them) and the longest
    pattern of the dictionary ``path`` from the cache, if there."""
    try:
        file = _cache_file(path, path.read_bytes())
        cached = json.loads(file.read_text(encoding="utf-8"))
        if cached["key"] != file.stem:  # another dictionary's entry, copied here
            return None
        patterns, maxlen = cached["patterns"], cached["maxlen"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(patterns, dict) or type(maxlen) is not int or not all(
            type(entry) is list and len(entry) == 2 and type(entry[0]) is int
            and type(entry[1]) is list for entry in patterns.values()):
        return None
    return patterns, maxlen


def _write_cached(path: Path, patterns: dict[str, Any], maxlen: int) -> None:
    """Keep the parsed patterns of ``path``, if they are plain (no non-standard hyphenation)."""
    if not all(type(v) is int for _, values in patterns.values() for v in values):
        return
    try:
        target = _cache_file(path, path.read_bytes())
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        temporary.write_text(json.dumps({"key": target.stem, "patterns": patterns,
                                         "maxlen": maxlen}, ensure_ascii=False),
                             encoding="utf-8")
        os.replace(temporary, target)
    except OSError:
        return


def _cached_class(parsed: Any) -> Any:
    """A subclass of Pyphen's ``HyphDict`` that reads and keeps the cache."""

    class CachedHyphDict(parsed):  # type: ignore[misc]
        vigil_cached = True
        patterns: dict[str, Any]
        maxlen: int
        cache: dict[str, Any]

        def __init__(self, path: Path) -> None:
            path = Path(path)
            cached = _read_cached(path)
            if cached is None:
                super().__init__(path)
                _write_cached(path, self.patterns, self.maxlen)
            else:
                self.patterns, self.maxlen = cached
                self.cache = {}

    return CachedHyphDict


def register() -> None:
    """Make Pyphen (and so WeasyPrint) hyphenate Azerbaijani, and keep the dictionaries it
    parses. Calling it again does nothing."""
    import pyphen

    if not getattr(pyphen.HyphDict, "vigil_cached", False):
        pyphen.HyphDict = _cached_class(pyphen.HyphDict)
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
    cache = getattr(pyphen, "hdcache", None)
    if cache is not None and not isinstance(cache.get(AZ_DICTIONARY), AzerbaijaniDictionary):
        cache[AZ_DICTIONARY] = AzerbaijaniDictionary(AZ_DICTIONARY)
