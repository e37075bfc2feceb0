"""Translated editions (``vigil build --language ru``) and localised numbers and quotation marks.

An edition takes each section from ``NAME.CODE.md`` / ``NAME.CODE.yaml`` beside the original and
the text of publication.yaml from ``translations: CODE:``; what has no translation stays in the
original language (keeping its ``lang``) and is named in a warning.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import (
    PROGRAMME_SAMPLE,
    PROGRAMME_SAMPLE_AZ,
    Builds,
    assert_located,
    build_error,
    build_into,
    manifest_with,
    normalise,
    pdf_reader,
    pdf_text_pages,
    run_cli,
    user_error,
    write_publication,
)
from vigil.compose import compose_html
from vigil.i18n import available_languages, locale_for
from vigil.profiles import get_profile
from vigil.read import read_publication

NBSP = "\u00a0"

# ---------------------------------------------------------------- numbers and quotation marks


@pytest.mark.parametrize(("language", "written", "printed"), [
    ("en", "1275", "1,275"),
    ("en", "1,275", "1,275"),
    ("en", "1 275", "1,275"),
    ("en", "12345678", "12,345,678"),
    ("az", "1275", f"1{NBSP}275"),
    ("az", "1.275", f"1{NBSP}275"),        # CLDR's Azerbaijani grouping, read too
    ("ru", "1275", f"1{NBSP}275"),
    ("ru", f"1{NBSP}275", f"1{NBSP}275"),
    ("tr", "1275", "1.275"),
    ("tr", "1 275", "1.275"),
    ("en", "613", "613"),
    # Not whole numbers written the language's way: left exactly as written.
    ("en", "about 1,000", "about 1,000"),
    ("en", "1.275", "1.275"),              # a decimal in English
    ("ru", "1,275", "1,275"),              # a decimal in Russian
    ("en", "1,27", "1,27"),
    ("en", "007", "007"),
    ("en", "63+", "63+"),
    ("en", "1,275,00", "1,275,00"),
])
def test_whole_numbers_are_written_the_languages_way(language: str, written: str,
                                                      printed: str) -> None:
    assert locale_for(language).localise_number(written) == printed


@pytest.mark.parametrize(("language", "quotes"), [
    ("en", "“”‘’"), ("az", "“”‘’"), ("ru", "«»„“"), ("tr", "“”‘’"),
])
def test_quotation_marks_are_cldrs(language: str, quotes: str) -> None:
    assert locale_for(language).quotes == quotes


def test_every_language_is_one_file() -> None:
    assert set(available_languages()) >= {"az", "en", "ru", "tr"}
    for language in available_languages():
        locale = locale_for(language)
        assert len(locale.quotes) == 4, language
        assert locale.number(1275).replace(locale.group_symbol, "") == "1275", language


FIGURES = """title: Figures
type: figures
items:
  - value: "{value}"
    label: people taken captive
