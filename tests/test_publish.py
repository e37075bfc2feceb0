"""Stage 6, publish: a PDF reaches the output folder whole, or not at all.

A failed build (at any stage) leaves the previous PDF byte for byte and no temporary file; the
writer itself replaces in one rename and cleans up after itself when anything goes wrong.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conftest import (
    ROOT,
    build_into,
    manifest_with,
    output_files,
    pdf_text_pages,
    run_cli,
    user_error,
    write_publication,
)
from vigil.errors import OutputError
from vigil.publish import write_atomic

MEMORIAL_CSS = (ROOT / "src/vigil/themes" / "memorial" / "style.css").read_text(encoding="utf-8")

BREAKAGES: dict[str, tuple[dict[str, str | bytes | None], str, str]] = {
    # name: (files written over a good publication, kind of error, words of the message)
    "read": ({"publication.yaml": manifest_with("subtitel: typo\n")}, "content error",
             "unknown key 'subtitel'"),
    "compose": ({"templates/back.html": "{{ undefined_name }}"}, "template error",
                "'undefined_name' is undefined"),
    "typeset": ({"templates/back.html": '<img src="http://example.com/a.png" alt="">'},
                "resource error", "does not reach the network"),
    "check": ({"templates/style.css": MEMORIAL_CSS + "\n@page { size: A4; }\n"}, "check error",
              "failed its checks"),
}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".part") or
                  p.name.startswith("."))


@pytest.mark.parametrize("stage", BREAKAGES, ids=BREAKAGES.keys())
def test_failed_build_keeps_the_previous_pdf(tmp_path: Path, stage: str) -> None:
    files, kind, words = BREAKAGES[stage]
    folder = write_publication(tmp_path / "pub")
    output = tmp_path / "out"
    first = build_into(output, folder)
    before = first.output.read_bytes()
    write_publication(folder, files)
    code, out, err = run_cli("build", folder, "-o", output)
    message = user_error(code, out, err)
    assert message.kind == kind
    assert words in message.text
    assert first.output.read_bytes() == before
    assert output_files(output) == ["pub.pdf"], leftovers(output)
    assert not leftovers(output)


def test_check_failure_names_the_page_size(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub", BREAKAGES["check"][0])
    code, out, err = run_cli("build", folder, "-o", tmp_path / "out")
    message = user_error(code, out, err)
    assert "page 1: the page is 210×297 mm, not the trim size 148×210 mm" in message.text
    assert "The previous PDF, if any, was left as it was" in message.text
    assert not (tmp_path / "out" / "pub.pdf").exists()


def test_successful_build_replaces_the_pdf(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub")
    output = tmp_path / "out"
    first = build_into(output, folder).output.read_bytes()
    write_publication(folder, {"intro.md": "# Introduction\n\nA different paragraph.\n"})
    second = build_into(output, folder)
    assert second.output.read_bytes() != first
    assert "A different paragraph." in "".join(pdf_text_pages(second.output))
    assert output_files(output) == ["pub.pdf"]


def test_write_atomic_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "file.pdf"
    assert write_atomic(target, b"first") == target
    assert target.read_bytes() == b"first"
    write_atomic(target, b"second, longer content")
    assert target.read_bytes() == b"second, longer content"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.pdf"]


def test_write_atomic_failing_rename_keeps_the_old_file(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "file.pdf"
    target.write_bytes(b"old")

    def refuse(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OutputError, match="No space left on device"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.pdf"]


def test_write_atomic_interrupted_leaves_no_part_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "file.pdf"
    target.write_bytes(b"old")

    def interrupt(descriptor: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.pdf"]


def test_write_atomic_onto_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "file.pdf"
    target.mkdir()
    with pytest.raises(OutputError, match="cannot write the file") as caught:
        write_atomic(target, b"data")
    assert caught.value.location.file == target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.pdf"]
    assert target.is_dir() and not any(target.iterdir())


def test_write_atomic_below_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("I am a file")
    with pytest.raises(OutputError, match="cannot write to the folder"):
        write_atomic(blocker / "sub" / "file.pdf", b"data")
    assert blocker.read_text() == "I am a file"


def test_cli_output_below_a_regular_file(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("I am a file")
    code, out, err = run_cli("build", folder, "-o", blocker / "pdfs")
    message = user_error(code, out, err)
    assert message.kind == "output error"
    assert "not-a-folder/pdfs:" in message.text
    assert "cannot write to the folder" in message.text
    assert blocker.read_text() == "I am a file"
