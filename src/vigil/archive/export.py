"""``vigil export``: a collection of publications as an archive, in a BagIt bag.

Takes publication folders and the bag's folder; gives an :class:`ExportResult`. Each
publication (and each of its translated editions) is built with the ``archive`` profile: PDF/A-3u
with its sources embedded (:mod:`vigil.archive.embed`), checked by the archive preflight. The
bag holds the PDFs and the catalogue (``catalogue.json``, ``catalogue.csv``) under ``data/``,
``manifest-sha256.txt`` and ``bag-info.txt`` (organisation, date).

- **Parallel**: publications are built in ``jobs`` worker processes, each building many, so that
  WeasyPrint is imported and the fonts are loaded once per process.
- **Incremental**: a publication whose sources (the files embedded last time, and the files it
  would read now) hash as the catalogue recorded, built by the same versions of vigil and its
  libraries, keeps its PDF from the previous bag (linked, not rebuilt).
- **Safe**: the new bag is written beside the old one (``.NAME.new-PID``) and renamed into place
  at the end; an export that fails or is killed leaves the previous bag as it was. A crash
  between the two renames of the swap is repaired by the next export (``.NAME.old`` is put
  back). One export at a time per bag (a lock file ``.NAME.lock`` beside it).
- **Reproducible**: the bag's date comes from ``--date``, else ``SOURCE_DATE_EPOCH``, else the
  latest publication date; its organisation from ``--organisation``, else the publications'
  organisers. The same sources give the same bag, file for file.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Required, TypedDict, cast

from vigil import __version__, workers
from vigil.errors import Location, OutputError, VigilError
from vigil.jsontypes import JSON
from vigil.options import BuildOptions
from vigil.workers import default_jobs

if TYPE_CHECKING:
    from vigil.check import Report
    from vigil.read import Publication

CATALOGUE_JSON = "catalogue.json"
CATALOGUE_CSV = "catalogue.csv"
CATALOGUE_FORMAT = "vigil-archive-catalogue"
CATALOGUE_VERSION = 1
PROFILE = "archive"
CSV_COLUMNS = ("file", "title", "date", "language", "edition", "organiser", "kind", "pages",
               "bytes", "sha256", "pdfa", "checks", "sources_sha256", "vigil")

# The archive preflight's checks, by the finding codes that fail them (vigil.check.pdf).
ARCHIVE_CHECKS: tuple[tuple[str, frozenset[str]], ...] = (
    ("pdfa-identification", frozenset({"pdfa-missing"})),
    ("output-intent", frozenset({"pdfa-output-intent"})),
    ("not-encrypted", frozenset({"encrypted"})),
    ("no-javascript", frozenset({"javascript"})),
    ("fonts-embedded", frozenset({"font-not-embedded", "font-glyph-missing", "font-notdef",
                                  "font-damaged"})),
    ("metadata", frozenset({"metadata-title", "metadata-language"})),
    ("tagged", frozenset({"not-tagged"})),
    ("links-and-bookmarks", frozenset({"link-broken", "bookmark-broken", "bookmark-missing"})),
    ("content-readable", frozenset({"content-damaged"})),
)
SOURCES_CHECK = "sources-embedded"

# The Python distributions whose version can change the bytes of a PDF.
DISTRIBUTIONS = ("weasyprint", "pydyf", "pypdf", "fonttools", "pillow", "pyphen", "tinycss2",
                 "cssselect2", "tinyhtml5", "jinja2", "markdown-it-py", "mdit-py-plugins", "nh3",
                 "babel", "pyyaml", "brotli", "zopfli")

Progress = Callable[["FolderOutcome", int, int], None]


# ---------------------------------------------------------------- the catalogue's records


class BuildKey(TypedDict):
    """What besides the sources decides a PDF's bytes (see :func:`build_key`)."""

    profile: str
    environment: dict[str, str]
    source_date_epoch: str | None


class EntryChecks(TypedDict):
    profile: str
    passed: list[str]
    warnings: list[str]


class EntrySources(TypedDict):
    sha256: str
    files: dict[str, str]  # the embedded files' SHA-256, by their names


