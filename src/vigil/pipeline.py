"""The pipeline: the only module that knows all six stages and runs them in order.

Takes a publication folder, where to write and the :class:`~vigil.options.BuildOptions`; gives a
:class:`~vigil.result.BuildResult` with the written PDF's path, pages, size, time and the check
report. read → compose → typeset → assemble → check → publish.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from vigil.cache import BuildCache
from vigil.errors import Location, RenderError, ResourceError, VigilError
from vigil.options import BuildOptions
from vigil.profiles import Profile, get_profile
from vigil.result import BuildResult

if TYPE_CHECKING:
    from vigil.read import Publication

__all__ = ["BuildOptions", "BuildResult", "build", "build_many", "find_publications"]

# Told how far the layout is: parts laid out, and parts to lay out.
Progress = Callable[[int, int], None]


def build(folder: Path | str, output_dir: Path | str = "output",
          options: BuildOptions | str | None = None, *,
          progress: Progress | None = None, **legacy: object) -> BuildResult:
    """Build the publication in ``folder`` into ``output_dir/<folder name>.pdf``, as
    ``options`` ask (default: ``BuildOptions()``, the screen profile).

    (The options given one by one, ``build(folder, out, "print", impose=True)``, as before
    :class:`~vigil.options.BuildOptions`, still work but are deprecated: a DeprecationWarning
    says so.)

    ``<name>-print.pdf`` for print; with ``impose``, also ``<name>-print-imposed.pdf``, its
    sheets for saddle stitching, on the sheet and with the creep of its ``print:`` settings.
    With ``language`` (other than its own), its translated edition: ``<name>.ru.pdf``,
    ``<name>-print.ru.pdf``, ``<name>-print-imposed.ru.pdf``.

    If nothing the build depends on changed since the last build into ``output_dir`` and the
    PDF written then is intact, that PDF is reused (``unchanged``), unless ``force``.

    The sections are laid out one by one, in up to ``jobs`` processes (default: one per core),
    and kept in vigil's cache so that a change lays out again only what it changed (see
    vigil.typeset.sections); ``whole`` lays the document out in one piece, in this process, as
    the archive profile always does.

    The build cache and the laid-out sections live in ``cache_dir`` (default: the
    ``VIGIL_CACHE_DIR`` environment variable, else the user's cache folder; see
    vigil.usercache), never in ``output_dir``. ``cached=False`` neither reads nor writes them
    (a build into a scratch folder that is thrown away).

    With ``timeout`` (seconds), a build that takes longer is stopped, its worker processes
    with it, and a RenderError raised; what it had written before stays as it was.
    ``progress(done, total)`` is told after each part of the document laid out."""
    options = _options(options, legacy)
    limit = options.time_limit
    if limit is None:
        return _build_cached(folder, output_dir, options, progress)
    from vigil.limits import TimeLimitExceeded, time_limit

    try:
        with time_limit(limit):
            return _build_cached(folder, output_dir, options, progress)
    except TimeLimitExceeded:
        from vigil import workers

        workers.stop()
        raise RenderError(
            f"the build took longer than {limit:g} s and was stopped; its PDF was not "
            "written (the one from before, if any, is left as it was)",
            location=Location(Path(folder)),
            hint="Give it more time with --timeout SECONDS (0 for no limit), or look for "
                 "what makes it so long: a huge table or list, a template loop",
        ) from None


def _options(options: BuildOptions | str | None, legacy: dict[str, object]) -> BuildOptions:
    """The options of a call of :func:`build` or :func:`build_many`: ``options``, or made from
    a profile name and keyword arguments of the old style (with a DeprecationWarning)."""
    if isinstance(options, BuildOptions) and not legacy:
        return options
    if options is None and not legacy:
        return BuildOptions()
    if options is not None and not isinstance(options, str):
        raise TypeError("build() takes its options as one vigil.options.BuildOptions: "
                        "build(folder, output_dir, BuildOptions(profile=...)), "
                        f"not {type(options).__name__}" + (" and keywords" if legacy else ""))
    names = {field.name for field in dataclasses.fields(BuildOptions)}
    unknown = sorted(legacy.keys() - names)
    if unknown:
        raise TypeError(f"build() got an unexpected keyword argument '{unknown[0]}'")
    if options is not None:
        if "profile" in legacy:
            raise TypeError("build() got multiple values for argument 'profile'")
        legacy = {"profile": options, **legacy}
    import warnings

    warnings.warn("giving vigil.build() its options one by one is deprecated: give "
                  "vigil.build(folder, output_dir, vigil.options.BuildOptions(...))",
                  DeprecationWarning, stacklevel=3)
    make: Callable[..., BuildOptions] = BuildOptions  # validates each value, as always
    return make(**legacy)


def _build_cached(folder: Path | str, output_dir: Path | str, options: BuildOptions,
                  progress: Progress | None) -> BuildResult:
    """The build, or the build cache's answer (see :func:`build`)."""
    started = time.perf_counter()
    cache = BuildCache(folder, output_dir, options) if options.cached else None
    reused = cache.reuse(options.force) if cache is not None else None
    if reused is not None:
        return BuildResult(
            publication=reused.publication, output=reused.output, pages=reused.pages,
            bytes=reused.bytes, seconds=time.perf_counter() - started, report=reused.report,
            notes=reused.notes, imposed=reused.imposed, unchanged=True,
        )
    return _build(folder, output_dir, options, started, cache, progress)


