"""``vigil verify`` and ``vigil rebuild``: does an archive keep its promise?

:func:`rebuild` takes an archive PDF and a folder; it extracts the sources embedded in the PDF
(the publication under ``NAME/``, its theme under ``NAME/<theme>/`` where ``theme:`` finds it)
and builds them with the ``archive`` profile, with the ``SOURCE_DATE_EPOCH`` the PDF was made
with; gives a :class:`RebuildResult` that says whether the new PDF has the same bytes.

:func:`verify` takes a bag made by ``vigil export``; gives a :class:`VerifyResult` with the
problems of the bag (complete, checksums hold) and of each PDF (listed in the catalogue with its
checksum, passes the archive preflight, carries the sources the catalogue recorded, and rebuilds
from them to the same bytes), per file. The PDFs are checked in parallel processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vigil import workers
from vigil.errors import Location, OutputError, UnreadableError, VigilError
from vigil.pdf.objects import read_errors

if TYPE_CHECKING:
    from vigil.archive.export import CatalogueEntry

THEME_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


# ---------------------------------------------------------------- rebuild


@dataclass(frozen=True)
class RebuildResult:
    source: Path            # the PDF the sources came from
    folder: Path            # the publication folder they were extracted into
    output: Path            # the PDF built from them
    files: int              # how many files were extracted
    identical: bool         # the new PDF has the bytes of the old
    sha256: str             # of the new PDF
    expected_sha256: str    # of the old
    seconds: float


@dataclass(frozen=True)
class Extracted:
    folder: Path
    edition: str | None
    source_date_epoch: str | None
    files: int


def _read_pdf(pdf: Path) -> bytes:
    try:
        return pdf.read_bytes()
    except OSError as exc:
        raise UnreadableError(f"cannot read the file ({exc.strerror or exc})",
                              location=Location(pdf)) from None


def extract(pdf: Path, to: Path, data: bytes | None = None) -> Extracted:
    """Write the sources embedded in ``pdf`` below ``to``; the publication's folder must not
    exist yet (or be empty)."""
    from vigil.archive.embed import (
        RELATIONSHIP,
        THEME_PREFIX,
        read_archive_metadata,
        read_embedded,
        safe_name,
    )
    from vigil.check.structure import open_pdf, quiet_pypdf, unreadable

    data = _read_pdf(pdf) if data is None else data
    with quiet_pypdf():
        reader = open_pdf(data, pdf)
        try:
            embedded = [f for f in read_embedded(reader) if f.relationship == RELATIONSHIP]
            facts = read_archive_metadata(reader)
        except UnreadableError:
            raise
        except Exception as exc:  # pypdf raises many kinds of errors on damaged files
            raise unreadable(pdf, f"its embedded files cannot be read ({str(exc)[:160]})") \
                from None
    if not embedded or facts is None:
        raise VigilError(
            "the PDF carries no embedded sources of vigil (no associated files with "
            "relationship Source, or no vigil metadata): it cannot be rebuilt",
            location=Location(pdf),
            hint="Only PDFs made by 'vigil export' or 'vigil build --profile archive' can be "
                 "rebuilt",
        )
    if not safe_name(facts.publication) or "/" in facts.publication or \
            not THEME_NAME.match(facts.theme):
        raise VigilError("the PDF's metadata names an unusable publication or theme folder "
                         f"('{facts.publication}', '{facts.theme}')", location=Location(pdf))
    unsafe = [f.name for f in embedded if not safe_name(f.name)]
    if unsafe:
        raise VigilError(f"the PDF carries a file with an unsafe name ('{unsafe[0][:80]}'): "
                         "it is not extracted", location=Location(pdf))
    folder = to / facts.publication
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OutputError(
            "the folder exists and is not empty: rebuild does not overwrite files",
            location=Location(folder), hint="Give another folder with --to",
        )
    prefix = f"{THEME_PREFIX}/{facts.theme}/"
    try:
        for file in embedded:
            relative = (f"{facts.theme}/{file.name.removeprefix(prefix)}"
                        if file.name.startswith(prefix) else file.name)
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                raise OutputError(f"the PDF carries '{relative}' twice (as a source and in "
                                  "its theme)", location=Location(pdf))
            target.write_bytes(file.data)
    except OSError as exc:
        raise OutputError(f"cannot write the sources ({exc.strerror})",
                          location=Location(folder)) from None
    return Extracted(folder, facts.edition, facts.source_date_epoch, len(embedded))


@contextlib.contextmanager
def _source_date_epoch(value: str | None) -> Iterator[None]:
    """Build with the ``SOURCE_DATE_EPOCH`` the PDF was made with (or none)."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def rebuild(pdf: Path | str, to: Path | str) -> RebuildResult:
    """Extract the sources of ``pdf`` into ``to`` and build them with the archive profile."""
    from vigil.archive.export import PROFILE
    from vigil.options import BuildOptions
    from vigil.pipeline import build

    started = time.perf_counter()
    pdf, to = Path(pdf), Path(to)
    data = _read_pdf(pdf)
    extracted = extract(pdf, to, data)
    with _source_date_epoch(extracted.source_date_epoch):
        result = build(extracted.folder, to, BuildOptions(
            profile=PROFILE, language=extracted.edition, force=True, cached=False))
    new = hashlib.sha256(result.output.read_bytes()).hexdigest()
    old = hashlib.sha256(data).hexdigest()
    return RebuildResult(pdf, extracted.folder, result.output, extracted.files, new == old, new,
                         old, time.perf_counter() - started)


