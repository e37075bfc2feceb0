"""Output profiles: what differs between a PDF for screens, for a print shop and for an archive.

Takes a profile name; gives a :class:`Profile`. Today vigil builds the ``screen`` profile (small,
tagged, for phones and email); ``print`` (bleed, marks, signatures) and ``archive`` (PDF/A with
its sources) are added beside it as separate entries of :data:`PROFILES`.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.errors import VigilError


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    tagged: bool
    bleed_mm: float = 0.0
    crop_marks: bool = False
    pad_to: int = 1


PROFILES: dict[str, Profile] = {
    "screen": Profile(
        name="screen",
        description="tagged PDF for phones, e-mail and screen readers",
        tagged=True,
    ),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise VigilError(
            f"unknown profile '{name}' (available: {', '.join(PROFILES)})"
        ) from None
