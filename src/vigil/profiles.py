"""Output profiles: what differs between a PDF for screens, for a print shop and for an archive.

Takes a profile name; gives a :class:`Profile`. ``screen`` (the default) is small and tagged,
for phones, e-mail and screen readers; ``print`` has bleed, crop marks, TrimBox and BleedBox and
a page count padded to signatures of four, for a print shop. The publication's ``print:``
settings (bleed, marks, padding) refine the print profile. ``archive`` is PDF/A-3u, tagged, with
the publication's sources (and its theme) embedded as associated files, written as
``NAME-archive.pdf`` (see :mod:`vigil.archive`).
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
    pdf_variant: str | None = None   # WeasyPrint's PDF variant (``pdf/a-3u`` for the archive)
    embed_sources: bool = False      # the sources ride along as PDF/A-3 associated files
    image_dpi: int | None = None     # pictures reduced to this at their largest placed size
    jpeg_quality: int = 80           # ... and written at this JPEG quality (compose.images)

    @property
    def suffix(self) -> str:
        """Added to the output file name: ``booklet.pdf`` for screen, ``booklet-print.pdf``."""
        return "" if self.name == "screen" else f"-{self.name}"


PROFILES: dict[str, Profile] = {
    # PDF/UA-1 when the document can keep the promise (every picture described, no inserted
    # PDF pages, which carry no tags); plain tags otherwise: see vigil.compose.pdf_variant.
    "screen": Profile(
        name="screen",
        description="tagged PDF for phones, e-mail and screen readers",
        tagged=True,
        pdf_variant="pdf/ua-1",
        image_dpi=150,
        jpeg_quality=80,
    ),
    "print": Profile(
        name="print",
        description="bleed, crop marks and signatures of four, for a print shop",
        tagged=False,
        for_print=True,
        pad_to=4,
    ),
    # PDF/A-3u: level U (every character maps to Unicode, so the text can be searched and
    # copied in twenty years) is what WeasyPrint writes anyway; level A would promise a
    # complete logical structure that inserted PDFs cannot keep. Tagged all the same, like
    # screen, for screen readers. PDF/A-3 (not 2) because only 3 may carry the sources.
    "archive": Profile(
        name="archive",
        description="PDF/A-3u carrying its own sources, for an archive",
        tagged=True,
        pdf_variant="pdf/a-3u",
        embed_sources=True,
    ),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise VigilError(
            f"unknown profile '{name}' (available: {', '.join(PROFILES)})"
        ) from None
