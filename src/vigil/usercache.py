"""The user's cache folder for vigil: what is worth keeping between processes and the same for
every publication (parsed hyphenation dictionaries, compiled theme templates).

Takes the name of a kind of entry; gives its folder, ``$XDG_CACHE_HOME/vigil/<name>`` (by
default ``~/.cache/vigil/<name>``). What is kept there is always checked against what it was
made from, and a folder that cannot be read or written only makes vigil slower.
"""

from __future__ import annotations

import os
from pathlib import Path


def folder(name: str) -> Path:
    """The folder of the entries called ``name`` (not created)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vigil" / name
