"""Which files content may use: only those under the publication folder, the theme and fonts.

Takes a reference as written by an author (``images/x.jpg``) and the folders it may come from;
gives a resolved path inside one of them, or a :class:`~vigil.errors.ResourceError` that says why
not (a network URL, an absolute path, ``..`` or a symbolic link leading outside, a missing file).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

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
    path = (base / reference).resolve()
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
