"""What ``vigil build`` prints for scripts and terminals: ``--json`` (one object per
publication), ``--quiet`` (only errors), ``(unchanged)`` for a reused PDF, and a progress bar
on a terminal when a build of several publications takes over a second."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import pytest

import vigil.console
from conftest import manifest_with, run_cli, write_publication
from vigil.console import BuildPrinter
from vigil.errors import ContentError, Location


@pytest.fixture
def three(tmp_path: Path) -> tuple[Path, Path, Path]:
    return (write_publication(tmp_path / "first"),
            write_publication(tmp_path / "broken", manifest=manifest_with("titel: x\n")),
            write_publication(tmp_path / "last"))


def test_json_prints_one_object_per_publication(tmp_path: Path,
                                                three: tuple[Path, Path, Path]) -> None:
    output = tmp_path / "out"
    code, out, err = run_cli("build", "--json", *three, "-o", output)
    assert code == 1
    objects = [json.loads(line) for line in out.splitlines()]
    assert [o["publication"] for o in objects] == ["first", "broken", "last"]
    first, broken, last = objects
    assert first["ok"] and last["ok"] and not broken["ok"]
    assert first["output"] == str(output / "first.pdf")
    assert first["pages"] == 4 and first["bytes"] == (output / "first.pdf").stat().st_size
    assert isinstance(first["seconds"], float)
    assert first["notes"] == [] and first["unchanged"] is False
    assert "the document names no author in its metadata" in first["warnings"]
    assert broken["kind"] == "content error"
    assert broken["message"].startswith("unknown key 'titel'")
    assert broken["file"] == str((three[1] / "publication.yaml").resolve())
    manifest = (three[1] / "publication.yaml").read_text().splitlines()
    assert manifest[broken["line"] - 1] == "titel: x"
    assert "unknown key 'titel'" in broken["text"]
    assert "vigil: content error:" in err and "1 of 3 publications failed" in err
    code, out, _ = run_cli("build", "--json", three[0], "-o", output)
    assert code == 0 and json.loads(out)["unchanged"] is True


def test_quiet_prints_only_errors(tmp_path: Path, three: tuple[Path, Path, Path]) -> None:
    code, out, err = run_cli("build", "--quiet", *three, "-o", tmp_path / "out")
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("vigil: content error:")
    assert lines[1] == "vigil: 1 of 3 publications failed"
    code, out, err = run_cli("build", "-q", three[0], "-o", tmp_path / "out")
    assert (code, out, err) == (0, "", "")


def test_two_outputs_of_one_name_are_refused_without_a_traceback(tmp_path: Path) -> None:
    one = write_publication(tmp_path / "a" / "pub")
    other = write_publication(tmp_path / "b" / "pub")
    code, _, err = run_cli("build", one, other, "-o", tmp_path / "out")
    assert code == 1
    assert "would both be written to pub.pdf" in err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_on_a_terminal_when_it_takes_over_a_second(
        monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(vigil.console, "PROGRESS_AFTER", 0.05)
    error = ContentError("broken", location=Location(Path("x/publication.yaml"), 1))
    with BuildPrinter("text", ["a", "b", "c"]) as printer:
        time.sleep(0.3)  # "building a"
        assert printer._bar is not None
        printer.error(error)
    assert "building" in terminal.getvalue() and "0/3" in terminal.getvalue()
    assert "vigil: content error: x/publication.yaml, line 1: broken." in terminal.getvalue()


@pytest.mark.parametrize(("mode", "names", "tty", "after"), [
    ("text", ["a", "b"], False, 0.05),    # not a terminal
    ("text", ["a"], True, 0.05),          # one publication
    ("quiet", ["a", "b"], True, 0.05),    # only errors
    ("text", ["a", "b"], True, 10.0),     # done within the delay
])
def test_no_progress_bar(monkeypatch: pytest.MonkeyPatch, mode: vigil.console.Mode,
                         names: list[str], tty: bool, after: float) -> None:
    monkeypatch.setattr(sys, "stderr", FakeTerminal() if tty else io.StringIO())
    monkeypatch.setattr(vigil.console, "PROGRESS_AFTER", after)
    with BuildPrinter(mode, names) as printer:
        time.sleep(0.2)
        assert printer._bar is None
