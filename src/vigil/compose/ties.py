"""Non-breaking spaces where a line must not break: the content stage's part of typography.

Takes a run of plain text and its language; gives the same text in which the spaces that a
careful typesetter never breaks are no-break spaces (U+00A0):

- between a number and its unit or a month, and between a month and its day
  ("25 February", "February 25", "12 mm", "45 min", "25 fevral", "25 февраля");
- after "No.", "№", "p." and the like before a number ("No. 5");
- after an initial before a name ("H. Aliyev", "A. B. Smith").

Month names come from the Unicode CLDR through Babel, in every form a date uses (format and
stand-alone, wide and abbreviated), so that every language vigil has words for is covered.
The function is idempotent and changes nothing but spaces.
"""

from __future__ import annotations

import functools
import itertools

NBSP = "\u00a0"

# Units a number is never parted from (in the languages vigil has words for).
_UNITS = (
    "mm", "cm", "m", "km", "g", "kg", "t", "l", "ml", "px", "pt", "dpi", "%", "‰", "°C",
    "min", "h", "s", "KiB", "MiB", "GiB", "MB", "GB", "ha", "m²", "km²",
    "мм", "см", "м", "км", "г", "кг", "т", "л", "мин", "ч", "с", "га", "руб", "тыс", "млн",
    "млрд", "dəq", "san", "saat", "dk", "sa", "sn", "AZN", "₼", "manat", "€", "$",
)
# Abbreviations that stay with the number after them.
_BEFORE_NUMBER = ("No.", "Nos.", "no.", "№", "p.", "pp.", "vol.", "Vol.", "ch.", "fig.",
                  "Fig.", "s.", "с.", "т.", "гл.", "рис.", "§")
_OPENING = "([{«“‘„\"'"
_CLOSING = ",.;:!?)]}»”’\"'"


@functools.cache
def _month_names(language: str) -> frozenset[str]:
    """The month names of ``language`` in every form a date uses."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(language.replace("-", "_").split("_")[0])
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    names: set[str] = set()
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            names.update(str(name).rstrip(".") for name in locale.months[context][width].values())
    names.update(name.capitalize() for name in list(names))
    return frozenset(name for name in names if len(name) >= 3)


_UNIT_SET = frozenset(_UNITS)
_BEFORE_SET = frozenset(_BEFORE_NUMBER)


def _keeps(before: str, after: str, months: frozenset[str]) -> bool:
    """Whether the space between the words ``before`` and ``after`` must not break."""
    if not before or not after:
        return False
    if before == "×" or after == "×":
        return True                                     # 1200 × 1500
    last = before.lstrip(_OPENING)
    following = after.rstrip(_CLOSING)
    if before[-1].isdigit() and (following in _UNIT_SET or following.rstrip(".") in _UNIT_SET
                                 or following in months):
        return True                                     # 12 mm, 25 February
    if after[0].isdigit() and (last in _BEFORE_SET or (
            last in months and len(following) <= 2)):  # No. 5, February 25 (not the year)
        return True
    return (len(last) == 2 and last[1] == "." and last[0].isalpha() and last[0].isupper()
            and after[0].isalpha())                     # H. Aliyev


def tie(text: str, language: str = "en") -> str:
    """``text`` with no-break spaces where a line must not break (see the module)."""
    if not text or " " not in text:
        return text
    months = _month_names(language)
    words = text.split(" ")
    out = [words[0]]
    for previous, word in itertools.pairwise(words):
        out.append(NBSP if _keeps(previous, word, months) else " ")
        out.append(word)
    return "".join(out)


# Words a line of display text may begin with at no cost: a new phrase starts there.
# (Prepositions and relative words; not "and", which as often joins two nouns of one name:
# "Science and Education".)
_PHRASE_STARTS = frozenset((
    *("of", "for", "in", "on", "at", "to", "with", "from", "by", "as", "that", "who",
      "which"),
    *("в", "во", "на", "с", "со", "к", "ко", "по", "для", "от", "из", "о", "об", "что",
      "как"),
    *("ilə", "üçün", "ile", "için"),
))
# The width of a character of display text, in ems of its size (the serif's average, italic
# and spaces included, rounded up so that a balanced line never wraps again).
_CHAR_EM = 0.5


def balance(text: str, width_mm: float, size_pt: float, language: str = "en") -> list[str]:
    """``text`` (display text: a subtitle, a cover line) broken into as few lines as fit in
    ``width_mm`` at ``size_pt``, of lengths as even as possible, preferring breaks before a word
    that starts a phrase or after punctuation: what ``text-wrap: balance`` does, and a little
    more, for WeasyPrint, which has no balancing. Words tied by :func:`tie` stay together."""
    words = tie(" ".join(text.split()), language).split(" ")
    capacity = max(8, int(width_mm * 72 / 25.4 / (size_pt * _CHAR_EM)))
    length = len(" ".join(words))
    if length <= capacity or len(words) < 2:
        return [" ".join(words)]
    lines = -(-length // capacity)
    penalty = (capacity * 0.4) ** 2
    best: dict[tuple[int, int], tuple[float, list[int]]] = {}

    def cost(start: int, count: int) -> tuple[float, list[int]]:
        """The best cost of setting words[start:] in ``count`` lines, and its breaks."""
        if (start, count) in best:
            return best[(start, count)]
        result: tuple[float, list[int]] = (float("inf"), [])
        if count == 1:
            line = len(" ".join(words[start:]))
            if line <= capacity:
                result = (float(line * line), [])
        else:
            for end in range(start + 1, len(words)):
                line = len(" ".join(words[start:end]))
                if line > capacity:
                    break
                rest, breaks = cost(end, count - 1)
                here = line * line + rest
                phrase = words[end].lower() in _PHRASE_STARTS or words[end - 1][-1] in ",;:—–.·"
                here += 0 if phrase else penalty
                if here < result[0]:
                    result = (here, [end, *breaks])
        best[(start, count)] = result
        return result

    for count in range(lines, lines + 2):
        total, breaks = cost(0, count)
        if total != float("inf"):
            edges = [0, *breaks, len(words)]
            return [" ".join(words[a:b]) for a, b in itertools.pairwise(edges)]
    return [" ".join(words)]
