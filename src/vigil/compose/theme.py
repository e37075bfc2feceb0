"""The theme: a sandboxed Jinja2 environment over a theme folder and the publication's overrides.

Takes the publication folder and the theme name; gives a Jinja2 environment in which a
``templates/`` folder beside ``publication.yaml`` is searched first, file by file, then the theme
(``templates/<theme>/`` of vigil, or a folder of that name inside the publication). Templates
autoescape, fail on any undefined name, and cannot reach Python internals (sandbox).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from vigil.errors import Location, ThemeError
from vigil.resources import themes_dir

if TYPE_CHECKING:
    from jinja2.bccache import Bucket
    from jinja2.runtime import Context


def theme_folders(publication: Path, theme: str, manifest: Path) -> tuple[Path, ...]:
    """The folders searched for templates, first match wins."""
    local_theme = publication / theme
    shared = themes_dir() / theme
    theme_dir = local_theme if local_theme.is_dir() else shared
    if not theme_dir.is_dir():
        available = sorted(p.name for p in themes_dir().iterdir() if p.is_dir())
        raise ThemeError(
            f"unknown theme '{theme}' (available: {', '.join(available)})",
            location=Location(manifest), key="theme",
        )
    if not (theme_dir.resolve().is_relative_to(publication.resolve())
            or theme_dir.resolve().is_relative_to(themes_dir().resolve())):
        raise ThemeError(
            f"the theme '{theme}' lies outside the publication and vigil's themes",
            location=Location(manifest), key="theme",
        )
    folders = [theme_dir]
    overrides = publication / "templates"
    if overrides.is_dir():
        if not overrides.resolve().is_relative_to(publication.resolve()):
            raise ThemeError(
                "the templates folder is a link to a folder outside the publication",
                location=Location(overrides),
                hint="Copy the templates into the publication instead of linking to them",
            )
        folders.insert(0, overrides)
    return tuple(folders)


class _ContainedLoader(FileSystemLoader):
    """A file-system loader that refuses templates whose real path (after symbolic links)
    lies outside its folder: a template cannot be a door to other files."""

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder), followlinks=False)
        self.folder = folder.resolve()

    def get_source(self, environment: Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        source = super().get_source(environment, template)
        if not Path(source[1]).resolve().is_relative_to(self.folder):
            raise ThemeError(
                f"the template '{template}' is a link to a file outside its folder",
                location=Location(Path(source[1])),
                hint="Copy the file into the templates folder instead of linking to it",
            )
        return source


# What one template expression may make: a string or list of at most this many items (a
# theme's longest legitimate string is a page of HTML), a range of at most this many numbers,
# an integer power of at most this many bits. The whole rendering has RENDER_SECONDS.
MAX_ITEMS = 1_000_000
MAX_RANGE = 10_000
MAX_POWER_BITS = 4_096
RENDER_SECONDS = 30.0


class TemplateLimit(ThemeError):
    """A template expression would make something too large (``'a' * 10**9``)."""


def _size(value: object) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else None


_WIDTH = re.compile(r"\d{7,}")  # a width or precision of a million or more


def _check_format(pattern: str, args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    """Refuse a format pattern or arguments that would make a string of millions of
    characters (``'{:>999999999}'.format(x)``, ``'%*s' % (10**9, x)``, ``' '.center(10**9)``)."""
    if _WIDTH.search(pattern) or any(
            isinstance(value, int) and abs(value) > MAX_ITEMS
            for value in (*args, *kwargs.values())):
        raise TemplateLimit(f"a template formats text to a width of millions of characters "
                            f"('{pattern[:40]}'); at most {MAX_ITEMS:,} are allowed")


def _bounded(name: str, function: Callable[..., object]) -> Callable[..., object]:
    """The filter ``function``, refusing a number argument above :data:`MAX_ITEMS` (a width,
    an indent, a count of slices), which would make a string or list of that size."""

    @functools.wraps(function)  # keeps Jinja's pass_context marks
    def bounded(*args: object, **kwargs: object) -> object:
        for value in (*args[1:], *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ITEMS:
                raise TemplateLimit(f"the filter '{name}' is given {value:,}; at most "
                                    f"{MAX_ITEMS:,} are allowed")
        return function(*args, **kwargs)

    return bounded


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with sizes limited: ``*`` and ``**`` cannot make a huge
    string, list or number, and ``range`` counts at most :data:`MAX_RANGE` numbers (Jinja's
    own sandbox allows 100,000, and nested loops multiply them)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self.filters = {name: _bounded(name, function) for name, function in self.filters.items()}

    # object: a template's values, of any kind (Jinja's own signatures say Any).
    def call_binop(self, context: Context, operator: str, left: object, right: object) -> object:
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                size = _size(sequence)
                if size is not None and isinstance(count, int) and size * count > MAX_ITEMS:
                    raise TemplateLimit(
                        f"a template repeats a value {count:,} times ({size * count:,} items); "
                        f"at most {MAX_ITEMS:,} are allowed")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) \
                and right > 0 and abs(left) > 1 and abs(left).bit_length() * right > MAX_POWER_BITS:
            raise TemplateLimit(f"a template computes {left} ** {right}, a number too large "
                                f"(more than {MAX_POWER_BITS} bits)")
        elif operator == "%" and isinstance(left, str):
            _check_format(left, right if isinstance(right, tuple) else (right,), {})
        elif operator == "+":
            first, second = _size(left), _size(right)
            if first is not None and second is not None and first + second > MAX_ITEMS:
                raise TemplateLimit(f"a template joins values into {first + second:,} items; "
                                    f"at most {MAX_ITEMS:,} are allowed")
        return super().call_binop(context, operator, left, right)

    def call(self, __context: Context, __obj: object, *args: object, **kwargs: object) -> object:
        if __obj is self.globals.get("range"):
            # range() raises TypeError for what is not an integer, as Jinja's would
            numbers = range(*cast("tuple[int, ...]", args))
            if len(numbers) > MAX_RANGE:
                raise TemplateLimit(f"a template asks for range{args}, {len(numbers):,} "
                                    f"numbers; at most {MAX_RANGE:,} are allowed")
        target = getattr(__obj, "__wrapped__", __obj)  # str.format, wrapped by the sandbox
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str):
            _check_format(owner, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)


# A size in the stylesheet beyond this (in points) is refused before layout: WeasyPrint and
# Pango fail on sizes like 1e30pt, and no page holds a letter ten metres high.
MAX_SIZE_PT = 10_000.0
_SIZE = re.compile(r"(?<![\w-])(font-size|line-height|letter-spacing|word-spacing|text-indent)"
                   r"\s*:\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*"
                   r"(pt|px|mm|cm|in|pc|q|em|rem|ex|ch|%)?", re.I)
_POINTS = {"pt": 1.0, "px": 0.75, "mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pc": 12.0,
           "q": 72 / 101.6, "em": 12.0, "rem": 12.0, "ex": 6.0, "ch": 6.0, "%": 0.12, "": 12.0}
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)


def check_sizes(html: str, folders: tuple[Path, ...]) -> None:
    """Refuse a size in the composed stylesheet that no page can hold (``font-size: 1e30pt``),
    naming the stylesheet (and its line, when the value is written there as such)."""
    for style in _STYLE.findall(html):
        for match in _SIZE.finditer(style):
            value = float(match[2])
            points = abs(value) * _POINTS[(match[3] or "").lower()]
            if points <= MAX_SIZE_PT:
                continue
            declaration = match[0].strip()
            raise ThemeError(
                f"the stylesheet sets '{declaration[:60]}', about {points:.3g} pt; sizes above "
                f"{MAX_SIZE_PT:,.0f} pt cannot be laid out", location=_written(declaration,
                                                                              folders),
                hint="Use a size a page can hold, in pt or mm (the text is set at about 10 pt)",
            )


def _written(text: str, folders: tuple[Path, ...]) -> Location:
    """Where ``text`` is written in the theme's stylesheets (the first folder's wins)."""
    for folder in folders:
        for sheet in sorted(folder.glob("*.css")):
            try:
                lines = sheet.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for number, line in enumerate(lines, start=1):
                if text in line:
                    return Location(sheet, number)
    found = [f / "style.css" for f in folders if (f / "style.css").is_file()]
    return Location(found[0] if found else folders[0])


_AUTOESCAPE = ["html", "xml"]
_WHITESPACE = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": False}


@functools.cache
def make_environment(folders: tuple[Path, ...]) -> LimitedEnvironment:
    """One environment per set of folders and process: templates compile once, and are
    compiled again when their file changes (Jinja checks modification times). Compiled
    templates are also kept in the user's cache (see :class:`_CompiledTemplates`)."""
    env = LimitedEnvironment(
        loader=ChoiceLoader([_ContainedLoader(folder) for folder in folders]),
        autoescape=select_autoescape(_AUTOESCAPE, default_for_string=True),
        undefined=StrictUndefined,
        bytecode_cache=_compiled_templates(),
        **_WHITESPACE,
    )
    return env


