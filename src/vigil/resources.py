"""Where vigil's own resources live: the themes (``vigil/themes/``), the bundled fonts with
their licence (``vigil/fonts/``), the words of each language (``vigil/locales/``), the
hyphenation dictionaries (``vigil/hyphenation/``) and the starters of ``vigil new``
(``vigil/scaffold/``).

Takes nothing; gives the folders. They are package data of the installed ``vigil`` package,
found with :mod:`importlib.resources`, so an installed vigil (``pip install``, ``pipx
install``, a wheel) needs no checkout. vigil opens them as ordinary files (WeasyPrint reads
the fonts by path, the sandbox compares real paths), so the package must be installed as
folders, not inside a zip file: that is refused with a clear message.

The environment variable ``VIGIL_HOME`` names another folder holding ``themes/`` and
``fonts/`` (the tests use it to change a theme without touching the installed one).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from vigil.errors import VigilError


@cache
def package_dir() -> Path:
    """The installed ``vigil`` package as a folder on disk."""
    from importlib.resources import files

    found = files("vigil")
    if not isinstance(found, Path) or not found.is_dir():
        raise VigilError(
            f"vigil's package data is not a folder on disk ({found!r})",
            hint="Install vigil as files, not inside a zip archive: pip install vigil-*.whl "
                 "or pipx install, then run it again",
        )
    return found.resolve()


def home() -> Path:
    """The folder holding ``themes/`` and ``fonts/``: the package, or ``VIGIL_HOME``."""
    configured = os.environ.get("VIGIL_HOME")
    if configured:
        return Path(configured).resolve()
    return package_dir()


def themes_dir() -> Path:
    return home() / "themes"


def fonts_dir() -> Path:
    return home() / "fonts"


def data_dir(name: str) -> Path:
    """One of the package's own data folders: ``locales``, ``hyphenation``, ``scaffold``."""
    return package_dir() / name
