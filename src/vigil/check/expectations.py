"""What each output profile expects of a finished PDF, for the checks.

Takes a profile name (``screen``, ``print``, ``archive``), optionally the build's
:class:`~vigil.profiles.Profile` and options; gives :class:`Expectations`. The table is
separate from :data:`vigil.profiles.PROFILES` so that ``vigil check --profile print`` judges any
PDF by a profile even before vigil can build that profile itself.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from vigil.errors import VigilError
from vigil.profiles import Profile

MB = 1_000_000


@dataclass(frozen=True)
class Expectations:
    name: str
    pad_to: int = 1                  # the page count is a multiple of this
    boxes: bool = False              # TrimBox and BleedBox present, TrimBox ⊆ BleedBox ⊆ MediaBox
    bleed_mm: float = 0.0            # a warning when the BleedBox is narrower around the TrimBox
    tagged: bool = False             # StructTreeRoot and MarkInfo /Marked true
    warn_dpi: int = 150              # an image below this effective resolution: a warning
    error_dpi: int | None = None     # ... below this: an error
    max_bytes: int | None = None     # file size budget
    max_bytes_is_error: bool = False  # True when the user set the budget (--max-size)
    pdfa: bool = False               # PDF/A identification, OutputIntent, nothing forbidden
    title_language_required: bool = False  # missing title or language: error, not warning
    strict: bool = False             # accessibility problems (alternative text) are errors
    strict_applies: bool = False     # whether --strict matters for this profile
    standard_fonts_ok: bool = False  # the 14 standard fonts may stay unembedded (a warning)


EXPECTATIONS: dict[str, Expectations] = {
    "screen": Expectations(
        name="screen", tagged=True, warn_dpi=150, max_bytes=int(1.5 * MB),
        title_language_required=True, strict_applies=True, standard_fonts_ok=True,
    ),
    "print": Expectations(
        name="print", pad_to=4, boxes=True, bleed_mm=3.0, warn_dpi=300, error_dpi=150,
    ),
    "archive": Expectations(
        name="archive", warn_dpi=150, pdfa=True, title_language_required=True,
        strict_applies=True,
    ),
}


def expectations_for(name: str, profile: Profile | None = None, *, strict: bool = False,
                     max_bytes: int | None = None) -> Expectations:
    """The expectations of profile ``name``; a build's ``profile`` adds what it promised
    (its page multiple, bleed and tagging); ``max_bytes`` replaces the size budget."""
    try:
        found = EXPECTATIONS[name]
    except KeyError:
        raise VigilError(
            f"unknown check profile '{name}' (available: {', '.join(EXPECTATIONS)})"
        ) from None
    if profile is not None:
        found = dataclasses.replace(
            found, pad_to=max(found.pad_to, profile.pad_to),
            bleed_mm=max(found.bleed_mm, getattr(profile, "bleed_mm", 0.0)),
            tagged=found.tagged or profile.tagged,
        )
    if max_bytes is not None:
        found = dataclasses.replace(found, max_bytes=max_bytes, max_bytes_is_error=True)
    return dataclasses.replace(found, strict=strict)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": MB, "mb": MB, "g": 1000 * MB,
          "gb": 1000 * MB, "ki": 1024, "kib": 1024, "mi": 2**20, "mib": 2**20, "gi": 2**30,
          "gib": 2**30}


def parse_size(text: str) -> int:
    """``1.5MB`` → 1 500 000 bytes, ``800 KiB`` → 819 200, ``2000000`` → 2 000 000."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a size (write it like 1.5MB, 800KB or 2MiB)")
    number, unit = match.groups()
    return int(float(number) * _UNITS[(unit or "").lower()])
