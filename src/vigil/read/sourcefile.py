"""Read a source file as text: UTF-8 only, with a clear error naming the byte that is not.

Takes a path; gives its text without a byte-order mark and with ``\\n`` line ends.
"""

from __future__ import annotations

from pathlib import Path

from vigil.errors import ContentError, EncodingError, Location

MAX_SOURCE_BYTES = 5 * 1024 * 1024


def read_text(path: Path) -> str:
    """Return the text of ``path``, refusing files that are missing, huge or not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ContentError(
            "file not found", location=Location(path),
            hint="Check the path in publication.yaml; paths are relative to the publication folder",
        ) from None
    except IsADirectoryError:
        raise ContentError("expected a file but found a folder", location=Location(path)) from None
    except OSError as exc:
        raise ContentError(
            f"cannot read the file ({exc.strerror})", location=Location(path)
        ) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise ContentError(
            f"the file is {len(data) // 1024} KiB, more than the {MAX_SOURCE_BYTES // 1024} KiB "
            "a source file may have", location=Location(path),
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise EncodingError(
            f"the file is not valid UTF-8: byte 0x{data[exc.start]:02X} at byte offset {exc.start} "
            "cannot be decoded",
            location=Location(path, line, column),
            hint="Save the file as UTF-8 (most editors offer 'Save with encoding')",
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
