"""Font coverage, before rendering: is every character of the text in the fonts that set it?

Takes a publication and its composed HTML; gives findings. WeasyPrint never says when a
character is missing from the fonts: it quietly takes a font from the machine (the output then
depends on the machine) or draws a wrong glyph or an empty box, and a character missing from
every font can make one layout take about a minute (WeasyPrint issue 2811). So before layout:

1. The ``@font-face`` rules of the document's style sheets give the faces of each family (file,
   weight, style); files are read with fontTools and their character maps cached per file.
2. A small cascade (the style sheets' rules matched with cssselect2, over a few user-agent
   defaults: ``em`` is italic, ``strong`` bolder, headings bold, ``code`` monospace) gives each
   text node its font-family list, weight, style and text-transform. Generated text counts too:
   ``content`` strings and ``attr()`` of ``::before``/``::after``/``::marker``, list bullets,
   page-margin boxes that repeat a ``string-set`` (running heads, in their own font and case),
   and the hyphen of ``hyphens: auto``.
3. For each family in the list, the face CSS font matching would choose for that weight and
   style (an italic request falls back to an oblique, then to the upright face, which the
   renderer slants). A character is covered when one of these faces has it (or, for an accented
   letter, its base letter and combining marks).

A character in none of them is an error (``font-coverage``) naming the character, its Unicode
name, the source file and line where it is written, and the font files that lack it. One that
only another face of the same families has (e.g. the upright face, for italic text) is a
warning (``font-style-fallback``): it will be set, but not in the style asked for.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigil.check.findings import ERROR, WARNING, Finding, Severity
from vigil.compose.theme import written_at
from vigil.errors import ResourceError
from vigil.sandbox import resolve_url

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from vigil.compose import Composed
    from vigil.read.model import Publication

_GENERIC = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "math",
            "emoji", "fangsong", "ui-serif", "ui-sans-serif", "ui-monospace", "ui-rounded"}
_USER_AGENT = """
head, style, script, title, template, noscript, meta, link { display: none }
b, strong { font-weight: bolder }
i, cite, em, var, dfn, address { font-style: italic }
h1, h2, h3, h4, h5, h6, th { font-weight: bold }
code, kbd, samp, pre, tt { font-family: monospace }
ul { list-style-type: disc }
ul ul { list-style-type: circle }
ul ul ul { list-style-type: square }
ol { list-style-type: decimal }
"""
_BULLETS = {"disc": "•", "circle": "◦", "square": "▪", "disclosure-open": "▾",
            "disclosure-closed": "▸"}
_DIGITS = "0123456789"
_LATIN = "abcdefghijklmnopqrstuvwxyz"
_COUNTER_GLYPHS = {
    "lower-alpha": _LATIN, "lower-latin": _LATIN, "upper-alpha": _LATIN.upper(),
    "upper-latin": _LATIN.upper(), "lower-roman": "ivxlcdm", "upper-roman": "IVXLCDM",
    "lower-greek": "αβγδεζηθικλμνξοπρστυφχψω", "decimal-leading-zero": _DIGITS,
}
_HYPHEN = "\u2010"  # WeasyPrint's default hyphenate-character
_SHOWN_PLACES = 1


@dataclass(frozen=True)
class Face:
    family: str
    weight: int
    style: str            # normal | italic | oblique
    path: Path | None     # None: the source could not be resolved to a file
    source: str = ""      # the URL of its @font-face rule, as written (for messages)


@dataclass(frozen=True)
class _Style:
    families: tuple[str, ...]
    weight: int
    style: str

    def describe(self) -> str:
        parts = []
        if self.weight >= 600:
            parts.append("bold")
        if self.style != "normal":
            parts.append(self.style)
        return " ".join(parts) or "regular"


@dataclass
class _Occurrence:
    original: str                 # the character as written (before text-transform)
    sources: list[Path] = field(default_factory=list)


# Characters lacking at the same place, from the same fonts: severity, file, line and
# "style|fonts lacking|fonts having" → the characters.
_Groups = dict[tuple[Severity, Path | None, int | None, str], list[tuple[str, _Occurrence]]]


@dataclass
class _Computed:
    families: tuple[str, ...] = ("serif",)
    weight: int = 400
    style: str = "normal"
    transform: str = "none"
    hyphens: str = "manual"
    list_style: str = "disc"
    language: str = ""


# ---------------------------------------------------------------- character maps

_CMAPS: dict[tuple[Path, int, int], frozenset[int]] = {}


def cmap(path: Path) -> frozenset[int]:
    """The code points a font file maps, read once per file (and again when it changes)."""
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _CMAPS:
        from fontTools.ttLib import TTFont

        try:
            with TTFont(path, lazy=True, fontNumber=0) as font:
                best = font["cmap"].getBestCmap() if "cmap" in font else None
        except Exception as exc:  # fontTools raises many kinds of errors on a damaged file
            raise ResourceError(
                f"the font file '{path.name}' cannot be read ({type(exc).__name__})",
                hint="Use a TrueType or OpenType font file (.ttf, .otf)",
            ) from exc
        _CMAPS[key] = frozenset(best or ())
    return _CMAPS[key]


# ---------------------------------------------------------------- style sheets


def _style_texts(root: Element) -> list[str]:
    return [element.text or "" for element in root.iter() if _local(element) == "style"]


def _local(element: Element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


# Any in this module: tinycss2's tokens and rules, cssselect2's matcher and elements (both
# untyped).
def _declarations(content: Any) -> dict[str, list[Any]]:
    import tinycss2  # type: ignore[import-untyped]

    found: dict[str, list[Any]] = {}
    for item in tinycss2.parse_blocks_contents(content, skip_whitespace=True,
                                               skip_comments=True):
        if item.type == "declaration":
            found[item.lower_name] = [t for t in item.value
                                      if t.type not in ("whitespace", "comment")]
            found["__raw__" + item.lower_name] = list(item.value)
    return found


@dataclass
class _Sheet:
    author: Any
    agent: Any
    faces: list[Face] = field(default_factory=list)
    margins: list[dict[str, list[Any]]] = field(default_factory=list)


# What else decides how a sheet's fonts resolve: the base URL and the mounts (name, folder).
_SheetKey = tuple[str, tuple[tuple[str, str], ...]]
_SHEETS: dict[tuple[tuple[str, ...], str, tuple[tuple[str, str], ...]], _Sheet] = {}


def _sheet(root: Element, resolve: Callable[[str], Path | None], key: _SheetKey) -> _Sheet:
    """The document's style sheets, parsed once per process for the same text and folders."""
    texts = tuple(_style_texts(root))
    cache_key = (texts, *key)
    if cache_key not in _SHEETS:
        if len(_SHEETS) > 16:
            _SHEETS.clear()
        _SHEETS[cache_key] = _parse_sheet(texts, resolve)
    return _SHEETS[cache_key]