def _build(folder: Path | str, output_dir: Path | str, options: BuildOptions, started: float,
           cache: BuildCache | None, progress: Progress | None = None) -> BuildResult:
    chosen = get_profile(options.profile)
    strict, jobs = options.strict, options.jobs
    if not options.whole and not chosen.embed_sources:
        from vigil.typeset.layout import WORKERS
        from vigil.workers import prestart

        # Worker processes are started (WeasyPrint imported) while this process imports,
        # reads, composes and checks.
        prestart(jobs, WORKERS)
    # What is needed only after layout (pypdf, above all) is imported then: the first chunks
    # reach the workers sooner.
    from vigil.check import check_sources, failure
    from vigil.compose import compose_html
    from vigil.read import read_publication

    publication = read_publication(Path(folder), options.language)
    edition = f".{publication.edition}" if publication.edition else ""
    composed = compose_html(publication, chosen)
    preflight = check_sources(publication, composed, chosen, strict)
    if preflight.failed:  # before layout: a character in no font can make it take a minute
        raise failure(publication.name, preflight.findings)
    composed_notes: list[str] = []
    embed = None
    if chosen.embed_sources:  # archive: the sources ride along inside the PDF (PDF/A-3)
        from vigil.typeset.embed import embedding

        embed = embedding(publication, composed, chosen)
    from vigil.typeset import Layout, WholeLayoutNeeded
    from vigil.typeset.sections import typeset_anywhere, typeset_sections

    def located(lay_out: Callable[[], Layout]) -> Layout:
        try:
            return lay_out()
        except VigilError as error:
            if error.location.file is None:
                # Resources requested during layout come from templates, stylesheets or SVG
                # files.
                error.location = Location(
                    composed.theme_folders[0] if isinstance(error, ResourceError)
                    else publication.folder
                )
            raise

    def whole_layout() -> Layout:  # by a worker, if there are
        return located(lambda: typeset_anywhere(composed, chosen, embed))

    pages: Layout | None = None
    if embed is None and not options.whole:
        try:
            pages = located(lambda: typeset_sections(
                composed, chosen, cache.folder_cache if cache is not None else None, jobs,
                name=f"{publication.name}{edition}", progress=progress))
        except WholeLayoutNeeded as needed:  # the theme or the document cannot be cut
            if not needed.expected:
                composed_notes.append(needed.note)
    if pages is None:
        pages = whole_layout()
    from vigil.assemble import assemble
    from vigil.check import check_build
    from vigil.publish import write_atomic

    try:
        assembled = assemble(pages, publication, chosen)
    except WholeLayoutNeeded as needed:  # pypdf could not join the sections: laid out whole
        composed_notes.append(needed.note)
        pages = whole_layout()
        assembled = assemble(pages, publication, chosen)
    pdf = assembled.pdf
    # On screen an unembedded standard font (typically in an insert) is a warning; a print
    # shop cannot substitute it, so print keeps it an error (see vigil.check.expectations).
    report = check_build(pdf, publication, chosen, preflight, pages, strict,
                         parsed=assembled.objects)
    if not report.ok:
        raise failure(publication.name, report.findings)
    notes = [*composed.notes, *composed_notes, *pages.notes, *assembled.notes]
    imposed_target = None
    imposed = None
    if options.impose:  # with the print profile (BuildOptions says so when made)
        from vigil.assemble.impose import impose as impose_pdf

        settings = publication.meta.print
        try:
            imposed = impose_pdf(pdf, settings.sheet, settings.creep, settings.marks,
                                 title=publication.meta.title)
        except VigilError as error:  # a sheet too small: its print: settings chose it
            if error.location.file is None:
                error.location = Location(publication.folder / "publication.yaml")
            raise
        plural = "s" if imposed.sheets > 1 else ""
        size = f"{imposed.sheet_mm[0]:g}×{imposed.sheet_mm[1]:g} mm"
        notes += [f"imposed on {imposed.sheets} sheet{plural} of {imposed.sheet} ({size})",
                  *imposed.notes]
        imposed_name = f"{publication.name}{chosen.suffix}-imposed{edition}.pdf"
        imposed_target = Path(output_dir) / imposed_name
    target = Path(output_dir) / f"{publication.name}{chosen.suffix}{edition}.pdf"
    write_atomic(target, pdf)
    if imposed is not None and imposed_target is not None:
        write_atomic(imposed_target, imposed.pdf)
    copies_written: list[Path] = []
    if publication.variants and not edition and not chosen.embed_sources:
        copy_notes, copies_written = _build_copies(
            publication, chosen, pdf, report.pages, strict, Path(output_dir))
        notes += copy_notes
    elif publication.variants and not chosen.embed_sources:
        notes.append("personalised copies are made for the original language only")
    result = BuildResult(
        publication=publication.name, output=target, pages=report.pages, bytes=len(pdf),
        seconds=time.perf_counter() - started, report=report, notes=tuple(notes),
        imposed=imposed_target,
    )
    if cache is not None:
        cache.store(result, publication.sources, composed.theme_folders, also=copies_written)
    return result