# ---------------------------------------------------------------- verify


@dataclass
class FileCheck:
    """The verdict on one file of the bag."""

    file: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rebuilt: bool | None = None   # rebuilt to the same bytes; None: not compared

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class VerifyResult:
    bag: Path
    problems: list[str]          # of the bag as a whole
    files: list[FileCheck]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and all(check.ok for check in self.files)


Progress = Callable[[FileCheck, int, int], None]


def verify(bag: Path | str, *, jobs: int | None = None, rebuild_pdfs: bool = True,
           progress: Progress | None = None) -> VerifyResult:
    """Verify the bag ``bag``; raises VigilError when it is not a bag at all."""
    from vigil.archive.export import file_sha256, load_catalogue
    from vigil.workers import default_jobs

    started = time.perf_counter()
    bag = Path(bag)
    checks: dict[str, FileCheck] = {}

    def check(name: str) -> FileCheck:
        return checks.setdefault(name, FileCheck(name))

    problems = _validate_bag(bag, check)
    data = bag / "data"
    try:
        entries: list[CatalogueEntry] = list(load_catalogue(bag)["publications"])
    except VigilError as error:
        problems.append(str(error))
        entries = []
    listed = {str(entry["file"]) for entry in entries}
    for path in sorted(data.glob("*.pdf")) if data.is_dir() else []:
        if path.name not in listed:
            check(path.name).problems.append("the PDF is not in the catalogue")
    tasks = []
    for entry in entries:
        name = str(entry["file"])
        path = data / name
        if Path(name).name != name or not path.is_file():
            check(name).problems.append("the catalogue lists it, but the bag has no such file")
            continue
        if file_sha256(path) != entry.get("sha256"):
            check(name).problems.append(
                "its SHA-256 is not the one the catalogue recorded: the file changed")
        tasks.append((str(path), entry, rebuild_pdfs))
    for found in _run(tasks, max(1, jobs or default_jobs()), progress):
        merged = check(found.file)
        merged.problems += found.problems
        merged.notes += found.notes
        merged.rebuilt = found.rebuilt
    files = sorted(checks.values(), key=lambda c: c.file)
    return VerifyResult(bag, problems, files, time.perf_counter() - started)


