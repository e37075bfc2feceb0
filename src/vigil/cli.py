"""The ``vigil`` command: parse options, call the library, print results.

Takes command-line arguments; gives exit code 0 on success, 1 when a build or check failed
(with a one-paragraph message), 2 for misuse. Heavy libraries are imported only inside the
commands, so ``vigil --help`` answers at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from vigil import __version__
from vigil.cacheoption import cache_dir_option
from vigil.errors import Location, VigilError

_program = False  # this process is the vigil program (see run)


def _fail(error: VigilError, debug: bool) -> NoReturn:
    if debug:
        raise error
    click.echo(f"vigil: {error.kind}: {error}", err=True)
    sys.exit(error.exit_code)


# A build that takes longer than this (seconds) is stopped: see --timeout.
BUILD_SECONDS = 600.0


class _FiniteRange(click.FloatRange):
    """A number in a range, never NaN or infinite (NaN passes every comparison)."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        import math

        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            bounds = " and ".join(text for text in (
                f">= {self.min:g}" if self.min is not None else "",
                f"<= {self.max:g}" if self.max is not None else "") if text)
            self.fail(f"{value!r} is not a number{' ' + bounds if bounds else ''}", param, ctx)
        return float(number)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="vigil")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Build commemorative publications (memorial booklets, event programmes) as PDF from YAML
    and Markdown.

    \b
    Start with:  vigil new booklet my-booklet
    Then:        vigil build my-booklet      (writes output/my-booklet.pdf)
    """
    ctx.obj = {"debug": debug}
    if _program:  # a command is run (not only --help): its workers may come from a fork server
        from vigil.workers import allow_fork_server

        allow_fork_server()


def run() -> None:
    """The ``vigil`` program (``python -m vigil`` too): :func:`main`, in a process of its own.

    Its worker processes may come from a fork server (see vigil.workers), and when it
    ends, the objects left (WeasyPrint's boxes, pypdf's objects) are not searched for cycles
    once more: that took half a second after a 48-page booklet. (Everything that cleans up,
    files and workers, still runs.)"""
    import atexit
    import gc

    global _program
    _program = True
    atexit.register(gc.freeze)  # run before the interpreter's last collection
    main()


@main.command()
@click.argument("publications", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", "output_dir", type=click.Path(path_type=Path),
              default=Path("output"), show_default=True, help="Folder for the PDFs.")
@click.option("--profile", type=click.Choice(["screen", "print", "archive"]), default="screen",
              show_default=True,
              help="screen: tagged PDF for phones, e-mail and screen readers. print: bleed, "
                   "crop marks and signatures of four, written as NAME-print.pdf. archive: "
                   "PDF/A-3u carrying its sources, written as NAME-archive.pdf.")
@click.option("--impose", is_flag=True,
              help="With --profile print: also write NAME-print-imposed.pdf, the sheets for "
                   "saddle stitching (sheet and creep from the publication's print: settings).")
@click.option("--strict", is_flag=True,
              help="For screen: an image without alternative text fails the build; for "
                   "every profile, so does a dropped link, raw HTML or other content vigil "
                   "leaves out (warnings otherwise).")
@click.option("--language", metavar="CODE", default=None,
              help="Build the translated edition in this language (az, en, ru, tr), written as "
                   "NAME.CODE.pdf: sections from NAME.CODE.md / NAME.CODE.yaml, the rest in "
                   "the original language (with a warning).")
@click.option("--force", is_flag=True,
              help="Build even if nothing changed since the last build (else its PDF is "
                   "reused and marked '(unchanged)').")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Lay out sections in N processes at once [default: one per core].")
@click.option("--whole", is_flag=True,
              help="Lay out each document in one piece, in this process, instead of section "
                   "by section (slower; the section cache is not used).")
@click.option("--timeout", type=_FiniteRange(min=0), default=BUILD_SECONDS,
              show_default=True, metavar="SECONDS",
              help="Stop the build of a publication that takes longer (its workers too; the "
                   "PDF from before stays as it was). 0: no limit.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per publication (for scripts).")
@cache_dir_option
@click.pass_context
def build(ctx: click.Context, publications: tuple[Path, ...], output_dir: Path,
          profile: str, impose: bool, strict: bool, language: str | None, force: bool,
          jobs: int | None, whole: bool, timeout: float, quiet: bool, as_json: bool) -> None:
    """Build PUBLICATIONS (folders holding publication.yaml) into PDF files.

    With no folder given, builds every publication under ./content (in the working folder).
    Prints pages, size and time for each; exits 1 if any publication failed. A publication
    whose sources, theme, fonts and options did not change since its last build into the same
    folder is not built again: its PDF is reused, marked '(unchanged)'. That cache, and the
    sections laid out for the next build, are kept in vigil's cache folder (--cache-dir; see
    vigil clean), never in the output folder.
    """
    from vigil.options import BuildOptions
    from vigil.pipeline import build_many, find_publications

    debug = ctx.obj["debug"]
    try:
        folders = list(publications) or find_publications()
    except VigilError as error:
        _fail(error, debug)
    if impose and profile != "print":
        _fail(VigilError("--impose needs --profile print"), debug)
    refused: VigilError | None = None
    try:
        options = BuildOptions(profile=profile, impose=impose, strict=strict,
                               language=language, whole=whole, force=force, jobs=jobs,
                               timeout=timeout)
    except VigilError as error:  # a language vigil has no words for: each publication fails
        if debug:
            raise
        refused, options = error, BuildOptions()
    from vigil.console import BuildPrinter

    with BuildPrinter("json" if as_json else "quiet" if quiet else "text", folders) as printer:
        try:
            results = build_many(folders, output_dir, options, progress=printer.progress) \
                if refused is None else iter([refused] * len(folders))
            for result in results:
                if isinstance(result, VigilError):
                    if debug:
                        raise result
                    printer.error(result)
                else:
                    printer.result(result)
        except VigilError as error:  # refused before building (two outputs of one name)
            printer.close()
            _fail(error, debug)
    printer.summary()
    if printer.failures:
        sys.exit(1)


def _size(text: str | None) -> int | None:
    from vigil.check.expectations import parse_size

    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-size") from None


@main.command()
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--profile", type=click.Choice(["screen", "print", "archive"]), default="screen",
              show_default=True,
              help="What the file is for. screen: tagged, 150 dpi, 1.5 MB. print: trim and "
                   "bleed boxes, pages in fours, 300 dpi. archive: PDF/A, nothing forbidden.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--max-size", metavar="SIZE", default=None,
              help="File size budget, e.g. 1.5MB, 800KB, 2MiB; over it is an error "
                   "[default: 1.5MB for screen (a warning), none otherwise].")
@click.option("--strict", is_flag=True,
              help="screen, archive: a figure without alternative text is an error.")
@click.option("--password", default=None, help="The password of an encrypted file.")
@click.option("--timeout", type=_FiniteRange(min=0.1), default=30.0, show_default=True,
              help="Seconds before a file that takes too long to read is given up as damaged.")
@click.pass_context
def check(ctx: click.Context, pdf: Path, profile: str, as_json: bool, max_size: str | None,
          strict: bool, password: str | None, timeout: float) -> None:
    """Check that PDF is ready for its use: fonts embedded (with all their glyphs), pages and
    boxes, image resolution, metadata, tagging, PDF/A, links, bookmarks and file size.

    Prints one line per finding (severity, page, code, message), then a summary. Exits 0 when
    there is no error, 1 when there are errors, 2 when the file cannot be read (damaged,
    encrypted, not a PDF).
    """
    import json

    from vigil.check import check_file

    budget = _size(max_size)
    try:
        report = check_file(pdf, profile, strict=strict, max_bytes=budget, password=password,
                            seconds=timeout)
    except VigilError as error:
        if as_json:
            click.echo(json.dumps({"file": str(pdf), "profile": profile, "ok": False,
                                   "readable": False, "message": str(error)},
                                  ensure_ascii=False, indent=2))
        _fail(error, ctx.obj["debug"])
    click.echo(report.json() if as_json else report.text())
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the sheets [default: FILE-imposed.pdf beside FILE].")
@click.option("--sheet", default=None,
              help="A4, A3, SRA4, SRA3 or WIDTHxHEIGHT in mm, used landscape "
                   "[default: a sheet with room for bleed and marks: SRA4 for A5 pages, SRA3 "
                   "for A4 pages].")
@click.option("--creep", type=_FiniteRange(0, 2), default=0.0, show_default=True,
              help="Creep compensation: mm the pages of each inner sheet move towards the fold.")
@click.option("--marks/--no-marks", default=True, show_default=True,
              help="Crop, fold and registration marks and a slug line outside the bleed; "
                   "a sheet without room for them is refused (--no-marks imposes anyway).")
@click.pass_context
def impose(ctx: click.Context, pdf: Path, output: Path | None, sheet: str | None, creep: float,
           marks: bool) -> None:
    """Impose PDF for saddle stitching: pages two to a side, in folding order.

    Each sheet has the pages' bleed, crop, fold and registration marks, a slug line and a
    TrimBox, so that a print shop can trim it. Pads to a multiple of four with blank pages
    before the last page. Print the result duplex, flipping on the short edge, fold the stack
    and staple it at the fold.
    """
    from vigil.assemble.impose import impose as impose_pdf
    from vigil.publish import write_atomic

    try:
        from vigil.check import MAX_CHECK_BYTES, read_regular_file

        result = impose_pdf(read_regular_file(pdf, MAX_CHECK_BYTES, VigilError), sheet, creep,
                            marks)
        target = output or pdf.with_name(f"{pdf.stem}-imposed.pdf")
        write_atomic(target, result.pdf)
    except VigilError as error:
        _fail(error, ctx.obj["debug"])
    except Exception as error:  # pypdf raises many kinds of errors on damaged files
        from vigil.dependencies import missing_package

        advice = missing_package(error)
        _fail(VigilError(advice or f"cannot read the PDF ({type(error).__name__}: {error})",
                         location=Location(pdf)), ctx.obj["debug"])
    sheets = f"{result.sheets} sheet{'s' if result.sheets > 1 else ''}"
    size = f"{result.sheet_mm[0]:g}×{result.sheet_mm[1]:g} mm"
    click.echo(f"{target}  {sheets} ({result.sheets * 2} sides) of {result.sheet} ({size})")
    for note in result.notes:
        click.echo(f"  {note}")


@main.command()
@click.argument("kind", type=click.Choice(["booklet", "programme"]))
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
def new(ctx: click.Context, kind: str, path: Path) -> None:
    """Create a new publication of KIND (booklet or programme) in the folder PATH.

    The example builds at once and shows every feature of the content format.
    """
    from vigil.scaffold import scaffold

    try:
        written = scaffold(kind, path)
    except VigilError as error:
        _fail(error, ctx.obj["debug"])
    click.echo(f"Created {kind} in {path}/ ({len(written)} files). Build it with:")
    click.echo(f"  vigil build {path}")


@main.command()
@click.argument("publications", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
@cache_dir_option
@click.pass_context
def clean(ctx: click.Context, publications: tuple[Path, ...]) -> None:
    """Remove vigil's cache: of PUBLICATIONS (their build cache and laid-out sections, for
    every output folder), or with no folder given all of it (also the reduced pictures, parsed
    hyphenation dictionaries and compiled templates).

    Only what vigil wrote into its cache folder is removed, never a PDF nor a source. The next
    build lays everything out again.
    """
    from vigil.clean import clean as clean_cache

    try:
        removed, size = clean_cache(publications)
    except VigilError as error:
        _fail(error, ctx.obj["debug"])
    if not removed:
        click.echo("Nothing to remove: the cache is empty.")
    for path in removed:
        click.echo(f"removed {path}")
    if removed:
        click.echo(f"{size / 1024:,.0f} KiB freed")


def _add_archive_commands() -> None:
    """vigil export, verify and rebuild (vigil.archive.commands: click only, nothing heavy)."""
    from vigil.archive.commands import export_command, rebuild_command, verify_command

    for command in (export_command, verify_command, rebuild_command):
        main.add_command(command)


_add_archive_commands()


def _add_feedback_commands() -> None:
    """vigil watch and serve (vigil.feedback: click only, nothing heavy)."""
    from vigil.feedback import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


_add_feedback_commands()
