"""Stage 2, compose: safe HTML from Markdown, localised words, and the sandboxed theme.

Most tests stop at :func:`vigil.compose.compose_html` (no rendering); template errors go through
the real command to check the message a user sees.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from conftest import (
    CONTENT,
    PROGRAMME_SAMPLE_AZ,
    ROOT,
    assert_located,
    build_error,
    manifest_with,
    run_cli,
    run_python,
    sample_edition,
    write_publication,
)
from vigil.compose import Composed, compose_html
from vigil.compose.markdown import MarkdownRenderer
from vigil.errors import Location, ThemeError
from vigil.i18n import locale_for
from vigil.profiles import get_profile
from vigil.read import read_publication


def compose(folder: Path) -> Composed:
    return compose_html(read_publication(folder), get_profile("screen"))


def section_html(html: str, section_id: str) -> str:
    """The HTML of one <section id=...> (up to the next section)."""
    start = html.index(f'id="{section_id}"')
    end = html.find("<section", start)
    return html[start:] if end < 0 else html[start:end]


def render_markdown(text: str, quotes: str = "“”‘’") -> str:
    def no_images(reference: str, location: Location) -> str:
        raise AssertionError(f"unexpected image {reference}")

    return MarkdownRenderer(quotes).render(text, Path("x.md"), no_images)


# ---------------------------------------------------------------- safety of Markdown


HOSTILE_MARKDOWN = """# Introduction

Before.

<script>alert("owned")</script>

<img src="file:///etc/passwd" onerror="alert(1)">

<iframe src="https://example.com"></iframe>

Inline <b onclick="x()">bold</b> and <style>body{display:none}</style>.

