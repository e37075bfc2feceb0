"""vigil finds its own files (themes, fonts, locales, hyphenation, starters) as package data
with importlib.resources, and says clearly when they are not a folder on disk."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import vigil.resources as resources
from vigil.errors import VigilError


def test_the_data_folders_are_in_the_package() -> None:
    package = resources.package_dir()
    assert (package / "__init__.py").is_file()
    assert (resources.themes_dir() / "memorial" / "style.css").is_file()
    assert (resources.fonts_dir() / "OFL.txt").is_file()
    assert sorted(resources.fonts_dir().glob("*.ttf"))
    assert (resources.data_dir("locales") / "az.yaml").is_file()
    assert (resources.data_dir("hyphenation") / "hyph_az_AZ.dic").is_file()
    assert (resources.data_dir("scaffold") / "booklet" / "publication.yaml").is_file()


def test_vigil_home_replaces_the_themes_and_fonts(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_HOME", str(tmp_path))
    assert resources.themes_dir() == tmp_path.resolve() / "themes"
    assert resources.fonts_dir() == tmp_path.resolve() / "fonts"


def test_a_package_inside_a_zip_file_is_refused_clearly(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "vigil.zip"
    with zipfile.ZipFile(archive, "w") as written:
        written.writestr("vigil/__init__.py", "")
    monkeypatch.setattr("importlib.resources.files",
                        lambda name: zipfile.Path(archive, "vigil/"))
    resources.package_dir.cache_clear()
    try:
        with pytest.raises(VigilError) as caught:
            resources.package_dir()
        assert "not a folder on disk" in str(caught.value)
        assert "zip" in (caught.value.hint or "")
    finally:
        monkeypatch.undo()
        resources.package_dir.cache_clear()
    assert resources.package_dir().is_dir()