class _CompiledTemplates(FileSystemBytecodeCache):
    """Templates compiled by Jinja, kept in ``$XDG_CACHE_HOME/vigil/templates/`` (Jinja
    compiles the theme's templates in 0.1 s, in every new process). Jinja takes an entry only
    for the same file (its path) with the same source (its checksum), compiled by the same
    Jinja and Python; the folder is named after vigil's version and the environment's
    settings. One that cannot be written only costs the compiling."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            return


@functools.cache
def _compiled_templates() -> _CompiledTemplates | None:
    import hashlib
    import os

    import jinja2

    from vigil import __version__
    from vigil.usercache import folder

    settings = repr((__version__, jinja2.__version__, "LimitedEnvironment",
                     "StrictUndefined", _AUTOESCAPE, sorted(_WHITESPACE.items())))
    path = folder("templates") / hashlib.sha256(settings.encode()).hexdigest()[:16]
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = path.stat()
    except OSError:
        return None
    if status.st_uid != os.getuid() or status.st_mode & 0o022:
        return None  # a folder others may write to: not trusted with code
    return _CompiledTemplates(str(path))


def written_at(text: str, folders: tuple[Path, ...],
               files: tuple[Path, ...] = (), ignore_case: bool = False) -> Location:
    """The file and line where ``text`` is written, for messages: the first of ``files``,
    then of the theme's style sheets and templates in ``folders``, that holds it (only files
    inside their folder are read); the first folder if none does."""
    candidates = list(files)
    for folder in folders:
        root = folder.resolve()
        candidates += [path for path in sorted(folder.rglob("*"))
                       if path.suffix.lower() in (".css", ".html")
                       and path.resolve().is_relative_to(root)]
    for path in candidates:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            if text in line or (ignore_case and text.lower() in line.lower()):
                return Location(path, number)
    return Location(folders[0]) if folders else Location()
