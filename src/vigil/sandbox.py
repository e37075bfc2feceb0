"""Which files content may use: only those under the publication folder, the theme and fonts.

Takes a reference as written by an author (``images/x.jpg``) and the folders it may come from;
gives a resolved path inside one of them, or a :class:`~vigil.errors.ResourceError` that says why
not (a network URL, an absolute path, ``..`` or a symbolic link leading outside, a missing file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from vigil.errors import Location, ResourceError

MAX_RESOURCE_BYTES = 50 * 1024 * 1024
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def resolve_inside(reference: str, base: Path, roots: tuple[Path, ...], location: Location) -> Path:
    """Resolve ``reference`` relative to ``base`` and insist it stays below one of ``roots``."""
    match = _SCHEME.match(reference)
    if match and len(match.group(1)) > 1:
        scheme = match.group(1).lower()
        if scheme in ("http", "https", "ftp"):
            raise ResourceError(
                f"'{reference}' is on the network, and vigil does not reach the network",
                location=location,
                hint="Download the file into the publication folder and refer to it by its path",
            )
        raise ResourceError(
            f"'{reference}' uses the '{scheme}:' scheme; only paths inside the publication "
            "folder are allowed", location=location,
        )
    if reference.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", reference):
        raise ResourceError(
            f"'{reference}' is an absolute path; only paths inside the publication folder are "
            "allowed", location=location, hint="Write the path relative to the publication folder",
        )
    if "\x00" in reference or not reference.isprintable():
        raise ResourceError(
            f"'{_shown(reference)}' holds a control character; a file name cannot",
            location=location, hint="Write the file's name as it is",
        )
    try:
        path = (base / reference).resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of symbolic links
        raise ResourceError(f"'{reference}' is a loop of symbolic links",
                            location=location) from None
    if not any(path.is_relative_to(root.resolve()) for root in roots):
        raise ResourceError(
            f"'{reference}' lies outside the publication folder", location=location,
            hint="Copy the file into the publication folder; content may not read other files",
        )
    if not path.exists():
        raise ResourceError(f"'{reference}' does not exist", location=location)
    if not path.is_file():
        raise ResourceError(f"'{reference}' is not a file", location=location)
    if path.stat().st_size > MAX_RESOURCE_BYTES:
        raise ResourceError(
            f"'{reference}' is larger than {MAX_RESOURCE_BYTES // (1024 * 1024)} MiB",
            location=location,
        )
    return path


VIRTUAL_SCHEME = "vigil"


def virtual_url(mount: str, root: Path, path: Path) -> str:
    """A URL for ``path`` below ``root`` that does not say where ``root`` is on disk
    (``vigil://publication/images/a.jpg``), so output does not depend on the folder's location.
    The typesetting stage's fetcher maps it back."""
    relative = path.resolve().relative_to(root.resolve()).as_posix()
    return f"{VIRTUAL_SCHEME}://{mount}/{quote(relative)}"


def resolve_url(url: str, mounts: Mapping[str, Path], base: str | None = None,
                location: Location | None = None) -> Path:
    """The one resolver of every file vigil opens for a document (the typesetting stage's
    fetcher, the font-coverage check, the pictures' checks): ``url`` (``vigil://MOUNT/path``,
    a ``file:`` URL, or a relative URL joined to ``base``) becomes a regular file inside one
    of ``mounts``, or a :class:`~vigil.errors.ResourceError`.

    Nothing outside the mounts is opened, and a file outside that exists gets the same refusal
    as one that does not: the error is no probe of the machine's files. Symbolic links are
    followed and judged by where they lead; ``..`` and percent-encoding by what they decode to.
    """
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if not scheme and base:
        parts = urlsplit(urljoin(base, text))
        scheme = parts.scheme.lower()
    if scheme == VIRTUAL_SCHEME:
        shown = _shown(text)
        root = mounts.get(parts.netloc)
        if root is None:
            raise ResourceError(f"the document refers to '{shown}', which names no known folder",
                                location=location, hint=_HINT)
        path = Path(root) / _decoded(parts.path, shown, location).lstrip("/")
    elif scheme == "file":
        shown = _shown(unquote(parts.path))
        if parts.netloc not in ("", "localhost"):
            raise _refused(_shown(text), location)
        path = Path(_decoded(parts.path, shown, location))
    elif scheme in ("http", "https", "ftp", "ftps", "ws", "wss"):
        raise ResourceError(
            f"the document refers to '{_shown(text)}', and vigil does not reach the network",
            location=location, hint=_HINT,
        )
    else:
        raise ResourceError(
            f"the document refers to '{_shown(text)}', whose scheme vigil does not read",
            location=location, hint=_HINT,
        )
    return contained_file(path, tuple(Path(root) for root in mounts.values()), shown, location)


def contained_file(path: Path, roots: tuple[Path, ...], shown: str,
                   location: Location | None = None) -> Path:
    """``path`` resolved (symbolic links followed), if it is a regular file below one of
    ``roots`` and not too large; else the refusal of :func:`resolve_url`."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL byte
        raise _refused(shown, location) from None
    if not any(resolved.is_relative_to(root.resolve()) for root in roots):
        raise _refused(shown, location)
    try:
        if not resolved.is_file():
            raise ResourceError(f"the document refers to '{shown}', which does not exist",
                                location=location, hint="Check the file's name and folder")
        size = resolved.stat().st_size
    except (OSError, ValueError):
        raise _refused(shown, location) from None
    if size > MAX_RESOURCE_BYTES:
        raise ResourceError(f"'{shown}' is larger than {MAX_RESOURCE_BYTES // 2**20} MiB",
                            location=location)
    return resolved


_HINT = "Put the file inside the publication folder and refer to it by a relative path"


def _decoded(path: str, shown: str, location: Location | None) -> str:
    text = unquote(path)
    if "\x00" in text:
        raise _refused(shown, location)
    return text


def _shown(url: str) -> str:
    text = "".join(c if c.isprintable() else "?" for c in url)
    return text if len(text) <= 120 else text[:117] + "..."


def _refused(shown: str, location: Location | None) -> ResourceError:
    return ResourceError(
        f"the document refers to '{shown}', outside the publication, theme and fonts folders",
        location=location, hint=_HINT,
    )
