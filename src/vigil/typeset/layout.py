"""Lay out one chunk of a document with WeasyPrint: the work a worker process does.

Takes a :class:`Job` (the chunk's HTML, the shared stylesheet, where it may read files, how to
write it); gives a :class:`Laid` chunk: its PDF, and for each page its named page and where
its text area lies, the page of each anchor and the files read (one part of a
:class:`~vigil.typeset.Layout`).
The stylesheet is parsed once per process and kept (fonts loaded once), so that laying out
many chunks in one process costs little more than one document of the same pages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vigil.errors import RenderError, VigilError
from vigil.typeset import Laid, page_boxes
from vigil.workers import Setup

if TYPE_CHECKING:
    from weasyprint import CSS

    from vigil.typeset.fetcher import SandboxFetcher

_stylesheets: dict[str, CSS] = {}


@dataclass(frozen=True)
class Job:
    key: str
    html: str
    css: str
    base_url: str
    mounts: dict[str, Path]
    substitutes: dict[str, Path]
    pdf_variant: str | None
    tagged: bool


def _stylesheet(css: str, job: Job, fetcher: SandboxFetcher) -> CSS:
    from vigil.typeset import _fonts
    from vigil.typeset.engine import load

    CSS = load().CSS

    key = hashlib.sha256(f"{job.base_url}\0{css}".encode()).hexdigest()
    if key not in _stylesheets:
        if len(_stylesheets) > 8:
            _stylesheets.clear()
        _stylesheets[key] = CSS(string=css, base_url=job.base_url, url_fetcher=fetcher,
                                font_config=_fonts())
    return _stylesheets[key]


def lay_out(job: Job) -> Laid:
    """Lay out and draw ``job``; resource refusals become ResourceErrors, WeasyPrint's
    complaints RenderErrors (with vigil:// URLs shown as paths)."""
    from vigil.typeset.engine import load

    HTML = load().HTML
    from vigil.hyphenation import register as register_hyphenation
    from vigil.typeset import _fonts, first_pages, weasyprint_errors
    from vigil.typeset.fetcher import SandboxFetcher

    register_hyphenation()
    fetcher = SandboxFetcher(job.mounts, job.substitutes)
    with weasyprint_errors():
        variant = {"pdf_variant": job.pdf_variant} if job.pdf_variant else {}
        stylesheet = _stylesheet(job.css, job, fetcher)
        document = HTML(string=job.html, base_url=job.base_url, url_fetcher=fetcher).render(
            font_config=_fonts(), stylesheets=[stylesheet], **variant)
        pdf = document.write_pdf(pdf_identifier=job.key[:32].encode(), pdf_tags=job.tagged,
                                 uncompressed_pdf=False, **variant)
    return Laid(pdf=pdf, pages=page_boxes(document), anchors=first_pages(document),
                fetched=tuple(fetcher.fetched))


def warm_up() -> None:
    """Import WeasyPrint and load what every layout needs (in a worker started early)."""
    from vigil.hyphenation import register as register_hyphenation
    from vigil.typeset import _fonts
    from vigil.typeset.engine import load

    load()

    register_hyphenation()
    _fonts()


def _clean_up() -> None:
    from vigil.typeset import _remove_font_files

    _remove_font_files()


# The layout's workers (vigil.workers' kept pool): the fork server imports WeasyPrint and the
# modules that lay out a chunk once (vigil.typeset.preload), a worker started early loads
# fonts and hyphenation, and one that ends without its clean-up removes its font files.
WORKERS = Setup(preload=("vigil.typeset.preload",), warm_up=warm_up, clean_up=_clean_up)


def lay_out_safely(job: Job) -> Laid | VigilError:
    """:func:`lay_out` for a worker process: a VigilError is given back, not raised, so that
    the parent raises it with its message intact."""
    try:
        return lay_out(job)
    except VigilError as error:
        return error
    # Broad on purpose: what is left is WeasyPrint failing on an input it did not foresee
    # (an AssertionError, IndexError, KeyError... from inside its layout, no type of its own);
    # the build reports it in one paragraph, with its type, rather than a worker's traceback.
    except Exception as error:
        return RenderError(f"WeasyPrint failed: {type(error).__name__}: {str(error)[:200]}")
