"""vigil's cache folder: what is worth keeping between builds and never part of a publication
nor of its output.

Takes the name of a kind of entry (or a publication and its output folder); gives its folder
under the cache root. The root is, first found:

1. the folder given to ``--cache-dir`` (the command line sets ``VIGIL_CACHE_DIR`` to it, so that
   every part of the build and its worker processes follow),
2. the environment variable ``VIGIL_CACHE_DIR``,
3. the user's cache folder, ``$XDG_CACHE_HOME/vigil`` (by default ``~/.cache/vigil``).

Below it: ``images/`` (pictures reduced for the screen, shared by every publication),
``hyphenation/`` and ``templates/`` (parsed dictionaries, compiled theme templates), and
``publications/<name>-<hash of its folder>/<hash of the output folder>/`` for each publication
built into an output folder (the build cache's entries and the laid-out sections). Nothing vigil
writes lands in the publication folder or, but the PDFs and their documented side files, in
the output folder: users copy both elsewhere. Every entry is checked against what it was made
from before it is used, so deleting any of it (``vigil clean``) is always safe, and a folder
that cannot be read or written only makes vigil slower.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "VIGIL_CACHE_DIR"
PUBLICATIONS = "publications"


def root(configured: Path | str | None = None) -> Path:
    """The cache root: ``configured``, else ``VIGIL_CACHE_DIR``, else the user's cache."""
    if configured:
        return Path(configured).expanduser().absolute()
    chosen = os.environ.get(ENV)
    if chosen:
        return Path(chosen).expanduser().absolute()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vigil"


def folder(name: str, configured: Path | str | None = None) -> Path:
    """The folder of the entries called ``name`` (not created)."""
    return root(configured) / name


def publication_folder(publication: Path | str, configured: Path | str | None = None) -> Path:
    """The folder of everything cached for the publication folder ``publication`` (not
    created): ``publications/<name>-<first 12 hex digits of the SHA-256 of its real path>``."""
    real = _publication(publication)
    return folder(PUBLICATIONS, configured) / f"{real.name}-{_digest(str(real))}"


def build_folder(publication: Path | str, output_dir: Path | str,
                 configured: Path | str | None = None) -> Path:
    """The cache of ``publication`` built into ``output_dir`` (not created)."""
    return publication_folder(publication, configured) / _digest(str(Path(output_dir).resolve()))


def _digest(text: str) -> str:
    import hashlib  # not at the top: vigil --help imports this module

    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def _publication(path: Path | str) -> Path:
    real = Path(path).resolve()
    if real.name == "publication.yaml" and real.is_file():
        real = real.parent
    return real
