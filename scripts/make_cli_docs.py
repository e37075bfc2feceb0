"""Write the reference part of docs/cli.md from vigil's click commands, so that it cannot drift.

Usage:  .venv/bin/python scripts/make_cli_docs.py [--check]

docs/cli.md is written by hand, but for its last section, between the lines BEGIN and END below:
there every command gets its usage line, the first paragraph of its help and a table of its
options with their help and defaults, exactly as ``vigil COMMAND --help`` has them. With
--check, nothing is written: the script exits 1 (and names the difference) when the file is not
what the commands say. tests/test_docs.py runs the same comparison.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "cli.md"
BEGIN = ("<!-- reference: made by scripts/make_cli_docs.py from the click commands; "
         "do not edit by hand -->")
END = "<!-- end of the reference -->"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _help(command: click.Command) -> str:
    """The first paragraph of a command's help, on one line."""
    text = inspect.cleandoc(command.help or "")
    return " ".join(text.split("\n\n")[0].split())


def _command(command: click.Command, ctx: click.Context) -> list[str]:
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    lines = [f"### {ctx.command_path}", "", f"`{usage}`", "", _help(command), ""]
    arguments = [param for param in command.get_params(ctx)
                 if isinstance(param, click.Argument)]
    if arguments:
        names = ", ".join(f"`{param.make_metavar(ctx)}`" for param in arguments)
        lines += [f"Arguments: {names}.", ""]
    rows = [record for param in command.get_params(ctx)
            if isinstance(param, click.Option)
            and (record := param.get_help_record(ctx)) is not None]
    if rows:
        lines += ["| Option | Meaning |", "|---|---|"]
        lines += [f"| `{_cell(names)}` | {_cell(text)} |" for names, text in rows]
        lines.append("")
    return lines


def reference() -> str:
    """The reference section, from the commands."""
    from vigil.cli import main

    root = click.Context(main, info_name="vigil", **main.context_settings)
    lines = [BEGIN, "## Reference", "",
             "Every command and option, as `vigil COMMAND --help` shows them (made from the "
             "commands themselves by `scripts/make_cli_docs.py`).", ""]
    lines += _command(main, root)
    for name in sorted(main.commands):
        command = main.commands[name]
        lines += _command(command, click.Context(command, info_name=name, parent=root))
    lines.append(END)
    return "\n".join(lines) + "\n"


def expected(current: str) -> str:
    """``current`` (docs/cli.md) with its reference section made again (added at the end if
    it has none)."""
    start = current.find(BEGIN)
    if start < 0:
        return current.rstrip("\n") + "\n\n" + reference()
    end = current.find(END, start)
    if end < 0:
        raise SystemExit(f"{DOC}: '{BEGIN}' without '{END}'")
    rest = current[end + len(END):].lstrip("\n")
    return current[:start] + reference() + (("\n" + rest) if rest else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare; exit 1 when docs/cli.md differs")
    args = parser.parse_args()
    current = DOC.read_text(encoding="utf-8")
    wanted = expected(current)
    if args.check:
        if current != wanted:
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(True), wanted.splitlines(True), "docs/cli.md", "commands"))
            print("docs/cli.md differs from the commands: run scripts/make_cli_docs.py")
            return 1
        return 0
    if current != wanted:
        DOC.write_text(wanted, encoding="utf-8")
        print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
