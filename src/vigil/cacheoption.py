"""The ``--cache-dir`` option shared by the commands that build (build, watch, serve, export,
verify) and ``vigil clean``.

Takes the folder given; gives nothing, but sets ``VIGIL_CACHE_DIR`` for this process, so that
every cache of the build (the build cache, the laid-out sections, the reduced pictures, the
parsed hyphenation dictionaries, the compiled templates) and every worker process started
after it use that folder (see :mod:`vigil.usercache`). Click only: nothing heavy is imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from vigil.usercache import ENV

F = TypeVar("F", bound=Callable[..., Any])


def _use(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None:
        os.environ[ENV] = str(value.expanduser().absolute())
    return value


def cache_dir_option(function: F) -> F:
    """Add ``--cache-dir DIR`` to a click command."""
    option = click.option(
        "--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
        callback=_use, expose_value=False, is_eager=True, metavar="DIR",
        help=f"vigil's cache folder (build cache, laid-out sections, reduced pictures) "
             f"[default: ${ENV}, else ~/.cache/vigil]; never the output folder.")
    return option(function)