def _parse_sheet(texts: tuple[str, ...], resolve: Callable[[str], Path | None]) -> _Sheet:
    import cssselect2  # type: ignore[import-untyped]
    import tinycss2

    sheet = _Sheet(author=cssselect2.Matcher(), agent=cssselect2.Matcher())

    def add_rules(rules: Iterable[Any], matcher: Any) -> None:
        for rule in rules:
            if rule.type == "qualified-rule":
                try:
                    selectors = cssselect2.compile_selector_list(rule.prelude)
                except (cssselect2.SelectorError, NotImplementedError, TypeError):
                    # a selector cssselect2 does not know (or does not implement): WeasyPrint
                    # skips it
                    continue
                declarations = _declarations(rule.content)
                for selector in selectors:
                    matcher.add_selector(selector, declarations)
            elif rule.type == "at-rule" and rule.content is not None:
                keyword = rule.lower_at_keyword
                if keyword == "font-face":
                    face = _face(_declarations(rule.content), resolve)
                    if face is not None:
                        sheet.faces.append(face)
                elif keyword == "media":
                    media = tinycss2.serialize(rule.prelude).lower()
                    if not media.strip() or "print" in media or "all" in media:
                        add_rules(tinycss2.parse_rule_list(
                            rule.content, skip_whitespace=True, skip_comments=True), matcher)
                elif keyword == "page":
                    _margins(rule, sheet)

    add_rules(tinycss2.parse_stylesheet(_USER_AGENT, skip_whitespace=True,
                                        skip_comments=True), sheet.agent)
    for text in texts:
        add_rules(tinycss2.parse_stylesheet(text, skip_whitespace=True, skip_comments=True),
                  sheet.author)
    return sheet