"""


def _figure_value(tmp_path: Path, language: str, value: str, extra: str = "") -> str:
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest_with(f"language: {language}\n", sections=("f.yaml",)),
        "f.yaml": FIGURES.format(value=value) + extra,
    })
    html = compose_html(read_publication(folder), get_profile("screen")).html
    match = re.search(r'<dt class="value">(.*?)</dt>', html)
    assert match
    return match.group(1).replace("&nbsp;", NBSP)


@pytest.mark.parametrize(("language", "value", "printed"), [
    ("en", "1275", "1,275"), ("az", "1275", f"1{NBSP}275"), ("ru", "1,275", "1,275"),
    ("tr", "1275", "1.275"), ("en", "about 1,000", "about 1,000"),
])
def test_figures_values_follow_the_section_language(tmp_path: Path, language: str, value: str,
                                                    printed: str) -> None:
    assert _figure_value(tmp_path, language, value) == printed


def test_figures_can_keep_their_numbers_as_written(tmp_path: Path) -> None:
    assert _figure_value(tmp_path, "en", "1275", "format_numbers: false\n") == "1275"


def test_the_sample_programmes_print_their_numbers_in_their_language(builds: Builds) -> None:
    english = normalise(" ".join(builds.sample(PROGRAMME_SAMPLE).pages))
    azerbaijani = " ".join(builds.sample(PROGRAMME_SAMPLE_AZ).pages)
    assert "1,275 people taken captive" in english
    assert re.search(r"1[\s\u00a0]275\s+girov", azerbaijani), azerbaijani


# ---------------------------------------------------------------- the sample's az edition


def test_the_azerbaijani_edition_of_the_programme(builds: Builds) -> None:
    built = builds.sample(PROGRAMME_SAMPLE_AZ)
    assert built.pdf.name == "institute-programme-2025.az.pdf"
    text = " ".join(built.pages)
    for word in ("Tədbirin proqramı", "Bir dəqiqəlik sükut", "Xocalı", "fevral 2025"):
        assert word in normalise(text), word
    assert "February" not in text
    reader = pdf_reader(built.pdf)
    assert reader.trailer["/Root"]["/Lang"] == "az"
    assert reader.metadata is not None
    assert reader.metadata.title == "Xocalı faciəsi qurbanlarının xatirəsinə"
    assert not built.result.report.warnings, "the az edition is fully translated"


def test_the_original_edition_is_unchanged_by_its_translations(builds: Builds) -> None:
    built = builds.sample(PROGRAMME_SAMPLE)
    assert built.pdf.name == "institute-programme-2025.pdf"
    assert pdf_reader(built.pdf).trailer["/Root"]["/Lang"] == "en"
    assert "Xocalı" not in " ".join(built.pages)


# ---------------------------------------------------------------- editions


def _bilingual(folder: Path, **files: str | None) -> Path:
    defaults: dict[str, str | bytes | None] = {
        "publication.yaml": manifest_with(
            "place: Baku\ntranslations:\n  ru:\n    title: Тестовый буклет\n",
            sections=("intro.md", "closing.md", "figures.yaml"),
        ),
        "intro.md": "# Introduction\n\nEnglish \"words\".\n",
        "intro.ru.md": "# Введение\n\nРусские \"слова\".\n",
        "closing.md": "# Closing\n\nThe \"last\" words.\n",
        "figures.yaml": FIGURES.format(value="1,275"),
        "figures.ru.yaml": FIGURES.format(value="1275").replace("Figures", "Цифры"),
    }
    defaults.update(files)
    return write_publication(folder, defaults)


def test_an_edition_warns_and_names_each_untranslated_file(tmp_path: Path) -> None:
    folder = _bilingual(tmp_path / "p")
    code, _out, err = run_cli("build", "--language", "ru", folder, "-o", tmp_path / "out")
    assert code == 0, err
    assert (tmp_path / "out" / "p.ru.pdf").is_file()
    assert "closing.md (no closing.ru.md)" in err
    assert "intro.md" not in err and "figures.yaml" not in err
    assert "publication.yaml has no ru translation of place" in err
    assert "printed in English" in err


def test_an_edition_sets_translated_and_original_sections(tmp_path: Path) -> None:
    folder = _bilingual(tmp_path / "p")
    publication = read_publication(folder, "ru")
    assert publication.edition == "ru"
    assert publication.meta.title == "Тестовый буклет"
    assert [s.language for s in publication.sections] == ["ru", "en", "ru"]
    assert [s.id for s in publication.sections] == ["intro", "closing", "figures"]
    html = compose_html(publication, get_profile("screen")).html
    assert '<html lang="ru">' in html
    assert "Содержание" in html  # the fixed words of the edition
    assert "«слова»" in html  # Russian quotation marks in the translated section
    # English ones where the English text stays (its end kept whole, its last words together)
    plain = re.sub(r'<span class="last-words">(.*?)</span>', r"\1", html).replace("&nbsp;", " ")
    assert "The “last” words." in plain
    assert re.search(r'id="closing"( data-chunk="closing")? lang="en"', html)
    assert f"1{NBSP}275" in html.replace("&nbsp;", NBSP)
    assert "февраля 2025" in html


def test_an_edition_pdf(tmp_path: Path) -> None:
    folder = _bilingual(tmp_path / "p")
    result = build_into(tmp_path / "out", folder, language="ru")
    assert result.output.name == "p.ru.pdf"
    reader = pdf_reader(result.output)
    assert reader.trailer["/Root"]["/Lang"] == "ru"
    assert reader.metadata is not None and reader.metadata.title == "Тестовый буклет"
    text = normalise(" ".join(pdf_text_pages(result.output)))
    assert "Введение" in text and "Closing" in text
    printed = build_into(tmp_path / "out", folder, "print", language="ru")
    assert printed.output.name == "p-print.ru.pdf"


def test_the_language_of_the_original_builds_the_original(tmp_path: Path) -> None:
    folder = _bilingual(tmp_path / "p")
    result = build_into(tmp_path / "out", folder, language="en")
    assert result.output.name == "p.pdf"
    assert not [w for w in result.report.warnings if "translation" in w]


def test_a_section_already_in_the_editions_language_needs_no_translation(
        tmp_path: Path) -> None:
    folder = _bilingual(tmp_path / "p", **{
        "closing.md": "---\nlanguage: ru\n---\n# Заключение\n\nТекст.\n",
    })
    publication = read_publication(folder, "ru")
    assert not any("closing" in warning for warning in publication.warnings)


def test_an_edition_in_a_language_vigil_lacks_is_refused(tmp_path: Path) -> None:
    code, out, err = run_cli("build", "--language", "de", _bilingual(tmp_path / "p"),
                             "-o", tmp_path / "out")
    message = user_error(code, out, err)
    assert "unsupported language 'de'" in message.text
    assert "az, en, ru, tr" in message.text


@pytest.mark.parametrize(("translations", "line", "expected"), [
    ("translations:\n  ru:\n    titel: Буклет\n", 6, "unknown key 'titel' — did you mean 'title'?"),
    ("translations:\n  de:\n    title: Broschüre\n", 4, "unsupported language 'de'"),
    ("translations:\n  ru-RU:\n    title: Буклет\n", 4, "write the language code alone"),
    ("translations:\n  en:\n    title: Booklet\n", 4, "'en' is the publication's own language"),
    ("translations:\n  ru:\n    cover:\n      image: x.jpg\n", 7, "unknown key 'image'"),
])
def test_translations_are_validated_strictly(tmp_path: Path, translations: str, line: int,
                                             expected: str) -> None:
    folder = write_publication(tmp_path / "p", {"publication.yaml": manifest_with(translations)})
    message = build_error(folder, tmp_path / "out")
    assert expected in message.text
    assert_located(message, "publication.yaml", line)


def test_an_insert_has_its_translated_file_and_title(tmp_path: Path) -> None:
    from conftest import CONTENT

    poster = (CONTENT / "eternal-return-2025" / "inserts" / "poster.pdf").read_bytes()
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest_with(sections=(
            "intro.md",
            "insert: poster.pdf\n    title: The poster\n"
            "    translations: {ru: {title: Афиша}}",
        )),
        "poster.pdf": poster,
        "poster.ru.pdf": poster,
        "intro.ru.md": "# Введение\n\nТекст.\n",
    })
    publication = read_publication(folder, "ru")
    insert = publication.sections[1]
    assert insert.title == "Афиша"
    assert insert.source.name == "poster.ru.pdf"
    assert insert.id == "poster"
    assert publication.warnings == (  # only the manifest's title, not the insert
        "publication.yaml has no ru translation of title: it is printed in English "
        "(add it under 'translations: ru:')",
    )
