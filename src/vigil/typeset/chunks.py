"""Cut a composed document into chunks that WeasyPrint can lay out one by one.

Takes a :class:`~vigil.compose.Composed` document; gives a :class:`Plan`: the document's head,
its stylesheet rewritten for chunks (page numbers left out: they are drawn afterwards from one
small *numbers document*, see :mod:`vigil.typeset.sections`), and its chunks, or the reason why
the document must be laid out whole.

A chunk starts at each top-level element the theme marks with ``data-chunk`` (the cover, the
contents, every section that starts on a new page, each PDF insert, the padding pages, the back
cover): the theme promises that each of them starts a new page. Nothing here imports WeasyPrint.

What a chunk's layout depends on, beyond its own HTML and the stylesheet:

- the footnotes before it (numbered through the publication): ``counter-reset: footnote N``;
- links to anchors in other chunks: they become ``vigil-anchor:NAME`` links, turned back into
  internal links when the chunks are joined (WeasyPrint drops links to anchors it cannot see);
- page numbers shown by ``target-counter(attr(href), page)`` (the contents): the stylesheet
  shows ``var(--vigil-page)`` instead, and each such link carries its target's page number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from vigil.compose import Composed

ANCHOR_SCHEME = "vigil-anchor:"

_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_BODY = re.compile(r"<body\b[^>]*>")
_CHUNK_START = re.compile(r"<[a-z][a-z0-9]*\s[^>]*\bdata-chunk=\"[^\"]*\"")
_ID = re.compile(r"\sid=\"([^\"]*)\"")
_LINK = re.compile(r"<a\b([^>]*?)\shref=\"#([^\"]*)\"")
_PAGE_COUNTER = re.compile(r"counter\(\s*pages?\s*(?:,[^)]*)?\)")
_TARGET_PAGE = re.compile(r"target-counter\(\s*attr\(\s*href\s*\)\s*,\s*page\s*\)")
_MARGIN_RULE = re.compile(r"(@(?:top|bottom|left|right)-[a-z-]+\s*\{)([^{}]*)(\})")
_CONTENT = re.compile(r"content\s*:\s*([^;}]*)")
# What the chunks cannot reproduce: the document's first page, blank pages made by breaks to a
# left or right page, other cross-references, counters of pages set by the theme.
_UNSUPPORTED = (
    (re.compile(r":first(?![-\w])"), "the theme styles the first page (@page :first)"),
    (re.compile(r":blank(?![-\w])"), "the theme styles blank pages (@page :blank)"),
    (re.compile(r"break-(?:before|after)\s*:\s*(?:left|right|recto|verso)"),
     "the theme breaks to left or right pages"),
    (re.compile(r"target-(?:counter|counters|text)\s*\("),
     "the theme uses cross-references other than page numbers of links"),
    (re.compile(r"counter-(?:reset|increment|set)\s*:[^;}]*\bpages?\b"),
     "the theme sets the page counter"),
)


@dataclass(frozen=True)
class Chunk:
    """Top-level elements of the body from one ``data-chunk`` marker to the next."""

    body: str
    ids: frozenset[str]
    footnotes: int
    targets: frozenset[str]  # the ids its internal links lead to
    numbered_links: bool     # shows page numbers of its links (the contents)


@dataclass(frozen=True)
class Plan:
    head: str          # from <!DOCTYPE> to <body ...>, without the stylesheet
    body_tag: str
    tail: str
    css: str           # the stylesheet for chunks: no page numbers
    numbers_css: str   # the stylesheet for the numbers document: page numbers only
    chunks: tuple[Chunk, ...]

    @property
    def numbered(self) -> frozenset[str]:
        """The ids whose page numbers links show (the contents' entries)."""
        return frozenset(name for chunk in self.chunks if chunk.numbered_links
                         for name in chunk.targets)

    def html(self, index: int, footnotes_before: int, numbers: dict[str, int]) -> str:
        """The HTML of chunk ``index``: its footnotes numbered after ``footnotes_before``, its
        links to other chunks marked, and links showing page numbers given ``numbers`` (the
        page number of each id; 0 while unknown)."""
        chunk = self.chunks[index]
        own = chunk.ids

        def link(match: re.Match[str]) -> str:
            before, target = match.group(1), match.group(2)
            style = ""
            if chunk.numbered_links:
                style = f" style=\"--vigil-page: '{numbers.get(target, 0)}'\""
            href = f"#{target}" if target in own else f"{ANCHOR_SCHEME}{target}"
            return f"<a{before}{style} href=\"{href}\""

        body = _LINK.sub(link, chunk.body)
        reset = f" style=\"counter-reset: footnote {footnotes_before}\"" if footnotes_before else ""
        opening = self.body_tag[:-1] + reset + ">"
        return self.head + opening + body + self.tail

    def numbers_html(self, names: list[str], first: int = 1) -> str:
        """One empty page for each of ``names`` (pages ``first``, ``first`` + 1... of the
        document), of the named page it has there, numbered and on the side it has there."""
        pages = "".join(
            f"<div style=\"page: {name or 'auto'}; break-before: page\"></div>" for name in names
        )
        head = self.head
        if first > 1:
            left = " html { break-before: left; }" if first % 2 == 0 else ""
            head = head.replace("</head>", f"<style>@page :first {{ counter-reset: page {first}; }}"
                                f"{left}</style></head>", 1)
        return head + self.body_tag + pages + self.tail


def plan(composed: Composed) -> Plan | str:
    """The chunks of ``composed``, or why it must be laid out as one document."""
    html = composed.html
    styles = _STYLE.findall(html)
    if len(styles) != 1 or "<link" in html[: html.find("<body")]:
        return "the document does not have exactly one stylesheet"
    css = styles[0]
    for pattern, reason in _UNSUPPORTED:
        if pattern.search(_TARGET_PAGE.sub("", css)):
            return reason
    body_match = _BODY.search(html)
    end = html.rfind("</body>")
    if body_match is None or end < 0:
        return "the document has no body"
    head = html[: body_match.start()]
    style_match = _STYLE.search(head)
    assert style_match is not None
    head = head[: style_match.start()] + head[style_match.end():]
    body = html[body_match.end(): end]
    starts = [match.start() for match in _CHUNK_START.finditer(body)]
    if len(starts) < 2:
        return "the theme marks no sections to lay out separately (data-chunk)"
    numbered = bool(_TARGET_PAGE.search(css))
    chunks = []
    bounds = [0, *starts[1:], len(body)]
    for start, stop in pairwise(bounds):
        text = body[start:stop]
        chunks.append(Chunk(
            body=text, ids=frozenset(_ID.findall(text)),
            footnotes=text.count('class="footnote"'),
            targets=frozenset(match.group(2) for match in _LINK.finditer(text)),
            numbered_links=numbered and bool(_LINK.search(text)),
        ))
    chunk_css = _TARGET_PAGE.sub("var(--vigil-page)", _PAGE_COUNTER.sub('""', css))
    return Plan(
        head=head, body_tag=body_match.group(0), tail=html[end:], css=chunk_css,
        numbers_css=_numbers_stylesheet(css), chunks=tuple(chunks),
    )


_ROOT_SELECTOR = re.compile(r"^\s*(?:html|body|:root)(?:[.#:\[][^,]*)?\s*$")
_numbers_stylesheets: dict[str, str] = {}


def _numbers_stylesheet(css: str) -> str:
    """The stylesheet of the numbers document: the page rules (every page-margin box emptied
    but those showing page numbers, no page backgrounds: the chunks draw them), the fonts, and
    the rules of the root and the body (margin boxes inherit from them); nothing else, so that
    it is quick to parse."""
    if css in _numbers_stylesheets:
        return _numbers_stylesheets[css]
    import tinycss2  # type: ignore[import-untyped]

    def wanted(rule: Any) -> bool:  # Any: tinycss2 is untyped
        if rule.type == "at-rule":
            return rule.lower_at_keyword in ("page", "font-face")
        return rule.type == "qualified-rule" and all(
            _ROOT_SELECTOR.match(part) for part in tinycss2.serialize(rule.prelude).split(","))

    kept = [rule for rule in tinycss2.parse_stylesheet(css, skip_comments=True,
                                                       skip_whitespace=True) if wanted(rule)]

    def margin(match: re.Match[str]) -> str:
        declarations = _CONTENT.sub(
            lambda content: content.group(0) if _PAGE_COUNTER.search(content.group(1))
            else "content: none", match.group(2))
        return match.group(1) + declarations + match.group(3)

    text = "\n".join(tinycss2.serialize([rule]) for rule in kept)
    result = (_MARGIN_RULE.sub(margin, text)
              + "\n@page { background: none !important; border: none !important; }\n")
    if len(_numbers_stylesheets) > 16:
        _numbers_stylesheets.clear()
    _numbers_stylesheets[css] = result
    return result