class CatalogueEntry(TypedDict):
    """One PDF of ``catalogue.json`` (see :func:`_entry`). An entry read from a previous bag
    is as vigil wrote it: :func:`load_catalogue` checks it is a mapping with a ``file``; the
    rest is trusted as such (what may meet a damaged one reads it with ``get``)."""

    file: str
    publication: str
    edition: str | None
    title: str
    subtitle: str | None
    kind: str
    date: str
    language: str
    organiser: str | None
    description: str | None
    keywords: list[str]
    pages: int
    bytes: int
    sha256: str
    pdfa: str | None
    checks: EntryChecks
    sources: EntrySources
    build: BuildKey


class Catalogue(TypedDict, total=False):
    """``catalogue.json`` (an empty folder's catalogue has ``publications`` only)."""

    format: str
    version: int
    date: str
    organisation: list[str]
    publications: Required[list[CatalogueEntry]]


# ---------------------------------------------------------------- the environment


_ENVIRONMENT: dict[str, str] | None = None


def environment() -> dict[str, str]:
    """What made the PDFs, as far as it can change their bytes: vigil (version and a digest of
    its code), its fonts, Python, the libraries (WeasyPrint, pypdf...), Pango and zlib. A PDF
    rebuilds to the same bytes where these are the same."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        import platform
        import zlib
        from importlib import metadata

        import vigil
        from vigil.resources import fonts_dir

        found = {"vigil": __version__,
                 "vigil-code": _tree_digest(Path(vigil.__file__).resolve().parent),
                 "fonts": _tree_digest(fonts_dir()),
                 "python": platform.python_version()}
        for name in DISTRIBUTIONS:
            with contextlib.suppress(metadata.PackageNotFoundError):
                found[name] = metadata.version(name)
        try:
            from vigil.typeset.engine import load

            pango = load().text.ffi.pango

            number = int(pango.pango_version())
            found["pango"] = f"{number // 10000}.{number // 100 % 100}.{number % 100}"
        except (ImportError, OSError, AttributeError):  # pragma: no cover - a dependency
            found["pango"] = "unknown"
        found["zlib"] = zlib.ZLIB_RUNTIME_VERSION
        _ENVIRONMENT = found
    return dict(_ENVIRONMENT)


def _tree_digest(root: Path) -> str:
    lines = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        if path.is_file():
            lines.append(f"{file_sha256(path)}  {relative.as_posix()}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def build_key() -> BuildKey:
    """What besides the sources decides the bytes: the profile, the environment and
    ``SOURCE_DATE_EPOCH``. A publication is rebuilt when this differs from the catalogue's."""
    from vigil.archive.embed import source_date_epoch

    return {"profile": PROFILE, "environment": environment(),
            "source_date_epoch": source_date_epoch()}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def passed_checks(report: Report, sources_embedded: bool) -> list[str]:
    """The names of the archive checks the PDF passed (no finding of theirs at all)."""
    codes = {finding.code for finding in report.findings}
    passed = [name for name, failing in ARCHIVE_CHECKS if not failing & codes]
    return [*passed, SOURCES_CHECK] if sources_embedded else passed


# ---------------------------------------------------------------- one publication (a worker)


@dataclass(frozen=True)
class FolderTask:
    folder: str
    staging: str                      # the new bag's payload, before it is bagged
    scratch: str                      # where this export builds (the build cache lives there)
    previous: dict[str, CatalogueEntry]   # the previous catalogue's entries of this folder
    previous_data: str | None         # the previous bag's data/ folder
    options: BuildOptions = field(default_factory=lambda: archive_options())  # of each build


@dataclass(frozen=True)
class Outcome:
    """What happened to one PDF: ``built``, ``unchanged`` (kept from the previous bag, its
    sources unchanged), ``kept`` (its build failed: the previous bag's PDF stays) or
    ``failed``."""

    file: str
    status: str
    entry: CatalogueEntry | None = None
    error: str | None = None
    error_kind: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class FolderOutcome:
    folder: str
    outcomes: tuple[Outcome, ...]


def output_name(name: str, edition: str | None) -> str:
    """The archive PDF's file name, as ``vigil build --profile archive`` writes it."""
    from vigil.profiles import get_profile

    return f"{name}{get_profile(PROFILE).suffix}{f'.{edition}' if edition else ''}.pdf"


