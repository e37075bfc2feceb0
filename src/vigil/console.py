"""What ``vigil build`` (and ``vigil watch``) print: a line per PDF, JSON, or only the errors.

Takes build results and errors as they come; prints them on standard output (results) and
standard error (errors, warnings). ``text`` is for people: one line per PDF with pages, size and
time, ``(unchanged)`` when the build cache reused it; ``quiet`` prints only errors; ``json``
prints one JSON object per publication, for scripts. On a terminal, a build of several
publications that takes over a second shows a progress bar (``rich``, imported only then).
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from vigil.errors import VigilError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from vigil.result import BuildResult

Mode = Literal["text", "quiet", "json"]
PROGRESS_AFTER = 1.0  # seconds before the progress bar shows


def size_text(count: int) -> str:
    return f"{count / 1024:.0f} KiB" if count < 2**20 else f"{count / 2**20:.1f} MiB"


def result_line(result: BuildResult) -> str:
    """``output/x.pdf  28 pages  434 KiB  1.6 s``, then ``  (unchanged)`` for a reused PDF."""
    line = f"{result.output}  {result.pages} pages  {size_text(result.bytes)}  " \
           f"{result.seconds:.1f} s"
    return line + "  (unchanged)" if result.unchanged else line


def error_line(error: VigilError) -> str:
    return f"vigil: {error.kind}: {error}"


def publication_name(folder: Path | str) -> str:
    path = Path(folder).resolve()
    return path.parent.name if path.name == "publication.yaml" else path.name


def result_object(result: BuildResult) -> dict[str, object]:
    return {
        "publication": result.publication, "ok": True, "output": str(result.output),
        "pages": result.pages, "bytes": result.bytes, "seconds": round(result.seconds, 3),
        "notes": list(result.notes), "warnings": list(result.report.warnings),
        "unchanged": result.unchanged,
        "imposed": str(result.imposed) if result.imposed else None,
        "padding": padding_object(result.notes),
    }


_PADDED = re.compile(r"^padded (\d+) pages to (\d+) with (.+) before the back cover")


def padding_object(notes: Sequence[str]) -> dict[str, object] | None:
    """What the print profile padded, from its note (vigil.assemble.padding): ``{"style":
    "memorial", "pages": 3, "notes_pages": 2, "from": 29, "to": 32}``, or None."""
    for note in notes:
        match = _PADDED.match(note)
        if match:
            text = match[3]
            style = "memorial" if "memorial" in text else "notes" if "Notes" in text else "blank"
            pages = int(match[2]) - int(match[1])
            notes_pages = {"memorial": pages - 1, "notes": pages, "blank": 0}[style]
            return {"style": style, "pages": pages, "notes_pages": notes_pages,
                    "from": int(match[1]), "to": int(match[2])}
    return None


def error_object(error: VigilError, publication: str) -> dict[str, object]:
    where = error.location
    return {
        "publication": publication, "ok": False, "kind": error.kind, "message": error.message,
        "file": str(where.file) if where.file else None, "line": where.line,
        "column": where.column, "key": error.key, "hint": error.hint, "text": str(error),
    }


class BuildPrinter:
    """Prints the results of a build of ``folders`` in ``mode``, with a progress bar on a
    terminal when ``progress`` and the build takes over a second. Use it as a context."""

    def __init__(self, mode: Mode, folders: Sequence[Path | str], progress: bool = True) -> None:
        self.mode = mode
        self.names = [publication_name(folder) for folder in folders]
        self.done = 0
        self.failures = 0
        self._lock = threading.RLock()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._closed = False
        self._timer: threading.Timer | None = None
        self._layout_started: float | None = None
        self._layout_name = ""
        self._progress_shown = False
        if progress and mode != "quiet" and len(self.names) > 1 and _terminal(sys.stderr):
            self._timer = threading.Timer(PROGRESS_AFTER, self._show_bar)
            self._timer.daemon = True
            self._timer.start()

    def __enter__(self) -> BuildPrinter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def result(self, result: BuildResult) -> None:
        with self._lock:
            self._clear_progress()
            if self.mode == "json":
                self._out(json.dumps(result_object(result), ensure_ascii=False))
            elif self.mode == "text":
                self._out(result_line(result))
                for note in result.notes:
                    self._out(f"  {note}")
                if result.imposed:
                    self._out(f"{result.imposed}  sheets for saddle stitching")
            if self.mode != "quiet":
                for warning in result.report.warnings:
                    self._err(f"  warning: {warning}")
            self._advance()

    def error(self, error: VigilError) -> None:
        with self._lock:
            self._clear_progress()
            self.failures += 1
            if self.mode == "json":
                name = self.names[self.done] if self.done < len(self.names) else ""
                self._out(json.dumps(error_object(error, name), ensure_ascii=False))
            self._err(error_line(error))
            self._advance()

    def progress(self, name: str, done: int, total: int) -> None:
        """How far the layout of ``name`` is: on a terminal, in text mode, one line rewritten
        in place once the build has taken over PROGRESS_AFTER seconds (a long book: 2,000
        sections take minutes); nothing elsewhere, so that logs stay as they were."""
        import time

        with self._lock:
            if self.mode != "text" or self._bar is not None or not _terminal(sys.stderr):
                return
            now = time.monotonic()
            if self._layout_started is None or self._layout_name != name:
                self._layout_started, self._layout_name = now, name
            if now - self._layout_started < PROGRESS_AFTER:
                return
            sys.stderr.write(f"\r  laying out {name}: {done} of {total} parts\x1b[K")
            sys.stderr.flush()
            self._progress_shown = True

    def _clear_progress(self) -> None:
        if self._progress_shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._progress_shown = False
        self._layout_started = None

    def summary(self) -> None:
        if self.failures:
            self._err(f"vigil: {self.failures} of {len(self.names)} publications failed")

    def close(self) -> None:
        with self._lock:
            self._clear_progress()
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._bar is not None:
                self._bar.stop()
                self._bar = None

    # -------------------------------------------------------------- internals

    def _out(self, line: str) -> None:
        # print() looks the stream up now: the progress bar may have put a proxy there.
        print(line, file=sys.stdout, flush=True)

    def _err(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    def _advance(self) -> None:
        self.done += 1
        if self._bar is not None and self._task is not None:  # set together, in _show_bar
            upcoming = self.names[self.done] if self.done < len(self.names) else ""
            self._bar.update(self._task, completed=self.done, description=upcoming)

    def _show_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with self._lock:
            if self._closed or self.done >= len(self.names):
                return
            self._bar = Progress(
                TextColumn("building {task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=Console(file=sys.stderr), transient=True,
                # Results go on to standard output; through the bar only when both are the
                # terminal (else they would land on standard error).
                redirect_stdout=_terminal(sys.stdout), redirect_stderr=True,
            )
            self._task = self._bar.add_task(self.names[self.done], total=len(self.names),
                                            completed=self.done)
            self._bar.start()


def _terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
