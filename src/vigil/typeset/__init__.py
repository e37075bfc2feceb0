"""Stage 3, typeset: composed HTML becomes laid-out pages and PDF bytes, through WeasyPrint.

Takes a :class:`~vigil.compose.Composed` document and a profile; gives a :class:`Layout`: the
document laid out whole (:func:`typeset`) or section by section (:mod:`vigil.typeset.sections`),
as PDF parts not joined yet, with its page count and anchors; or raises
:class:`WholeLayoutNeeded` when it cannot be laid out by sections. No pypdf here: nothing is
joined. WeasyPrint reads files only through :class:`~vigil.typeset.fetcher.SandboxFetcher`,
fonts only through ``@font-face`` from vigil's ``fonts/``, and the fonts configuration is
shared by every document built in one process.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vigil.errors import RenderError

if TYPE_CHECKING:  # not imported at run time: a worker process lays out without them
    from weasyprint import Document
    from weasyprint.text.fonts import FontConfiguration

    from vigil.compose import Composed
    from vigil.profiles import Profile

_font_config: FontConfiguration | None = None
_font_owner: int | None = None  # the process that made it


@dataclass(frozen=True)
class PageBox:
    """A laid-out page: its named page and where its text area lies."""

    name: str      # the named page ("" for the default page)
    left: float    # where the page area starts and how wide it is, in PDF points
    width: float


@dataclass(frozen=True)
class Laid:
    """One part of a :class:`Layout` (a chunk, or the whole document): its PDF as WeasyPrint
    wrote it, each page's box, on which of its pages (0-based) each anchor starts, and the
    files WeasyPrint read for it."""

    pdf: bytes
    pages: tuple[PageBox, ...]
    anchors: dict[str, int]
    fetched: tuple[Path, ...]


@dataclass(frozen=True)
class Placed:
    """Where a page of the result comes from: page ``page`` of part ``part``, its drawing moved
    right by ``shift`` points (a chunk laid out from a right page that lands on a left one)."""

    part: int
    page: int
    shift: float


@dataclass(frozen=True)
class Layout:
    """What the typeset stage gives: the document laid out, in one or several parts, not
    joined (the assemble stage joins them, :mod:`vigil.assemble.join`).

    Laid out section by section (:mod:`vigil.typeset.sections`): each chunk's layout (its PDF,
    the box of each page, its anchors) in reading order, the *numbers document* in parts
    (one page per page of the result, drawing only the page numbers), and for each page of the
    result which chunk page it is. Laid out whole: one part, no numbers document, every page
    in place. Either way the anchors (on which page, 0-based, each element id starts) are
    those of the result."""

    parts: tuple[Laid, ...]
    placed: tuple[Placed, ...]
    anchors: dict[str, int]
    identifier: bytes            # the PDF's /ID
    numbers: tuple[bytes, ...] = ()
    notes: tuple[str, ...] = ()
    # Laid out section by section: how many chunks were laid out, not taken from the cache
    # (the numbers document too), and how many there are; laid out whole: 1 and 1.
    laid_out: int = 1
    chunks: int = 1

    @property
    def pages(self) -> int:
        """The result's page count."""
        return len(self.placed)

    @property
    def whole(self) -> bool:
        """Laid out as one document: its only part is the PDF, nothing to join."""
        return len(self.parts) == 1 and not self.numbers


