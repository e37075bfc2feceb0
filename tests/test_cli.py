"""The ``vigil`` command: options, exit codes, messages, and real processes.

In-process tests use click's runner on ``vigil.cli.main``; the tests that are about the program
as a process (``python -m vigil``, import cost, ``--debug``, a full build) start one.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import vigil
from conftest import (
    CONTENT,
    PROGRAMME_SAMPLE,
    Builds,
    manifest_with,
    output_files,
    pdf_reader,
    run_cli,
    run_python,
    run_vigil,
    user_error,
    write_publication,
)

RESULT_LINE = re.compile(r"^(?P<path>\S+\.pdf)  (?P<pages>\d+) pages  \d+ KiB  \d+\.\d s$")


def test_version() -> None:
    code, out, _ = run_cli("--version")
    assert code == 0
    assert out.strip() == f"vigil, version {vigil.__version__}"


@pytest.mark.parametrize("option", ["--help", "-h"])
def test_help_lists_the_commands(option: str) -> None:
    code, out, _ = run_cli(option)
    assert code == 0
    assert re.search(r"^\s+build\s", out, re.M)
    assert re.search(r"^\s+new\s", out, re.M)
    assert "--debug" in out and "--version" in out


def test_build_help_names_its_options() -> None:
    code, out, _ = run_cli("build", "--help")
    assert code == 0
    for word in ("-o, --output", "--profile", "PUBLICATIONS", "[default: output]"):
        assert word in out


def test_python_dash_m_vigil() -> None:
    process = run_vigil("--help")
    assert process.returncode == 0, process.stderr
    assert process.stdout.startswith("Usage: python -m vigil")
    assert "build" in process.stdout and "new" in process.stdout
    version = run_vigil("--version")
    assert version.stdout.strip() == f"vigil, version {vigil.__version__}"


HEAVY_MODULES = ("weasyprint", "pypdf", "PIL", "pydantic", "jinja2", "rich", "watchfiles",
                 "fontTools", "http.server")


def test_importing_the_cli_stays_light() -> None:
    process = run_python("-c", "import sys, vigil, vigil.cli; "
                               f"print(sorted(set({HEAVY_MODULES!r}) & set(sys.modules)))")
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == "[]"


@pytest.mark.parametrize(("args", "words"), [
    (("new", "leaflet", "x"), "'leaflet' is not one of 'booklet', 'programme'"),
    (("build", "--profile", "poster", "x"), "Invalid value for '--profile'"),
    (("frobnicate",), "No such command 'frobnicate'"),
])
def test_misuse_exits_with_2(args: tuple[str, ...], words: str) -> None:
    code, _, err = run_cli(*args)
    assert code == 2
    assert words in err
    assert "Traceback" not in err


def test_build_reports_each_pdf(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub")
    code, out, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 0, err
    match = RESULT_LINE.match(out.strip())
    assert match, out
    assert Path(match["path"]) == tmp_path / "out" / "pub.pdf"
    assert match["pages"] == "4"
    assert (tmp_path / "out" / "pub.pdf").read_bytes().startswith(b"%PDF-")


def test_several_folders_continue_after_a_failure(tmp_path: Path) -> None:
    first = write_publication(tmp_path / "first")
    broken = write_publication(tmp_path / "broken", {"intro.md": None})
    last = write_publication(tmp_path / "last")
    output = tmp_path / "out"
    code, out, err = run_cli("build", first, broken, last, "-o", output)
    message = user_error(code, out, err)
    assert "broken/publication.yaml, line 5, column 5" in message.text
    assert "'intro.md' does not exist" in message.text
    assert err.strip().endswith("vigil: 1 of 3 publications failed")
    assert output_files(output) == ["first.pdf", "last.pdf"]
    assert [RESULT_LINE.match(line) is not None for line in out.splitlines()] == [True, True]


def test_build_without_folders_builds_everything_under_content(in_tmp_cwd: Path) -> None:
    content = in_tmp_cwd / "content"
    write_publication(content / "alpha")
    write_publication(content / "beta", {"publication.yaml": manifest_with(kind="programme")})
    (content / "README.md").write_text("Not a publication.\n")
    (content / "empty-folder").mkdir()
    code, out, err = run_cli("build")
    assert code == 0, err
    assert output_files(in_tmp_cwd / "output") == ["alpha.pdf", "beta.pdf"]
    assert len(out.splitlines()) == 2


def test_build_without_folders_and_an_empty_content_folder(in_tmp_cwd: Path) -> None:
    (in_tmp_cwd / "content").mkdir()
    code, out, err = run_cli("build")
    message = user_error(code, out, err)
    assert "no publication folders (with publication.yaml) in 'content'" in message.text


def test_build_a_folder_without_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "just-a-folder"
    folder.mkdir()
    code, out, err = run_cli("build", folder, "-o", tmp_path / "out")
    message = user_error(code, out, err)
    assert message.kind == "content error"
    assert "just-a-folder: the folder has no publication.yaml" in message.text
    assert "'vigil new booklet PATH' writes an example" in message.text


def test_build_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    code, out, err = run_cli("build", tmp_path / "nowhere", "-o", tmp_path / "out")
    message = user_error(code, out, err)
    assert "nowhere: no such publication folder" in message.text
    assert "run 'vigil new' to make one" in message.text


@pytest.mark.parametrize(("kind", "least_pages"), [("booklet", 10), ("programme", 4)])
def test_new_then_build(tmp_path: Path, kind: str, least_pages: int) -> None:
    """Cover, (contents,) one page per section at least, back: the example builds at once."""
    target = tmp_path / f"my-{kind}"
    code, out, err = run_cli("new", kind, target)
    assert code == 0, err
    assert f"Created {kind} in {target}/" in out
    assert f"vigil build {target}" in out
    assert (target / "publication.yaml").is_file()
    code, out, err = run_cli("build", target, "-o", tmp_path / "out")
    assert code == 0, err
    match = RESULT_LINE.match(out.strip())
    assert match, out
    assert int(match["pages"]) >= least_pages
    assert int(match["pages"]) == len(pdf_reader(Path(match["path"])).pages)
    if kind == "programme":
        assert int(match["pages"]) == 4


def test_new_into_an_empty_existing_folder(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    code, _, err = run_cli("new", "programme", target)
    assert code == 0, err
    assert (target / "proceedings.yaml").is_file()


def test_new_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "publication.yaml").write_text("mine\n")
    code, out, err = run_cli("new", "booklet", target)
    message = user_error(code, out, err)
    assert message.kind == "output error"
    assert "taken: the folder already exists and is not empty" in message.text
    assert "vigil new never overwrites files" in message.text
    assert (target / "publication.yaml").read_text() == "mine\n"
    assert sorted(p.name for p in target.iterdir()) == ["publication.yaml"]


def test_new_onto_a_file(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    code, out, err = run_cli("new", "booklet", target)
    assert user_error(code, out, err).kind == "output error"
    assert target.read_text() == "x"


def test_real_process_error_is_one_paragraph(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub", {
        "publication.yaml": manifest_with("titel: Typo\n")})
    process = run_vigil("build", folder, "-o", tmp_path / "out", cwd=tmp_path)
    assert process.returncode == 1
    assert "Traceback" not in process.stderr + process.stdout
    assert process.stderr.splitlines() == [
        "vigil: content error: pub/publication.yaml, line 4, column 1: unknown key 'titel' "
        "— did you mean 'title'?",
        "vigil: 1 of 1 publications failed",
    ]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "no-manifest"
    folder.mkdir()
    process = run_vigil("--debug", "build", folder, "-o", tmp_path / "out")
    assert process.returncode != 0
    assert "Traceback (most recent call last)" in process.stderr
    assert "ContentError" in process.stderr
    assert "the folder has no publication.yaml" in process.stderr


def test_real_process_build_matches_the_library(tmp_path: Path, builds: Builds) -> None:
    """A build by a fresh ``vigil`` process gives the same bytes as one in this process."""
    library = builds.sample(PROGRAMME_SAMPLE)
    copy = tmp_path / PROGRAMME_SAMPLE
    shutil.copytree(CONTENT / PROGRAMME_SAMPLE, copy)
    process = run_vigil("build", copy, "-o", tmp_path / "out", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert RESULT_LINE.match(process.stdout.splitlines()[0].strip()), process.stdout
    built = tmp_path / "out" / f"{PROGRAMME_SAMPLE}.pdf"
    assert built.read_bytes() == library.pdf.read_bytes()
