"""Stage 2, compose: a :class:`~vigil.read.Publication` becomes one HTML document.

Takes a validated publication and an output profile; gives a :class:`Composed` document: the
HTML string, the base URL WeasyPrint resolves it against, the folders it may load files from,
and the template files it used. Markdown goes through :mod:`vigil.compose.markdown` (safe HTML);
everything else is escaped by the sandboxed theme templates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType

import jinja2
from markupsafe import Markup

from vigil import __version__
from vigil.compose.dropped import section_links, theme_links, theme_notices
from vigil.compose.markdown import MarkdownRenderer
from vigil.compose.theme import (
    RENDER_SECONDS,
    TemplateLimit,
    check_sizes,
    make_environment,
    theme_folders,
)
from vigil.compose.ties import balance, tie
from vigil.errors import Location, Notice, ResourceError, ThemeError, VigilError
from vigil.i18n import Locale, locale_for
from vigil.limits import TimeLimitExceeded, time_limit
from vigil.profiles import Profile
from vigil.read import Publication, Section, check_reference
from vigil.read.images import verify_image
from vigil.read.model import Variant
from vigil.resources import fonts_dir
from vigil.sandbox import VIRTUAL_SCHEME, resolve_inside, virtual_url

# More HTML than this (characters) is refused before layout: a loop in a template, not a book.
MAX_HTML_CHARS = 50_000_000

__all__ = ["Composed", "compose_html"]


@dataclass(frozen=True)
class Composed:
    """An HTML document ready for WeasyPrint, and what it may read."""

    html: str
    base_url: str
    mounts: dict[str, Path]
    theme_folders: tuple[Path, ...]
    # Pictures served in place of the author's files (reduced for the screen), by unquoted
    # virtual URL; the PDF variant to write (the profile's, unless the document cannot keep
    # PDF/UA's promise); notes for the build summary.
    substitutes: dict[str, Path] = field(default_factory=dict)
    pdf_variant: str | None = None
    notes: tuple[str, ...] = ()
    # What of the content was left out or shown otherwise than written, with where (see
    # vigil.compose.dropped): warnings of the build, errors under --strict.
    warnings: tuple[Notice, ...] = ()

    @property
    def roots(self) -> tuple[Path, ...]:
        """The folders the document may read from."""
        return tuple(self.mounts.values())

    @property
    def fingerprint(self) -> str:
        """A hash of the HTML that does not depend on where the folders are on disk, so that
        the same sources built from another folder give the same PDF identifier."""
        html = self.html
        for index, root in enumerate(self.roots):
            html = html.replace(root.resolve().as_uri(), f"root{index}:")
        return hashlib.sha256(html.encode("utf-8")).hexdigest()


def compose_html(publication: Publication, profile: Profile,
                 copies: tuple[Variant, ...] = ()) -> Composed:
    """Render the publication's theme templates into one HTML document.

    With ``copies`` (personalised copies, ``variants:``), the document is instead the cover and
    back cover of each copy in turn (``copies.html``), to be swapped into the shared pages."""
    manifest = publication.folder / "publication.yaml"
    folders = theme_folders(publication.folder, publication.meta.theme, manifest)
    env = make_environment(folders)
    renderers: dict[str, MarkdownRenderer] = {}
    notices: list[Notice] = []
    resolve_link = section_links(publication)

    def renderer(language: str) -> MarkdownRenderer:
        if language not in renderers:
            renderers[language] = MarkdownRenderer(locale_for(language).quotes, language)
        return renderers[language]

    def resolve_image(base: Path, reference: str, location: Location) -> str:
        check_reference(reference, location)
        try:
            path = resolve_inside(reference, base, (publication.folder,), location)
        except (OSError, ValueError) as exc:  # a name the file system refuses
            raise ResourceError(f"the picture '{reference[:60]}' cannot be opened "
                                f"({getattr(exc, 'strerror', None) or exc})",
                                location=location) from None
        verify_image(path, location)
        return virtual_url("publication", publication.folder, path)

    def markdown(source: Path, language: str, text: str | None, inline: bool = False,
                 first_line: int = 1) -> Markup | str:
        if not text:
            return ""
        html = renderer(language).render(
            text, source, partial(resolve_image, source.parent), first_line=first_line,
            inline=inline, resolve_link=resolve_link, warn=notices.append,
        )
        return Markup(html)

    locale = locale_for(publication.language)
    meta = publication.meta
    sections = [_section_context(s, markdown, publication) for s in publication.sections]
    context: dict[str, object] = {
        "publication": meta,
        "kind": meta.kind,
        "language": meta.language,
        "date_text": tie(locale.date(meta.date), meta.language),
        "cover_image": _uri(publication.folder, publication.folder, meta.cover.image),
        "back_html": markdown(manifest, _field_language(publication, "back.text"),
                              meta.back.text if meta.back else None),
        "sections": sections,
        "page": {"size": meta.page.size, "width": meta.page.millimetres[0],
                 "height": meta.page.millimetres[1],
                 "margins": meta.page.margins_mm(meta.kind)},
        "profile": profile,
        # Print: bleed around every page; pages reserved before the back cover so that the
        # assemble stage can keep as many as the signatures of four need.
        "bleed": meta.print.bleed if profile.for_print else 0.0,
        "padding": meta.print.padding,
        "pad_pages": profile.pad_to - 1 if profile.pad_to > 1 else 0,
        "fonts_url": f"{VIRTUAL_SCHEME}://fonts",
        "created": meta.date.isoformat(),
        "modified": _modified(meta.date),
        "vigil_version": __version__,
        "t": locale.word,
        # Display text of publication.yaml (the cover's lines) in balanced lines, with its
        # no-break spaces.
        "balanced": partial(_balanced, language=meta.language),
        "format_date": locale.date,
        "format_number": locale.number,
        "locale": _locale_context(locale),
        "variant": None,
        "copies": copies,
        # Personalised copies: how many cover-sized sections (two a copy) one sheet of the
        # lines document holds (see copies.html, vigil.assemble.copies).
        "sheet_sections": sheet_sections(meta.page.millimetres[1]),
        "section_pages": COPY_SECTION_PAGES,
    }
    template_name = "copies.html" if copies else f"{meta.kind}.html"
    try:
        template = env.get_template(template_name)
        with time_limit(RENDER_SECONDS):
            html, dropped = theme_links(template.render(context), folders)
        notices += dropped
    except TemplateLimit as exc:
        exc.location = _template_location(exc.__traceback__, folders)
        raise
    except VigilError:
        raise
    except TimeLimitExceeded:
        raise ThemeError(
            f"the templates took longer than {RENDER_SECONDS:g} s to compose "
            f"'{publication.name}' (a loop that does not end, or loops nested too deeply)",
            location=Location(folders[0]),
        ) from None
    except (MemoryError, OverflowError, RecursionError) as exc:
        raise ThemeError(
            f"a template asked for too much while composing '{publication.name}' "
            f"({type(exc).__name__}: {str(exc)[:120]})",
            location=_template_location(exc.__traceback__, folders),
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise ThemeError(
            f"template '{exc.name}' not found in " + ", ".join(str(f) for f in folders),
            location=Location(manifest), key="theme",
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise ThemeError(
            f"template syntax error: {exc.message}",
            location=Location(Path(exc.filename) if exc.filename else None, exc.lineno),
        ) from None
    except (jinja2.UndefinedError, jinja2.exceptions.SecurityError, TypeError, ValueError) as exc:
        raise ThemeError(
            f"template failed while composing '{publication.name}': {exc}",
            location=_template_location(exc.__traceback__, folders),
        ) from None
    check_sizes(html, folders)
    if len(html) > MAX_HTML_CHARS:
        raise ThemeError(
            f"the templates made {len(html):,} characters of HTML for '{publication.name}', "
            f"more than the {MAX_HTML_CHARS:,} vigil lays out",
            location=Location(folders[0]),
            hint="Split the publication, or check the templates for a loop that repeats text",
        )
    mounts = {"publication": publication.folder, "fonts": fonts_dir()}
    mounts.update({f"theme{index}": folder for index, folder in enumerate(folders)})
    substitutes: dict[str, Path] = {}
    if profile.image_dpi:
        from vigil.compose.images import prepare_images

        margins = meta.page.margins_mm(meta.kind)
        prepared = prepare_images(html, publication.folder, meta.page.millimetres,
                                  profile.image_dpi, profile.jpeg_quality,
                                  meta.page.millimetres[0] - margins["inner"] - margins["outer"])
        substitutes = prepared.substitutes
        if substitutes:
            mounts["cache"] = prepared.folder
    variant, notes = pdf_variant(profile, publication, html)
    base_url = publication.folder.as_uri() + "/"
    notices += theme_notices(html, publication, mounts, base_url, folders)
    return Composed(html=html, base_url=base_url, mounts=mounts,
                    theme_folders=folders, substitutes=substitutes, pdf_variant=variant,
                    notes=notes, warnings=tuple(dict.fromkeys(notices)))


# A section of the personalised copies' lines document is this many pages high: the line is
# in the first page's height, where it is drawn on the cover or back cover; a line too long
# for its slot runs on into the rest of its own section (and is refused, naming its CSV row),
# never into the next copy's.
COPY_SECTION_PAGES = 2


def sheet_sections(page_height: float) -> int:
    """How many sections (``COPY_SECTION_PAGES`` pages of ``page_height`` mm each), an even
    number, fit on one sheet of the personalised copies' lines document, a sheet being at
    most 5 m high (a PDF page may be at most 200 inches)."""
    return max(2, int(5000 // (page_height * COPY_SECTION_PAGES)) // 2 * 2)


def pdf_variant(profile: Profile, publication: Publication,
                html: str) -> tuple[str | None, tuple[str, ...]]:
    """The profile's PDF variant, but for PDF/UA only when the document keeps its promise:
    every picture has alternative text, and so has every inserted PDF (its pages become a
    Figure, see vigil.assemble.inserts). Otherwise plain tags, and a note saying why."""
    variant = profile.pdf_variant
    if not variant or not variant.startswith("pdf/ua"):
        return variant, ()
    from vigil.compose.images import images_of

    reasons = []
    missing = sum(1 for use in images_of(html) if not (use.alt or "").strip())
    if missing:
        reasons.append(f"{missing} picture{'s have' if missing > 1 else ' has'} no "
                       "alternative text")
    inserts = [s.source.name for s in publication.sections
               if s.insert is not None and not (s.insert.options.alt or "").strip()]
    if inserts:
        reasons.append("inserted PDF pages have no alternative text ('alt:' of "
                       f"{', '.join(inserts)})")
    if not reasons:
        return variant, ()
    return None, (f"tagged, but not {variant.upper()}: " + "; ".join(reasons),)


def _modified(default: dt.date) -> str:
    """The modification date written in the PDF: SOURCE_DATE_EPOCH if set, else the date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        stamp = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return default.isoformat()


