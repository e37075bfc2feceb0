"""Markdown to safe HTML for one publication.

Takes Markdown text (CommonMark, tables, footnotes; raw HTML is escaped, never passed through)
and the file it came from; gives sanitised HTML in which footnotes are ``<span class="footnote">``
elements placed where they are called (so CSS paged media sets them at the foot of the page),
images are resolved, checked files inside the publication folder, and links are what
:data:`LinkResolver` makes of them: web and mail links stay, a relative link to a section's
file becomes an internal link, anything else is dropped (its text stays). What is dropped or
shown as text (a link, raw HTML) is told through ``warn`` as a :class:`~vigil.errors.Notice`
naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin

from vigil.compose.ties import NBSP, tie
from vigil.errors import Location, Notice

ImageResolver = Callable[[str, Location], str]
# A link's target as written → the href to keep, or a Notice: the link is dropped (its text
# kept) and the notice says why.
LinkResolver = Callable[[str, Location], "str | Notice"]
Warn = Callable[[Notice], None]

_KEPT_SCHEMES = ("http:", "https:", "mailto:")
# A tag as CommonMark would see it (https://spec.commonmark.org/0.31.2/#raw-html), or a comment.
_RAW_HTML = re.compile(
    r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?|!--.*?--|![A-Za-z][^<>]*|\?.*?\?)>", re.S)


def web_links_only(href: str, location: Location) -> str | Notice:
    """The default :data:`LinkResolver`: web and mail links and in-page anchors stay."""
    if href.lower().startswith(_KEPT_SCHEMES) or href.startswith("#"):
        return href
    return dropped_link(href, location)


def dropped_link(href: str, location: Location) -> Notice:
    shown = href if len(href) <= 80 else href[:77] + "..."
    return Notice(
        "link-dropped",
        f"the link to '{shown}' was dropped (its text is kept): a link may go to a web page "
        "(https:), an e-mail address (mailto:) or another section's file (foreword.md)",
        location,
    )

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
        # Every link is judged by vigil's own rules (see _resolve), not dropped unseen as
        # markdown-it does with javascript:, file: and data: links (documented extension point).
        self._md.validateLink = _any_link  # type: ignore[method-assign]
        # No-break spaces (number and unit or month, "No. 5", initials), and the last word of
        # every paragraph kept whole: a paragraph never ends on the tail of a hyphenated word.
        # (Applied after links and raw HTML are judged: a kept tail is markup of vigil's own.)
        self._language = language
        # Demote headings: the section title is the page's h1.
        self._md.add_render_rule("heading_open", _heading_open)
        self._md.add_render_rule("heading_close", _heading_close)
        self._md.add_render_rule("image", _image)

    def render(self, text: str, file: Path, resolve_image: ImageResolver,
               first_line: int = 1, inline: bool = False,
               resolve_link: LinkResolver = web_links_only, warn: Warn | None = None) -> str:
        """Render ``text``; ``first_line`` is where it starts in ``file`` (for error lines)."""
        env: EnvType = {}
        tokens = self._md.parseInline(text, env) if inline else self._md.parse(text, env)
        _resolve(tokens, file, first_line, resolve_image, resolve_link, warn or _ignore)
        _tie_text(tokens, self._language)
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


def _heading_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                  env: EnvType) -> str:
    level = tokens[idx].meta.get("vigil-level") or min(int(tokens[idx].tag[1]) + 1, 6)
    return f"<h{level}>"


def _heading_close(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                   env: EnvType) -> str:
    level = tokens[idx].meta.get("vigil-level") or min(int(tokens[idx].tag[1]) + 1, 6)
    return f"</h{level}>\n"


def _image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
           env: EnvType) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    token.attrSet("alt", alt)
    caption = token.attrGet("title")
    img = self.renderToken(tokens, idx, options, env)
    if caption:
        escaped = str(caption).replace("&", "&amp;").replace("<", "&lt;")
        return f'<span class="figure">{img}<span class="caption">{escaped}</span></span>'
    return f'<span class="figure">{img}</span>'


def _any_link(url: str) -> bool:
    return True


def _ignore(notice: Notice) -> None:
    return None


def _resolve(tokens: Sequence[Token], file: Path, first_line: int,
             resolve_image: ImageResolver, resolve_link: LinkResolver, warn: Warn) -> None:
    """Resolve images and links, and tell of raw HTML, each at its line of ``file``."""
    for token in tokens:
        if not token.children:
            continue
        line = first_line + (token.map[0] if token.map else 0)
        children = token.children
        dropped: list[int] = []  # nesting of link_open tokens: 1 = dropped, 0 = kept
        kept: list[Token] = []
        for child in children:
            where = Location(file, line)
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "image":
                src = str(child.attrGet("src") or "")
                child.attrSet("src", resolve_image(src, where))
            elif child.type == "link_open":
                href = str(child.attrGet("href") or "")
                resolved = resolve_link(href, where)
                if isinstance(resolved, Notice):
                    warn(resolved)
                    dropped.append(1)
                    continue
                child.attrSet("href", resolved)
                dropped.append(0)
            elif child.type == "link_close":
                if dropped and dropped.pop():
                    continue
            elif child.type == "text" and _RAW_HTML.search(child.content):
                tag = _RAW_HTML.search(child.content)
                assert tag is not None
                shown = tag.group(0) if len(tag.group(0)) <= 40 else tag.group(0)[:37] + "..."
                warn(Notice(
                    "raw-html",
                    f"'{shown}' is HTML, which vigil prints as text, not as markup: write "
                    "Markdown instead (*emphasis*, **strong**, [link](https://...))", where))
            line += child.content.count("\n") if child.type in ("text", "code_inline") else 0
            kept.append(child)
        token.children = kept


def _inline_footnotes(md: MarkdownIt, tokens: list[Token], env: EnvType) -> list[Token]:
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


def _tie_text(tokens: Sequence[Token], language: str) -> None:
    """No-break spaces in every text run; the end of each paragraph in a
    ``<span class="last-words">``."""
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
