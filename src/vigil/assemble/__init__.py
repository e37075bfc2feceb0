"""Stage 4, assemble: typeset pages become the final PDF.

Takes the typeset PDF bytes and the publication; gives the PDF bytes to publish. For the screen
profile the typeset document is already final. This stage is where PDF inserts are swapped into
their reserved pages, print signatures are padded and sheets imposed, with pypdf.
"""

from __future__ import annotations

from vigil.profiles import Profile
from vigil.read import Publication
from vigil.typeset import Typeset


def assemble(typeset: Typeset, publication: Publication, profile: Profile) -> bytes:
    """Return the final PDF bytes for ``publication`` under ``profile``."""
    return typeset.pdf