def _margins(rule: Any, sheet: _Sheet) -> None:
    """The margin boxes of an @page rule (running heads, folios), with the page's own font."""
    import tinycss2

    page = _declarations(rule.content)
    for item in tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True,
                                               skip_comments=True):
        if item.type == "at-rule" and item.content is not None:
            box = dict(page)
            box.update(_declarations(item.content))
            if "content" in box:
                sheet.margins.append(box)


def _face(declarations: dict[str, list[Any]], resolve: Callable[[str], Path | None]) -> Face | None:
    families = _families(declarations.get("font-family", []))
    if not families:
        return None
    path = None
    source = ""
    for token in declarations.get("src", []):
        url = None
        if token.type == "url":
            url = token.value
        elif token.type == "function" and token.lower_name == "url":
            strings = [a for a in token.arguments if a.type == "string"]
            url = strings[0].value if strings else None
        if url:
            path, source = resolve(url), url
            if path is not None:
                break
    weight = _weight(declarations.get("font-weight", []), 400)
    style = "normal"
    for token in declarations.get("font-style", []):
        if token.type == "ident" and token.lower_value in ("italic", "oblique"):
            style = token.lower_value
    return Face(family=families[0].lower(), weight=weight, style=style, path=path,
                source=source)


def _families(tokens: list[Any]) -> tuple[str, ...]:
    families: list[str] = []
    current: list[str] = []
    for token in [*tokens, None]:
        if token is None or (token.type == "literal" and token.value == ","):
            if current:
                families.append(" ".join(current))
            current = []
        elif token.type in ("string", "ident"):
            current.append(token.value)
    return tuple(families)


def _weight(tokens: list[Any], parent: int) -> int:
    for token in tokens:
        if token.type == "number" and token.is_integer:
            return int(token.int_value)
        if token.type == "ident":
            name = token.lower_value
            if name == "normal":
                return 400
            if name == "bold":
                return 700
            if name == "bolder":
                return 400 if parent < 350 else (700 if parent < 550 else 900)
            if name == "lighter":
                return 100 if parent < 550 else (400 if parent < 750 else 700)
    return parent


def _ident(tokens: list[Any]) -> str | None:
    for token in tokens:
        if token.type == "ident":
            return str(token.lower_value)
    return None


def _apply(computed: _Computed, declarations: dict[str, list[Any]]) -> _Computed:
    result = _Computed(**computed.__dict__)
    if "font" in declarations:
        _shorthand(result, declarations["font"])
    if "font-family" in declarations:
        families = _families(declarations["font-family"])
        if families and families[0].lower() not in ("inherit", "initial", "unset"):
            result.families = families
    if "font-weight" in declarations:
        result.weight = _weight(declarations["font-weight"], computed.weight)
    if "font-style" in declarations:
        style = _ident(declarations["font-style"])
        if style in ("normal", "italic", "oblique"):
            result.style = style
    if "text-transform" in declarations:
        result.transform = _ident(declarations["text-transform"]) or "none"
    if "hyphens" in declarations:
        result.hyphens = _ident(declarations["hyphens"]) or "manual"
    for key in ("list-style", "list-style-type"):
        if key in declarations:
            value = _list_style(declarations[key])
            if value:
                result.list_style = value
    return result


