"""Markdown to safe HTML for one publication.

Takes Markdown text (CommonMark, tables, footnotes; raw HTML is escaped, never passed through)
and the file it came from; gives sanitised HTML in which footnotes are ``<span class="footnote">``
elements placed where they are called (so CSS paged media sets them at the foot of the page) and
images are resolved, checked files inside the publication folder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from vigil.errors import Location

ImageResolver = Callable[[str, Location], str]

_TAGS = {
    "p", "em", "strong", "a", "ul", "ol", "li", "blockquote", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "img", "span", "sup", "sub", "code", "pre",
    "hr", "br", "del", "s",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "span": {"class"},
    "th": {"style"},
    "td": {"style"},
    "ol": {"start"},
}


def _sanitise(html: str) -> str:
    return str(nh3.clean(
        html, tags=_TAGS, attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "vigil"}, link_rel=None,
        filter_style_properties={"text-align"},
    ))


class MarkdownRenderer:
    """A configured markdown-it parser; one per publication language (quotation marks differ)."""

    def __init__(self, quotes: Sequence[str]) -> None:
        self._md = (
            MarkdownIt("commonmark", {"html": False, "typographer": True, "quotes": list(quotes)})
            .enable(["table", "strikethrough", "replacements", "smartquotes"])
            .use(footnote_plugin)
        )
        # Demote headings: the section title is the page's h1.
        self._md.add_render_rule("heading_open", _heading_open)
        self._md.add_render_rule("heading_close", _heading_close)
        self._md.add_render_rule("image", _image)

    def render(self, text: str, file: Path, resolve_image: ImageResolver,
               first_line: int = 1, inline: bool = False) -> str:
        """Render ``text``; ``first_line`` is where it starts in ``file`` (for error lines)."""
        env: dict[str, Any] = {}
        tokens = self._md.parseInline(text, env) if inline else self._md.parse(text, env)
        _resolve_images(tokens, file, first_line, resolve_image)
        tokens = _inline_footnotes(self._md, tokens, env)
        _heading_levels(tokens)
        html = self._md.renderer.render(tokens, self._md.options, env)
        if inline:
            html = html.strip()
            if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
                html = html[3:-4]
        return _sanitise(html)


def _heading_levels(tokens: Sequence[Token]) -> None:
    """Demote the headings below the section title (the page's h1) without skipping a level:
    the text's highest level becomes h2, and no heading is more than one level below the one
    before it (``##`` right after the title is an h2, not an h3: screen readers list headings
    by level). The level is kept in each token's ``vigil-level`` meta."""
    levels = [int(token.tag[1]) for token in tokens if token.type == "heading_open"]
    if not levels:
        return
    shift = min(levels) - 2
    previous = 1
    current = 2
    for token in tokens:
        if token.type == "heading_open":
            current = max(2, min(int(token.tag[1]) - shift, previous + 1, 6))
            previous = current
            token.meta["vigil-level"] = current
        elif token.type == "heading_close":
            token.meta["vigil-level"] = current


def _heading_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    level = tokens[idx].meta.get("vigil-level") or min(int(tokens[idx].tag[1]) + 1, 6)
    return f"<h{level}>"


def _heading_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    level = tokens[idx].meta.get("vigil-level") or min(int(tokens[idx].tag[1]) + 1, 6)
    return f"</h{level}>\n"


def _image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    token.attrSet("alt", alt)
    caption = token.attrGet("title")
    img = self.renderToken(tokens, idx, options, env)
    if caption:
        escaped = str(caption).replace("&", "&amp;").replace("<", "&lt;")
        return f'<span class="figure">{img}<span class="caption">{escaped}</span></span>'
    return f'<span class="figure">{img}</span>'


def _resolve_images(tokens: Sequence[Token], file: Path, first_line: int,
                    resolve_image: ImageResolver) -> None:
    line = first_line
    for token in tokens:
        if token.map:
            line = first_line + token.map[0]
        for child in token.children or []:
            if child.type == "image":
                src = str(child.attrGet("src") or "")
                child.attrSet("src", resolve_image(src, Location(file, line)))


def _inline_footnotes(md: MarkdownIt, tokens: list[Token], env: dict[str, Any]) -> list[Token]:
    """Replace footnote calls by the note's text in a span; drop the block of notes at the end."""
    notes: dict[int, list[Token]] = {}
    kept: list[Token] = []
    current: int | None = None
    inside_block = False
    for token in tokens:
        if token.type == "footnote_block_open":
            inside_block = True
            continue
        if token.type == "footnote_block_close":
            inside_block = False
            continue
        if token.type == "footnote_open":
            current = int(token.meta["id"])
            notes[current] = []
            continue
        if token.type == "footnote_close":
            current = None
            continue
        if inside_block:
            if current is not None and token.type == "inline":
                notes[current].append(token)
            continue
        kept.append(token)
    for token in kept:
        for index, child in enumerate(token.children or []):
            if child.type == "footnote_ref":
                body = notes.get(int(child.meta["id"]), [])
                html = "".join(
                    md.renderer.render(t.children or [], md.options, env) for t in body
                )
                replacement = Token("html_inline", "", 0)
                replacement.content = f'<span class="footnote">{html.strip()}</span>'
                assert token.children is not None
                token.children[index] = replacement
    return kept
