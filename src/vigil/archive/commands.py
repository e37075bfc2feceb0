"""The archive's commands, ``vigil export``, ``vigil verify`` and ``vigil rebuild``, added to
the ``vigil`` group by :mod:`vigil.cli`.

Thin like the rest of the CLI: parse options, call :mod:`vigil.archive.export` or
:mod:`vigil.archive.verify`, print results. A progress bar (rich, imported only here and only
when standard error is a terminal) runs over the publications; ``--quiet`` silences it and the
per-file lines, leaving errors and the summary. Exit codes: 0 success, 1 a publication failed or
the bag does not verify (with one paragraph each), 2 an unreadable file or a wrong option.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import click

from vigil.cacheoption import cache_dir_option
from vigil.errors import VigilError


def _fail(error: VigilError, debug: bool) -> NoReturn:
    if debug:
        raise error
    click.echo(f"vigil: {error.kind}: {error}", err=True)
    sys.exit(error.exit_code)


def _internal(error: Exception, debug: bool, what: str) -> NoReturn:
    """An error that is vigil's fault: still one paragraph, unless --debug."""
    if debug:
        raise error
    click.echo(f"vigil: internal error: {what} stopped ({type(error).__name__}: {error}). "
               "Run with --debug for the details and report it.", err=True)
    sys.exit(1)


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KiB"
    return f"{count / 2**20:.1f} MiB"


@contextlib.contextmanager
def _bar(total: int, description: str, quiet: bool) -> Iterator[Callable[[], None]]:
    """A rich progress bar on standard error (none when quiet or not a terminal); yields a
    function that advances it."""
    if quiet or total < 1 or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task(description, total=total)
    with progress:
        yield lambda: progress.advance(task)


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"'{text}' is not a date written as YYYY-MM-DD",
                                 param_hint="--date") from None


@click.command("export")
@click.argument("publications", nargs=-1, type=click.Path(path_type=Path))
@click.option("--to", "to", type=click.Path(path_type=Path), required=True,
              help="The bag's folder: created, or updated if it holds an earlier export.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes building publications [default: the number of cores].")
@click.option("--organisation", "--organization", "organisation", default=None,
              help="Source-Organization of bag-info.txt [default: the publications' "
                   "organisers].")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", default=None,
              help="Bagging-Date of bag-info.txt [default: SOURCE_DATE_EPOCH, else the latest "
                   "publication date; never the clock, so that exports are reproducible].")
@click.option("--prune", is_flag=True,
              help="Drop publications of the earlier export that are not exported now "
                   "[default: they stay in the bag].")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress bar and no line per file: only errors and the summary.")
@cache_dir_option
@click.option("--timeout", type=click.FloatRange(min=0), default=600.0, show_default=True,
              metavar="SECONDS",
              help="Stop the build of an edition that takes longer (it fails; the previous "
                   "PDF stays in the bag). 0: no limit.")
@click.pass_context
def export_command(ctx: click.Context, publications: tuple[Path, ...], to: Path,
                   jobs: int | None, organisation: str | None, date_text: str | None,
                   prune: bool, quiet: bool, timeout: float) -> None:
    """Export PUBLICATIONS as an archive: a BagIt bag in the folder --to holding each
    publication (and each translated edition) as PDF/A-3u with its sources embedded, and a
    catalogue (data/catalogue.json, data/catalogue.csv).

    With no folder given, exports every publication under ./content. Publications whose
    sources did not change since the last export into the same bag are not rebuilt. The new
    bag replaces the old one only when complete. Exits 1 if any publication failed.
    """
    from vigil.archive.export import FolderOutcome, export
    from vigil.options import BuildOptions
    from vigil.pipeline import find_publications

    debug = ctx.obj["debug"]
    bag_date = _date(date_text)
    try:
        folders = list(publications) or find_publications()
    except VigilError as error:
        _fail(error, debug)

    with _bar(len(folders), "Exporting", quiet) as advance:
        def report(result: FolderOutcome, done: int, total: int) -> None:
            for outcome in result.outcomes:
                if outcome.error:
                    kept = " The previous PDF stays in the bag." if outcome.status == "kept" \
                        else ""
                    click.echo(f"vigil: {outcome.error_kind}: {outcome.error}{kept}", err=True)
                elif not quiet and outcome.entry is not None:
                    entry = outcome.entry
                    click.echo(f"{outcome.status:<9}  {outcome.file}  {entry['pages']} pages  "
                               f"{_size(int(entry['bytes']))}"
                               + (f"  {outcome.seconds:.1f} s" if outcome.status == "built"
                                  else ""))
            advance()

        try:
            options = BuildOptions(profile="archive",
                                   timeout=timeout if 0 < timeout < float("inf") else None)
            result = export(folders, to, options, jobs=jobs, organisation=organisation,
                            date=bag_date, prune=prune, progress=report)
        except VigilError as error:
            _fail(error, debug)
        except Exception as error:  # a bug: the previous bag is untouched all the same
            _internal(error, debug, "the export")
    counts = [f"{result.count(status)} {status}" for status in ("built", "unchanged", "kept",
                                                                 "failed")
              if result.count(status)]
    click.echo(f"{result.bag}: {len(result.entries)} PDF{'s' if len(result.entries) != 1 else ''}"
               f" ({', '.join(counts)}), {_size(result.bytes)}, {result.seconds:.1f} s, "
               f"{result.jobs} job{'s' if result.jobs != 1 else ''}")
    if result.failures:
        click.echo(f"vigil: {len(result.failures)} of {len(result.outcomes)} PDFs failed to "
                   "build", err=True)
        sys.exit(1)


