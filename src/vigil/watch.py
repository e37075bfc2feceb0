"""``vigil watch``: build a publication again on every saved change, in one warm process.

Takes a publication folder, an output folder and the build's options
(:class:`~vigil.options.BuildOptions`); gives a :class:`Watcher` that
builds once, then waits for changes to the publication's files, vigil's themes and its fonts
(``watchfiles``) and builds again. Builds go through the build cache (:mod:`vigil.cache`), so a
save that changes nothing answers at once, and through one process, so WeasyPrint, pypdf and
the fonts stay loaded. After each build it prints what changed and the result line (with the
time taken); an error prints its one-paragraph message and keeps the last good PDF, and the
next save tries again. Ctrl-C ends it cleanly. ``vigil serve`` runs the same loop.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vigil import usercache
from vigil.cache import CACHE_FOLDER
from vigil.console import error_line, publication_name, result_line
from vigil.errors import VigilError
from vigil.options import BuildOptions
from vigil.resources import fonts_dir, themes_dir

if TYPE_CHECKING:
    from types import FrameType

    from watchfiles import Change, DefaultFilter
    from watchfiles.main import AbstractEvent

    from vigil.result import BuildResult

__all__ = ["Outcome", "Watcher", "watched_paths"]


@dataclass(frozen=True)
class Outcome:
    """One build of the loop: its result or its error, what changed, when it ended."""

    result: BuildResult | None = None
    error: VigilError | None = None
    changed: tuple[str, ...] = ()
    seconds: float = 0.0
    finished: float = field(default_factory=time.time)


def watched_paths(folder: Path) -> list[Path]:
    """The publication folder, vigil's themes and its fonts (those that exist)."""
    paths: list[Path] = []
    for path in (folder, themes_dir(), fonts_dir()):
        resolved = path.resolve()
        if resolved.is_dir() and not any(resolved.is_relative_to(p) for p in paths):
            paths.append(resolved)
    return paths


def _print(line: str, error: bool = False) -> None:
    print(line, file=sys.stderr if error else sys.stdout, flush=True)


