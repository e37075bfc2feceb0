"""The archive: PDF/A-3u files carrying their sources, in a BagIt bag that verifies and rebuilds.

The samples are exported once per session (in two worker processes) and verified; the other
tests use small publications. A changed byte is named by ``verify``; a rebuild from the embedded
sources gives the same bytes; an export that fails midway (an exception, or a process killed)
leaves the previous bag valid; bad input gives one paragraph and exit code 1 (2 for a file that
cannot be read), never a traceback.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

from conftest import (
    CONTENT,
    ROOT,
    SAMPLES,
    build_into,
    manifest_with,
    png_bytes,
    run_cli,
    user_error,
    write_publication,
)
from vigil.archive import export as export_module
from vigil.archive.embed import read_archive_metadata, read_embedded, safe_name
from vigil.archive.export import CATALOGUE_CSV, CATALOGUE_JSON, export
from vigil.archive.verify import rebuild, verify

pytestmark = pytest.mark.slow


def bag_files(bag: Path) -> dict[str, bytes]:
    return {p.relative_to(bag).as_posix(): p.read_bytes() for p in sorted(bag.rglob("*"))
            if p.is_file()}


def catalogue(bag: Path) -> dict[str, Any]:
    return json.loads((bag / "data" / CATALOGUE_JSON).read_text(encoding="utf-8"))


def entries(bag: Path) -> dict[str, dict[str, Any]]:
    return {entry["file"]: entry for entry in catalogue(bag)["publications"]}


def small(folder: Path, title: str, text: str = "A short paragraph.",
          extra: str = "organiser: Test Museum\n") -> Path:
    return write_publication(folder, {"intro.md": f"# Introduction\n\n{text}\n"},
                             manifest=manifest_with(extra, title=title))


@pytest.fixture(scope="session")
def sample_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bag = tmp_path_factory.mktemp("archive") / "bag"
    folders = [CONTENT / name for name in SAMPLES if (CONTENT / name).is_dir()]
    result = export(folders, bag, jobs=2)
    assert not result.failures, [o.error for o in result.failures]
    return bag


@pytest.fixture
def small_bag(tmp_path: Path) -> tuple[Path, list[Path]]:
    folders = [small(tmp_path / "src" / f"pub-{n}", f"Publication {n}") for n in (1, 2, 3)]
    bag = tmp_path / "bag"
    result = export(folders, bag, jobs=1)
    assert result.count("built") == 3
    return bag, folders


# ---------------------------------------------------------------- the bag and its catalogue


def test_export_writes_a_bag_with_every_sample(sample_bag: Path) -> None:
    import bagit

    bagit.Bag(str(sample_bag)).validate()
    listed = entries(sample_bag)
    expected = {f"{name}-archive.pdf" for name in SAMPLES if (CONTENT / name).is_dir()}
    assert expected <= set(listed)
    edition = listed.get("institute-programme-2025-archive.az.pdf")  # a translated edition
    assert edition is not None and edition["edition"] == "az" and edition["language"] == "az"
    assert sorted(p.name for p in (sample_bag / "data").glob("*.pdf")) == sorted(listed)
    manifest = (sample_bag / "manifest-sha256.txt").read_text(encoding="utf-8")
    for name, entry in listed.items():
        assert f"{entry['sha256']}  data/{name}" in manifest
        assert entry["pdfa"] == "PDF/A-3u"
        assert {"pdfa-identification", "output-intent", "not-encrypted", "no-javascript",
                "fonts-embedded", "sources-embedded"} <= set(entry["checks"]["passed"])
        assert entry["pages"] == len(PdfReader(sample_bag / "data" / name).pages)
        assert entry["title"] and entry["language"] and entry["date"]
    rows = list(csv.DictReader((sample_bag / "data" / CATALOGUE_CSV).open(encoding="utf-8")))
    assert sorted(row["file"] for row in rows) == sorted(listed)
    assert all(row["sha256"] == listed[row["file"]]["sha256"] for row in rows)
    info = (sample_bag / "bag-info.txt").read_text(encoding="utf-8")
    latest = max(entry["date"] for entry in listed.values())
    assert f"Bagging-Date: {latest}" in info
    assert "Source-Organization: Azerbaijan Independence Museum" in info


def test_archive_pdf_is_pdfa_3u_with_its_sources(sample_bag: Path) -> None:
    name = "eternal-return-2025"
    reader = PdfReader(sample_bag / "data" / f"{name}-archive.pdf")
    assert (sample_bag / "data" / f"{name}-archive.pdf").read_bytes().startswith(b"%PDF-1.7")
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    for fragment in ("<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>U<",
                     "<dc:language><rdf:Bag><rdf:li>en</rdf:li>",
                     "<dc:publisher><rdf:Bag><rdf:li>Azerbaijan Independence Museum",
                     "<dc:date><rdf:Seq><rdf:li>2025-02-25", "<xmp:CreatorTool>vigil ",
                     "<dc:description>", "<dc:subject>", "<vigil:version>",
                     "pdfaExtension:schemas"):
        assert fragment in xmp, fragment
    from xml.etree import ElementTree

    ElementTree.fromstring(xmp[xmp.index("<x:xmpmeta"):xmp.rindex("</x:xmpmeta>") + 12])
    info = reader.metadata
    assert info is not None and f"<rdf:li xml:lang=\"x-default\">{info.title}</rdf:li>" in xmp
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert intents[0].get_object()["/DestOutputProfile"].get_object().get_data()
    embedded = {f.name: f for f in read_embedded(reader)}
    af = reader.trailer["/Root"]["/AF"]
    assert len(af) == len(embedded)  # one associated file each (WeasyPrint lists them twice)
    publication = CONTENT / name
    assert {"publication.yaml", "foreword.md", "images/cover.jpg", "inserts/poster.pdf",
            "theme/memorial/style.css", "theme/memorial/booklet.html"} <= set(embedded)
    for file in embedded.values():
        assert file.relationship == "Source"
        if not file.name.startswith("theme/"):
            assert (publication / file.name).read_bytes() == file.data, file.name
        else:
            memorial = ROOT / "src/vigil/themes" / "memorial"
            assert (memorial / file.name.removeprefix("theme/memorial/")).read_bytes() == \
                file.data
    facts = read_archive_metadata(reader)
    assert facts is not None and facts.publication == name and facts.theme == "memorial"


def test_the_samples_verify_and_rebuild_to_the_same_bytes(sample_bag: Path) -> None:
    code, out, err = run_cli("verify", sample_bag, "--jobs", "2")
    assert code == 0, err
    assert "Traceback" not in out + err
    for name in entries(sample_bag):
        assert f"ok  {name}  (rebuilt to the same bytes)" in out


def test_export_is_reproducible(sample_bag: Path, tmp_path: Path) -> None:
    """Another export of the same sources, elsewhere and with one job, gives the same bag."""
    folders = [tmp_path / "copy" / name for name in SAMPLES if (CONTENT / name).is_dir()]
    for folder in folders:
        shutil.copytree(CONTENT / folder.name, folder)
    again = tmp_path / "again"
    export(folders, again, jobs=1)
    assert bag_files(again) == bag_files(sample_bag)


def test_rebuild_round_trip_is_byte_identical(sample_bag: Path, tmp_path: Path) -> None:
    pdf = sample_bag / "data" / "eternal-return-2025-archive.pdf"
    code, out, err = run_cli("rebuild", pdf, "--to", tmp_path / "rebuilt")
    assert code == 0, err
    assert "the same bytes as" in out
    rebuilt = tmp_path / "rebuilt" / "eternal-return-2025-archive.pdf"
    assert rebuilt.read_bytes() == pdf.read_bytes()
    sources = tmp_path / "rebuilt" / "eternal-return-2025"
    assert (sources / "publication.yaml").is_file()
    assert (sources / "memorial" / "style.css").is_file()  # the theme, where theme: finds it


def test_a_changed_byte_is_named_by_verify(sample_bag: Path, tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    shutil.copytree(sample_bag, bag)
    victim = bag / "data" / "institute-programme-2025-archive.pdf"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    code, out, err = run_cli("verify", bag, "--jobs", "1", "--no-rebuild")
    assert code == 1
    assert "Traceback" not in out + err
    assert f"vigil: {victim.name}: its checksum does not match the bag's manifest" in err
    assert f"vigil: {victim.name}: its SHA-256 is not the one the catalogue recorded" in err
    others = [name for name in entries(bag) if name != victim.name]
    assert all(f"ok  {name}" in out for name in others)


# ---------------------------------------------------------------- small publications


def test_rebuild_with_own_theme_overrides_and_markdown_image(tmp_path: Path) -> None:
    """A publication with its own theme folder, a templates/ override and a Markdown image
    (read only while laying out) rebuilds from a temporary folder to the same bytes."""
    folder = tmp_path / "src" / "own-theme"
    write_publication(folder, {
        "intro.md": "# Introduction\n\n![A test picture](images/pic.png)\n",
        "images/pic.png": png_bytes((60, 40)),
        "templates/back.html": (ROOT / "src/vigil/themes" / "memorial" / "back.html").read_text(
            encoding="utf-8") + "\n",
    }, manifest=manifest_with("theme: house\n"))
    shutil.copytree(ROOT / "src/vigil/themes" / "memorial", folder / "house")
    first = build_into(tmp_path / "out", folder, "archive")
    names = {f.name for f in read_embedded(PdfReader(first.output))}
    assert {"images/pic.png", "templates/back.html", "theme/house/style.css"} <= names
    assert not any(name.startswith("house/") for name in names)
    result = rebuild(first.output, tmp_path / "elsewhere")
    assert result.identical


def test_incremental_export_rebuilds_only_what_changed(small_bag: tuple[Path, list[Path]],
                                                       ) -> None:
    bag, folders = small_bag
    before = entries(bag)
    (folders[1] / "intro.md").write_text("# Introduction\n\nA changed paragraph.\n",
                                         encoding="utf-8")
    result = export(folders, bag, jobs=1)
    status = {o.file: o.status for o in result.outcomes}
    assert status == {"pub-1-archive.pdf": "unchanged", "pub-2-archive.pdf": "built",
                      "pub-3-archive.pdf": "unchanged"}
    after = entries(bag)
    assert after["pub-1-archive.pdf"] == before["pub-1-archive.pdf"]
    assert after["pub-2-archive.pdf"]["sources"] != before["pub-2-archive.pdf"]["sources"]
    assert verify(bag, jobs=1).ok
    assert not list(bag.parent.glob(".bag.new-*")) and not list(bag.parent.glob(".bag.work-*"))


def test_a_failed_publication_keeps_its_previous_pdf(small_bag: tuple[Path, list[Path]]) -> None:
    bag, folders = small_bag
    (folders[0] / "publication.yaml").write_text(manifest_with("titel: typo\n"),
                                                 encoding="utf-8")
    code, out, err = run_cli("export", *folders, "--to", bag, "--jobs", "1", "--quiet")
    message = user_error(code, out, err)
    assert message.kind == "content error" and "unknown key 'titel'" in message.text
    assert "The previous PDF stays in the bag." in err
    assert set(entries(bag)) == {f"pub-{n}-archive.pdf" for n in (1, 2, 3)}
    assert verify(bag, jobs=1, rebuild_pdfs=False).ok


def test_publications_not_exported_stay_unless_pruned(small_bag: tuple[Path, list[Path]],
                                                      ) -> None:
    bag, folders = small_bag
    export(folders[:1], bag, jobs=1)
    assert len(entries(bag)) == 3
    export(folders[:1], bag, jobs=1, prune=True)
    assert set(entries(bag)) == {"pub-1-archive.pdf"}
    assert verify(bag, jobs=1, rebuild_pdfs=False).ok


def test_an_exception_midway_leaves_the_previous_bag(small_bag: tuple[Path, list[Path]],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bag, folders = small_bag
    before = bag_files(bag)
    for folder in folders:
        (folder / "intro.md").write_text("# Introduction\n\nNew text.\n", encoding="utf-8")
    real = export_module._export_edition
    calls: list[str] = []

    def failing(*args: Any) -> Any:
        calls.append(str(args[1]))
        if len(calls) == 2:
            raise RuntimeError("injected in the middle of the export")
        return real(*args)

    monkeypatch.setattr(export_module, "_export_edition", failing)
    with pytest.raises(RuntimeError, match="injected"):
        export(folders, bag, jobs=1)
    assert bag_files(bag) == before
    assert verify(bag, jobs=1, rebuild_pdfs=False).ok
    assert sorted(p.name for p in bag.parent.iterdir() if p.name.startswith(".bag.")) == \
        [".bag.lock"]


def test_a_killed_export_leaves_the_previous_bag(small_bag: tuple[Path, list[Path]]) -> None:
    bag, folders = small_bag
    before = bag_files(bag)
    more = [small(bag.parent / "src" / f"extra-{n}", f"Extra {n}") for n in range(4)]
    for folder in folders:
        (folder / "intro.md").write_text("# Introduction\n\nNew text.\n", encoding="utf-8")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "vigil", "export", *map(str, folders + more), "--to", str(bag),
         "--jobs", "1", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 90
    try:
        while not list(bag.parent.glob(".bag.new-*/*.pdf")):  # the first publication is built
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert bag_files(bag) == before
    assert verify(bag, jobs=1, rebuild_pdfs=False).ok
    result = export(folders, bag, jobs=1)  # the next export cleans up what was left
    assert result.count("built") == 3
    assert sorted(p.name for p in bag.parent.iterdir() if p.name.startswith(".bag.")) == \
        [".bag.lock"]


def test_a_swap_cut_between_its_renames_is_repaired(small_bag: tuple[Path, list[Path]]) -> None:
    bag, folders = small_bag
    before = bag_files(bag)
    os.rename(bag, bag.with_name(".bag.old"))  # as if killed between the two renames
    result = export(folders, bag, jobs=1)
    assert result.count("unchanged") == 3
    assert bag_files(bag) == before


def test_parallel_export_gives_the_same_bag(small_bag: tuple[Path, list[Path]],
                                            tmp_path: Path) -> None:
    bag, folders = small_bag
    other = tmp_path / "parallel"
    result = export(folders, other, jobs=2)
    assert result.jobs == 2 and result.count("built") == 3
    assert bag_files(other) == bag_files(bag)


def test_bag_date_and_organisation_from_options(small_bag: tuple[Path, list[Path]],
                                                tmp_path: Path) -> None:
    _, folders = small_bag
    bag = tmp_path / "dated"
    code, out, err = run_cli("export", *folders, "--to", bag, "--jobs", "1", "--date",
                             "2030-01-02", "--organisation", "City Archive")
    assert code == 0, err
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert "Bagging-Date: 2030-01-02" in info and "Source-Organization: City Archive" in info
    assert "built      pub-1-archive.pdf  1 pages" in out or "pub-1-archive.pdf" in out
    assert f"{bag}: 3 PDFs (3 built)" in out


# ---------------------------------------------------------------- bad input


def test_rebuild_refuses_a_pdf_without_sources(tmp_path: Path) -> None:
    screen = build_into(tmp_path / "out", small(tmp_path / "pub", "Plain"))
    message = user_error(*run_cli("rebuild", screen.output, "--to", tmp_path / "x"))
    assert "carries no embedded sources" in message.text
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())


@pytest.mark.parametrize("content", [b"not a pdf at all", b"%PDF-1.7\n% truncated"])
def test_rebuild_of_an_unreadable_file_exits_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    code, out, err = run_cli("rebuild", path, "--to", tmp_path / "x")
    assert code == 2, err
    assert "Traceback" not in out + err and err.startswith("vigil: ")
    code, _, err = run_cli("rebuild", tmp_path / "missing.pdf", "--to", tmp_path / "x")
    assert code == 2 and "no such file" in err


def test_rebuild_refuses_unsafe_names(small_bag: tuple[Path, list[Path]], tmp_path: Path) -> None:
    bag, _ = small_bag
    writer = PdfWriter(clone_from=bag / "data" / "pub-1-archive.pdf")
    spec = writer.root_object["/AF"][0].get_object()
    for key in ("/UF", "/F"):
        spec[NameObject(key)] = TextStringObject("../../escaped.md")
    hostile = tmp_path / "hostile.pdf"
    with hostile.open("wb") as stream:
        writer.write(stream)
    message = user_error(*run_cli("rebuild", hostile, "--to", tmp_path / "out" / "x"))
    assert "unsafe name" in message.text
    assert not list(tmp_path.rglob("escaped.md"))


def test_rebuild_does_not_overwrite(small_bag: tuple[Path, list[Path]], tmp_path: Path) -> None:
    bag, _ = small_bag
    (tmp_path / "pub-1").mkdir()
    (tmp_path / "pub-1" / "mine.txt").write_text("keep me", encoding="utf-8")
    message = user_error(*run_cli("rebuild", bag / "data" / "pub-1-archive.pdf", "--to",
                                  tmp_path))
    assert "not empty" in message.text
    assert (tmp_path / "pub-1" / "mine.txt").read_text(encoding="utf-8") == "keep me"


def test_verify_refuses_what_is_not_a_bag(tmp_path: Path) -> None:
    message = user_error(*run_cli("verify", tmp_path))
    assert "not a BagIt bag" in message.text
    message = user_error(*run_cli("verify", tmp_path / "nowhere"))
    assert "no such folder" in message.text


def test_verify_names_missing_and_unlisted_files(small_bag: tuple[Path, list[Path]]) -> None:
    bag, _ = small_bag
    (bag / "data" / "pub-2-archive.pdf").unlink()
    (bag / "data" / "stray.pdf").write_bytes(b"%PDF-1.7\n")
    code, out, err = run_cli("verify", bag, "--jobs", "1", "--no-rebuild")
    assert code == 1 and "Traceback" not in out + err
    assert "vigil: pub-2-archive.pdf: the bag's manifest lists it, but it is missing" in err \
        or "vigil: pub-2-archive.pdf: the catalogue lists it" in err
    assert "vigil: stray.pdf:" in err


def test_export_never_replaces_a_folder_that_is_not_its_bag(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.mkdir()
    (target / "thesis.txt").write_text("years of work", encoding="utf-8")
    folder = small(tmp_path / "pub", "One")
    message = user_error(*run_cli("export", folder, "--to", target, "--jobs", "1"))
    assert "not a bag made by vigil export" in message.text
    assert (target / "thesis.txt").read_text(encoding="utf-8") == "years of work"


def test_export_of_a_folder_without_publication(tmp_path: Path) -> None:
    message = user_error(*run_cli("export", tmp_path, "--to", tmp_path / "bag"))
    assert "no publication.yaml" in message.text


def test_safe_names() -> None:
    assert safe_name("images/cover.jpg") and safe_name("theme/memorial/blocks/a.html")
    for bad in ("", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b", "C:x", "a\x00b"):
        assert not safe_name(bad), bad


def test_archive_build_records_hash_of_sources(tmp_path: Path) -> None:
    folder = small(tmp_path / "pub", "Hashes")
    result = build_into(tmp_path / "out", folder, "archive")
    reader = PdfReader(result.output)
    facts = read_archive_metadata(reader)
    assert facts is not None
    lines = "".join(f"{f.sha256}  {f.name}\n" for f in sorted(read_embedded(reader),
                                                               key=lambda f: f.name))
    assert facts.sources_sha256 == hashlib.sha256(lines.encode()).hexdigest()


def test_progress_bar_draws_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from vigil.archive import commands

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(commands.sys, "stderr", terminal)
    with commands._bar(2, "Exporting", quiet=False) as advance:
        advance()
        advance()
    with commands._bar(2, "Exporting", quiet=True) as advance:
        advance()
