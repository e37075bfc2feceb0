"""The build cache: a build whose inputs did not change reuses the PDF it wrote last time.

Takes a publication folder, the output folder and the build's options; gives the result of the
last build with the same inputs if its PDF is still there, byte for byte (else nothing), and
records a build's result for next time. Nothing heavy is imported: a no-op ``vigil build``
answers in a fraction of a second.

The inputs are everything a build can read or depend on, hashed by content:

- every file of the publication folder (its sources, images, inserts, its own templates and
  theme, translated editions), but the output folder and the cache when they lie inside it;
- vigil's themes and fonts (``vigil/themes/``, ``vigil/fonts/``) and vigil's own code and data;
- the installed Python packages (names and versions: WeasyPrint, pypdf, ...), Python's version,
  and the versions of the system libraries that lay out text (Pango, HarfBuzz, fontconfig,
  FreeType);
- the options of the build that change what is built (profile, imposition, strictness,
  language, whole: :meth:`vigil.options.BuildOptions.cache_key`), the publication folder's
  location (messages name it), ``SOURCE_DATE_EPOCH`` and ``VIGIL_HOME``.

Files are hashed by :func:`vigil.store.file_digest` (one memo for all of vigil). An entry is a
record of :class:`vigil.store.Store` in vigil's cache folder (:mod:`vigil.usercache`), never in
the output folder: ``<cache>/publications/<name>-<hash>/<output hash>/build/<key>.json``, with
the SHA-256 of each file written, ``<key>`` a hash of the publication folder, the output folder
and the options. It carries its key (and those three) and is refused when that is not the key
looked up (an entry copied or moved under another name); it is trusted only if the files it
names still have those hashes, and it is written only when the files the build read all lie in
what was hashed and did not change while it ran. Builds are reproducible (the same inputs give
the same bytes), so a reused PDF is the PDF a new build would write.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vigil import __version__, store
from vigil.options import BuildOptions
from vigil.resources import fonts_dir, themes_dir
from vigil.usercache import build_folder
from vigil.usercache import root as cache_root

if TYPE_CHECKING:
    from vigil.check.findings import Report
    from vigil.result import BuildResult

__all__ = ["CACHE_FOLDER", "BuildCache", "Reused"]

# The folder of the build cache's first versions (inside the output folder), and a name users
# may give their own cache beside a publication: never part of a publication's inputs.
CACHE_FOLDER = ".vigil-cache"
FORMAT = 3  # 3: an entry of vigil.store, named after its whole key
# Folders never part of a publication's inputs (version control, Python's byte code, caches).
SKIPPED_FOLDERS = frozenset({CACHE_FOLDER, ".git", ".hg", ".svn", "__pycache__"})


@dataclass(frozen=True)
class Reused:
    """What the last build with the same inputs wrote."""

    publication: str
    output: Path
    pages: int
    bytes: int
    report: Report
    notes: tuple[str, ...]
    imposed: Path | None


class BuildCache:
    """The cache entry of one publication built with given options into one output folder.

    Its key is the publication folder, the output folder and the options that change what is
    built (:meth:`vigil.options.BuildOptions.cache_key`); it lives in ``options.cache_dir``
    (vigil's cache folder by default)."""

    def __init__(self, folder: Path | str, output_dir: Path | str,
                 options: BuildOptions) -> None:
        self.output_dir = Path(output_dir)
        folder = Path(folder).resolve()
        if folder.name == "publication.yaml" and folder.is_file():
            folder = folder.parent
        self.folder = folder
        self.options = options.cache_key()
        cache_dir = options.cache_dir
        #: The cache of this publication built into this output folder: this entry and the
        #: laid-out sections (vigil.typeset.sections) live there.
        self.folder_cache = build_folder(folder, self.output_dir, cache_dir)
        self.cache_root = cache_root(cache_dir)
        #: What the entry must carry to be used: where from, where to, how.
        self.key = {"publication": str(folder), "output": str(self.output_dir.resolve()),
                    "options": self.options}
        self.entries = store.Store(self.folder_cache / "build")
        self.entry_key = hashlib.sha256(
            json.dumps(self.key, sort_keys=True).encode("utf-8", "surrogateescape")
        ).hexdigest()[:32]
        self.entry = self.entries.record(self.entry_key)
        self._before: str | None = None
        self._hashed: set[Path] = set()

    # ------------------------------------------------------------------ inputs

    def fingerprint(self) -> str | None:
        """The hash of every input, or None when there is no publication folder to hash."""
        if not self.folder.is_dir():
            return None
        hashed: set[Path] = set()
        digest = hashlib.sha256()

        def add(label: str, value: str) -> None:
            digest.update(f"{label}\0{value}\n".encode("utf-8", "surrogateescape"))

        add("format", str(FORMAT))
        add("vigil", __version__)
        add("python", sys.version)
        add("folder", str(self.folder))
        for name in ("SOURCE_DATE_EPOCH", "VIGIL_HOME"):
            add(f"env {name}", os.environ.get(name, "\0unset"))
        for key, value in self.options.items():
            add(f"option {key}", value)
        for name in store.packages():
            add("package", name)
        for name in store.system_libraries():
            add("library", name)
        output = self.output_dir.resolve()
        import vigil

        trees = {
            "publication": self.folder, "themes": themes_dir(), "fonts": fonts_dir(),
            "code": Path(vigil.__file__).resolve().parent,
        }
        # The output folder and the cache are no inputs; the themes and fonts inside the
        # package are hashed once, as themselves.
        skip = {output, self.cache_root.resolve(),
                themes_dir().resolve(), fonts_dir().resolve()}
        for label, root in trees.items():
            for relative, file_digest in _tree(root, skip - {root.resolve()}, hashed):
                add(f"{label} {relative}", file_digest)
        self._hashed = hashed
        return digest.hexdigest()

    # ------------------------------------------------------------------ reuse

    def reuse(self, force: bool = False) -> Reused | None:
        """Hash the inputs (for :meth:`store`, later); give the last build's result if its
        inputs were these and the files it wrote are intact, unless ``force``."""
        self._before = self.fingerprint()
        if force or self._before is None:
            return None
        found = self.entries.get(self.entry_key)
        if found is None:
            return None
        entry = found.meta
        try:
            if entry.get("format") != FORMAT or entry.get("build") != self.key \
                    or entry.get("inputs") != self._before:
                return None
            recorded = entry["outputs"]
            if not isinstance(recorded, dict):
                return None
            intact = {role: self._intact(file) for role, file in recorded.items()}
            output = intact.get("pdf")
            if output is None or None in intact.values():
                return None
            imposed = intact.get("imposed")
            notes = entry["notes"]
            if not isinstance(notes, list):
                return None
            return Reused(
                publication=str(entry["publication"]), output=output,
                pages=_integer(entry["pages"]), bytes=_integer(entry["bytes"]),
                report=_report(entry["report"]), notes=tuple(str(note) for note in notes),
                imposed=imposed,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def _intact(self, recorded: object) -> Path | None:
        """The recorded file of the output folder, if it still has the recorded hash."""
        if not isinstance(recorded, dict):
            return None
        name = recorded["name"]
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
            return None
        path = self.output_dir / name
        try:
            return path if store.file_digest(path) == recorded["sha256"] else None
        except OSError:
            return None

    # ------------------------------------------------------------------ store

    def store(self, result: BuildResult, read: Iterable[Path],
              folders: Iterable[Path] = (), also: Iterable[Path] = ()) -> bool:
        """Record ``result`` for the inputs hashed before the build, if the files it ``read``
        and the template ``folders`` it used were all hashed and nothing changed meanwhile.
        ``also``: other files the build wrote into the output folder, which must be intact
        too for the result to be reused. Returns whether an entry was written; a cache that
        cannot be written is no error."""
        before = self._before
        if before is None:  # reuse() was not called before the build, or found no folder
            return False
        used = [Path(path) for path in read]
        for folder in folders:
            used += _walk(Path(folder))
        if any(path.resolve() not in self._hashed for path in used):
            return False
        if self.fingerprint() != before:  # a file changed while the build ran
            return False
        outputs: dict[str, dict[str, str]] = {}
        written = [("pdf", result.output), ("imposed", result.imposed)]
        written += [(f"file {number}", path) for number, path in enumerate(also, start=1)]
        for role, path in written:
            if path is None:
                continue
            if Path(path).resolve().parent != self.output_dir.resolve():
                return False
            try:
                outputs[role] = {"name": Path(path).name,
                                 "sha256": store.file_digest(Path(path))}
            except OSError:
                return False
        entry: dict[str, object] = {
            "format": FORMAT, "build": self.key, "inputs": before,
            "publication": result.publication, "outputs": outputs, "pages": result.pages,
            "bytes": result.bytes, "notes": list(result.notes),
            "report": _report_data(result.report),
        }
        return self.entries.put(self.entry_key, None, entry) is not None


def _walk(root: Path, skip: Iterable[Path] = ()) -> list[Path]:
    """Every file below ``root`` in a stable order, following symbolic links (each folder
    once: no loops), leaving out the folders ``skip`` (real paths) and SKIPPED_FOLDERS."""
    found: list[Path] = []
    seen: set[str] = set()
    skipped = set(skip)
    for current, folders, names in os.walk(root, followlinks=True):
        real = os.path.realpath(current)
        if real in seen or Path(real) in skipped:
            folders[:] = []
            continue
        seen.add(real)
        folders[:] = sorted(name for name in folders if name not in SKIPPED_FOLDERS)
        found += [Path(current, name) for name in sorted(names)]
    return found


def _tree(root: Path, skip: Iterable[Path], hashed: set[Path]) -> list[tuple[str, str]]:
    """(path relative to ``root``, SHA-256) of every regular file below ``root`` (see
    :func:`_walk`); the real path of each goes into ``hashed``."""
    if not root.is_dir():
        return [("", "missing")]
    found: list[tuple[str, str]] = []
    for path in _walk(root, skip):
        try:
            real = path.resolve(strict=True)
            if not stat.S_ISREG(path.stat().st_mode):
                continue  # fifos, sockets and devices are never read
        except (OSError, RuntimeError):
            continue  # a dangling link or a loop of links: nothing a build can read
        try:
            digest = store.file_digest(path)
        except OSError:
            digest = "unreadable"
        hashed.add(real)
        found.append((path.relative_to(root).as_posix(), digest))
    return found


def _integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(value)
    return value


def _report_data(report: Report) -> dict[str, object]:
    data = dataclasses.asdict(report)
    data["findings"] = [
        {**finding, "file": None if finding["file"] is None else str(finding["file"])}
        for finding in data["findings"]
    ]
    return data


def _report(data: object) -> Report:
    from vigil.check import Finding, Report

    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise TypeError("not a report")
    findings = [
        Finding(**{**finding, "file": None if finding["file"] is None else Path(finding["file"])})
        for finding in data["findings"]
    ]
    values = {**data, "findings": findings, "page_size_mm": tuple(data["page_size_mm"])}
    return Report(**values)