def _uri(publication: Path, folder: Path, reference: str | None) -> str | None:
    """The virtual URL of a file the read stage already checked."""
    if not reference:
        return None
    return virtual_url("publication", publication, folder / reference)


def _field_language(publication: Publication, field: str) -> str:
    """The language a field of publication.yaml is written in: the original's when a
    translated edition has no translation of it."""
    if publication.original_language and field in publication.untranslated:
        return publication.original_language
    return publication.language


def _locale_context(locale: Locale) -> dict[str, str]:
    quotes = locale.quotes
    return {"open_quote": quotes[0], "close_quote": quotes[1], "language": locale.language}


def _section_context(section: Section, markdown: Callable[..., Markup | str],
                     publication: Publication) -> dict[str, object]:
    source = section.source
    language = section.language
    blocks = []
    for block in section.blocks:
        data = block.model_dump()
        if block.type == "figures" and data["format_numbers"]:
            # A whole number is written the way of the section's language: 1,275 / 1 275.
            numbers = locale_for(language)
            for item in data["items"]:
                item["value"] = numbers.localise_number(item["value"])
        if getattr(block, "items", None) is not None and block.type == "catalogue":
            for item in data["items"]:
                item["image_uri"] = _uri(publication.folder, source.parent, item.get("image"))
        tied = _tie_fields(data, language)
        blocks.append({"type": block.type, "data": tied, "template": f"blocks/{block.type}.html"})
    return {
        "id": section.id,
        "title": section.title,
        "language": language,
        "new_page": section.new_page,
        "toc": section.toc,
        "source": source.name,
        "body": markdown(source, language, section.markdown, first_line=section.markdown_line),
        "intro": markdown(source, language, section.intro),
        "blocks": blocks,
        "insert_pages": len(section.insert.pages) if section.insert else 0,
        "stamp": bool(section.insert and section.insert.options.stamp_page_number),
        "md": partial(markdown, source, language),
        "md_inline": partial(markdown, source, language, inline=True),
    }


# Fields of a block that are names of files or settings, not text to set.
_NOT_TEXT = frozenset({"image", "image_uri", "csv", "style", "type", "alt", "columns"})


def _tie_fields(value: object, language: str, key: str = "") -> object:
    """The block's text fields with no-break spaces (:func:`vigil.compose.ties.tie`)."""
    if isinstance(value, str):
        return value if key in _NOT_TEXT else tie(value, language)
    if isinstance(value, dict):
        return {k: _tie_fields(v, language, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_tie_fields(v, language, key) for v in value)
    return value


def _balanced(text: str | None, width_mm: float, size_pt: float, language: str) -> Markup:
    """Display text in balanced lines (:func:`vigil.compose.ties.balance`), escaped, joined
    by line breaks."""
    if not text:
        return Markup("")
    return Markup("<br>").join(balance(text, width_mm, size_pt, language))


def _template_location(tb: TracebackType | None, folders: tuple[Path, ...]) -> Location:
    """The template file and line where rendering failed, from Jinja's rewritten traceback."""
    found = Location()
    names = {str(folder) for folder in folders}
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if any(filename.startswith(name) for name in names):
            found = Location(Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found