def _build_copies(publication: Publication, profile: Profile, base: bytes, pages: int,
                  strict: bool,
                  output_dir: Path) -> tuple[list[str], list[Path]]:
    """One PDF per row of the variants CSV, beside the publication's own PDF (``base``, built
    and checked in full): each copy is ``base`` with the copy's lines drawn over its cover and
    back cover, the lines of all copies typeset together in one small document, each copy
    written as an incremental update of ``base`` (see vigil.assemble.copies).
    Writes an index of the copies (CSV). Gives notes for the summary and the files written."""
    import csv
    import hashlib
    import io

    from vigil.assemble.copies import copies
    from vigil.check import check_sources, failure
    from vigil.compose import compose_html
    from vigil.publish import write_atomic
    from vigil.typeset.sections import typeset_anywhere

    variants = publication.variants
    settings = publication.meta.variants
    if not variants or settings is None:  # copies come only from a variants: CSV
        return [], []
    composed = compose_html(publication, profile, copies=variants)
    preflight = check_sources(publication, composed, profile, strict)
    if preflight.failed:  # a character of a CSV value in no font
        raise failure(publication.name, preflight.findings)
    lines = typeset_anywhere(composed, profile).parts[0].pdf  # laid out whole: one part
    csv_path = publication.folder / settings.csv
    outputs = list(zip(variants, copies(base, lines, variants, csv_path), strict=True))
    index = io.StringIO()
    columns = list(variants[0].fields)
    writer = csv.writer(index, lineterminator="\n")
    writer.writerow(["file", "csv_line", *columns, "pages", "sha256"])
    written = []
    for variant, pdf in outputs:
        name = f"{variant.stem}{profile.suffix}.pdf"
        written.append(write_atomic(output_dir / name, pdf))
        writer.writerow([name, variant.line, *(variant.fields.get(c, "") for c in columns),
                         pages, hashlib.sha256(pdf).hexdigest()])
    listing = output_dir / f"{publication.name}{profile.suffix}-copies.csv"
    write_atomic(listing, index.getvalue().encode("utf-8"))
    note = (f"{len(outputs)} personalised copies ({outputs[0][0].stem}{profile.suffix}.pdf ...), "
            f"listed in {listing}")
    return [note], [*written, listing]


def find_publications(root: Path | None = None) -> list[Path]:
    """Every folder of ``root`` (default: ``content`` in the working folder, where a checkout of
    vigil keeps its samples) with a manifest."""
    if root is None:
        root = Path("content")
    if not root.is_dir():
        raise VigilError(
            f"no publications given and no folder '{root}' in {Path.cwd()}",
            hint="Name a publication folder (vigil build PATH), or run vigil where a "
                 "'content' folder holds your publications; vigil new booklet NAME starts one",
        )
    found = sorted(p for p in root.iterdir() if (p / "publication.yaml").is_file())
    if not found:
        raise VigilError(f"no publication folders (with publication.yaml) in '{root}'")
    return found


def build_many(
    folders: Iterable[Path], output_dir: Path | str = "output",
    options: BuildOptions | str | None = None, *,
    progress: Callable[[str, int, int], None] | None = None, **legacy: object,
) -> Iterator[BuildResult | VigilError]:
    """Build each folder in turn in this process (fonts stay loaded), each as ``options`` ask;
    yield results or errors. ``progress(name, done, total)`` is told how far each is. (The
    options one by one are deprecated, as for :func:`build`.)

    Two folders with the same name would write the same output file: that is refused first.
    """
    options = _options(options, legacy)
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
    names_of = {folder: name for name, path in names.items() for folder in folders
                if Path(folder).resolve() == path}
    for folder in folders:
        try:
            told = None if progress is None else functools.partial(progress, names_of[folder])
            yield build(folder, output_dir, options, progress=told)
        except VigilError as error:
            yield error
