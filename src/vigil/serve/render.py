"""Page images for the preview: one PNG per page of a PDF, drawn by poppler's ``pdftoppm``.

Takes a PDF file and a page number; gives the PNG bytes, drawn on first request and kept. Pages
are drawn one at a time, as the browser asks for them (it asks for those in view first), so a
long booklet shows its first pages at once.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

from vigil.errors import RenderError

RESOLUTION = 110  # dots per inch: an A5 page is about 640 pixels wide
SECONDS = 60.0


def pdftoppm() -> str | None:
    """The path of ``pdftoppm`` (Debian package poppler-utils), or None."""
    return shutil.which("pdftoppm")


class PageImages:
    """The PNG images of the pages of one PDF, drawn on demand into ``folder``."""

    def __init__(self, pdf: Path, pages: int, folder: Path) -> None:
        self.pdf = pdf
        self.pages = pages
        self.folder = folder
        self._locks: dict[int, threading.Lock] = {}
        self._lock = threading.Lock()

    def png(self, page: int) -> bytes:
        """The image of page ``page`` (1-based); RenderError if it cannot be drawn."""
        if not 1 <= page <= self.pages:
            raise KeyError(page)
        with self._lock:
            lock = self._locks.setdefault(page, threading.Lock())
        target = self.folder / f"page-{page}.png"
        with lock:
            if not target.is_file():
                self._draw(page, target)
            return target.read_bytes()

    def _draw(self, page: int, target: Path) -> None:
        program = pdftoppm()
        if program is None:
            raise RenderError("pdftoppm is not installed",
                              hint="Install poppler-utils (apt-get install poppler-utils)")
        stem = target.with_suffix("")
        command = [program, "-png", "-r", str(RESOLUTION), "-f", str(page), "-l", str(page),
                   "-singlefile", str(self.pdf), str(stem)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"pdftoppm failed on page {page}: {exc}") from None
        if done.returncode != 0 or not target.is_file():
            detail = done.stderr.decode("utf-8", "replace").strip()[:200]
            raise RenderError(f"pdftoppm failed on page {page}: {detail or done.returncode}")
