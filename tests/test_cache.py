"""The build cache: a build whose inputs did not change reuses its PDF; any change rebuilds.

Inputs are the publication folder's files, the theme, the fonts, vigil's code, the installed
packages, the options and SOURCE_DATE_EPOCH. A reused PDF must be intact (same hash as written).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

import vigil
import vigil.cache
import vigil.store
from conftest import (
    ROOT,
    build_cache,
    manifest_with,
    output_files,
    pdf_text_pages,
    png_bytes,
    run_cli,
    user_error,
    write_publication,
)
from vigil.cache import BuildCache
from vigil.errors import VigilError
from vigil.options import BuildOptions
from vigil.pipeline import BuildResult


def built(folder: Path, output: Path, **options: object) -> BuildResult:
    return vigil.build(folder, output, BuildOptions(**options))  # type: ignore[arg-type]


@pytest.fixture
def first(tmp_path: Path) -> tuple[Path, Path, BuildResult]:
    folder = write_publication(tmp_path / "pub", {
        "intro.md": "# Introduction\n\nA short paragraph.\n\n![A square](images/a.png)\n",
        "images/a.png": png_bytes((40, 40)),
    })
    output = tmp_path / "out"
    result = built(folder, output)
    assert not result.unchanged
    return folder, output, result


def test_an_unchanged_publication_is_not_built_again(
        first: tuple[Path, Path, BuildResult]) -> None:
    folder, output, result = first
    pdf = result.output.read_bytes()
    mtime = result.output.stat().st_mtime_ns
    again = built(folder, output)
    assert again.unchanged
    assert again.output == result.output
    assert (again.pages, again.bytes, again.notes) == (result.pages, result.bytes, result.notes)
    assert again.report.pages == result.report.pages
    assert again.report.warnings == result.report.warnings
    assert again.seconds < 0.5
    assert result.output.read_bytes() == pdf
    assert result.output.stat().st_mtime_ns == mtime  # not even rewritten
    assert output_files(output) == ["pub.pdf"]  # the cache is elsewhere
    cache = build_cache(folder, output)
    assert cache.is_relative_to(os.environ["VIGIL_CACHE_DIR"])
    entries = list((cache / "build").iterdir())
    assert len(entries) == 1 and entries[0].suffix == ".json"
    # beside it, only the sections laid out, if any (vigil.typeset.sections)
    assert {entry.name for entry in cache.iterdir()} <= {"build", "chunks", "sections"}


def test_the_command_says_unchanged(first: tuple[Path, Path, BuildResult]) -> None:
    folder, output, _ = first
    code, out, err = run_cli("build", folder, "-o", output)
    assert code == 0, err
    assert out.splitlines()[0].endswith("  (unchanged)")
    code, out, err = run_cli("build", "--force", folder, "-o", output)
    assert code == 0, err
    assert "(unchanged)" not in out


def test_force_builds_again(first: tuple[Path, Path, BuildResult]) -> None:
    folder, output, result = first
    forced = built(folder, output, force=True)
    assert not forced.unchanged
    assert forced.output.read_bytes() == result.output.read_bytes()  # reproducible
    assert built(folder, output).unchanged  # and the cache is fresh again


@pytest.mark.parametrize("change", [
    "source", "same size source", "image", "new file", "template override", "manifest",
])
def test_any_change_in_the_publication_builds_again(
        first: tuple[Path, Path, BuildResult], change: str) -> None:
    folder, output, _ = first
    intro = folder / "intro.md"
    if change == "source":
        intro.write_text(intro.read_text() + "\nAnother paragraph.\n")
    elif change == "same size source":  # same size, same modification time: content counts
        stat = intro.stat()
        intro.write_text(intro.read_text().replace("short", "SHORT"))
        os.utime(intro, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    elif change == "image":
        (folder / "images" / "a.png").write_bytes(png_bytes((40, 40), (200, 30, 30)))
    elif change == "new file":  # not (yet) used: still a change of the folder
        (folder / "notes.txt").write_text("to do\n")
    elif change == "template override":
        write_publication(folder, {"templates/back.html": "<section>Back</section>"})
    elif change == "manifest":
        (folder / "publication.yaml").write_text(manifest_with("subtitle: A subtitle\n"))
    again = built(folder, output)
    assert not again.unchanged
    if change in ("source", "same size source"):
        text = "".join(pdf_text_pages(again.output))
        assert ("Another paragraph." in text) if change == "source" else ("SHORT" in text)
    assert built(folder, output).unchanged


@pytest.mark.parametrize("options", [
    {"profile": "print"}, {"strict": True}, {"language": "az"},
])
def test_other_options_are_other_builds(first: tuple[Path, Path, BuildResult],
                                        options: dict[str, object]) -> None:
    folder, output, _ = first
    try:
        other = built(folder, output, **options)
    except VigilError:
        return  # refused (e.g. no such edition): certainly not reused
    assert not other.unchanged
    assert built(folder, output, **options).unchanged
    assert built(folder, output).unchanged  # the screen build's entry is still there


def test_source_date_epoch_builds_again(first: tuple[Path, Path, BuildResult],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder, output, result = first
    before = result.output.read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    again = built(folder, output)
    assert not again.unchanged
    assert again.output.read_bytes() != before  # the modification date inside changed
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert not built(folder, output).unchanged


def test_a_changed_or_missing_pdf_is_built_again(
        first: tuple[Path, Path, BuildResult]) -> None:
    folder, output, result = first
    good = result.output.read_bytes()
    result.output.write_bytes(good[:-10] + b"0123456789")
    again = built(folder, output)
    assert not again.unchanged and again.output.read_bytes() == good
    result.output.unlink()
    again = built(folder, output)
    assert not again.unchanged and again.output.read_bytes() == good


def test_a_damaged_cache_entry_is_ignored(first: tuple[Path, Path, BuildResult]) -> None:
    folder, output, _ = first
    (entry,) = (build_cache(folder, output) / "build").iterdir()
    for damage in ("{not json", json.dumps({"format": 1, "inputs": None}), "[]"):
        entry.write_text(damage)
        assert not built(folder, output).unchanged
    data = json.loads(entry.read_text())
    data["outputs"]["pdf"]["name"] = "../../pub/intro.md"  # an entry names its own files only
    entry.write_text(json.dumps(data))
    assert not built(folder, output).unchanged


def test_a_broken_then_mended_source_reuses_the_good_pdf(
        first: tuple[Path, Path, BuildResult]) -> None:
    folder, output, _ = first
    manifest = folder / "publication.yaml"
    good = manifest.read_text()
    manifest.write_text(good.replace("title:", "titel:"))
    code, out, err = run_cli("build", folder, "-o", output)
    assert "unknown key 'titel'" in user_error(code, out, err).text
    code, out, err = run_cli("build", folder, "-o", output)  # still broken: still an error
    assert code == 1
    manifest.write_text(good)
    assert built(folder, output).unchanged


def test_an_output_folder_inside_the_publication(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub")
    first = built(folder, folder / "output")
    assert not first.unchanged
    assert built(folder, folder / "output").unchanged


@pytest.mark.parametrize("target", ["loop", "nowhere", "../../../outside"])
def test_a_link_to_nothing_readable_in_the_publication_is_no_traceback(
        tmp_path: Path, target: str) -> None:
    """A link that loops to itself, dangles, or points nowhere is no input of the build."""
    folder = write_publication(tmp_path / "pub")
    (folder / "loop").symlink_to(target)
    first = built(folder, tmp_path / "out")
    assert not first.unchanged
    assert built(folder, tmp_path / "out").unchanged


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of vigil's themes and fonts, as VIGIL_HOME."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "src/vigil/themes", home / "themes")
    shutil.copytree(ROOT / "src/vigil/fonts", home / "fonts")
    monkeypatch.setenv("VIGIL_HOME", str(home))
    return home


@pytest.mark.parametrize("change", ["theme", "font"])
def test_a_change_in_the_theme_or_fonts_builds_again(tmp_path: Path, home: Path,
                                                     change: str) -> None:
    folder = write_publication(tmp_path / "pub")
    output = tmp_path / "out"
    assert not built(folder, output).unchanged
    assert built(folder, output).unchanged
    if change == "theme":
        style = home / "themes" / "memorial" / "style.css"
        style.write_text(style.read_text() + "\n.prose p { color: #222; }\n")
    else:  # another face in place of the italic
        fonts = home / "fonts"
        shutil.copy(fonts / "NotoSerif-Regular.ttf", fonts / "NotoSerif-Italic.ttf")
    assert not built(folder, output).unchanged
    assert built(folder, output).unchanged


def test_library_versions_and_vigil_are_inputs(first: tuple[Path, Path, BuildResult],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder, output, _ = first
    packages = vigil.store.packages()
    assert any("weasyprint-" in name.lower() for name in packages)
    assert any("pypdf-" in name.lower() for name in packages)
    monkeypatch.setattr(vigil.store, "packages", lambda: [*packages, "weasyprint-71.0.dist-info"])
    assert not built(folder, output).unchanged
    monkeypatch.setattr(vigil.cache, "__version__", "99.0")
    assert not built(folder, output).unchanged


def test_a_file_changed_during_the_build_is_not_cached(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vigil.typeset.sections

    folder = write_publication(tmp_path / "pub")
    output = tmp_path / "out"
    real = vigil.typeset.sections.typeset_sections

    def typeset_and_edit(*args: object, **kwargs: object) -> object:
        try:  # laid out by sections, or WholeLayoutNeeded (a small document): edited either way
            return real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            (folder / "intro.md").write_text("# Introduction\n\nEdited while building.\n")

    monkeypatch.setattr(vigil.typeset.sections, "typeset_sections", typeset_and_edit)
    assert not built(folder, output).unchanged
    monkeypatch.setattr(vigil.typeset.sections, "typeset_sections", real)
    again = built(folder, output)
    assert not again.unchanged
    assert "Edited while building." in "".join(pdf_text_pages(again.output))


def test_a_noop_build_of_the_sample_booklet_is_fast(tmp_path: Path) -> None:
    booklet = ROOT / "content" / "eternal-return-2025"
    built(booklet, tmp_path)
    started = time.perf_counter()
    again = built(booklet, tmp_path)
    assert again.unchanged
    assert time.perf_counter() - started < 0.5


def test_linked_folders_are_inputs_and_loops_end(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub")
    shared = folder / "shared-templates"  # a link inside the publication is allowed
    shared.mkdir()
    (shared / "back.html").write_text("<section>Back</section>")
    (folder / "templates").symlink_to(shared, target_is_directory=True)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    output = tmp_path / "out"
    assert not built(folder, output).unchanged
    assert built(folder, output).unchanged
    (shared / "back.html").write_text("<section>Another back</section>")
    assert not built(folder, output).unchanged


def test_other_files_a_build_wrote_must_be_intact_too(
        first: tuple[Path, Path, BuildResult]) -> None:
    folder, output, result = first
    listing = output / "pub-copies.csv"
    listing.write_text("file\npub-1.pdf\n")
    options = BuildOptions(whole=True)  # an entry of its own, beside the first build's
    cache = BuildCache(folder, output, options)
    assert cache.reuse() is None
    assert cache.store(result, [folder / "publication.yaml", folder / "intro.md"],
                       also=[listing])
    assert BuildCache(folder, output, options).reuse() is not None
    listing.write_text("file\npub-2.pdf\n")
    assert BuildCache(folder, output, options).reuse() is None


def test_nothing_is_recorded_for_a_file_read_outside_the_inputs(
        first: tuple[Path, Path, BuildResult], tmp_path: Path) -> None:
    folder, output, result = first
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text("# Not an input\n")
    cache = BuildCache(folder, output, BuildOptions(whole=True))
    assert cache.reuse() is None
    assert not cache.store(result, [folder / "publication.yaml", elsewhere])
    assert BuildCache(folder, output, BuildOptions(whole=True)).reuse() is None


def test_an_entry_under_another_key_is_refused(first: tuple[Path, Path, BuildResult]) -> None:
    """Each entry carries its key (publication, output folder, options): entries swapped
    between two sets of options, or copied from another output folder, are not used."""
    folder, output, _ = first
    built(folder, output, strict=True)
    entries = sorted((build_cache(folder, output) / "build").iterdir())
    assert len(entries) == 2
    one, two = (entry.read_bytes() for entry in entries)
    entries[0].write_bytes(two)
    entries[1].write_bytes(one)
    assert not built(folder, output).unchanged
    assert not built(folder, output, strict=True).unchanged
    other = output.parent / "other"
    built(folder, other)
    (entry,) = (build_cache(folder, other) / "build").iterdir()
    entry.write_bytes(next(iter((build_cache(folder, output) / "build").iterdir()))
                      .read_bytes())
    assert not built(folder, other).unchanged


def test_cache_dir_and_clean(first: tuple[Path, Path, BuildResult], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    # --cache-dir sets VIGIL_CACHE_DIR for the process (its workers follow): restored after.
    monkeypatch.setenv("VIGIL_CACHE_DIR", os.environ["VIGIL_CACHE_DIR"])
    folder, output, _ = first
    chosen = tmp_path / "my-cache"
    code, out, err = run_cli("build", folder, "-o", output, "--cache-dir", chosen)
    assert code == 0, err
    assert "(unchanged)" not in out  # another cache: not the one of the first build
    assert output_files(output) == ["pub.pdf"]
    assert list((chosen / "publications").iterdir())
    code, out, err = run_cli("build", folder, "-o", output, "--cache-dir", chosen)
    assert code == 0 and "(unchanged)" in out, err
    code, out, err = run_cli("clean", folder, "--cache-dir", chosen)
    assert code == 0, err
    assert "removed" in out and not list((chosen / "publications").iterdir())
    assert (output / "pub.pdf").is_file() and (folder / "publication.yaml").is_file()
    code, out, err = run_cli("clean", "--cache-dir", chosen)
    assert code == 0 and not [p for p in chosen.iterdir() if p.name != "publications"], err
    code, out, err = run_cli("clean", tmp_path / "nothing-here")
    assert code == 1 and "publication.yaml" in err
