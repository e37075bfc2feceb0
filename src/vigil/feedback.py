"""The commands of fast feedback, ``vigil watch`` and ``vigil serve`` (click only: the work is
in :mod:`vigil.watch` and :mod:`vigil.serve`, imported when a command runs, so that ``vigil
--help`` stays quick).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from vigil.cacheoption import cache_dir_option
from vigil.errors import VigilError

_PUBLICATION = click.argument("publication", type=click.Path(exists=True, path_type=Path))
_OUTPUT = click.option("-o", "--output", "output_dir", type=click.Path(path_type=Path),
                       default=Path("output"), show_default=True, help="Folder for the PDF.")
_PROFILE = click.option("--profile", type=click.Choice(["screen", "print"]), default="screen",
                        show_default=True, help="screen, or print (written as NAME-print.pdf).")


_TIMEOUT = click.option("--timeout", type=click.FloatRange(min=0), default=600.0,
                        show_default=True, metavar="SECONDS",
                        help="Stop a build that takes longer (the last good PDF stays). "
                             "0: no limit.")


def _debug(ctx: click.Context) -> bool:
    return bool((ctx.obj or {}).get("debug"))


def _finite(seconds: float) -> float | None:
    """A number of seconds as a limit: 0 (and NaN, infinity) for none."""
    import math

    return seconds if math.isfinite(seconds) and seconds > 0 else None


def _stop_on_terminate() -> None:
    """SIGTERM (kill, a service manager) ends the loop like Ctrl-C: cleanly."""
    import signal

    def interrupt(number: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@click.command()
@_PUBLICATION
@_OUTPUT
@_PROFILE
@cache_dir_option
@_TIMEOUT
@click.pass_context
def watch_command(ctx: click.Context, publication: Path, output_dir: Path, profile: str,
                  timeout: float) -> None:
    """Build PUBLICATION, then build it again every time one of its files, the theme or the
    fonts is saved.

    Prints what changed and how long the build took. After an error the last good PDF stays
    and the next save tries again. Ctrl-C stops.
    """
    from vigil.options import BuildOptions
    from vigil.watch import Watcher

    _stop_on_terminate()
    options = BuildOptions(profile=profile, timeout=_finite(timeout))
    try:
        code = Watcher(publication, output_dir, options, debug=_debug(ctx)).run()
    except KeyboardInterrupt:  # before the loop had started
        code = 0
    sys.exit(code)


@click.command()
@_PUBLICATION
@_OUTPUT
@_PROFILE
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port to listen on (0: any free port).")
@click.option("--host", default=None,
              help="The address to listen on [default: 127.0.0.1, this computer only]. "
                   "Another address lets other computers see the preview.")
@cache_dir_option
@_TIMEOUT
@click.pass_context
def serve_command(ctx: click.Context, publication: Path, output_dir: Path, profile: str,
                  port: int, host: str | None, timeout: float) -> None:
    """Preview PUBLICATION in the browser: its pages, rebuilt and reloaded on every save.

    Open the address it prints (http://127.0.0.1:8000/). Build errors show on the page, over
    the pages of the last good PDF. Ctrl-C stops.
    """
    from vigil.options import BuildOptions
    from vigil.serve import DEFAULT_HOST, serve

    _stop_on_terminate()
    try:
        code = serve(publication, output_dir, BuildOptions(profile=profile,
                                                           timeout=_finite(timeout)),
                     host=host or DEFAULT_HOST, port=port, debug=_debug(ctx))
    except VigilError as error:
        if _debug(ctx):
            raise
        click.echo(f"vigil: {error.kind}: {error}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:  # before the loop had started
        code = 0
    sys.exit(code)


watch_command.name = "watch"
serve_command.name = "serve"
COMMANDS = (watch_command, serve_command)
