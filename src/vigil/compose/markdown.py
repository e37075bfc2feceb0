"""Markdown to safe HTML for one publication.

Takes Markdown text (CommonMark, tables, footnotes; raw HTML is escaped, never passed through)
and the file it came from; gives sanitised HTML in which footnotes are ``<span class="footnote">``
elements placed where they are called (so CSS paged media sets them at the foot of the page) and
images are resolved, checked files inside the publication folder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from vigil.compose.ties import NBSP, tie
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

    def __init__(self, quotes: Sequence[str], language: str = "en") -> None:
        self._md = (
            MarkdownIt("commonmark", {"html": False, "typographer": True, "quotes": list(quotes)})
            .enable(["table", "strikethrough", "replacements", "smartquotes"])
            .use(footnote_plugin)
        )
        # No-break spaces (number and unit or month, "No. 5", initials), and the last word of
        # every paragraph kept whole: a paragraph never ends on the tail of a hyphenated word.
        self._md.core.ruler.push("vigil_ties", partial(_tie_text, language=language))
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
        html = self._md.renderer.render(tokens, self._md.options, env)
        if inline:
            html = html.strip()
            if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
                html = html[3:-4]
        return _sanitise(html)


def _heading_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    level = min(int(tokens[idx].tag[1]) + 1, 6)
    return f"<h{level}>"


def _heading_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    level = min(int(tokens[idx].tag[1]) + 1, 6)
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
                # A note flows as one paragraph: the source's line breaks are spaces.
                text = " ".join(html.replace("<br />", " ").split())
                replacement.content = f'<span class="footnote">{text}</span>'
                assert token.children is not None
                token.children[index] = replacement
    return kept


# The end of a paragraph is never hyphenated: the words of its last this many characters are
# set in a ``<span class="last-words">`` (``hyphens: none`` in the theme), so that the last
# line of a paragraph does not begin with the tail of a broken word (a last line is rarely
# longer than most of a line of 70 to 80 characters; measured on the samples, 40 left five
# such breaks in the booklet and 60 none, for the same widest word space).
KEPT_TAIL = 60
# A last word this short is joined to the one before it (no one-word last line).
RUNT = 9


def _tie_text(state: Any, language: str) -> None:
    """Core rule: no-break spaces in every text run; the end of each paragraph in a
    ``<span class="last-words">``."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.children:
            continue
        for child in token.children:
            if child.type == "text":
                child.content = tie(child.content, language)
        closing = tokens[index + 1] if index + 1 < len(tokens) else None
        if closing is not None and closing.type == "paragraph_close":
            _no_runt(token.children)
            _keep_tail(token.children)


def _no_runt(children: list[Token]) -> None:
    """Join the last two words of a paragraph with a no-break space (when the last is a short
    word), so that its last line is never one short word alone (a runt)."""
    for child in reversed(children):
        if child.type != "text" or not child.content.strip():
            if child.type in ("softbreak", "hardbreak", "text"):
                continue
            return  # the paragraph ends in markup (emphasis, a link...): left as it is
        content = child.content.rstrip()
        head, space, last = content.rpartition(" ")
        if space and head.strip() and len(last) <= RUNT:
            child.content = f"{head}{NBSP}{last}{child.content[len(content):]}"
        return


def _keep_tail(children: list[Token]) -> None:
    """Wrap the words of the last ``KEPT_TAIL`` characters, run by run from the end (a run
    inside emphasis is wrapped inside it, so the markup stays nested)."""
    need = KEPT_TAIL
    for position in range(len(children) - 1, -1, -1):
        if need <= 0:
            return
        child = children[position]
        if child.type in ("softbreak", "hardbreak"):
            need -= 1
            continue
        if child.type != "text" or not child.content:
            continue
        content = child.content
        cut = content.find(" ", len(content) - need) + 1 if len(content) > need else 0
        need -= len(content)
        head, tail = content[:cut], content[cut:]
        if not tail.strip():
            continue
        kept = Token("html_inline", "", 0)
        kept.content = f'<span class="last-words">{escape(tail, quote=False)}</span>'
        replacement = [kept]
        if head:
            before = Token("text", "", 0)
            before.content = head
            replacement.insert(0, before)
        children[position:position + 1] = replacement
