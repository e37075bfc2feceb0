"""The documentation says what vigil does: docs/cli.md's reference is what the click commands
say, every option the README's command tour names exists, the README's example output is what
the samples build to (names, page counts, notes), and no document links outside the repository.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import click
import pytest

import vigil
from conftest import CONTENT, ROOT, Builds
from vigil.cli import main
from vigil.options import BuildOptions

README = ROOT / "README.md"
DOCUMENTS = sorted([README, *(ROOT / "docs").rglob("*.md"), CONTENT / "README.md"])


def _script(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _block_after(heading: str, first: str = "") -> list[str]:
    """The lines of the first fenced block after the README's ``heading`` whose first line
    starts with ``first``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(heading)
    for found in re.finditer(r"^```[\w]*\n(.*?)^```", text[start:], re.S | re.M):
        if found.group(1).startswith(first):
            return found.group(1).splitlines()
    raise AssertionError(f"no code block after {heading!r} in README.md")


# ------------------------------------------------------------------ docs/cli.md


def test_cli_reference_is_what_the_commands_say() -> None:
    make = _script("make_cli_docs")
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert make.BEGIN in current, "docs/cli.md has no generated reference"  # type: ignore[attr-defined]
    assert current == make.expected(current), (  # type: ignore[attr-defined]
        "docs/cli.md's reference differs from the click commands: run "
        "'.venv/bin/python scripts/make_cli_docs.py' and commit docs/cli.md")


def test_every_command_is_in_the_reference() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"### vigil {name}\n" in text
        assert f"\n## vigil {name}\n" in text or name in ("rebuild", "clean") or \
            f"vigil {name}" in text


# ------------------------------------------------------------------ the README's tour

_OPTION = re.compile(r"(?<![\w/-])(--?[a-zA-Z][\w-]*)")


def _tour(lines: list[str]) -> list[tuple[str, str, int]]:
    """(command, option, line) for every option the tour's ``lines`` name, in the code or the
    comment (a comment line alone belongs to the command above it)."""
    named: list[tuple[str, str, int]] = []
    command = ""
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("vigil "):
            words = stripped.split()
            command = words[1] if words[1] in main.commands else ""
            for part in stripped.split(", "):  # "vigil --help, vigil build --help"
                words = part.split()
                if len(words) > 1 and words[0] == "vigil" and words[1] in main.commands:
                    command = words[1]
                named += [(command, option, number) for option in _OPTION.findall(part)]
        elif stripped.startswith("#"):
            named += [(command, option, number) for option in _OPTION.findall(stripped)]
    return named


def _options(command: click.Command) -> set[str]:
    ctx = click.Context(command, info_name=command.name, **main.context_settings)
    found = {name for param in command.get_params(ctx) if isinstance(param, click.Option)
             for name in (*param.opts, *param.secondary_opts)}
    return found


def test_the_tour_names_only_options_that_exist() -> None:
    named = _tour(_block_after("## A tour of the command line"))
    assert len(named) >= 15, named
    commands = {command for command, _, _ in named}
    assert {"build", "check", "export", "impose"} <= commands
    missing = [f"line {line}: vigil {command} {option}".replace("  ", " ")
               for command, option, line in named
               if option not in _options(main.commands[command] if command else main)]
    assert not missing, f"README's tour names options vigil --help lacks: {missing}"


def test_the_tour_check_catches_a_made_up_option() -> None:
    """The check above can fail: an option that is not there is found, after a command or in
    the comment below it."""
    lines = ["vigil build --stirct my-booklet     # a typo", "    # and --quite too"]
    named = _tour(lines)
    assert [(c, o) for c, o, _ in named] == [("build", "--stirct"), ("build", "--quite")]
    assert not {"--stirct", "--quite"} & _options(main.commands["build"])


# ------------------------------------------------------------------ the README's output


def test_readme_example_output_is_what_the_samples_build(builds: Builds, tmp_path: Path) -> None:
    """File names, page counts and notes of the README's example (make demo's first lines);
    sizes and times vary from machine to machine and are not compared."""
    lines = _block_after("## Two commands", "output/")
    shown: dict[str, tuple[int, list[str]]] = {}
    current = ""
    for line in lines:
        head = re.match(r"^output/(\S+\.pdf)\s+(\d+) pages?\s", line)
        if head:
            current = head.group(1)
            shown[current] = (int(head.group(2)), [])
        elif line.startswith("  ") and current:
            shown[current][1].append(line.strip())
    assert len(shown) >= 3, lines
    results = [builds.sample(name).result for name in
               ("eternal-return-2025", "institute-programme-2025",
                "institute-programme-2025.az")]
    for name in shown:
        if "-print" in name:
            results.append(vigil.build(CONTENT / name.split("-print")[0], tmp_path,
                                       BuildOptions(profile="print", impose=True)))
    actual = {}
    for result in results:
        notes = [note.replace(f"{result.output.parent}/", "output/") for note in result.notes]
        actual[result.output.name] = (result.pages, notes)
    wrong = {name: (shown[name], actual.get(name)) for name in shown
             if actual.get(name) != shown[name]}
    assert not wrong, ("README.md's example output differs from the samples (shown, built); "
                       f"run scripts/make_readme_output.py: {wrong}")


# ------------------------------------------------------------------ links

_LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|<img[^>]+src=\"([^\"]+)\"")


def _outside(document: Path) -> list[str]:
    """The links (and pictures) of ``document`` that do not lead to a file of the repository,
    and the paths outside it that it cites (../shared, an absolute path of this machine)."""
    raw = document.read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", raw, flags=re.S | re.M)  # examples are not links
    text = re.sub(r"`[^`\n]*`", "", text)  # nor is Markdown shown as code
    bad = []
    for match in _LINK.finditer(text):
        target = match.group(1) or match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a web address, or a place in the same document
        path = (document.parent / target.split("#")[0]).resolve()
        if not path.is_relative_to(ROOT) or not path.exists():
            bad.append(target)
    bad += re.findall(r"(?:\.\./)+shared/[^\s`)]*|/work/[^\s`)]+", raw)
    return list(dict.fromkeys(bad))


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documents_link_only_inside_the_repository(document: Path) -> None:
    bad = _outside(document)
    assert not bad, f"{document.relative_to(ROOT)} points outside the repository: {bad}"


def test_the_link_check_can_fail(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_text("See [the notes](../../shared/DESIGN.md), [x](missing.md) and "
                        "`../shared/FACTS.md`; [the web](https://weasyprint.org) is fine.\n",
                        encoding="utf-8")
    assert _outside(document) == ["../../shared/DESIGN.md", "missing.md",
                                  "../shared/FACTS.md"]
