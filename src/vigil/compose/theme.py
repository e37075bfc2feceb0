"""The theme: a sandboxed Jinja2 environment over a theme folder and the publication's overrides.

Takes the publication folder and the theme name; gives a Jinja2 environment in which a
``templates/`` folder beside ``publication.yaml`` is searched first, file by file, then the theme
(``templates/<theme>/`` of vigil, or a folder of that name inside the publication). Templates
autoescape, fail on any undefined name, and cannot reach Python internals (sandbox).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

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

    def get_source(self, environment: Environment, template: str) -> Any:
        source = super().get_source(environment, template)
        if not Path(source[1]).resolve().is_relative_to(self.folder):
            raise ThemeError(
                f"the template '{template}' is a link to a file outside its folder",
                location=Location(Path(source[1])),
                hint="Copy the file into the templates folder instead of linking to it",
            )
        return source


_AUTOESCAPE = ["html", "xml"]
_WHITESPACE = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": False}


@functools.cache
def make_environment(folders: tuple[Path, ...]) -> ImmutableSandboxedEnvironment:
    """One environment per set of folders and process: templates compile once, and are
    compiled again when their file changes (Jinja checks modification times). Compiled
    templates are also kept in the user's cache (see :class:`_CompiledTemplates`)."""
    env = ImmutableSandboxedEnvironment(
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

    def dump_bytecode(self, bucket: Any) -> None:
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

    settings = repr((__version__, jinja2.__version__, "ImmutableSandboxedEnvironment",
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