[a link](javascript:alert(1)) and [another](https://example.com/ok).
"""


def test_raw_html_in_markdown_is_text(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {"intro.md": HOSTILE_MARKDOWN})
    html = section_html(compose(folder).html, "intro")
    assert "&lt;script&gt;alert(" in html
    assert "&lt;img src=" in html
    assert "&lt;iframe" in html
    assert "&lt;b onclick=" in html
    lowered = html.lower()
    for tag in ("<script", "<iframe", "<style", "<img", "<b "):
        assert tag not in lowered, tag
    assert not re.search(r"<[a-z][^>]*\son[a-z]+=", lowered), "an event handler survived"
    assert 'href="javascript:' not in lowered
    assert 'href="https://example.com/ok"' in html


def test_markup_in_yaml_values_is_escaped(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest_with(
            'subtitle: "<script>alert(1)</script>"\n', sections=("s.yaml",),
            title='"A <b>bold</b> title"'),
        "s.yaml": ("title: <em>Speakers</em>\ntype: speakers\nitems:\n"
                   "  - {name: '<script>x()</script>', role: '<i>role</i>'}\n"),
    })
    html = compose(folder).html
    body = html[html.index("<body"):]
    assert "<script" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "A &lt;b&gt;bold&lt;/b&gt; title" in body
    assert "&lt;em&gt;Speakers&lt;/em&gt;" in body
    assert "<title>A &lt;b&gt;bold&lt;/b&gt; title</title>" in html


def test_markdown_headings_are_demoted() -> None:
    html = render_markdown("# One\n\n## Two\n\n### Three\n\n###### Six\n\nText.\n")
    assert re.findall(r"<(h\d)>", html) == ["h2", "h3", "h4", "h5"]  # no level skipped
    assert "<h1" not in html


def test_the_section_title_is_the_only_h1_of_a_section(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "intro.md": "# Introduction\n\nText.\n\n# A second top heading\n\n## Below\n",
    })
    html = section_html(compose(folder).html, "intro")
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", html) == ["Introduction"]
    assert "<h2>A second top heading</h2>" in html
    assert "<h3>Below</h3>" in html


@pytest.mark.parametrize(("language", "double", "single"), [
    ("en", "“quoted”", "‘single’"),
    ("az", "“quoted”", "‘single’"),  # CLDR az: “...” and ‘...’
    ("ru", "«quoted»", "„single“"),
    ("tr", "“quoted”", "‘single’"),
])
def test_smart_quotes_follow_the_language(tmp_path: Path, language: str, double: str,
                                          single: str) -> None:
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest_with(f"language: {language}\n"),
        "intro.md": "# Intro\n\nShe said \"quoted\" and 'single' -- once...\n",
    })
    html = section_html(compose(folder).html, "intro")
    assert double in html
    assert single in html
    assert '"quoted"' not in html
    assert "–" in html and "…" in html


def test_a_section_language_sets_its_own_quotes(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest_with(sections=("intro.md", "ru.md")),
        "intro.md": "# Intro\n\nEnglish \"words\".\n",
        "ru.md": "---\nlanguage: ru\n---\n# Введение\n\nРусские \"слова\".\n",
    })
    html = compose(folder).html
    assert "“words”" in section_html(html, "intro")
    ru = section_html(html, "ru")
    assert "«слова»" in ru
    assert 'lang="ru"' in ru


def test_footnotes_are_set_where_they_are_called() -> None:
    html = render_markdown("Before the call.[^a] After.\n\nMore.[^b]\n\n[^a]: The *first* note.\n"
                           "[^b]: The second note.\n")
    # (the end of each paragraph is kept unhyphenated in a span: see test_typography.py)
    html = re.sub(r'<span class="last-words">(.*?)</span>', r"\1", html)
    assert 'call.<span class="footnote">The <em>first</em> note.</span> After.' in html
    assert 'More.<span class="footnote">The second note.</span>' in html
    assert "footnotes" not in html
    assert "<hr" not in html


def test_markdown_tables_and_captions() -> None:
    html = render_markdown("| A | B |\n|---|--:|\n| 1 | 2 |\n")
    assert "<table>" in html and "<th>A</th>" in html
    assert 'style="text-align:right"' in html.replace(": ", ":")


def test_localised_dates_and_words() -> None:
    day = dt.date(2025, 2, 26)
    assert locale_for("en").date(day) == "26 February 2025"
    assert locale_for("az").date(day) == "26 fevral 2025"
    assert locale_for("az-Latn").date(day) == "26 fevral 2025"
    assert locale_for("ru").date(day).startswith("26 февраля 2025")
    assert locale_for("az").word("contents") == "Mündəricat"
    assert locale_for("az").quotes == "“”‘’"  # as the Unicode CLDR gives for az (Latin)


def test_every_locale_has_the_same_words() -> None:
    languages = ("en", "az", "ru", "tr")
    keys = {language: set(locale_for(language).words) for language in languages}
    assert all(keys[language] == keys["en"] for language in languages), keys


def test_azerbaijani_programme_composes_with_azerbaijani_date() -> None:
    folder, language = sample_edition(PROGRAMME_SAMPLE_AZ)
    if not (CONTENT / folder / "publication.yaml").is_file():
        pytest.skip(f"sample content/{folder}/ is not there (yet)")
    html = compose_html(read_publication(CONTENT / folder, language),
                        get_profile("screen")).html
    assert '<html lang="az">' in html
    assert "fevral 2025" in html
    assert "February" not in html


def test_composed_document_names_what_it_may_read(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p")
    composed = compose(folder)
    assert composed.roots[0] == folder.resolve()
    assert ROOT / "src/vigil/fonts" in composed.roots
    assert composed.theme_folders == (ROOT / "src/vigil/themes" / "memorial",)
    assert composed.base_url == folder.resolve().as_uri() + "/"
    assert '<meta name="generator" content="vigil ' in composed.html


def test_markdown_images_point_into_the_publication(tmp_path: Path) -> None:
    from conftest import png_bytes

    folder = write_publication(tmp_path / "p", {
        "intro.md": "# Introduction\n\n![A square](images/sq.png)\n",
        "images/sq.png": png_bytes(),
    })
    html = section_html(compose(folder).html, "intro")
    images = re.findall(r"<img[^>]*>", html)
    assert len(images) == 1
    assert 'src="vigil://publication/images/sq.png"' in images[0]
    assert 'alt="A square"' in images[0]


def test_composed_html_does_not_name_the_folder_on_disk(scaffold_booklet_source: Path) -> None:
    html = compose(scaffold_booklet_source).html
    assert str(scaffold_booklet_source.resolve()) not in html
    assert str(ROOT) not in html
    assert "vigil://fonts/" in html
    assert 'src="vigil://publication/images/example.png"' in html


# ---------------------------------------------------------------- themes and templates


def test_unknown_theme(tmp_path: Path) -> None:
    manifest = manifest_with("theme: nosuch\n")
    folder = write_publication(tmp_path / "p", {"publication.yaml": manifest})
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "template error"
    assert_located(message, "publication.yaml", key="theme")
    assert "unknown theme 'nosuch'" in message.text
    assert "available: memorial" in message.text


def test_template_using_an_undefined_name(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "templates/cover.html": "<section class=\"cover\">\n<h1>{{ publication.title }}</h1>\n"
                                "<p>{{ no_such_name }}</p>\n</section>\n",
    })
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "template error"
    assert_located(message, "templates/cover.html", 3)
    assert "'no_such_name' is undefined" in message.text


def test_template_syntax_error(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "templates/back.html": "<section>\n<p>fine</p>\n{% if %}\n</section>\n",
    })
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "template error"
    assert_located(message, "templates/back.html", 3)
    assert "template syntax error" in message.text


def test_template_cannot_reach_python_internals(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "templates/cover.html": "<section>{{ publication.__class__.__mro__ }}</section>\n",
    })
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "template error"
    assert_located(message, "templates/cover.html", 1)
    assert "unsafe" in message.text


def test_template_cannot_include_files_outside_the_theme(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("SECRET-CONTENT")
    folder = write_publication(tmp_path / "p", {
        "templates/cover.html": "<section>{% include '../../secret.txt' %}</section>\n",
    })
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "template error"
    assert "'../../secret.txt' not found" in message.text


def test_template_asking_for_an_unknown_word(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "templates/back.html": "<section>{{ t('no_such_word') }}</section>\n",
    })
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "template error"
    assert "'no_such_word'" in message.text and "locales/en.yaml" in message.text


def test_override_replaces_one_template_only(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {
        "templates/back.html":
            '<section id="back-cover">OVERRIDDEN BACK {{ date_text }}</section>\n',
    })
    html = compose(folder).html
    assert "OVERRIDDEN BACK 25\u00a0February 2025" in html  # day and month never parted
    assert 'class="cover' in html and 'class="toc"' in html


def test_theme_folder_inside_the_publication(tmp_path: Path) -> None:
    manifest = manifest_with("theme: local\n")
    folder = write_publication(tmp_path / "p", {"publication.yaml": manifest})
    shutil.copytree(ROOT / "src/vigil/themes" / "memorial", folder / "local")
    cover = folder / "local" / "cover.html"
    cover.write_text(cover.read_text().replace("<h1", "<p>LOCAL THEME</p><h1", 1))
    composed = compose(folder)
    assert "LOCAL THEME" in composed.html
    assert composed.theme_folders == (folder.resolve() / "local",)


def test_symlinked_template_leading_outside_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT\n")
    folder = write_publication(tmp_path / "p")
    (folder / "templates").mkdir()
    (folder / "templates" / "back.html").symlink_to(secret)
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 1, "the build read a template outside the publication folder"
    assert "back.html" in err


@pytest.mark.parametrize("name", ["..", ".", "../p", "/tmp"])
def test_theme_name_cannot_leave_the_publication(tmp_path: Path, name: str) -> None:
    (tmp_path / "booklet.html").write_text(
        "<html><head><style>@page { size: A5 }</style></head><body>PARENT TEMPLATE</body></html>")
    folder = write_publication(tmp_path / "p", {
        "publication.yaml": manifest_with(f'theme: "{name}"\n')})
    message = build_error(folder, tmp_path / "out")
    assert_located(message, "publication.yaml", 4, 1, "theme")
    assert "expected a plain name of letters, digits" in message.text


def test_theme_folder_linked_from_outside_is_refused(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src/vigil/themes" / "memorial", tmp_path / "elsewhere")
    folder = write_publication(tmp_path / "p", {"publication.yaml": manifest_with("theme: mine\n")})
    (folder / "mine").symlink_to(tmp_path / "elsewhere")
    message = build_error(folder, tmp_path / "out")
    assert message.kind == "template error"
    assert_located(message, "publication.yaml", key="theme")
    assert "the theme 'mine' lies outside the publication" in message.text


def test_theme_error_type_for_library_users(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {"templates/cover.html": "{{ missing }}"})
    with pytest.raises(ThemeError) as caught:
        compose(folder)
    assert caught.value.location.file == folder.resolve() / "templates" / "cover.html"
    assert caught.value.location.line == 1


def test_templates_folder_linked_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "back.html").write_text("OUTSIDE-TEMPLATE-TEXT\n", encoding="utf-8")
    folder = write_publication(tmp_path / "p")
    (folder / "templates").symlink_to(outside, target_is_directory=True)
    code, _, err = run_cli("build", folder, "-o", tmp_path / "out")
    assert code == 1
    assert "templates folder is a link to a folder outside the publication" in err


_COMPOSE = """
import hashlib, sys
from pathlib import Path
from vigil.compose import compose_html
from vigil.profiles import get_profile
from vigil.read import read_publication
html = compose_html(read_publication(Path(sys.argv[1])), get_profile("screen")).html
print(hashlib.sha256(html.encode()).hexdigest(), "OVERRIDDEN BACK" in html, "EDITED" in html)
"""


def _compose_in_a_new_process(folder: Path, cache: Path) -> list[str]:
    done = run_python("-c", _COMPOSE, folder,
                      env={"XDG_CACHE_HOME": str(cache), "VIGIL_CACHE_DIR": ""})
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_templates_compiled_once_are_kept_for_the_next_processes(tmp_path: Path) -> None:
    """A new process takes the theme's templates as the one before compiled them (from the
    user's cache): the same HTML; a template edited since is compiled again."""
    folder = write_publication(tmp_path / "p", {
        "templates/back.html": '<section id="back-cover">OVERRIDDEN BACK</section>\n',
    })
    cache = tmp_path / "cache"
    first = _compose_in_a_new_process(folder, cache)
    kept = list((cache / "vigil" / "templates").glob("*/*.cache"))
    assert len(kept) >= 5 and first[1:] == ["True", "False"]
    assert _compose_in_a_new_process(folder, cache) == first
    assert _compose_in_a_new_process(folder, tmp_path / "other") == first  # as compiled anew
    (folder / "templates" / "back.html").write_text(
        '<section id="back-cover">OVERRIDDEN BACK, EDITED</section>\n', encoding="utf-8")
    assert _compose_in_a_new_process(folder, cache)[1:] == ["True", "True"]


def test_a_template_cache_that_cannot_be_used_only_costs_time(tmp_path: Path) -> None:
    folder = write_publication(tmp_path / "p", {})
    expected = _compose_in_a_new_process(folder, tmp_path / "cache")
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert _compose_in_a_new_process(folder, blocked) == expected
    shared = tmp_path / "shared"
    (shared / "vigil" / "templates").mkdir(parents=True)
    _compose_in_a_new_process(folder, shared)
    (folder_made,) = (shared / "vigil" / "templates").iterdir()
    folder_made.chmod(0o777)  # others may write there: its code is not trusted
    for entry in folder_made.iterdir():
        entry.unlink()
    assert _compose_in_a_new_process(folder, shared) == expected
    assert not list(folder_made.iterdir())
