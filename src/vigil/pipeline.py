"""The pipeline: the only module that knows all six stages and runs them in order.

Takes a publication folder (and where to write, and a profile name); gives a
:class:`BuildResult` with the written PDF's path, pages, size, time and the check report.
read → compose → typeset → assemble → check → publish.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vigil.check import Report
from vigil.errors import Location, RenderError, ResourceError, VigilError
from vigil.profiles import get_profile
from vigil.resources import content_dir


@dataclass(frozen=True)
class BuildResult:
    publication: str
    output: Path
    pages: int
    bytes: int
    seconds: float
    report: Report
    notes: tuple[str, ...] = ()
    imposed: Path | None = None


def build(folder: Path | str, output_dir: Path | str = "output",
          profile: str = "screen", impose: bool = False) -> BuildResult:
    """Build the publication in ``folder`` into ``output_dir/<folder name>.pdf``
    (``<name>-print.pdf`` for print; with ``impose``, also ``<name>-print-imposed.pdf``, its
    sheets for saddle stitching, on the sheet and with the creep of its ``print:`` settings)."""
    from vigil.assemble import assemble
    from vigil.check import check_pdf
    from vigil.compose import compose_html
    from vigil.publish import write_atomic
    from vigil.read import read_publication
    from vigil.typeset import typeset

    started = time.perf_counter()
    chosen = get_profile(profile)
    publication = read_publication(Path(folder))
    composed = compose_html(publication, chosen)
    try:
        pages = typeset(composed, chosen)
    except VigilError as error:
        if error.location.file is None:
            # Resources requested during layout come from templates, stylesheets or SVG files.
            error.location = Location(
                composed.theme_folders[0] if isinstance(error, ResourceError)
                else publication.folder
            )
        raise
    assembled = assemble(pages, publication, chosen)
    pdf = assembled.pdf
    report = check_pdf(pdf, publication.meta.page.millimetres)
    report.warnings[:0] = publication.warnings
    if not chosen.for_print:
        # On screen a viewer substitutes an unembedded standard font (typically in an
        # insert); a print shop cannot, so only print keeps it an error.
        unembedded = [e for e in report.errors if e.endswith("is not embedded")]
        report.errors = [e for e in report.errors if e not in unembedded]
        report.warnings.extend(unembedded)
    if report.errors:
        raise RenderError(
            f"the PDF of '{publication.name}' failed its checks: " + "; ".join(report.errors[:5]),
            hint="The previous PDF, if any, was left as it was",
        )
    notes = list(assembled.notes)
    imposed_target = None
    imposed = None
    if impose:
        if not chosen.for_print:
            raise VigilError("imposition needs the print profile", hint="Add --profile print")
        from vigil.assemble.impose import impose as impose_pdf

        settings = publication.meta.print
        imposed = impose_pdf(pdf, settings.sheet, settings.creep, settings.marks)
        plural = "s" if imposed.sheets > 1 else ""
        notes += [f"imposed on {imposed.sheets} sheet{plural}", *imposed.notes]
        imposed_target = Path(output_dir) / f"{publication.name}{chosen.suffix}-imposed.pdf"
    target = Path(output_dir) / f"{publication.name}{chosen.suffix}.pdf"
    write_atomic(target, pdf)
    if imposed is not None and imposed_target is not None:
        write_atomic(imposed_target, imposed.pdf)
    return BuildResult(
        publication=publication.name, output=target, pages=report.pages, bytes=len(pdf),
        seconds=time.perf_counter() - started, report=report, notes=tuple(notes),
        imposed=imposed_target,
    )


def find_publications(root: Path | None = None) -> list[Path]:
    """Every folder of ``root`` (default: ``./content``, else vigil's samples) with a manifest."""
    if root is None:
        local = Path("content")
        root = local if local.is_dir() else content_dir()
    if not root.is_dir():
        raise VigilError(
            f"no publications given and no folder '{root}'",
            hint="Name a publication folder: vigil build PATH",
        )
    found = sorted(p for p in root.iterdir() if (p / "publication.yaml").is_file())
    if not found:
        raise VigilError(f"no publication folders (with publication.yaml) in '{root}'")
    return found


def build_many(
    folders: Iterable[Path], output_dir: Path | str = "output", profile: str = "screen",
    impose: bool = False,
) -> Iterator[BuildResult | VigilError]:
    """Build each folder in turn in this process (fonts stay loaded); yield results or errors.

    Two folders with the same name would write the same output file: that is refused first.
    """
    folders = list(folders)
    names: dict[str, Path] = {}
    for folder in folders:
        name = Path(folder).resolve().name
        if name == "publication.yaml":
            name = Path(folder).resolve().parent.name
        if name in names and names[name] != Path(folder).resolve():
            raise VigilError(
                f"'{names[name]}' and '{folder}' would both be written to {name}.pdf",
                hint="Build them into different output folders (-o), or rename one",
            )
        names[name] = Path(folder).resolve()
    for folder in folders:
        try:
            yield build(folder, output_dir, profile, impose)
        except VigilError as error:
            yield error
