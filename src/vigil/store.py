"""vigil's one content-addressed store: the file hasher, the environment's fingerprint, and the
entries every cache keeps (the build cache, the laid-out sections, the reduced pictures, the
parsed hyphenation dictionaries).

Takes files to hash, and keys, bytes and records to keep; gives SHA-256 digests and, for a key,
the entry stored under it if it is still whole. A shared utility: it imports no stage.

- :func:`file_digest`: the SHA-256 of a file, remembered (one memo for all of vigil) while the
  file's device, inode, size, modification and change times stay the same. A file changed in
  the last :data:`RACY_SECONDS` is hashed again every time (as git does with "racily clean"
  files): two writes within one tick of the file system's clock cannot be mistaken.
- :func:`packages`, :func:`system_libraries`, :func:`environment`: what the build depends on
  beyond its own files (the installed Python distributions, the text libraries WeasyPrint loads,
  the files of given folders), hashed in one place.
- :class:`Store`: a folder of entries. An entry is ``<key><suffix>`` (its bytes, if it has
  any) and ``<key>.json``, its record: the key it was stored under, the SHA-256 of its bytes and
  what the caller keeps beside them. :meth:`Store.get` refuses an entry whose record names
  another key (a file copied or moved over another's) or whose bytes are not the ones recorded.
- :class:`DocumentStore`: the entries of one document in a shared store, and the document's
  index (``<index folder>/<document>.json``): the entries its last build used, and the page
  numbers it found. Entries no build of the document uses any more are removed.

Nothing here raises for a cache that cannot be read or written: an entry that cannot be read is
not there, one that cannot be written is not kept (the next build is slower, never different).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DocumentStore", "Entry", "Store", "environment", "file_digest", "packages",
           "system_libraries"]

# The system libraries whose version changes how text is laid out and written.
SYSTEM_LIBRARIES = ("libpango-1.0.", "libpangoft2-1.0.", "libharfbuzz.", "libharfbuzz-subset.",
                    "libfontconfig.", "libfreetype.")
#: A file changed more recently than this is not remembered by :func:`file_digest`.
RACY_SECONDS = 2.0
RECORD = ".json"
_CHUNK = 1 << 20
_memo: dict[tuple[str, int, int, int, int, int], str] = {}


# ---------------------------------------------------------------------------- hashing

def file_digest(path: Path) -> str:
    """The SHA-256 (hex) of the file ``path``; OSError if it cannot be read."""
    status = os.stat(path)
    key = (str(path), status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns,
           status.st_ctime_ns)
    known = _memo.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    found = digest.hexdigest()
    settled = time.time_ns() - max(status.st_mtime_ns, status.st_ctime_ns)
    if settled > RACY_SECONDS * 1e9:
        _memo[key] = found
    return found


def bytes_digest(data: bytes) -> str:
    """The SHA-256 (hex) of ``data``."""
    return hashlib.sha256(data).hexdigest()


def packages() -> list[str]:
    """The installed distributions (``weasyprint-70.0.dist-info``...) of Python's package
    folders: installing, upgrading or removing any of them changes the inputs."""
    found: list[str] = []
    for entry in sys.path:
        if os.path.basename(entry) not in ("site-packages", "dist-packages"):
            continue
        try:
            found += [f"{entry}/{name}" for name in os.listdir(entry)
                      if name.endswith((".dist-info", ".egg-info", ".egg-link", ".pth"))]
        except OSError:
            continue
    return sorted(found)


def system_libraries() -> list[str]:
    """The real file names (with their versions) of the text libraries WeasyPrint loads."""
    folders = ["/usr/lib", "/usr/lib64", "/usr/local/lib", "/opt/homebrew/lib"]
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        folders.insert(0, f"/usr/lib/{multiarch}")
    found: set[str] = set()
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.startswith(SYSTEM_LIBRARIES):
                found.add(os.path.realpath(os.path.join(folder, name)))
    return sorted(found)


def environment(head: Iterable[str], files: Iterable[Path], folders: Iterable[Path]) -> str:
    """The SHA-256 of what a layout depends on beyond its own input: the lines ``head`` (a
    format, a version), the installed packages and text libraries, and the name and digest of
    each of ``files`` (by name only) and of every file below ``folders`` (by path)."""
    parts = [*head, *packages(), *system_libraries()]
    parts += [f"{path.name}:{file_digest(path)}" for path in files]
    for folder in folders:
        parts += [f"{path}:{file_digest(path)}" for path in sorted(folder.rglob("*"))
                  if path.is_file()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


# ---------------------------------------------------------------------------- entries

@dataclass(frozen=True)
class Entry:
    """An entry read back from a :class:`Store`: its bytes (and their file, if it has any),
    and what its record keeps beside them."""

    key: str
    data: bytes
    path: Path | None
    meta: dict[str, object] = field(default_factory=dict)


# What a record holds for the store itself; the caller's fields go beside them.
_RESERVED = frozenset({"key", "sha256", "suffix"})


class Store:
    """The entries of one folder (see the module's description). ``suffixes``: the endings an
    entry's bytes may have (the first is the default)."""

    def __init__(self, folder: Path, suffixes: tuple[str, ...] = ("",)) -> None:
        self.folder = Path(folder)
        self.suffixes = suffixes

    def record(self, key: str) -> Path:
        """The record file of ``key``."""
        return self.folder / f"{_checked(key)}{RECORD}"

    def put(self, key: str, data: bytes | None, meta: Mapping[str, object] | None = None,
            suffix: str | None = None) -> Path | None:
        """Keep ``data`` (None: a record only) and ``meta`` under ``key``; gives the file of
        the bytes (the record's, without bytes), None when it cannot be written."""
        meta = dict(meta or {})
        if _RESERVED & meta.keys():
            raise ValueError(f"reserved fields in a record: {sorted(_RESERVED & meta.keys())}")
        suffix = self.suffixes[0] if suffix is None else suffix
        if suffix not in self.suffixes or suffix == RECORD:
            raise ValueError(f"not an ending of this store: {suffix!r}")
        record = {"key": key, "sha256": None if data is None else bytes_digest(data),
                  "suffix": suffix, **meta}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.record(key)
            if data is not None:
                target = self.folder / f"{key}{suffix}"
                _write(target, data)
            _write(self.record(key), json.dumps(record, ensure_ascii=False).encode("utf-8"))
        except (OSError, TypeError, ValueError):
            return None
        return target

    def get(self, key: str) -> Entry | None:
        """The entry stored under ``key``, if its record names this key and its bytes are
        those recorded; else None."""
        try:
            record = json.loads(self.record(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("key") != key:
            return None
        digest, suffix = record.get("sha256"), record.get("suffix")
        meta = {name: value for name, value in record.items() if name not in _RESERVED}
        if digest is None:
            return Entry(key=key, data=b"", path=None, meta=meta)
        if not isinstance(digest, str) or suffix not in self.suffixes:
            return None
        path = self.folder / f"{key}{suffix}"
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if bytes_digest(data) != digest:
            return None
        return Entry(key=key, data=data, path=path, meta=meta)

    def remove(self, key: str) -> None:
        """Remove the entry of ``key`` (its bytes in every ending, its record)."""
        for suffix in {*self.suffixes, RECORD}:
            try:
                (self.folder / f"{_checked(key)}{suffix}").unlink(missing_ok=True)
            except OSError:
                continue


class DocumentStore:
    """The entries of one document kept in ``entries`` (a store documents share: the same
    entry serves every document that has it), and the document's index in ``indexes``: the
    entries its last build used and the page numbers it found (see the module's
    description). ``format``: the index's format; an index of another is not read."""

    def __init__(self, entries: Store, indexes: Store, document: str, format: int) -> None:
        self.entries = entries
        self.indexes = indexes
        self.document = document
        self.format = format
        self.written: set[str] = set()

    def _previous(self) -> dict[str, object]:
        found = self.indexes.get(self.document)
        if found is None or found.meta.get("format") != self.format:
            return {}
        return found.meta

    def numbers(self) -> dict[str, int]:
        """The page numbers the document's last build recorded."""
        numbers = self._previous().get("numbers", {})
        if not isinstance(numbers, dict):
            return {}
        try:
            return {str(name): int(page) for name, page in numbers.items()}
        except (TypeError, ValueError):
            return {}

    def get(self, key: str) -> Entry | None:
        return self.entries.get(key)

    def put(self, key: str, data: bytes, meta: Mapping[str, object]) -> None:
        if self.entries.put(key, data, meta) is not None:
            self.written.add(key)

    def finish(self, used: Iterable[str], numbers: Mapping[str, int]) -> None:
        """Record this build's entries and page numbers; remove the entries only the build
        before used, and those written in this build and not used."""
        kept = set(used)
        previous = self._previous().get("chunks", [])
        for key in [*(previous if isinstance(previous, list) else []), *self.written]:
            if isinstance(key, str) and key not in kept and key.isalnum():
                self.entries.remove(key)
        self.indexes.put(self.document, None, {"format": self.format, "chunks": sorted(kept),
                                               "numbers": dict(numbers)})


def _checked(key: str) -> str:
    """``key`` if it can name a file of a store's folder (no folder, not hidden)."""
    if not key or key.startswith(".") or "/" in key or "\\" in key or "\0" in key:
        raise ValueError(f"not a key of vigil's store: {key!r}")
    return key


def _write(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` so that a reader sees the old bytes or the new, never a
    part of them."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                         dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