def export_folder(task: FolderTask) -> FolderOutcome:
    """Build (or keep) the archive PDFs of one publication folder and its translated editions.
    Runs in a worker process; a VigilError becomes a ``failed`` or ``kept`` outcome."""
    from vigil.read import read_publication

    folder = Path(task.folder)
    name = folder.resolve().name
    try:
        original = read_publication(folder)
    except VigilError as error:
        file = output_name(name, None)
        return FolderOutcome(task.folder, (_failed(task, file, error),))
    editions: list[str | None] = [None, *sorted(original.meta.translations)]
    outcomes = [_export_edition(task, folder, name, edition) for edition in editions]
    return FolderOutcome(task.folder, tuple(outcomes))


def _failed(task: FolderTask, file: str, error: VigilError, started: float | None = None,
            ) -> Outcome:
    seconds = time.perf_counter() - started if started else 0.0
    previous = task.previous.get(file)
    if previous is not None and _link_previous(task, previous):
        return Outcome(file, "kept", previous, str(error), error.kind, seconds)
    return Outcome(file, "failed", None, str(error), error.kind, seconds)


def _link_previous(task: FolderTask, entry: CatalogueEntry) -> bool:
    """Put the previous bag's PDF of ``entry`` into the new bag, if it is intact."""
    if task.previous_data is None:
        return False
    file = str(entry.get("file", ""))
    if Path(file).name != file or not file.endswith(".pdf"):
        return False
    old = Path(task.previous_data) / file
    try:
        if file_sha256(old) != entry.get("sha256"):
            return False
        link_or_copy(old, Path(task.staging) / file)
    except OSError:
        return False
    return True


def link_or_copy(source: Path, target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _export_edition(task: FolderTask, folder: Path, name: str, edition: str | None) -> Outcome:
    from vigil.pipeline import build
    from vigil.read import read_publication

    started = time.perf_counter()
    file = output_name(name, edition)
    try:
        publication = read_publication(folder, edition)
        previous = task.previous.get(file)
        key = build_key()
        if previous is not None and _unchanged(publication, previous, key) \
                and _link_previous(task, previous):
            return Outcome(file, "unchanged", previous, seconds=time.perf_counter() - started)
        result = build(folder, task.scratch, replace(task.options, language=edition))
        file = result.output.name
        target = Path(task.staging) / file
        os.replace(result.output, target)
        entry = _entry(publication, result.report, target, key)
    except VigilError as error:
        return _failed(task, file, error, started)
    return Outcome(file, "built", entry, seconds=time.perf_counter() - started)


def _unchanged(publication: Publication, entry: CatalogueEntry, key: BuildKey) -> bool:
    """Whether the recorded sources of ``entry`` are the publication's sources now."""
    from vigil.archive.embed import THEME_PREFIX, safe_name, source_files
    from vigil.compose.theme import theme_folders

    if entry.get("build") != json.loads(json.dumps(key)):
        return False
    recorded = (entry.get("sources") or {}).get("files")
    if not isinstance(recorded, dict) or not recorded:
        return False
    folder = publication.folder.resolve()
    folders = theme_folders(folder, publication.meta.theme, folder / "publication.yaml")
    theme = folders[-1].resolve()
    current = {f.name: f.path for f in source_files(publication, folders)}
    if not current.keys() <= recorded.keys():
        return False  # a file it reads now was not embedded last time
    prefix = f"{THEME_PREFIX}/{publication.meta.theme}/"
    for source, sha in recorded.items():
        path = current.get(source)
        if path is None:  # read while laying out (a Markdown image): find it by its name
            if not safe_name(source):
                return False
            root = theme if source.startswith(prefix) else folder
            path = (root / source.removeprefix(prefix) if root == theme
                    else folder / source).resolve()
            if not path.is_relative_to(root):
                return False
        try:
            if file_sha256(path) != sha:
                return False
        except OSError:
            return False
    return True


def _entry(publication: Publication, report: Report, pdf: Path,
           key: BuildKey) -> CatalogueEntry:
    """The catalogue entry of a PDF just built: what it is, what it passed, what it holds."""
    from vigil.archive.embed import (
        RELATIONSHIP,
        embedded_digest,
        pdfa_claim,
        read_archive_metadata,
        read_embedded,
    )
    from vigil.check.structure import open_pdf, quiet_pypdf

    data = pdf.read_bytes()
    with quiet_pypdf():
        reader = open_pdf(data, pdf)
        embedded = read_embedded(reader)
        facts = read_archive_metadata(reader)
    sources = {f.name: f.sha256 for f in embedded}
    digest = embedded_digest(embedded)
    sources_ok = bool(embedded) and all(f.relationship == RELATIONSHIP for f in embedded) \
        and facts is not None and facts.sources_sha256 == digest
    meta = publication.meta
    return {
        "file": pdf.name,
        "publication": publication.name,
        "edition": publication.edition,
        "title": meta.title,
        "subtitle": meta.subtitle,
        "kind": meta.kind,
        "date": meta.date.isoformat(),
        "language": meta.language,
        "organiser": meta.organiser,
        "description": meta.description,
        "keywords": list(meta.keywords),
        "pages": report.pages,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "pdfa": pdfa_claim(reader),
        "checks": {
            "profile": report.profile,
            "passed": passed_checks(report, sources_ok),
            "warnings": [_portable(text, publication.folder) for text in report.warnings],
        },
        "sources": {"sha256": digest, "files": sources},
        "build": key,
    }


def _portable(text: str, folder: Path) -> str:
    """A message without the folders' places on this machine (as in the PDF: names relative
    to the publication), so that the catalogue does not depend on where the sources were."""
    from vigil.errors import Location

    for root in {folder.absolute(), folder.resolve()}:
        text = text.replace(str(root) + os.sep, "").replace(str(root), folder.name)
        shown = str(Location(root))  # as messages show it: relative to the working folder
        if shown not in ("", "."):
            text = text.replace(shown + os.sep, "")
    return text


# ---------------------------------------------------------------- the whole export


@dataclass
class ExportResult:
    bag: Path
    outcomes: list[Outcome]
    entries: list[CatalogueEntry]
    seconds: float = 0.0
    bytes: int = 0
    jobs: int = 1
    notes: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("failed", "kept")]