def _list_style(tokens: list[Any]) -> str | None:
    """The marker of a ``list-style(-type)`` value: a counter style's name, or a string
    (kept with a leading quote mark); None when it names no marker (``inside``, an image)."""
    for token in tokens:
        if token.type == "string":
            return '"' + str(token.value)
        if token.type == "ident" and token.lower_value not in ("inside", "outside"):
            return str(token.lower_value)
    return None


def marker_text(list_style: str) -> str:
    """The characters a list marker of ``list_style`` may be drawn with (WeasyPrint's
    predefined counter styles; the decimal digits for the styles this does not know)."""
    if list_style.startswith('"'):
        return list_style[1:]
    if list_style in _BULLETS:
        return _BULLETS[list_style]
    if list_style == "none":
        return ""
    return _COUNTER_GLYPHS.get(list_style, _DIGITS) + "."


def _shorthand(result: _Computed, tokens: list[Any]) -> None:
    """``font: italic bold 10pt/1.2 "Vigil Serif", serif`` (size required before families)."""
    for index, token in enumerate(tokens):
        if token.type in ("dimension", "percentage") or (
                token.type == "ident" and token.lower_value in (
                    "small", "medium", "large", "x-small", "x-large", "smaller", "larger")):
            rest = tokens[index + 1:]
            while rest and ((rest[0].type == "literal" and rest[0].value == "/")
                            or rest[0].type in ("number", "dimension", "percentage")):
                rest = rest[1:]
            families = _families(rest)
            if families:
                result.families = families
            for earlier in tokens[:index]:
                if earlier.type == "ident" and earlier.lower_value in ("italic", "oblique"):
                    result.style = earlier.lower_value
            result.weight = _weight(tokens[:index], 400)
            return


# ---------------------------------------------------------------- collecting the text


@dataclass
class _Collected:
    runs: dict[_Style, dict[str, _Occurrence]] = field(default_factory=dict)

    def add(self, text: str, computed: _Computed, source: Path | None) -> None:
        """Record the characters of ``text`` in its style, each with the first source file
        where it was seen (only the sources of missing characters are ever looked at)."""
        if not text:
            return
        style = _Style(computed.families, computed.weight, computed.style)
        chars = self.runs.setdefault(style, {})
        plain = computed.transform == "none"
        for original in set(text) - _BLANKS:
            if plain:
                if original not in chars and not _blank(original):
                    chars[original] = _Occurrence(original, [source] if source else [])
                continue
            for char in _transformed(original, computed):
                if char not in chars and not _blank(char):
                    chars[char] = _Occurrence(original, [source] if source else [])
        if computed.hyphens == "auto" and _HYPHEN not in chars:
            self.add_generated(_HYPHEN, computed)

    def add_generated(self, text: str, computed: _Computed) -> None:
        style = _Style(computed.families, computed.weight, computed.style)
        chars = self.runs.setdefault(style, {})
        for char in set(text):
            if char not in chars and not _blank(char):
                chars[char] = _Occurrence(char)


def _transformed(char: str, computed: _Computed) -> str:
    """The characters ``char`` becomes under the text-transform (Turkic i's included)."""
    language = computed.language.split("-")[0].lower()
    if computed.transform == "uppercase":
        if language in ("tr", "az") and char == "i":
            return "İ"
        return char.upper()
    if computed.transform == "lowercase":
        if language in ("tr", "az") and char == "I":
            return "ı"
        return char.lower()
    if computed.transform == "capitalize":
        return char + char.upper()
    return char


_BLANKS = frozenset(" \t\n\r\f\v\u00a0\u00ad\u200b\u200c\u200d")


