"""What of the content vigil will not use as written: told, never dropped silently.

Takes a publication (and, for the theme, the composed HTML, the folders it may read, its base
URL and theme folders); gives

- :func:`section_links`: the rule for the links of its Markdown. Web and mail links
  (``https:``, ``http:``, ``mailto:``) and in-page anchors (``#...``) stay; a relative link to
  a section's file (``foreword.md``, ``figures.yaml``, with an optional ``#anchor``) becomes an
  internal link to that section, so that no path of the machine that built it ends up in the
  PDF; anything else (another file, ``../``, ``file:``, ``javascript:``, ``data:``...) is
  dropped, its text kept, with a :class:`~vigil.errors.Notice` naming the file and line;
- :func:`theme_notices`: notices for ``@import`` rules that CSS ignores (written after other
  rules), and for SVG pictures that declare an external document type (which vigil does not
  load); an SVG picture that refers to other files is refused, as it is in Markdown.

The build lists notices as warnings, and fails on them under ``--strict``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from vigil.compose.markdown import LinkResolver, dropped_link
from vigil.compose.theme import written_at
from vigil.errors import Location, Notice, ResourceError
from vigil.read.images import verify_image
from vigil.sandbox import resolve_url

if TYPE_CHECKING:
    from vigil.read import Publication

_KEPT = ("http:", "https:", "mailto:")


def section_links(publication: Publication) -> LinkResolver:
    """The :data:`~vigil.compose.markdown.LinkResolver` of ``publication``'s Markdown."""
    targets: dict[Path, str] = {}
    for section in publication.sections:
        source = section.source.resolve()
        targets[source] = section.id
        parts = source.name.split(".")
        if publication.edition and len(parts) >= 3 and parts[-2] == publication.edition:
            # A translation (foreword.ru.md) also answers to its original's name.
            targets.setdefault(source.with_name(".".join([*parts[:-2], parts[-1]])), section.id)

    def resolve(href: str, location: Location) -> str | Notice:
        if href.lower().startswith(_KEPT) or href.startswith("#"):
            return href
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path or parts.query:
            return dropped_link(href, location)
        base = location.file.parent if location.file else publication.folder
        try:  # only compared with the sections' files, never opened
            path = (base / unquote(parts.path)).resolve()
        except (OSError, RuntimeError, ValueError):
            return dropped_link(href, location)
        section = targets.get(path)
        if section is None:
            return dropped_link(href, location)
        return f"#{section}"

    return resolve


def theme_notices(html: str, publication: Publication, mounts: Mapping[str, Path],
                  base_url: str, folders: tuple[Path, ...]) -> list[Notice]:
    """Notices for what the composed ``html`` asks for that would be ignored (see module)."""
    return [*_ignored_imports(html, folders), *_svg_pictures(html, publication, mounts,
                                                             base_url, folders)]


_HREF = re.compile(r"(<a\b[^>]*?)\s+href\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)


def theme_links(html: str, folders: tuple[Path, ...]) -> tuple[str, list[Notice]]:
    """The links a template writes itself (``<a href>``): web, mail and in-page links stay;
    any other (a file, which would carry the build's folder into the PDF as a ``file:``
    address, ``javascript:``...) loses its ``href``, with a notice naming the template line."""
    from html import unescape

    notices: list[Notice] = []

    def judge(match: re.Match[str]) -> str:
        written = match.group(2)
        href = unescape(written.strip("\"'")).strip()
        if href.lower().startswith(_KEPT) or href.startswith("#"):
            return match.group(0)
        notices.append(dropped_link(href, written_at(written.strip("\"'"), folders)))
        return match.group(1)

    return _HREF.sub(judge, html), notices


_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S | re.I)


def _ignored_imports(html: str, folders: tuple[Path, ...]) -> list[Notice]:
    import tinycss2  # type: ignore[import-untyped]

    notices = []
    for text in _STYLE.findall(html):
        if "@import" not in text.lower():
            continue  # the usual case: nothing to parse
        seen_rule = False
        for rule in tinycss2.parse_stylesheet(text, skip_whitespace=True, skip_comments=True):
            if rule.type == "at-rule" and rule.lower_at_keyword == "import":
                if seen_rule:
                    written = tinycss2.serialize(rule.prelude).strip()
                    where = written_at(f"@import {written}", folders)
                    if where.line is None:  # written with other spacing: find the keyword
                        where = written_at("@import", folders, ignore_case=True)
                    notices.append(Notice(
                        "css-import-ignored",
                        f"'@import {written}' is ignored: CSS reads @import only before all "
                        "other rules, and the theme's style sheets are one (include the file "
                        "with {% include %} in base.html instead)", where,
                    ))
            elif not (rule.type == "at-rule" and rule.lower_at_keyword in ("charset", "layer")):
                seen_rule = True
    return notices


_IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(\"[^\"]*\"|'[^']*')", re.S | re.I)
_DOCTYPE = re.compile(rb"<!DOCTYPE\s[^>\[]*?(?:SYSTEM|PUBLIC)\s[^>\[]*?[\"']([^\"']+)[\"']\s*[\[>]",
                      re.S | re.I)
# The W3C's own document types of SVG: declaring one changes nothing a renderer does.
_SVG_DTDS = ("http://www.w3.org/Graphics/SVG/", "http://www.w3.org/TR/2001/REC-SVG-20010904/")


def _svg_pictures(html: str, publication: Publication, mounts: Mapping[str, Path],
                  base_url: str, folders: tuple[Path, ...]) -> list[Notice]:
    from html import unescape

    notices = []
    checked: set[Path] = set()
    for quoted in _IMG_SRC.findall(html):
        src = unescape(quoted[1:-1])
        if not unquote(urlsplit(src).path).lower().endswith(".svg"):
            continue
        try:
            path = resolve_url(src, mounts, base_url)
        except ResourceError:
            continue  # refused, with its message, when the document is laid out
        if path in checked:
            continue
        checked.add(path)
        where = written_at(src.rsplit("/", 1)[-1], folders, publication.sources)
        verify_image(path, where)  # an SVG may refer to no other file
        head = path.read_bytes()[:65536]
        match = _DOCTYPE.search(head)
        if match and not match.group(1).decode("ascii", "replace").startswith(_SVG_DTDS):
            dtd = match.group(1).decode("utf-8", "replace")[:80]
            notices.append(Notice(
                "svg-external-dtd",
                f"the SVG picture '{path.name}' names the document type definition '{dtd}', "
                "which vigil does not load: what it defines (entities, default values) is not "
                "applied (remove the <!DOCTYPE ...> line, or export the SVG again)", where,
            ))
    return notices