class WholeLayoutNeeded(Exception):
    """The document cannot be laid out (or joined) section by section: the pipeline lays it out
    whole, and says why in the build's notes unless ``expected`` (a small document: one layout
    is quicker, nothing to report)."""

    def __init__(self, reason: str, *, expected: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expected = expected

    @property
    def note(self) -> str:
        return f"laid out as one document: {self.reason}"


def _fonts() -> FontConfiguration:
    """The fonts configuration of this process (WeasyPrint's, with vigil's fonts added by the
    stylesheets' ``@font-face`` rules), made once; its folder of font files is removed when
    the process ends (a worker process too: WeasyPrint's own clean-up never runs there)."""
    global _font_config, _font_owner
    if _font_config is None:
        import atexit
        from multiprocessing import util

        from vigil.typeset.engine import load

        _font_config = load().text.fonts.FontConfiguration()
        _font_owner = os.getpid()
        atexit.register(_remove_font_files)
        util.Finalize(None, _remove_font_files, exitpriority=1)
    return _font_config


def _remove_font_files() -> None:
    """Remove the font files of this process's fonts configuration; a process forked from the
    one that made it leaves them to that one."""
    config = _font_config
    if config is None or _font_owner != os.getpid():
        return
    from vigil.pdf._compat import font_files_folder, forget_font_files_folder

    folder = font_files_folder(config)
    if folder:
        forget_font_files_folder(config)
        shutil.rmtree(folder, ignore_errors=True)


# WeasyPrint reports what it could not do by logging, not raising. These are the message
# templates (the record's unformatted ``msg``, never the text it becomes: a file or a word of
# the content cannot make a message fatal) that fail a build: a resource that failed to load or
# render ("Failed to load image at %r: %s", "Failed to render SVG image %s", "Failed to load
# stylesheet at %s: %s", ...) and a stylesheet that does not parse ("Error: %s at %d:%d.").
# The other warnings (an unknown CSS property, a target-counter to an anchor in another chunk)
# are WeasyPrint's to ignore. tests/test_typeset.py pins the templates of the installed
# WeasyPrint.
FATAL_TEMPLATES = ("Failed to ", "Error: ")


class _Collect(logging.Handler):
    """The records of WeasyPrint's logger whose template is one of FATAL_TEMPLATES."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and record.msg.startswith(FATAL_TEMPLATES):
            self.messages.append(record.getMessage())


def _readable(message: str) -> str:
    """Show vigil:// URLs in a message as paths relative to the publication."""
    return message.replace("vigil://publication/", "").replace("vigil://", "")


@contextmanager
def weasyprint_errors() -> Iterator[None]:
    """Around a WeasyPrint layout: a file the fetcher refused becomes its ResourceError, a
    document nested too deeply a RenderError, and so do WeasyPrint's own complaints (logged,
    not raised: a failed SVG, a broken image), with vigil:// URLs shown as paths."""
    from vigil.typeset.fetcher import RefusedResource

    logger = logging.getLogger("weasyprint")
    collect = _Collect()
    logger.addHandler(collect)
    try:
        yield
    except RefusedResource as refused:
        raise refused.error from None
    except RecursionError:
        raise RenderError("the document is nested too deeply to lay out") from None
    except (ArithmeticError, MemoryError, ValueError) as exc:  # out-of-range sizes
        raise RenderError(
            f"the layout failed ({type(exc).__name__}: {str(exc)[:120]})",
            hint="A size in the theme's stylesheet is probably out of range (a font-size, "
                 "width, margin or line-height far larger or smaller than a page can hold): "
                 "use sizes in pt or mm that fit the page",
        ) from None
    finally:
        logger.removeHandler(collect)
    fatal = collect.messages
    if fatal:
        shown = "; ".join(_readable(message) for message in fatal[:3])
        raise RenderError(
            f"WeasyPrint reported: {shown}",
            hint="An SVG image may refer to a file outside the publication or on the network",
        )


def first_pages(document: Document) -> dict[str, int]:
    """On which page (0-based) each anchor of a laid-out WeasyPrint document starts."""
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, index)
    return anchors


def page_boxes(document: Document) -> tuple[PageBox, ...]:
    """Each page's named page and where its text area lies, of a laid-out WeasyPrint
    document."""
    from vigil.pdf._compat import page_box

    pages = []
    for page in document.pages:
        box = page_box(page)
        pages.append(PageBox(name=box.page_type.name or "",
                             left=_points(box.margin_left + box.border_left_width
                                          + box.padding_left),
                             width=_points(box.width)))
    return tuple(pages)


def _points(pixels: float) -> float:
    return round(pixels * 0.75, 4)


# Given the files WeasyPrint read while laying out, more options for ``write_pdf``: the
# archive profile's attachments (the sources) and finisher (XMP metadata); see vigil.archive.
WriteOptions = Callable[[Sequence[Path]], dict[str, object]]


def typeset(composed: Composed, profile: Profile,
            write_options: WriteOptions | None = None) -> Layout:
    """Lay out and draw the whole document, one part; resource refusals become
    ResourceErrors."""
    from vigil.typeset.engine import load

    HTML = load().HTML
    from vigil.hyphenation import register as register_hyphenation
    from vigil.typeset.fetcher import SandboxFetcher

    register_hyphenation()  # Azerbaijani, which Pyphen lacks
    fetcher = SandboxFetcher(composed.mounts, composed.substitutes)
    with weasyprint_errors():
        variant = {"pdf_variant": composed.pdf_variant} if composed.pdf_variant else {}
        document = HTML(
            string=composed.html, base_url=composed.base_url, url_fetcher=fetcher
        ).render(font_config=_fonts(), **variant)
        identifier = composed.fingerprint[:32].encode()
        extra = write_options(fetcher.fetched) if write_options else {}
        pdf = document.write_pdf(
            pdf_identifier=identifier,
            pdf_tags=profile.tagged,
            uncompressed_pdf=False,
            **variant, **extra,
        )
    anchors = first_pages(document)
    part = Laid(pdf=pdf, pages=page_boxes(document), anchors=anchors,
                fetched=tuple(fetcher.fetched))
    return Layout(parts=(part,), placed=tuple(Placed(0, n, 0.0) for n in range(len(part.pages))),
                  anchors=anchors, identifier=identifier)