def archive_options(base: BuildOptions | None = None) -> BuildOptions:
    """The options of an export's builds: ``base`` (its ``timeout``, ``strict``), with the
    archive profile, always built (``force``) and outside the build cache (``cached=False``:
    the scratch folder is thrown away); the language is each edition's."""
    base = base or BuildOptions(profile=PROFILE)
    if base.profile != PROFILE:
        raise VigilError(f"an export builds the {PROFILE} profile, not '{base.profile}'",
                         hint=f"Give BuildOptions(profile='{PROFILE}') or none")
    return replace(base, force=True, cached=False, language=None, impose=False)


def export(folders: Sequence[Path | str], to: Path | str, options: BuildOptions | None = None,
           *, jobs: int | None = None, organisation: str | None = None,
           date: dt.date | None = None, prune: bool = False,
           progress: Progress | None = None) -> ExportResult:
    """Export ``folders`` into the bag ``to`` (see the module's description), each edition
    built with ``options`` (see :func:`archive_options`: a ``timeout`` is the limit of one
    edition's build). ``jobs`` worker processes build publications. ``progress`` is called
    after each folder with its outcome, the folders done and the total."""
    started = time.perf_counter()
    options = archive_options(options)
    target = Path(to).absolute()
    paths = [Path(folder) for folder in folders]
    _refuse_duplicates(paths)
    jobs = max(1, jobs or default_jobs())
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target):
        _recover(target)
        previous = load_catalogue(target) if target.exists() else None
        staging = target.with_name(f".{target.name}.new-{os.getpid()}")
        scratch = target.with_name(f".{target.name}.work-{os.getpid()}")
        try:
            for folder in (staging, scratch):
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
            previous_entries = list(previous["publications"]) if previous else []
            previous_data = str(target / "data") if previous else None
            tasks = [
                FolderTask(
                    folder=str(path), staging=str(staging), scratch=str(scratch),
                    previous={str(e["file"]): e for e in previous_entries
                              if e.get("publication") == path.resolve().name},
                    previous_data=previous_data, options=options,
                )
                for path in paths
            ]
            results = list(_run(tasks, jobs, progress))
            outcomes = [outcome for result in results for outcome in result.outcomes]
            if not prune and previous is not None:
                produced = {outcome.file for outcome in outcomes}
                outcomes += _keep_others(previous_entries, produced, staging, previous_data)
            entries = sorted((o.entry for o in outcomes if o.entry is not None),
                             key=lambda entry: str(entry["file"]))
            if not entries:
                first = next((o for o in outcomes if o.error), None)
                raise VigilError(
                    "no publication could be exported" + (f": {first.error}" if first else ""),
                    hint="The previous bag, if any, was left as it was",
                )
            bag_date = date or _bag_date(entries)
            write_catalogue(staging, entries, bag_date, organisation)
            make_bag(staging, entries, bag_date, organisation)
            swap(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(scratch, ignore_errors=True)
    total = sum(int(entry["bytes"]) for entry in entries)
    return ExportResult(target, outcomes, entries, time.perf_counter() - started, total, jobs)


def _refuse_duplicates(paths: Sequence[Path]) -> None:
    names: dict[str, Path] = {}
    for path in paths:
        if not (path / "publication.yaml").is_file():
            raise VigilError(
                "not a publication folder (no publication.yaml)", location=Location(path),
                hint="Give folders that hold publication.yaml",
            )
        name = path.resolve().name
        if name in names and names[name] != path.resolve():
            raise VigilError(
                f"'{names[name]}' and '{path}' have the same name, '{name}', and would be the "
                "same file in the bag", hint="Rename one of the folders",
            )
        names[name] = path.resolve()


def _run(tasks: list[FolderTask], jobs: int,
         progress: Progress | None) -> Iterator[FolderOutcome]:
    """Export the folders here (one job, or one task) or in ``jobs`` worker processes."""
    return workers.run(export_folder, tasks, jobs, progress)


def _keep_others(entries: Iterable[CatalogueEntry], produced: set[str], staging: Path,
                 previous_data: str | None) -> list[Outcome]:
    """The previous bag's PDFs that this export did not make (publications not named, editions
    no longer translated) stay in the bag, if intact (else they are reported and left out)."""
    kept = []
    task = FolderTask("", str(staging), "", {}, previous_data)
    for entry in entries:
        if entry.get("file") in produced:
            continue
        file = str(entry["file"])
        if _link_previous(task, entry):
            kept.append(Outcome(file, "unchanged", entry))
        else:
            kept.append(Outcome(file, "failed", None, "the previous bag's copy is missing or "
                                "damaged, so it was left out of the new bag", "error"))
    return kept


def _bag_date(entries: Sequence[CatalogueEntry]) -> dt.date:
    from vigil.archive.embed import source_date_epoch

    epoch = source_date_epoch()
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return max(dt.date.fromisoformat(str(entry["date"])) for entry in entries)


def _organisations(entries: Sequence[CatalogueEntry], organisation: str | None) -> list[str]:
    if organisation:
        return [organisation]
    return sorted({str(e["organiser"]) for e in entries if e.get("organiser")})


# ---------------------------------------------------------------- catalogue and bag


def write_catalogue(folder: Path, entries: Sequence[CatalogueEntry], date: dt.date,
                    organisation: str | None) -> None:
    from vigil.publish import write_atomic

    catalogue: Catalogue = {
        "format": CATALOGUE_FORMAT,
        "version": CATALOGUE_VERSION,
        "date": date.isoformat(),
        "organisation": _organisations(entries, organisation),
        "publications": list(entries),
    }
    text = json.dumps(catalogue, ensure_ascii=False, indent=2) + "\n"
    write_atomic(folder / CATALOGUE_JSON, text.encode("utf-8"))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow([
            entry["file"], entry["title"], entry["date"], entry["language"],
            entry.get("edition") or "", entry.get("organiser") or "", entry["kind"],
            entry["pages"], entry["bytes"], entry["sha256"], entry.get("pdfa") or "",
            " ".join(entry["checks"]["passed"]), entry["sources"]["sha256"],
            entry["build"]["environment"].get("vigil", ""),
        ])
    write_atomic(folder / CATALOGUE_CSV, buffer.getvalue().encode("utf-8"))


def make_bag(folder: Path, entries: Sequence[CatalogueEntry], date: dt.date,
             organisation: str | None) -> None:
    """Turn ``folder`` into a bag: its files move to ``data/``; manifests are SHA-256."""
    import bagit

    logging.getLogger("bagit").setLevel(logging.WARNING)
    organisations = _organisations(entries, organisation)
    info: dict[str, str | list[str]] = {
        "Bagging-Date": date.isoformat(),
        "Bag-Software-Agent": f"vigil {__version__} (bagit.py {bagit.VERSION})",
        "External-Description": (
            f"{len(entries)} publication{'s' if len(entries) != 1 else ''} as PDF/A-3u, each "
            "carrying its sources as associated files, made with vigil; listed in "
            f"data/{CATALOGUE_JSON} and data/{CATALOGUE_CSV}"),
        "External-Identifier": "sha256:" + hashlib.sha256("".join(
            f"{e['sha256']}  {e['file']}\n" for e in entries).encode()).hexdigest(),
    }
    if organisations:
        info["Source-Organization"] = organisations
    try:
        bagit.make_bag(str(folder), info, processes=1, checksums=["sha256"])
    except (bagit.BagError, OSError, RuntimeError) as exc:
        raise OutputError(f"cannot make the bag ({exc})", location=Location(folder)) from None
    # bagit lists the tag files in the order of the folder listing: sort them, for
    # reproducible bags.
    tagmanifest = folder / "tagmanifest-sha256.txt"
    lines = sorted(tagmanifest.read_text(encoding="utf-8").splitlines(),
                   key=lambda line: line.split(" ", 1)[-1])
    tagmanifest.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def load_catalogue(bag: Path) -> Catalogue:
    """The catalogue of the vigil bag ``bag``; a VigilError if ``bag`` is not one (an empty
    folder is an empty catalogue: export may fill it)."""
    if bag.is_dir() and not any(bag.iterdir()):
        return {"publications": []}
    path = bag / "data" / CATALOGUE_JSON
    if not (bag / "bagit.txt").is_file() or not path.is_file():
        raise VigilError(
            f"'{bag}' is not a bag made by vigil export (no bagit.txt or data/{CATALOGUE_JSON})",
            location=Location(bag),
            hint="Give a new folder, or the folder of an earlier export; vigil replaces only "
                 "its own bags",
        )
    try:
        catalogue: JSON = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise VigilError(f"the catalogue cannot be read ({exc})", location=Location(path)) \
            from None
    publications = catalogue.get("publications") if isinstance(catalogue, dict) else None
    if not isinstance(catalogue, dict) or catalogue.get("format") != CATALOGUE_FORMAT or \
            not isinstance(publications, list) or not all(
                isinstance(e, dict) and isinstance(e.get("file"), str) for e in publications):
        raise VigilError("the catalogue is not a vigil archive catalogue",
                         location=Location(path))
    return cast(Catalogue, catalogue)  # its entries' other fields: see CatalogueEntry


# ---------------------------------------------------------------- swapping bags safely


@contextlib.contextmanager
def _lock(target: Path) -> Iterator[None]:
    """One export at a time into ``target`` (an advisory lock on ``.NAME.lock`` beside it)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path = target.with_name(f".{target.name}.lock")
    try:
        handle = path.open("a")
    except OSError as exc:
        raise OutputError(f"cannot write beside the bag ({exc.strerror})",
                          location=Location(target.parent)) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputError("another export into this bag is running",
                              location=Location(target)) from None
        yield


def _recover(target: Path) -> None:
    """Undo what an interrupted export left: a swap cut between its two renames (put the
    old bag back), staging and scratch folders."""
    old = target.with_name(f".{target.name}.old")
    if old.is_dir():
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(old, target)
    for leftover in target.parent.glob(f".{target.name}.new-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in target.parent.glob(f".{target.name}.work-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def swap(staging: Path, target: Path) -> None:
    """Put the bag ``staging`` in the place of ``target``: two renames in one folder."""
    old = target.with_name(f".{target.name}.old")
    _sync_tree(staging)
    try:
        if target.exists():
            os.rename(target, old)
        os.rename(staging, target)
    except OSError as exc:
        raise OutputError(f"cannot put the new bag in place ({exc.strerror})",
                          location=Location(target)) from None
    _sync(target.parent)
    shutil.rmtree(old, ignore_errors=True)


def _sync(path: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _sync_tree(root: Path) -> None:
    """Flush the new bag's files and folders to disk before it replaces the old one."""
    if sys.platform == "win32":  # pragma: no cover
        return
    for current, _, names in os.walk(root):
        for name in names:
            with contextlib.suppress(OSError), open(os.path.join(current, name), "rb") as f:
                os.fsync(f.fileno())
        _sync(Path(current))