@functools.lru_cache(maxsize=4096)
def _blank(char: str) -> bool:
    """White space, controls, format characters and variation selectors need no glyph."""
    return char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp", "Cc", "Cf") or (
        0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF)


def _generated(tokens: list[Any], element: Element | None) -> tuple[str, list[str]]:
    """Literal text of a ``content`` value, and the ``string()`` names it repeats."""
    text: list[str] = []
    names: list[str] = []
    for token in tokens:
        if token.type == "string":
            text.append(token.value)
        elif token.type == "function":
            name = token.lower_name
            arguments = [a for a in token.arguments if a.type not in ("whitespace", "comment")]
            if name == "attr" and arguments and element is not None:
                text.append(element.get(arguments[0].value, "") or "")
            elif name in ("counter", "counters", "target-counter", "target-counters"):
                text.append(_DIGITS)
            elif name == "leader":
                text.extend(a.value for a in arguments if a.type == "string")
            elif name == "string" and arguments and arguments[0].type == "ident":
                names.append(arguments[0].value)
    return "".join(text), names


MAX_DEPTH = 200


def _walk(root: Element, sheet: _Sheet, sections: dict[str, Path], collected: _Collected,
          strings: dict[str, list[tuple[str, Path | None]]]) -> _Computed:
    """Collect the text of every rendered element with its computed font; give the root's."""
    import cssselect2

    wrapper = cssselect2.ElementWrapper.from_html_root(root)
    root_style: list[_Computed] = []

    def visit(node: Any, parent: _Computed, source: Path | None, depth: int) -> None:
        element = node.etree_element
        pseudo: dict[str, dict[str, list[Any]]] = {}
        computed = parent
        display = None
        for matcher in (sheet.agent, sheet.author):
            for _, _, kind, declarations in matcher.match(node):
                if kind is None:
                    computed = _apply(computed, declarations)
                    if "display" in declarations:
                        display = _ident(declarations["display"])
                    if "string-set" in declarations:
                        _string_set(declarations["string-set"], element, strings, source)
                else:
                    pseudo.setdefault(kind, {}).update(declarations)
        if display == "none" or depth > MAX_DEPTH:
            return
        lang = element.get("lang")
        if lang is not None:
            computed = _Computed(**{**computed.__dict__, "language": lang})
        if not root_style:
            root_style.append(computed)
        local = _local(element)
        if local == "section" and element.get("id") in sections:
            source = sections[element.get("id")]
        for kind, declarations in pseudo.items():
            if kind in ("before", "after", "marker", "footnote-call", "footnote-marker") and \
                    "content" in declarations:
                text, _ = _generated(declarations["content"], element)
                collected.add_generated(text, _apply(computed, declarations))
        if local == "li" and "marker" not in pseudo:
            collected.add_generated(marker_text(computed.list_style), computed)
        collected.add(element.text or "", computed, source)
        for child in node.iter_children():
            visit(child, computed, source, depth + 1)
            collected.add(child.etree_element.tail or "", computed, source)

    visit(wrapper, _Computed(), None, 0)
    return root_style[0] if root_style else _Computed()


def _string_set(tokens: list[Any], element: Element,
                strings: dict[str, list[tuple[str, Path | None]]], source: Path | None) -> None:
    """``string-set: name content(text)``: the element's text is repeated in margin boxes."""
    if tokens and tokens[0].type == "ident" and tokens[0].lower_value != "none":
        text = "".join(element.itertext())
        strings.setdefault(tokens[0].value, []).append((text, source))


# ---------------------------------------------------------------- judging


