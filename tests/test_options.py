"""BuildOptions: one frozen, validated value for what a build is asked for, shared by the API and
the CLI; the build cache's key comes from the fields that change the bytes written."""

from __future__ import annotations

import dataclasses
import math
import warnings
from pathlib import Path

import pytest

import vigil
from conftest import run_cli, user_error, write_publication
from vigil.cache import BuildCache
from vigil.errors import VigilError
from vigil.options import BuildOptions
from vigil.pipeline import _options


@pytest.mark.parametrize(("values", "expected"), [
    ({"jobs": 0}, "at least 1"),
    ({"jobs": -2}, "at least 1"),
    ({"jobs": 1.5}, "whole number"),
    ({"timeout": -1}, "0 or more"),
    ({"timeout": math.nan}, "finite"),
    ({"timeout": math.inf}, "finite"),
    ({"timeout": "10"}, "finite number"),
    ({"profile": "poster"}, "unknown profile 'poster' (available: screen, print, archive)"),
    ({"language": "de"}, "unsupported language 'de'"),
    ({"impose": True}, "imposition needs the print profile"),
    ({"strict": "yes"}, "True or False"),
])
def test_a_wrong_option_is_a_clear_error(values: dict[str, object], expected: str) -> None:
    with pytest.raises(VigilError) as caught:
        BuildOptions(**values)  # type: ignore[arg-type]
    assert expected in str(caught.value)
    assert str(caught.value).endswith((".", "?", "!")), "one sentence, for the CLI"


def test_options_are_frozen_and_normalised(tmp_path: Path) -> None:
    options = BuildOptions(profile="print", impose=True, language="az-Latn", jobs=2, timeout=5,
                           cache_dir=str(tmp_path))  # type: ignore[arg-type]
    assert options.cache_dir == tmp_path and isinstance(options.timeout, float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.profile = "screen"  # type: ignore[misc]
    assert BuildOptions(timeout=0).time_limit is None
    assert BuildOptions(timeout=2.5).time_limit == 2.5


def test_the_cache_key_holds_what_changes_the_bytes_and_nothing_else(tmp_path: Path) -> None:
    assert BuildOptions.output_fields() == ("profile", "impose", "strict", "language", "whole")
    every = {field.name for field in dataclasses.fields(BuildOptions)}
    assert set(BuildOptions.output_fields()) | BuildOptions.SPEED_FIELDS == every
    base = BuildOptions()
    folder = write_publication(tmp_path / "pub")
    entry = BuildCache(folder, tmp_path / "out", base).entry_key
    # How fast, whether the cache is read, where it lives, how long it may take: same key.
    for same in (BuildOptions(jobs=3), BuildOptions(force=True), BuildOptions(timeout=9),
                 BuildOptions(cached=False)):
        assert same.cache_key() == base.cache_key()
        assert BuildCache(folder, tmp_path / "out", same).entry_key == entry
    # What is built: another key.
    others = [BuildOptions(profile="print"), BuildOptions(strict=True),
              BuildOptions(language="ru"), BuildOptions(whole=True),
              BuildOptions(profile="print", impose=True)]
    keys = {BuildCache(folder, tmp_path / "out", other).entry_key for other in others}
    assert entry not in keys and len(keys) == len(others)
    assert BuildCache(folder, tmp_path / "elsewhere", base).entry_key != entry


def test_the_old_keyword_style_still_works_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="BuildOptions"):
        old = _options("print", {"impose": True, "force": True})
    assert old == BuildOptions(profile="print", impose=True, force=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _options(None, {}) == BuildOptions()
        assert _options(old, {}) is old
    with pytest.raises(TypeError, match="unexpected keyword argument 'fast'"):
        _options(None, {"fast": True})
    with pytest.raises(TypeError, match=r"one vigil\.options\.BuildOptions"):
        _options(old, {"force": True})
    with pytest.raises(TypeError, match="multiple values"):
        _options("print", {"profile": "screen"})


def test_build_takes_one_options_value(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "pub")
    result = vigil.build(folder, tmp_path / "out", BuildOptions(profile="print", cached=False))
    assert result.output == tmp_path / "out" / "pub-print.pdf"
    with pytest.raises(VigilError, match="unsupported language"):
        vigil.build(folder, tmp_path / "out", BuildOptions(language="xx"))


def test_the_command_line_refuses_a_language_for_each_publication(tmp_path: Path) -> None:
    """As before BuildOptions: each publication fails with the message, none is built."""
    first = write_publication(tmp_path / "a")
    second = write_publication(tmp_path / "b")
    code, out, err = run_cli("build", "--language", "xx", first, second, "-o", tmp_path / "o")
    assert "unsupported language 'xx'" in user_error(code, out, err).text
    assert err.count("unsupported language 'xx'") == 2
    assert not (tmp_path / "o").exists()


def test_an_export_builds_the_archive_profile_only(tmp_path: Path) -> None:
    from vigil.archive.export import archive_options, export

    with pytest.raises(VigilError, match="an export builds the archive profile"):
        export([write_publication(tmp_path / "pub")], tmp_path / "bag",
               BuildOptions(profile="print"))
    chosen = archive_options(BuildOptions(profile="archive", timeout=30, language="ru"))
    assert chosen == BuildOptions(profile="archive", timeout=30, force=True, cached=False)
