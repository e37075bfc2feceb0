"""Output profiles: what differs between a PDF for screens, for a print shop and for an archive.

Takes a profile name; gives a :class:`Profile`. ``screen`` (the default) is small and tagged,
for phones, e-mail and screen readers; ``print`` has bleed, crop marks, TrimBox and BleedBox and
a page count padded to signatures of four, for a print shop. The publication's ``print:``
settings (bleed, marks, padding) refine the print profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.errors import VigilError


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    tagged: bool
    for_print: bool = False
    pad_to: int = 1

    @property
    def suffix(self) -> str:
        """Added to the output file name: ``booklet.pdf`` for screen, ``booklet-print.pdf``."""
        return "" if self.name == "screen" else f"-{self.name}"


PROFILES: dict[str, Profile] = {
    "screen": Profile(
        name="screen",
        description="tagged PDF for phones, e-mail and screen readers",
        tagged=True,
    ),
    "print": Profile(
        name="print",
        description="bleed, crop marks and signatures of four, for a print shop",
        tagged=False,
        for_print=True,
        pad_to=4,
    ),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise VigilError(
            f"unknown profile '{name}' (available: {', '.join(PROFILES)})"
        ) from None