def _choose(faces: list[Face], weight: int, style: str) -> Face | None:
    """The face CSS font matching picks among one family's faces (CSS Fonts 4, 5.2)."""
    order = {"italic": ("italic", "oblique", "normal"), "oblique": ("oblique", "italic", "normal"),
             "normal": ("normal", "oblique", "italic")}[style]
    for wanted in order:
        group = [f for f in faces if f.style == wanted]
        if not group:
            continue
        weights = sorted({f.weight for f in group})
        if weight in weights:
            chosen = weight
        elif 400 <= weight <= 500:
            chosen = next((w for w in weights if weight < w <= 500), None) or next(
                (w for w in reversed(weights) if w < weight), None) or next(
                w for w in weights if w > 500)
        elif weight < 400:
            chosen = next((w for w in reversed(weights) if w < weight), None) or next(
                w for w in weights if w > weight)
        else:
            chosen = next((w for w in weights if w > weight), None) or next(
                w for w in reversed(weights) if w < weight)
        return next(f for f in group if f.weight == chosen)
    return None


def _covered(char: str, faces: Iterable[Face]) -> bool:
    for face in faces:
        if face.path is None:
            continue
        points = cmap(face.path)
        if ord(char) in points:
            return True
        parts = unicodedata.normalize("NFD", char)
        if len(parts) > 1 and all(ord(p) in points for p in parts):
            return True
    return False


def _lines(path: Path, cache: dict[Path, list[str]]) -> list[str]:
    if path not in cache:
        try:
            cache[path] = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            cache[path] = []
    return cache[path]


def _locate(char: str, occurrence: _Occurrence, sources: tuple[Path, ...],
            cache: dict[Path, list[str]]) -> tuple[Path | None, int | None]:
    wanted = {occurrence.original, unicodedata.normalize("NFD", occurrence.original)}
    for path in [*occurrence.sources, *sources]:
        for number, line in enumerate(_lines(path, cache), start=1):
            if any(w in line for w in wanted) or (
                    occurrence.original in unicodedata.normalize("NFC", line)):
                return path, number
    return None, None


def _name(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}"


def _resolver(composed: Composed) -> Callable[[str], Path | None]:
    """The font files of @font-face rules, through the same resolver as the typesetting
    stage's fetcher (:func:`vigil.sandbox.resolve_url`): a source outside the publication,
    theme and fonts folders is refused before anything opens it, naming the theme file and
    line that asks for it."""
    mounts: dict[str, Path] = composed.mounts

    def resolve(url: str) -> Path | None:
        if url.strip().lower().startswith("data:"):
            return None  # a font inside the style sheet: not checked here
        try:
            return resolve_url(url, mounts, composed.base_url)
        except ResourceError as error:
            error.location = written_at(url, composed.theme_folders)
            error.message += " (in an @font-face rule)"
            raise

    return resolve


_FONT_FACE = re.compile(
    r"@font-face\s*\{[^}]*?font-family\s*:\s*(?:\"([^\"]+)\"|'([^']+)'|([\w -]+))", re.IGNORECASE)


def font_families(composed: Composed) -> tuple[str, ...]:
    """The families the document's @font-face rules declare, in order."""
    found = (a or b or c for a, b, c in _FONT_FACE.findall(composed.html))
    return tuple(dict.fromkeys(name.strip() for name in found))


def check_coverage(publication: Publication, composed: Composed) -> list[Finding]:
    """Findings for characters the fonts that set them lack (see the module's description)."""
    import tinyhtml5  # type: ignore[import-untyped]

    root = tinyhtml5.parse(composed.html)
    sheet = _sheet(root, _resolver(composed),
                   (composed.base_url, tuple(sorted((k, str(v)) for k, v in
                                                    composed.mounts.items()))))
    by_family: dict[str, list[Face]] = {}
    for face in sheet.faces:
        by_family.setdefault(face.family, []).append(face)
    sections = {section.id: section.source for section in publication.sections}
    collected = _Collected()
    strings: dict[str, list[tuple[str, Path | None]]] = {}
    root_style = _walk(root, sheet, sections, collected, strings)
    for box in sheet.margins:
        style = _apply(root_style, box)
        text, names = _generated(box["content"], None)
        collected.add_generated(text, style)
        for name in names:
            for repeated, source in strings.get(name, []):
                collected.add(repeated, style, source)

    findings: list[Finding] = []
    unreadable = sorted({f.family for f in sheet.faces if f.path is None})
    for family in unreadable:
        findings.append(Finding(WARNING, None, "font-coverage",
                                f"the font files of '{family}' could not be found, so its "
                                "coverage of the text is not checked"))
    # Characters lacking at the same place, from the same fonts, make one finding.
    groups: _Groups = {}
    try:
        _judge(collected, by_family, publication, groups)
    except ResourceError as error:  # a font file that is no font: say which rule names it
        bad = [f for f in sheet.faces if f.path is not None and f"'{f.path.name}'" in str(error)]
        if bad and error.location.file is None:
            error.location = written_at(bad[0].source, composed.theme_folders)
        raise
    for (severity, file, line, detail), listed in groups.items():
        findings.append(_finding(listed, detail, severity, file, line))
    return sorted(findings, key=lambda f: (f.severity != ERROR, str(f.file), f.line or 0))


