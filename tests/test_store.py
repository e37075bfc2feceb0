"""vigil.store: one hasher with one memo, and one content-addressed store whose entries carry their
key and the SHA-256 of their bytes (the build cache, the section chunks, the reduced pictures and
the hyphenation dictionaries all keep their entries there)."""

from __future__ import annotations

import ast
import json
import os
import time
from pathlib import Path

import pytest

from conftest import ROOT
from vigil import store
from vigil.store import DocumentStore, Store, file_digest


def test_an_entry_comes_back_whole_with_its_record(tmp_path: Path) -> None:
    entries = Store(tmp_path / "s", (".pdf", ".bin"))
    path = entries.put("abc123", b"%PDF-1.7 bytes", {"pages": [1, 2]}, suffix=".bin")
    assert path == tmp_path / "s" / "abc123.bin"
    record = json.loads((tmp_path / "s" / "abc123.json").read_text())
    assert record["key"] == "abc123" and record["suffix"] == ".bin"
    found = entries.get("abc123")
    assert found is not None and found.data == b"%PDF-1.7 bytes" and found.path == path
    assert found.meta == {"pages": [1, 2]}
    assert entries.get("missing") is None
    entries.remove("abc123")
    assert entries.get("abc123") is None and not list((tmp_path / "s").iterdir())


def test_swapped_or_changed_entries_are_refused(tmp_path: Path) -> None:
    entries = Store(tmp_path, (".pdf",))
    entries.put("one", b"first", {})
    entries.put("two", b"second", {})
    (tmp_path / "one.pdf").write_bytes(b"other")  # changed bytes
    assert entries.get("one") is None
    entries.put("one", b"first", {})
    for suffix in (".pdf", ".json"):  # a whole entry moved over another's
        first, second = tmp_path / f"one{suffix}", tmp_path / f"two{suffix}"
        one, two = first.read_bytes(), second.read_bytes()
        first.write_bytes(two)
        second.write_bytes(one)
    assert entries.get("one") is None and entries.get("two") is None
    (tmp_path / "one.json").write_text("{not json")
    assert entries.get("one") is None


def test_records_only_and_keys_that_cannot_be_files(tmp_path: Path) -> None:
    entries = Store(tmp_path)
    assert entries.put("plain", None, {"numbers": {"a": 3}}) == tmp_path / "plain.json"
    found = entries.get("plain")
    assert found is not None and found.data == b"" and found.meta == {"numbers": {"a": 3}}
    for bad in ("../x", ".hidden", "", "a/b"):
        assert entries.put(bad, b"x", {}) is None
        assert entries.get(bad) is None
    with pytest.raises(ValueError, match="reserved"):
        entries.put("k", b"x", {"sha256": "0"})


def test_an_unwritable_store_keeps_nothing_and_says_nothing(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would be")
    entries = Store(blocked / "entries")
    assert entries.put("k", b"data", {}) is None
    assert entries.get("k") is None


def test_a_document_keeps_only_the_entries_its_last_build_used(tmp_path: Path) -> None:
    shared = Store(tmp_path / "chunks", (".pdf",))
    document = DocumentStore(shared, Store(tmp_path / "sections"), "book.screen", 3)
    for key in ("a1", "b2", "c3"):
        document.put(key, key.encode(), {})
    document.finish(["a1", "b2"], {"intro": 4})
    assert shared.get("c3") is None and shared.get("a1") is not None
    again = DocumentStore(shared, Store(tmp_path / "sections"), "book.screen", 3)
    assert again.numbers() == {"intro": 4}
    again.finish(["b2"], {})
    assert shared.get("a1") is None and shared.get("b2") is not None
    assert DocumentStore(shared, Store(tmp_path / "sections"), "book.screen", 4).numbers() == {}


def test_the_hasher_sees_a_rewrite_that_keeps_size_and_modification_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The memo is keyed by the file's inode, size, modification and change times: setting the
    modification time back does not hide a change (the change time moves on)."""
    monkeypatch.setattr(store, "RACY_SECONDS", 0.0)  # remember at once
    path = tmp_path / "source.md"
    path.write_text("A short paragraph.")
    before = path.stat()
    first = file_digest(path)
    assert any(key[0] == str(path) for key in store._memo)
    time.sleep(0.02)
    path.write_text("A SHORT paragraph.")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert file_digest(path) != first


def test_a_file_changed_just_now_is_not_remembered(tmp_path: Path) -> None:
    path = tmp_path / "fresh.txt"
    path.write_text("just written")
    file_digest(path)
    assert not any(key[0] == str(path) for key in store._memo)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", ["store", "options", "result"])
def test_the_shared_utilities_import_no_stage(module: str) -> None:
    stages = ("read", "compose", "typeset", "assemble", "check", "publish", "pipeline", "cache",
              "archive")
    found = _imports(ROOT / "src" / "vigil" / f"{module}.py")
    assert not {name for name in found if name.startswith(tuple(f"vigil.{s}" for s in stages))
                and not (module == "result" and name == "vigil.check")}, found
