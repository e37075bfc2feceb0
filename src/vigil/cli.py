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
from vigil.errors import VigilError


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
@click.pass_context
def build(ctx: click.Context, publications: tuple[Path, ...], output_dir: Path,
          profile: str) -> None:
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
    for result in build_many(folders, output_dir, profile):
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
        for warning in result.report.warnings:
            click.echo(f"  warning: {warning}", err=True)
    if failures:
        click.echo(f"vigil: {failures} of {len(folders)} publications failed", err=True)
        sys.exit(1)


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
