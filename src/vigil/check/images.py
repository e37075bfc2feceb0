"""Images, before rendering: alternative text, and which file each picture in the PDF is.

Takes a publication and its composed HTML; gives findings (``image-alt``: an image without
alternative text — a warning, an error under ``--strict`` for the screen and archive profiles)
and, for the check of the written PDF, the image files by pixel size, so that a finding on a
low-resolution picture can name its file. (The resolution itself is judged on the PDF, where
the placed size is exact: see :mod:`vigil.check.pdf`.)
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from vigil.check.expectations import Expectations
from vigil.check.findings import ERROR, WARNING, Finding
from vigil.errors import Location, ResourceError, VigilError
from vigil.sandbox import VIRTUAL_SCHEME, resolve_url

if TYPE_CHECKING:
    from vigil.compose import Composed
    from vigil.read.model import Publication


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.found.append(dict(attrs))


def _images(html: str) -> list[dict[str, str | None]]:
    parser = _Images()
    parser.feed(html)
    parser.close()
    return parser.found


def _path(src: str, mounts: dict[str, Path]) -> Path | None:
    """The file of a picture, through the sandbox's resolver (None for any other source:
    the typesetting stage's fetcher refuses it with a message)."""
    if urlsplit(src).scheme != VIRTUAL_SCHEME:
        return None
    try:
        return resolve_url(src, mounts)
    except ResourceError:
        return None


def _locate(reference: Path, publication: Publication) -> tuple[Path | None, int | None]:
    """The source file and line that refer to the image ``reference`` (by its file name)."""
    name = reference.name
    for source in publication.sources:
        if source.suffix.lower() not in (".md", ".yaml", ".yml", ".markdown"):
            continue
        try:
            lines = source.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            if name in line:
                return source, number
    return None, None


def find_images(html: str) -> list[dict[str, str | None]]:
    """The attributes of every ``<img>`` of the composed HTML."""
    return _images(html)


def check_alt_text(publication: Publication, composed: Composed, expect: Expectations,
                   images: list[dict[str, str | None]] | None = None) -> list[Finding]:
    """An ``image-alt`` finding for every image without alternative text."""
    severity = ERROR if expect.strict and expect.strict_applies else WARNING
    findings = []
    for attributes in images if images is not None else _images(composed.html):
        if (attributes.get("alt") or "").strip():
            continue
        src = attributes.get("src") or ""
        path = _path(src, composed.mounts)
        shown = path.relative_to(publication.folder).as_posix() if path is not None and \
            path.is_relative_to(publication.folder) else unquote(src.rsplit("/", 1)[-1])
        file, line = _locate(path, publication) if path is not None else (None, None)
        findings.append(Finding(
            severity, None, "image-alt",
            f"the image {shown} has no alternative text: readers who cannot see it learn "
            "nothing of it (write a description in ![...](...) or 'alt:')", file, line,
        ))
    for section in publication.sections:
        insert = getattr(section, "insert", None)
        if insert is None or (insert.options.alt or "").strip():
            continue
        findings.append(Finding(
            severity, None, "image-alt",
            f"the insert {insert.path.name} has no alternative text: its pages are a picture "
            "to a screen reader (write what it shows in 'alt:' under '- insert:')",
            publication.folder / "publication.yaml", None,
        ))
    return findings


def image_sources(publication: Publication, composed: Composed,
                  images: list[dict[str, str | None]] | None = None
                  ) -> dict[tuple[int, int], str]:
    """Pixel size → file (relative to the publication) of every raster image of the HTML."""
    from vigil.read.images import verify_image

    sources: dict[tuple[int, int], str] = {}
    for attributes in images if images is not None else _images(composed.html):
        path = _path(attributes.get("src") or "", composed.mounts)
        if path is None or path.suffix.lower() == ".svg":
            continue
        try:
            size = verify_image(path, Location(path))
        except (VigilError, OSError):
            continue
        name = path.relative_to(publication.folder).as_posix() \
            if path.is_relative_to(publication.folder) else path.name
        sources.setdefault(size, name)
    return sources
