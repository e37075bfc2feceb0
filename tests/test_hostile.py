"""Hostile input (#16 items 4 and 6): resource limits in templates and patterns, and the
inputs that used to end in a traceback — each a class, tried in several forms. Every one must
end in one clear paragraph and the documented exit code, never a traceback or a hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import (
    ROOT,
    assert_located,
    build_error,
    manifest_with,
    run_cli,
    user_error,
    write_publication,
)

THEME = ROOT / "src" / "vigil" / "themes" / "memorial"


def _no_traceback(result: subprocess.CompletedProcess[str]) -> str:
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text
    return text


def _vigil(*args: str | Path, cwd: Path | None = None,
           seconds: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "vigil", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=seconds, check=False)


# ---------------------------------------------------------------- vigil check on odd files


@pytest.mark.parametrize("kind", ["/dev/zero", "/dev/urandom", "/dev/null", "fifo"])
def test_check_refuses_what_is_not_a_regular_file_at_once(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        path = tmp_path / "pipe.pdf"
        os.mkfifo(path)  # no writer: opening it for reading would wait for ever
    else:
        path = Path(kind)
        if not path.exists():
            pytest.skip(f"{kind} does not exist here")
    for command in (["check", path], ["check", path, "--timeout", "1"], ["impose", path]):
        result = _vigil(*command, cwd=tmp_path, seconds=20)  # a hang fails here
        text = _no_traceback(result)
        assert result.returncode == (2 if command[0] == "check" else 1), text
        assert "not a regular file" in text, text


def test_check_refuses_a_file_too_large_to_read(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import vigil.check

    monkeypatch.setattr(vigil.check, "MAX_CHECK_BYTES", 1000)
    path = tmp_path / "large.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b" " * 2000)
    code, out, err = run_cli("check", path)
    assert code == 2 and "larger than" in err and "Traceback" not in out + err


# ---------------------------------------------------------------- vigil impose --creep


@pytest.mark.parametrize("creep", ["nan", "NaN", "inf", "-inf", "1e999", "-1", "2.5"])
def test_impose_refuses_a_creep_that_is_not_a_number_in_range(tmp_path: Path,
                                                               creep: str) -> None:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    code, out, err = run_cli("impose", "--creep", creep, pdf)
    assert code == 2, (out, err)
    assert "--creep" in err and "Invalid value" in err
    assert not (tmp_path / "a-imposed.pdf").exists()


# ---------------------------------------------------------------- file names in sources


@pytest.mark.parametrize("name, says", [
    ('"ab\\0c.md"', "control character"),
    ('"line\\nbreak.md"', "control character"),
    ('"tab\\there.md"', "control character"),
    ("x" * 5000 + ".md", "too long"),
    ("é" * 200 + ".md", "too long"),  # 400 bytes in UTF-8
    ("/".join(["d"] * 700) + "/x.md", "too long"),
])
def test_impossible_section_names_are_one_located_error(tmp_path: Path, name: str,
                                                        says: str) -> None:
    folder = write_publication(tmp_path / "p", manifest=manifest_with(
        sections=("intro.md", name)))
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error"
    assert says in message.text
    assert_located(message, "publication.yaml", 6)
    assert len(message.text) < 400, "the name is shortened in the message"


@pytest.mark.parametrize("reference", ["a%00b.png", "y" * 3000 + ".png"])
def test_impossible_picture_names_are_one_located_error(tmp_path: Path, reference: str) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": f"# Introduction\n\nText.\n\n![A picture]({reference})\n"})
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "resource error", message
    assert_located(message, "intro.md", 5)


# ---------------------------------------------------------------- deep YAML


@pytest.mark.parametrize("nest", [
    lambda d: "deep: " + "[" * d + "]" * d + "\n",
    lambda d: "deep: " + "{a: " * d + "1" + "}" * d + "\n",
    lambda d: "deep:\n" + "".join(" " * (i + 1) + "-\n" for i in range(d)),
    lambda d: "deep:\n" + "".join(" " * (i + 1) + "k:\n" for i in range(d)) + "  x\n",
], ids=["flow-lists", "flow-maps", "block-lists", "block-maps"])
@pytest.mark.parametrize("where", ["publication.yaml", "section.yaml", "front-matter"])
def test_deeply_nested_yaml_is_refused_with_its_line(tmp_path: Path, nest: object,
                                                     where: str) -> None:
    deep = nest(3000)  # type: ignore[operator]
    files: dict[str, str | bytes | None] = {}
    if where == "publication.yaml":
        files["publication.yaml"] = manifest_with(deep)
        file, line = "publication.yaml", 4
    elif where == "section.yaml":
        files["publication.yaml"] = manifest_with(sections=("intro.md", "list.yaml"))
        files["list.yaml"] = "title: A list\n" + deep
        file, line = "list.yaml", 2
    else:
        files["intro.md"] = "---\n" + deep + "---\n# Introduction\n\nText.\n"
        file, line = "intro.md", 2
    message = build_error(write_publication(tmp_path / "p", files), tmp_path / "out")
    assert message.kind == "content error"
    assert "nest" in message.text, message.text
    assert_located(message, file)
    assert f", line {line}" in message.text or ", line " in message.text


# ---------------------------------------------------------------- absurd sizes in a theme


@pytest.mark.parametrize("rule", [
    "body { font-size: 1e30pt; }",
    "p { font-size: 99999999999999999999999999px; }",
    "h1 { font-size: 1e38mm; line-height: 1e38; }",
    "h2 { letter-spacing: 5e6em; }",
    "p { text-indent: -1e9in; }",
])
def test_an_absurd_size_in_the_theme_is_one_located_error(tmp_path: Path, rule: str) -> None:
    style = (THEME / "style.css").read_text(encoding="utf-8") + "\n" + rule + "\n"
    lines = style.count("\n")
    folder = write_publication(tmp_path / "p", {"templates/style.css": style})
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "template error"
    assert "cannot be laid out" in message.text
    assert_located(message, "templates/style.css", lines)


def test_a_size_wrong_only_at_layout_is_a_render_error(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import vigil.compose.theme

    monkeypatch.setattr(vigil.compose.theme, "MAX_SIZE_PT", float("inf"))  # the layout's turn
    style = (THEME / "style.css").read_text(encoding="utf-8") + "\nbody { font-size: 1e30pt }\n"
    folder = write_publication(tmp_path / "p", {"templates/style.css": style})
    code, out, err = run_cli("build", folder, "-o", tmp_path / "out", "--jobs", "1")
    message = user_error(code, out, err)
    assert message.kind == "render error" and "theme's stylesheet" in message.text
    assert not (tmp_path / "out" / "p.pdf").exists()


# ---------------------------------------------------------------- template expressions


@pytest.mark.parametrize("expression, says", [
    ("{{ 'a' * 10**9 }}", "repeats a value"),
    ("{{ [0] * 10**8 }}", "repeats a value"),
    ("{{ 10 ** 1000000 }}", "too large"),
    ("{{ (10 ** 100) ** 100000 }}", "too large"),
    ("{% for i in range(10**9) %}x{% endfor %}", "range"),
    ("{% for i in range(5000) %}{% for j in range(5000) %}{{ i }}{% endfor %}{% endfor %}",
     "longer than"),  # 25 million iterations, each within the limits: the time limit
    ("{{ ' ' | center(10**9) }}", "center"),
    ("{{ 'x' | indent(2000000000) }}", "indent"),
    ("{{ [1, 2] | slice(10**9) | list }}", "slice"),
    ("{{ '{:>2000000000}'.format('x') }}", "width"),
    ("{{ '%*s' % (10**9, 'x') }}", "width"),
])
def test_template_expressions_cannot_exhaust_memory_or_time(
        tmp_path: Path, expression: str, says: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import vigil.compose

    monkeypatch.setattr(vigil.compose, "RENDER_SECONDS", 2.0)
    page = (THEME / "booklet.html").read_text(encoding="utf-8")
    folder = write_publication(tmp_path / "p", {"templates/booklet.html": expression + page})
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "template error"
    assert says in message.text, message.text
    assert "templates" in message.text


def test_ordinary_template_expressions_still_work(tmp_path: Path) -> None:
    page = (THEME / "booklet.html").read_text(encoding="utf-8")
    marker = ("{{ 'ab' * 3 }}-{{ 2 ** 10 }}-{{ range(3) | join(',') }}-{{ '%03d' % 7 }}-"
              "{{ '{}!'.format('hi') }}-{{ 'x' | center(5) }}")
    folder = write_publication(tmp_path / "p", {
        "templates/booklet.html": page.replace("{% block body %}",
                                               "{% block body %}<!-- " + marker + " -->", 1)})
    import vigil
    from vigil.compose import compose_html
    from vigil.profiles import get_profile

    composed = compose_html(vigil.read_publication(folder), get_profile("screen"))
    assert "ababab-1024-0,1,2-007-hi!-  x  " in composed.html


# ---------------------------------------------------------------- variants: format patterns


@pytest.mark.parametrize("pattern", [
    "{school.__class__}", "{school.__class__.__mro__}", "{school[0]}", "{school!r}",
    "{school:>2000000000}", "{school:{class}}", "{}", "{0}",
])
@pytest.mark.parametrize("key", ["file", "cover", "back"])
def test_variant_patterns_take_plain_column_names_only(tmp_path: Path, pattern: str,
                                                       key: str) -> None:
    patterns = {"file": '"{name}-{row}"', "cover": '"For {school}"', "back": '"Thanks"'}
    patterns[key] = '"' + pattern + '"'
    variants = "variants:\n  csv: schools.csv\n" + "".join(
        f"  {k}: {v}\n" for k, v in patterns.items())
    manifest = ("kind: programme\ntitle: Copies\ndate: 2025-02-25\nsections:\n  - intro.md\n"
                + variants)
    folder = write_publication(tmp_path / "p", {
        "schools.csv": "school,class\nSchool One,10A\n"}, manifest=manifest)
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "content error"
    assert f"variants.{key}" in message.text
    assert "class '" not in message.text and "type" not in message.text, message.text


# ---------------------------------------------------------------- a missing package


_NO_CRYPTOGRAPHY = """
import sys
sys.modules["cryptography"] = None  # as if it were not installed
from vigil.cli import run
sys.argv = ["vigil", *sys.argv[1:]]
run()
"""


@pytest.mark.parametrize("algorithm", ["AES-256"])  # pypdf opens AES-128 without it
def test_a_missing_cryptography_package_is_named_with_how_to_install_it(
        tmp_path: Path, algorithm: str) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(419.53, 595.28)
    writer.encrypt("", "owner", algorithm=algorithm)
    folder = write_publication(tmp_path / "p", manifest=manifest_with(
        sections=("intro.md", "insert: inserts/aes.pdf")))
    (folder / "inserts").mkdir()
    with open(folder / "inserts" / "aes.pdf", "wb") as file:
        writer.write(file)
    script = tmp_path / "nocrypto.py"
    script.write_text(_NO_CRYPTOGRAPHY, encoding="utf-8")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for args in (["build", "--jobs", "1", "p"], ["check", "p/inserts/aes.pdf"],
                 ["impose", "p/inserts/aes.pdf"]):
        result = subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60, check=False)
        text = _no_traceback(result)
        assert result.returncode == (2 if args[0] == "check" else 1), text
        assert "pip install cryptography" in text, text
        assert "again as a new PDF" not in text, "not the file's fault: no advice to re-export"


# ---------------------------------------------------------------- time limits


def test_an_outer_time_limit_is_not_taken_for_an_inner_one() -> None:
    import time

    from vigil.limits import TimeLimitExceeded, time_limit

    caught = []
    with pytest.raises(TimeLimitExceeded), time_limit(0.3):
        try:
            with time_limit(5):  # an insert's own limit, say: it must not claim the outer one
                time.sleep(2)
        except TimeLimitExceeded:
            caught.append("inner")
    assert caught == []
    # and an inner limit that runs out is the inner one's
    with time_limit(5), pytest.raises(TimeLimitExceeded), time_limit(0.2):
        time.sleep(2)


def test_export_stops_at_its_timeout(tmp_path: Path) -> None:
    paragraph = "Synthetic words to fill pages for a time limit test. " * 30 + "\n\n"
    names = tuple(f"s{i}.md" for i in range(12))
    folder = write_publication(tmp_path / "p", {
        name: f"# Part {i}\n\n" + paragraph * 30 for i, name in enumerate(names)},
        manifest=manifest_with(sections=("intro.md", *names)))
    result = _vigil("export", folder, "--to", tmp_path / "bag", "--jobs", "1", "--quiet",
                    "--timeout", "1", cwd=tmp_path, seconds=120)
    text = _no_traceback(result)
    assert result.returncode == 1, text
    assert "took longer than 1 s" in text, text


# ---------------------------------------------------------------- huge but legal inputs


def test_a_long_layout_shows_its_progress_on_a_terminal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import vigil.console
    from vigil.console import BuildPrinter
    from vigil.options import BuildOptions

    monkeypatch.setattr(vigil.console, "PROGRESS_AFTER", 0.0)
    monkeypatch.setattr(vigil.console, "_terminal", lambda stream: True)
    paragraph = "Synthetic words to fill pages for a progress test. " * 20 + "\n\n"
    names = tuple(f"s{i}.md" for i in range(6))
    folder = write_publication(tmp_path / "p", {
        name: f"# Part {i}\n\n" + paragraph * 8 for i, name in enumerate(names)},
        manifest=manifest_with(sections=("intro.md", *names)))
    import vigil

    with BuildPrinter("text", [folder], progress=False) as printer:
        result = vigil.build(folder, tmp_path / "out", BuildOptions(jobs=1),
                             progress=lambda done, total: printer.progress("p", done, total))
        printer.result(result)
    err = capsys.readouterr().err
    assert "laying out p: 1 of " in err
    last = err.rsplit("laying out p: ", 1)[1].split(" parts")[0]
    done, total = (int(n) for n in last.split(" of "))
    assert done == total >= 8  # the cover, the contents, the sections, the back, the numbers
    assert err.endswith("\r\x1b[K") or "\r\x1b[K" in err  # the line is cleared at the end