class Watcher:
    """Builds ``folder`` into ``output_dir`` with ``options`` now and after every change (the
    first build with ``options.force``, if given; the others never force).

    ``on_start(changed)`` is called before each build, ``on_build(outcome)`` after it (``vigil
    serve`` shows them in the browser); ``echo(line, error)`` prints.
    """

    def __init__(self, folder: Path, output_dir: Path, options: BuildOptions | None = None, *,
                 debug: bool = False,
                 on_start: Callable[[tuple[str, ...]], None] | None = None,
                 on_build: Callable[[Outcome], None] | None = None,
                 echo: Callable[[str, bool], None] = _print) -> None:
        self.folder = Path(folder)
        self.output_dir = Path(output_dir)
        self.options = options or BuildOptions()
        self.debug = debug
        self.on_start = on_start
        self.on_build = on_build
        self.echo = echo
        self.last_good: Path | None = None
        self.root = self.folder.resolve()
        if self.root.name == "publication.yaml":
            self.root = self.root.parent
        self.name = publication_name(self.folder)

    def build(self, changed: tuple[str, ...] = (), force: bool = False) -> Outcome:
        """One build; never raises a VigilError (it becomes the outcome's error)."""
        from vigil.pipeline import build

        if self.on_start is not None:
            self.on_start(changed)
        started = time.perf_counter()
        try:
            result = build(self.folder, self.output_dir,
                           dataclasses.replace(self.options, force=force))
        except VigilError as error:
            outcome = Outcome(error=error, changed=changed,
                              seconds=time.perf_counter() - started)
            if self.debug:
                self.echo("".join(traceback.format_exception(error)).rstrip(), True)
            self.echo(error_line(error), True)
            kept = self.last_good or self._existing_pdf()
            if kept is not None:
                self.echo(f"  the last good PDF is kept: {kept}", True)
        except Exception as error:  # a bug in vigil or a library: report it, keep watching
            if self.debug:
                self.echo(traceback.format_exc().rstrip(), True)
            unexpected = VigilError(f"unexpected {type(error).__name__}: {error}",
                                    hint="Run 'vigil --debug watch ...' for the traceback")
            outcome = Outcome(error=unexpected, changed=changed,
                              seconds=time.perf_counter() - started)
            self.echo(error_line(unexpected), True)
        else:
            self.last_good = result.output
            outcome = Outcome(result=result, changed=changed,
                              seconds=time.perf_counter() - started)
            self.echo(result_line(result), False)
            for note in result.notes:
                self.echo(f"  {note}", False)
            for warning in result.report.warnings:
                self.echo(f"  warning: {warning}", True)
        if self.on_build is not None:
            self.on_build(outcome)
        return outcome

    def _existing_pdf(self) -> Path | None:
        from vigil.profiles import get_profile

        try:
            suffix = get_profile(self.options.profile).suffix
        except VigilError:
            return None
        path = self.output_dir / f"{self.name}{suffix}.pdf"
        return path if path.is_file() else None

    def run(self, stop_event: AbstractEvent | None = None) -> int:
        """Build, then build again after every change until Ctrl-C (or ``stop_event``)."""
        import logging

        import watchfiles

        # It would say "KeyboardInterrupt caught, stopping watch" on Ctrl-C: vigil says it.
        logging.getLogger("watchfiles.main").setLevel(logging.ERROR)
        _stop_on_terminate()
        paths = watched_paths(self.root)
        # Empty sets every 200 ms: the first one says the watcher is live, so that nothing
        # saved during the first build is missed; the next ones let a stop_event end it.
        changes_seen = watchfiles.watch(
            *paths, watch_filter=_watch_filter(self.output_dir), step=50, rust_timeout=200,
            yield_on_timeout=True, stop_event=stop_event, raise_interrupt=False)
        try:
            if next(changes_seen, None) is None:  # stopped already
                return 0
            warm_up(self.build(force=self.options.force), self.folder, self.options)
            shown = ", ".join(_shown(path) for path in paths)
            self.echo(f"Watching {shown} for changes (Ctrl-C to stop).", False)
            for changes in changes_seen:
                changed = self._changed(changes)
                if changed:  # not only an editor's temporary file, added and gone
                    self.echo(f"changed: {', '.join(changed)}", False)
                    self.build(changed)
        except KeyboardInterrupt:
            pass
        finally:
            changes_seen.close()
        self.echo("Stopped watching.", False)
        return 0

    def _changed(self, changes: set[tuple[Change, str]]) -> tuple[str, ...]:
        """The files that changed, as the author knows them: without an editor's temporary
        files (added and gone again), deleted ones marked so."""
        kinds: dict[str, set[str]] = {}
        for change, path in changes:
            kinds.setdefault(path, set()).add(change.name)
        shown = []
        for path, names in kinds.items():
            if Path(path).exists():
                shown.append(_shown(Path(path), self.root))
            elif "added" not in names:
                shown.append(f"{_shown(Path(path), self.root)} (deleted)")
        return tuple(sorted(shown))


def _stop_on_terminate() -> None:
    """End on SIGTERM (``kill``, a service manager) as on Ctrl-C: the worker processes are
    stopped and the temporary font files removed."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _shown(path: Path, root: Path | None = None) -> str:
    """A path relative to ``root`` (the publication), else to the working folder."""
    for base in (root, Path.cwd()):
        if base is not None:
            try:
                return path.resolve().relative_to(base.resolve()).as_posix() or "."
            except ValueError:
                continue
    return str(path)


def _watch_filter(output_dir: Path) -> DefaultFilter:
    """watchfiles' default filter (version control, editors' swap files...), leaving out the
    output folder and the build cache too: writing the PDF is no change of the sources."""
    from watchfiles import DefaultFilter

    return DefaultFilter(ignore_dirs=(*DefaultFilter.ignore_dirs, CACHE_FOLDER),
                         ignore_paths=[output_dir.resolve(), usercache.root().resolve()])


def warm_up(first: Outcome, folder: Path, options: BuildOptions) -> None:
    """Make the first build after a change as quick as the next ones.

    A first build that was the cache's answer loaded nothing: build once more, for nothing,
    into a scratch folder (templates compiled, fonts and hyphenation loaded, the checks' font
    tables read). A first build that failed may have stopped before typesetting: load
    WeasyPrint, pypdf and the fonts. A first real build warmed everything already.
    """
    if first.result is not None and first.result.unchanged:
        import tempfile

        from vigil.pipeline import build

        with tempfile.TemporaryDirectory(prefix="vigil-warm-") as scratch, \
                contextlib.suppress(Exception):  # only a head start: never fatal
            build(folder, scratch, dataclasses.replace(options, force=True, cached=False))
    elif first.error is not None:
        with contextlib.suppress(Exception):
            import pypdf  # noqa: F401

            from vigil.typeset import _fonts
            from vigil.typeset.engine import load

            load().HTML(string="<p>vigil</p>").render(font_config=_fonts())
