"""``vigil clean``: remove what vigil keeps in its cache folder (see :mod:`vigil.usercache`).

Takes publication folders (or none: everything); gives the folders removed and the bytes they
held. Only the folders vigil itself makes below the cache root are removed, so a cache root
given by mistake (``--cache-dir ~``) loses nothing else.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from vigil.errors import Location, VigilError
from vigil.usercache import PUBLICATIONS, folder, publication_folder

# Every kind of entry vigil writes below the cache root.
KINDS = ("images", "hyphenation", "templates", PUBLICATIONS)


def clean(publications: Iterable[Path] = ()) -> tuple[list[Path], int]:
    """Remove the caches of ``publications`` (each a folder holding publication.yaml), or
    every cache of vigil; give the folders removed and how many bytes they held."""
    chosen = list(publications)
    for path in chosen:
        if not (Path(path) / "publication.yaml").is_file():
            raise VigilError("not a publication folder (no publication.yaml in it)",
                             location=Location(Path(path)),
                             hint="Name the folders of the publications whose cache to remove, "
                                  "or nothing to remove all of vigil's cache")
    targets = ([publication_folder(path) for path in chosen] if chosen
               else [folder(kind) for kind in KINDS])
    removed: list[Path] = []
    size = 0
    for target in targets:
        if not target.is_dir() or target.is_symlink():
            continue
        size += _size(target)
        try:
            shutil.rmtree(target)
        except OSError as error:
            raise VigilError(f"cannot remove the cache folder: {error.strerror}",
                             location=Location(target)) from None
        removed.append(target)
    return removed, size


def _size(root: Path) -> int:
    total = 0
    for current, _, names in os.walk(root):
        for name in names:
            try:
                total += (Path(current) / name).lstat().st_size
            except OSError:
                continue
    return total