@click.command("verify")
@click.argument("bag", type=click.Path(path_type=Path))
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes checking PDFs [default: the number of cores].")
@click.option("--no-rebuild", is_flag=True,
              help="Skip rebuilding each PDF from its embedded sources (much faster).")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress bar and no line per good file: only problems and the summary.")
@cache_dir_option
@click.pass_context
def verify_command(ctx: click.Context, bag: Path, jobs: int | None, no_rebuild: bool,
                   quiet: bool) -> None:
    """Verify the bag BAG made by vigil export: it is complete and its checksums hold; every
    PDF is in the catalogue, passes the archive preflight, carries the sources the catalogue
    recorded, and rebuilds from them to the same bytes.

    Prints one line per file, then a summary. Exits 0 when everything holds, 1 otherwise.
    """
    from vigil.archive.verify import FileCheck, verify

    debug = ctx.obj["debug"]
    try:
        from vigil.archive.export import load_catalogue

        total = len(load_catalogue(bag)["publications"]) if bag.is_dir() else 0
    except VigilError:
        total = 0
    with _bar(total, "Verifying", quiet) as advance:
        def report(found: FileCheck, done: int, count: int) -> None:
            advance()

        try:
            result = verify(bag, jobs=jobs, rebuild_pdfs=not no_rebuild, progress=report)
        except VigilError as error:
            _fail(error, debug)
        except Exception as error:
            _internal(error, debug, "the verification")
    for problem in result.problems:
        click.echo(f"vigil: bag: {problem}", err=True)
    for found in result.files:
        for problem in found.problems:
            click.echo(f"vigil: {found.file}: {problem}", err=True)
        if not quiet and found.ok:
            what = {True: "rebuilt to the same bytes", False: "rebuilt to other bytes",
                    None: "checked"}[found.rebuilt]
            click.echo(f"ok  {found.file}  ({what})")
        if not quiet:
            for note in found.notes:
                click.echo(f"  note: {note}")
    bad = sum(not found.ok for found in result.files)
    verdict = "verified" if result.ok else (
        f"{bad} of {len(result.files)} files with problems" if bad else "the bag has problems")
    click.echo(f"{result.bag}: {len(result.files)} files, {verdict} ({result.seconds:.1f} s)")
    sys.exit(0 if result.ok else 1)


@click.command("rebuild")
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--to", "to", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Where to extract the sources (as NAME/) and write the rebuilt PDF.")
@click.pass_context
def rebuild_command(ctx: click.Context, pdf: Path, to: Path) -> None:
    """Extract the sources embedded in PDF (made by vigil export or build --profile archive)
    into the folder --to and build them again.

    Writes --to/NAME/ (the publication, its theme as NAME/THEME/) and --to/NAME-archive.pdf,
    and says whether the new PDF has the same bytes as PDF. Exits 1 for a PDF without
    embedded sources, 2 for a file that cannot be read.
    """
    from vigil.archive.verify import rebuild

    debug = ctx.obj["debug"]
    try:
        if not pdf.is_file():
            from vigil.errors import Location, UnreadableError

            raise UnreadableError("no such file", location=Location(pdf))
        result = rebuild(pdf, to)
    except VigilError as error:
        _fail(error, debug)
    except Exception as error:
        _internal(error, debug, "the rebuild")
    click.echo(f"{result.folder}/  {result.files} source files")
    verdict = "the same bytes as" if result.identical else "other bytes than"
    click.echo(f"{result.output}  {verdict} {pdf}  ({result.seconds:.1f} s)")
