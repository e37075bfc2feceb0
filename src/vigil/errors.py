"""The one exception tree of vigil.

Every error a user can cause is a :class:`VigilError`. It carries where the problem is (file,
line, column, key) and how to fix it, and renders itself as one paragraph. The CLI prints that
paragraph and exits with :attr:`VigilError.exit_code`; only ``--debug`` shows a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where a value came from: a file and, when known, a 1-based line and column."""

    file: Path | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.file is None:
            return ""
        text = _display_path(self.file)
        if self.line is not None:
            text += f", line {self.line}"
            if self.column is not None:
                text += f", column {self.column}"
        return text


@dataclass(frozen=True)
class Notice:
    """Something of the content that vigil leaves out or shows otherwise than written (a
    dropped link, raw HTML printed as text, a style sheet rule ignored), with where it is
    written: listed as a warning by the build, an error under ``--strict``."""

    code: str
    message: str
    location: Location = Location()


def _display_path(path: Path) -> str:
    """Show a path relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class VigilError(Exception):
    """A problem the user can fix; the message says what, where and how."""

    exit_code = 1
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location or Location()
        self.key = key
        self.hint = hint

    def __str__(self) -> str:
        parts = []
        where = str(self.location)
        if where:
            parts.append(f"{where}:")
        if self.key:
            parts.append(f"{self.key}:")
        parts.append(self.message)
        text = _sentence(" ".join(parts))
        if self.hint:
            text += " " + _sentence(self.hint)
        return text


def _sentence(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


class ContentError(VigilError):
    """The publication's sources are malformed or do not match the content format."""

    kind = "content error"


class EncodingError(ContentError):
    """A source file is not valid UTF-8."""


class ThemeError(VigilError):
    """A theme or template is missing or fails while composing the HTML."""

    kind = "template error"


class ResourceError(VigilError):
    """A file referenced by the content (image, stylesheet, font) is missing or refused."""

    kind = "resource error"


class ImageError(ResourceError):
    """An image is unreadable, truncated, of a refused format or too large."""


class RenderError(VigilError):
    """WeasyPrint or pypdf failed while typesetting or assembling."""

    kind = "render error"


class OutputError(VigilError):
    """The result cannot be written where it was asked to go."""

    kind = "output error"


class CheckError(VigilError):
    """A PDF failed its checks (preflight), or the sources would not be set as written
    (a character in none of the fonts): the findings say what and where."""

    kind = "check error"


class UnreadableError(CheckError):
    """A PDF given to be checked cannot be read: not a PDF, damaged, or encrypted."""

    exit_code = 2
