"""The ``vigil`` command: parse options, call the library, print results.

Takes command-line arguments; gives exit code 0 on success, 1 when a build or check failed
(with a one-paragraph message), 2 for misuse. Heavy libraries are imported only inside the
commands, so ``vigil --help`` answers at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from vigil import __version__
from vigil.errors import Location, VigilError


def _fail(error: VigilError, debug: bool) -> NoReturn:
    if debug:
        raise error
    click.echo(f"vigil: {error.kind}: {error}", err=True)
    sys.exit(error.exit_code)


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


@main.command()
@click.argument("publications", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", "output_dir", type=click.Path(path_type=Path),
              default=Path("output"), show_default=True, help="Folder for the PDFs.")
@click.option("--profile", type=click.Choice(["screen", "print"]), default="screen",
              show_default=True,
              help="screen: tagged PDF for phones, e-mail and screen readers. print: bleed, "
                   "crop marks and signatures of four, written as NAME-print.pdf.")
@click.option("--impose", is_flag=True,
              help="With --profile print: also write NAME-print-imposed.pdf, the sheets for "
                   "saddle stitching (sheet and creep from the publication's print: settings).")
@click.pass_context
def build(ctx: click.Context, publications: tuple[Path, ...], output_dir: Path,
          profile: str, impose: bool) -> None:
    """Build PUBLICATIONS (folders holding publication.yaml) into PDF files.

    With no folder given, builds every publication under ./content (or vigil's samples).
    Prints pages, size and time for each; exits 1 if any publication failed.
    """
    from vigil.pipeline import build_many, find_publications

    debug = ctx.obj["debug"]
    try:
        folders = list(publications) or find_publications()
    except VigilError as error:
        _fail(error, debug)
    failures = 0
    if impose and profile != "print":
        _fail(VigilError("--impose needs --profile print"), debug)
    for result in build_many(folders, output_dir, profile, impose):
        if isinstance(result, VigilError):
            if debug:
                raise result
            failures += 1
            click.echo(f"vigil: {result.kind}: {result}", err=True)
            continue
        size = f"{result.bytes / 1024:.0f} KiB" if result.bytes < 2**20 else \
            f"{result.bytes / 2**20:.1f} MiB"
        click.echo(
            f"{result.output}  {result.pages} pages  {size}  {result.seconds:.1f} s"
        )
        for note in result.notes:
            click.echo(f"  {note}")
        if result.imposed:
            click.echo(f"{result.imposed}  sheets for saddle stitching")
        for warning in result.report.warnings:
            click.echo(f"  warning: {warning}", err=True)
    if failures:
        click.echo(f"vigil: {failures} of {len(folders)} publications failed", err=True)
        sys.exit(1)


@main.command()
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the sheets [default: FILE-imposed.pdf beside FILE].")
@click.option("--sheet", default=None,
              help="A4, A3, SRA4, SRA3 or WIDTHxHEIGHT in mm, used landscape "
                   "[default: A4 for A5 pages, A3 for A4 pages].")
@click.option("--creep", type=click.FloatRange(0, 2), default=0.0, show_default=True,
              help="Creep compensation: mm the pages of each inner sheet move towards the fold.")
@click.option("--marks/--no-marks", default=True, show_default=True,
              help="Crop and fold marks, where the sheet has room around the pages.")
@click.pass_context
def impose(ctx: click.Context, pdf: Path, output: Path | None, sheet: str | None, creep: float,
           marks: bool) -> None:
    """Impose PDF for saddle stitching: pages two to a side, in folding order.

    Pads to a multiple of four with blank pages before the last page. Print the result
    duplex, flipping on the short edge, fold the stack and staple it at the fold.
    """
    from vigil.assemble.impose import impose as impose_pdf
    from vigil.publish import write_atomic

    try:
        if not pdf.is_file():
            raise VigilError("no such file", location=Location(pdf))
        result = impose_pdf(pdf.read_bytes(), sheet, creep, marks)
        target = output or pdf.with_name(f"{pdf.stem}-imposed.pdf")
        write_atomic(target, result.pdf)
    except VigilError as error:
        _fail(error, ctx.obj["debug"])
    except Exception as error:  # pypdf raises many kinds of errors on damaged files
        _fail(VigilError(f"cannot read the PDF ({type(error).__name__}: {error})",
                         location=Location(pdf)), ctx.obj["debug"])
    sheets = f"{result.sheets} sheet{'s' if result.sheets > 1 else ''}"
    click.echo(f"{target}  {sheets} ({result.sheets * 2} sides)")
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
