"""``vigil watch``: builds, then builds again on every save; an error keeps the last good PDF and
the next save tries again; Ctrl-C ends it with exit code 0."""

from __future__ import annotations

import threading
from pathlib import Path

from conftest import manifest_with, pdf_text_pages, run_cli, write_publication
from live import LiveProcess
from vigil.watch import Outcome, Watcher, watched_paths

RESULT = r"^\S+pub\.pdf  \d+ pages  \d+ KiB  \d+\.\d s"


def test_watch_builds_again_on_every_save(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub")
    output = tmp_path / "out"
    pdf = output / "pub.pdf"
    with LiveProcess("watch", folder, "-o", output) as vigil:
        vigil.wait_for(RESULT)
        vigil.wait_for(r"^Watching .*pub.* for changes \(Ctrl-C to stop\)\.$")
        (folder / "intro.md").write_text("# Introduction\n\nSaved once more.\n")
        vigil.wait_for(r"^changed: intro\.md$")
        vigil.wait_for(RESULT)
        assert "Saved once more." in "".join(pdf_text_pages(pdf))
        good = pdf.read_bytes()

        (folder / "publication.yaml").write_text(manifest_with("titel: Typo\n"))
        vigil.wait_for(r"^changed: publication\.yaml$")
        vigil.wait_for(r"^vigil: content error: .*unknown key 'titel'")
        vigil.wait_for(r"^  the last good PDF is kept: \S+pub\.pdf$")
        assert pdf.read_bytes() == good

        (folder / "publication.yaml").write_text(manifest_with("subtitle: Mended\n"))
        vigil.wait_for(r"^changed: publication\.yaml$")
        vigil.wait_for(RESULT)
        assert "Mended" in "".join(pdf_text_pages(pdf))
        assert vigil.interrupt() == 0
    assert vigil.lines[-1] == "Stopped watching."
    assert not any("Traceback" in line for line in vigil.lines)


def test_watch_leaves_out_the_output_folder_inside_the_publication(tmp_path: Path) -> None:
    """Writing the PDF (and the cache) inside the watched folder is no change of the sources."""
    folder = write_publication(tmp_path / "pub")
    builds: list[Outcome] = []
    stop = threading.Event()

    def built(outcome: Outcome) -> None:
        builds.append(outcome)
        if len(builds) == 1:
            (folder / "intro.md").write_text("# Introduction\n\nChanged.\n")
        else:
            stop.set()

    watcher = Watcher(folder, folder / "output", on_build=built, echo=lambda line, err: None)
    thread = threading.Thread(target=watcher.run, kwargs={"stop_event": stop}, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert len(builds) == 2, builds
    assert builds[1].changed == ("intro.md",)
    assert builds[1].result is not None and not builds[1].result.unchanged


def test_watched_paths_are_the_publication_the_themes_and_the_fonts(tmp_path: Path) -> None:
    from vigil.resources import fonts_dir, themes_dir

    folder = write_publication(tmp_path / "pub")
    assert watched_paths(folder) == [folder.resolve(), themes_dir().resolve(),
                                     fonts_dir().resolve()]


def test_watch_help_names_its_options() -> None:
    code, out, _ = run_cli("watch", "--help")
    assert code == 0
    for word in ("PUBLICATION", "-o, --output", "--profile", "Ctrl-C"):
        assert word in out


def test_watch_builds_with_the_options_it_was_given(tmp_path: Path) -> None:
    from vigil.options import BuildOptions

    folder = write_publication(tmp_path / "pub")
    watcher = Watcher(folder, tmp_path / "out", BuildOptions(profile="print"),
                      echo=lambda line, err: None)
    outcome = watcher.build()
    assert outcome.result is not None and outcome.result.output.name == "pub-print.pdf"
    assert watcher.build(force=True).result is not None  # force, once: the options stay
    assert watcher.options == BuildOptions(profile="print")