def _validate_bag(bag: Path, check: Callable[[str], FileCheck]) -> list[str]:
    """The bag's own checks (bagit): a VigilError if it is not a bag; else the problems."""
    if not bag.is_dir():
        raise VigilError("no such folder" if not bag.exists() else "not a folder",
                         location=Location(bag), hint="Give the folder of a bag made by "
                         "'vigil export'")
    if not (bag / "bagit.txt").is_file():
        raise VigilError(
            "the folder is not a BagIt bag (it has no bagit.txt)", location=Location(bag),
            hint="Give the folder of a bag made by 'vigil export'",
        )
    import logging

    import bagit

    logging.getLogger("bagit").setLevel(logging.CRITICAL)
    try:
        opened = bagit.Bag(str(bag))
    except (bagit.BagError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise VigilError(f"the folder is not a valid BagIt bag ({exc})",
                         location=Location(bag)) from None
    problems: list[str] = []
    try:
        opened.validate(processes=1)
    except bagit.BagValidationError as exc:
        details = list(exc.details or [])
        for detail in details:
            path = str(getattr(detail, "path", ""))
            name = path.removeprefix("data/")
            if isinstance(detail, bagit.ChecksumMismatch):
                check(name).problems.append(
                    "its checksum does not match the bag's manifest: the file changed")
            elif isinstance(detail, bagit.FileMissing):
                check(name).problems.append("the bag's manifest lists it, but it is missing")
            elif isinstance(detail, bagit.UnexpectedFile):
                check(name).problems.append("the file is not in the bag's manifest")
            else:
                problems.append(str(detail))
        if not details:
            problems.append(f"the bag is not valid: {exc.message}")
    except (bagit.BagError, OSError) as exc:
        problems.append(f"the bag cannot be validated: {exc}")
    return problems


def verify_file(path_text: str, entry: CatalogueEntry, rebuild_pdf: bool) -> FileCheck:
    """Preflight, embedded sources and rebuild of one PDF of the bag (in a worker)."""
    from vigil.archive.embed import embedded_digest, read_embedded
    from vigil.archive.export import environment
    from vigil.check import check_file
    from vigil.check.structure import open_pdf, quiet_pypdf

    path = Path(path_text)
    found = FileCheck(path.name)
    try:
        report = check_file(path, "archive")
    except VigilError as error:
        found.problems.append(f"it cannot be read: {error}")
        return found
    if report.errors:
        shown = "; ".join(report.errors[:3])
        found.problems.append(f"it fails the archive preflight: {shown}")
    damaged: tuple[type[BaseException], ...] = (UnreadableError, *read_errors())
    try:
        with quiet_pypdf():
            embedded = read_embedded(open_pdf(path.read_bytes(), path))
    except damaged as exc:  # damaged embedded files
        found.problems.append(f"its embedded sources cannot be read ({str(exc)[:160]})")
        return found
    recorded = (entry.get("sources") or {}).get("sha256")
    if embedded_digest(embedded) != recorded:
        found.problems.append("its embedded sources are not the ones the catalogue recorded")
    if not rebuild_pdf:
        return found
    made_with = (entry.get("build") or {}).get("environment") or {}
    here = environment()
    differ = sorted(k for k in set(made_with) | set(here) if made_with.get(k) != here.get(k))
    with tempfile.TemporaryDirectory(prefix="vigil-verify-") as scratch:
        try:
            result = rebuild(path, Path(scratch))
        except VigilError as error:
            found.problems.append(f"it does not rebuild from its embedded sources: {error}")
            found.rebuilt = False
            return found
    found.rebuilt = result.identical
    if result.identical:
        return found
    if differ:  # other versions may lay out or write differently: not the archive's fault
        found.notes.append(
            "rebuilt with other versions of " + ", ".join(differ[:6]) + " than made it, it has "
            "other bytes; rebuild it where those versions are installed to compare")
        return found
    found.problems.append(
        "rebuilt from its embedded sources, it has other bytes (SHA-256 "
        f"{result.sha256[:16]}…, not {result.expected_sha256[:16]}…)")
    return found


def _verify_task(task: tuple[str, CatalogueEntry, bool]) -> FileCheck:
    return verify_file(*task)


def _run(tasks: Sequence[tuple[str, CatalogueEntry, bool]], jobs: int,
         progress: Progress | None) -> Iterator[FileCheck]:
    return workers.run(_verify_task, tasks, jobs, progress)