def _judge(collected: _Collected, by_family: dict[str, list[Face]], publication: Publication,
           groups: _Groups) -> None:
    """Group the characters the chosen faces lack by severity, place and fonts."""
    cache: dict[Path, list[str]] = {}
    seen: set[tuple[str, Severity]] = set()
    for run, characters in collected.runs.items():
        stack = [f.lower() for f in run.families]
        declared = [f for f in stack if f in by_family]
        if any(all(face.path is None for face in by_family[f]) for f in declared):
            continue
        chosen: list[Face] = []
        for family in declared:
            picked = _choose(by_family[family], run.weight, run.style)
            if picked is not None:
                chosen.append(picked)
        others = [face for f in declared for face in by_family[f] if face not in chosen]
        lacking = ", ".join(dict.fromkeys(f.path.name for f in chosen if f.path)) or \
            "no bundled font"
        for char, occurrence in sorted(characters.items()):
            if _covered(char, chosen):
                continue
            severity: Severity
            if _covered(char, others):
                severity = WARNING
                having = ", ".join(dict.fromkeys(
                    f.path.name for f in others if f.path and _covered(char, [f])))
                detail = f"{run.describe()}|{lacking}|{having}"
            else:
                severity = ERROR
                detail = f"{run.describe()}|{lacking}|"
            if (char, severity) in seen:
                continue
            seen.add((char, severity))
            file, line = _locate(char, occurrence, publication.sources, cache)
            groups.setdefault((severity, file, line, detail), []).append((char, occurrence))


def _character(char: str, occurrence: _Occurrence) -> str:
    if occurrence.original != char:
        return (f"'{occurrence.original}' ({_name(occurrence.original)}, set in capitals as "
                f"'{char}' {_name(char)})")
    return f"'{char}' ({_name(char)})"


def _finding(chars: list[tuple[str, _Occurrence]], detail: str, severity: Severity,
             file: Path | None, line: int | None) -> Finding:
    style, lacking, having = detail.split("|")
    listed = [_character(char, occurrence) for char, occurrence in chars]
    what = ("the character " + listed[0]) if len(listed) == 1 else (
        "the characters " + ", ".join(listed[:-1]) + " and " + listed[-1])
    verb = "is" if len(listed) == 1 else "are"
    theme = (" (in text the theme adds: a list marker, a 'content' of its style sheet; the "
             "theme's style sheet must use characters of the bundled fonts)") \
        if file is None else ""
    if severity == ERROR:
        return Finding(ERROR, None, "font-coverage",
                       f"{what} {verb} in none of the fonts that set this {style} text "
                       f"({lacking}){theme}: the PDF would show another font's glyph or an "
                       "empty box", file, line)
    return Finding(WARNING, None, "font-style-fallback",
                   f"{what} {verb} missing from {lacking}, the {style} face{theme}: "
                   f"{'it' if len(listed) == 1 else 'they'} will be set from {having}, "
                   f"not in {style}", file, line)
