"""Azerbaijani hyphenation: the generated dictionary breaks words by syllables; WeasyPrint uses it.

The expected breaks below are written by hand, syllable by syllable ("xa-ti-rə-si-nə"), following
the rules in :mod:`vigil.hyphenation.generate`; a line break keeps at least two letters on each
side, so the breaks that would leave one letter ("a-ta", "fa-ci-ə") are dropped from what is
expected.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pyphen
import pytest

from conftest import build_into, manifest_with, pdf_text_pages, write_publication
from vigil.hyphenation import (
    AZ_DICTIONARY,
    AzerbaijaniDictionary,
    CachedDictionary,
    azerbaijani_lower,
    load_dictionary,
    register,
)
from vigil.hyphenation.generate import CONSONANTS, VOWELS, render

# Words of the Azerbaijani edition of the sample programme (content/institute-programme-2025,
# its *.az.yaml files), in syllables.
SAMPLE_TEXT = """
a-şa-ğı-da-kı rə-qəm-lər təd-bir haq-qın-da fev-ral ta-rix-li mə-lu-mat-da ve-ril-miş-dir di-gər
mən-bə-lər-də on-la-rın bə-zi-lə-ri fərq-li gös-tə-ri-lir hə-lak ol-muş sa-kin on-lar-dan u-şaq
qa-dın yaş-lı ya-ra-lan-mış şəxs gi-rov gö-tü-rül-müş it-kin düş-müş hə-min Xo-ca-lı qır-ğı-nı-nı
soy-qı-rı-mı ta-nı-yan öl-kə-lər a-ra-sın-da Tür-ki-yə Pa-kis-tan Mek-si-ka Ko-lum-bi-ya Çe-xi-ya
Bos-ni-ya Her-se-qo-vi-na ad-la-rı çə-ki-lir Bi-o-fi-zi-ka İns-ti-tu-tu gös-tə-ri-lən vaxt-lar
təx-mi-ni-dir də-qi-qə-lik sü-kut fa-ci-ə-si qur-ban-la-rı-nın bü-tün şə-hid-lə-rin xa-ti-rə-si-nə
a-çı-lış nit-qi Ok-tay Qa-sı-mov di-rek-to-ru müx-bir üz-vü çı-xış-da çək-di-yi kadr-lar-la
ve-rən-lə-ri dün-ya-ya çat-dı-ran jur-na-list Çin-giz Mus-ta-fa-ye-vin xa-tır-la-dı-lır təq-di-mat
ta-ri-xin qa-ra sə-hi-fə-si si-ma-sı Ay-sel Ə-li-ye-va İn-teq-ra-tiv bi-o-lo-gi-ya
la-bo-ra-to-ri-ya-sı-nın ki-çik el-mi iş-çi-si A-lim Mü-tə-xəs-sis-lər Şu-ra-sı-nın ye-kun
tə-şək-kür A-zad Ab-du-ra-hi-mov fəl-sə-fə dok-to-ru o-lun-muş vi-de-o-çar-xın nü-ma-yi-şi
il-dö-nü-mü-nə a-nım Ə-ziz Res-pub-li-ka-sı Təh-sil Na-zir-li-yi-nin Ba-kı Xo-ca-lı-nın bər-pa
qu-ru-cu-luq iş-lə-ri a-pa-rı-lır Bö-yük Qa-yı-dış proq-ra-mı çər-çi-və-sin-də a-i-lə-lər
ye-ni-dən məs-kun-la-şır ge-cə-sin-dən ar-tıq o-tuz yad-da-şı ə-vəz ya-ra-la-nan-la-rın öl-kə-nin
kü-çə-lə-rin-də ev-lə-rin-də qa-yı-dan-lar ya-şa-da-caq
"""

# Other words, chosen for each rule: one, two and three consonants between vowels, two vowels
# side by side, clusters at the start of a word, capitals (İ, I, Ə), one-letter syllables.
OTHER_TEXT = """
A-zər-bay-can müs-tə-qil-lik İs-tiq-lal Ə-bə-di türk-lər dörd-lük məs-cid qur-ban xa-ti-rə
stra-te-gi-ya şa-ir mü-əl-lim ü-zə-rin-də mək-təb Qa-ra-bağ Şu-şa Gən-cə Sum-qa-yıt Nax-çı-van
Lən-kə-ran kons-ti-tu-si-ya e-lekt-rik sə-a-dət ma-a-rif İl-ham İ-yun Ağ-dam Ü-mid Ö-mür a-ta
ba-ba I-ŞIQ-LI XO-CA-LI İS-TİQ-LAL ƏS-GƏR-LƏR Qa-zax Şir-van Gə-də-bəy Kəl-bə-cər La-çın
Zən-gi-lan Cəb-ra-yıl Fü-zu-li Qu-bad-lı Xan-kən-di Tər-tər A-ğa-cə-di qəh-rə-man-lıq şə-hər
İ-yir-mi-il-lik
"""

SAMPLE_WORDS = SAMPLE_TEXT.split()
OTHER_WORDS = OTHER_TEXT.split()
WORDS = SAMPLE_WORDS + OTHER_WORDS
HYPHEN = "\u2010"  # WeasyPrint's hyphenate-character


def expected(syllables: str) -> str:
    """The word as Pyphen should show it: syllable breaks, less those leaving one letter."""
    parts = syllables.split("-")
    word = "".join(parts)
    shown, at = parts[0], len(parts[0])
    for part in parts[1:]:
        shown += ("-" if 2 <= at <= len(word) - 2 else "") + part
        at += len(part)
    return shown


def allowed_breaks(syllables: str) -> set[int]:
    """Where a line may break the word: after this many letters."""
    breaks, letters = set(), 0
    for letter in expected(syllables):
        if letter == "-":
            breaks.add(letters)
        else:
            letters += 1
    return breaks


@pytest.fixture(scope="module")
def az() -> pyphen.Pyphen:
    register()
    return pyphen.Pyphen(lang="az")


def test_the_lists_are_syllables() -> None:
    """Every hand-written syllable has exactly one vowel, and there are enough words."""
    assert len(set(WORDS)) >= 100
    vowels = set(VOWELS + VOWELS.upper() + "İ")
    for word in WORDS:
        for syllable in word.split("-"):
            assert sum(letter in vowels for letter in syllable) == 1, (word, syllable)


@pytest.mark.parametrize("syllables", WORDS)
def test_word_breaks_by_syllables(az: pyphen.Pyphen, syllables: str) -> None:
    word = syllables.replace("-", "")
    assert az.inserted(word) == expected(syllables)


@pytest.mark.parametrize(("word", "shown"), [
    ("ata", "ata"),                          # a-ta would leave one letter
    ("ailə", "ai-lə"),                       # a-i-lə: not a-ilə
    ("faciə", "fa-ciə"),                     # fa-ci-ə: not faci-ə
    ("ekspress", "ekspress"),                # four consonants between vowels: not split
    ("konstruksiya", "konstruk-si-ya"),
    ("abstrakt", "abstrakt"),
    ("bərpa-quruculuq", "bər-pa-qu-ru-cu-luq"),  # no new break beside a written hyphen
    ("AMEA-nın", "AMEA-nın"),
    ("tekst", "tekst"),                      # one vowel: one syllable
    ("sprint", "sprint"),
])
def test_special_cases(az: pyphen.Pyphen, word: str, shown: str) -> None:
    assert az.inserted(word) == shown


@pytest.mark.parametrize("word", ["İstiqlal", "İnstitutu", "İSTİQLAL", "Əbədi", "XOCALI",
                                  "IŞIQLI", "İyirmiillik", "BİOFİZİKA"])
def test_capitals_break_like_small_letters(az: pyphen.Pyphen, word: str) -> None:
    """İ lower-cases to two code points in Python; breaks must not shift by one letter."""
    assert len(azerbaijani_lower(word)) == len(word)
    assert az.positions(word) == az.positions(azerbaijani_lower(word))
    assert az.inserted(word).replace("-", "").lower() == word.lower()


def test_every_break_leaves_two_letters_and_a_vowel_on_each_side(az: pyphen.Pyphen) -> None:
    """Over all the words and made-up ones: no single letter, no part without a vowel."""
    made_up = ["".join(letters) for letters in (
        "astrbe", "aaaa", "bbbb", "ababab", "ştrə", "əüöı", "kstrakstrakstr", "ii", "bab",
    )]
    vowels = set(VOWELS)
    for word in [w.replace("-", "") for w in WORDS] + made_up:
        lowered = azerbaijani_lower(word)
        for position in az.positions(word):
            left, right = lowered[:position], lowered[position:]
            assert len(left) >= 2 and len(right) >= 2, (word, position)
            assert vowels & set(left) and vowels & set(right), (word, position)


def test_the_dictionary_file_alone_breaks_small_letters() -> None:
    """The shipped file works for any Pyphen user (without the capital-İ wrapper)."""
    plain = pyphen.HyphDict(AZ_DICTIONARY)
    for syllables in WORDS:
        word = azerbaijani_lower(syllables.replace("-", ""))
        found = {p for p in plain.positions(word) if 2 <= p <= len(word) - 2}
        assert found == allowed_breaks(syllables), syllables


def test_shipped_dictionary_is_what_the_generator_writes() -> None:
    assert AZ_DICTIONARY.read_text(encoding="utf-8") == render()
    assert render().split("\n", 1)[0] == "UTF-8"
    assert set(CONSONANTS) | set(VOWELS) <= set(string.ascii_lowercase) | set("çğşəıöü")


def test_register_is_idempotent_and_covers_the_codes() -> None:
    register()
    first = pyphen.hdcache[AZ_DICTIONARY]
    register()
    assert pyphen.hdcache[AZ_DICTIONARY] is first
    assert isinstance(first, AzerbaijaniDictionary)
    for lang in ("az", "az-AZ", "az_AZ", "az-Latn", "AZ-latn-az"):
        assert pyphen.LANGUAGES[pyphen.language_fallback(lang)] == AZ_DICTIONARY, lang
    # A Pyphen user that reloads the file drops the wrapper; the next register() restores it.
    pyphen.Pyphen(filename=AZ_DICTIONARY, cache=False)
    register()
    assert isinstance(pyphen.hdcache[AZ_DICTIONARY], AzerbaijaniDictionary)


def test_pyphen_finds_vigils_cached_dictionaries(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``pyphen.Pyphen`` (what WeasyPrint makes) takes vigil's dictionary of a file not yet
    parsed, which keeps its patterns; Pyphen's own HyphDict is left as it is."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("VIGIL_CACHE_DIR", raising=False)
    own_class = pyphen.HyphDict
    path = pyphen.LANGUAGES["de_DE"]
    pyphen.hdcache.pop(path, None)
    register()
    assert pyphen.HyphDict is own_class
    hyphenator = pyphen.Pyphen(lang="de_DE")
    assert isinstance(hyphenator.hd, CachedDictionary)
    assert hyphenator.inserted("Erinnerungskultur") == \
        pyphen.Pyphen(lang="de_DE", cache=False).inserted("Erinnerungskultur")
    assert list((tmp_path / "vigil" / "hyphenation").glob(f"{Path(path).stem}-*.json"))
    pyphen.hdcache.pop(path, None)


def _pyphen_parse(path: Path) -> Any:
    """The dictionary as Pyphen itself parses it (not through vigil's cache)."""
    register()
    parsed = pyphen.HyphDict(path)
    assert type(parsed).__module__ == "pyphen"  # register() replaces none of Pyphen's classes
    return parsed


CACHE_WORDS = ("commemoration hyphenation extraordinary responsibilities neighbourhood "
               "programme remembrance", "воспоминание трагедия")


@pytest.mark.parametrize(("language", "words"), [("en_GB", CACHE_WORDS[0]),
                                                  ("ru_RU", CACHE_WORDS[1])])
def test_parsed_dictionaries_are_kept_and_hyphenate_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, words: str) -> None:
    """A dictionary read back from the cache breaks words exactly where Pyphen's own does."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("VIGIL_CACHE_DIR", raising=False)
    path = pyphen.LANGUAGES[language]
    own = _pyphen_parse(path)
    first = load_dictionary(path)  # parsed, and written to the cache
    kept = list((tmp_path / "vigil" / "hyphenation").glob(f"{Path(path).stem}-*.json"))
    assert len(kept) == 1
    again = load_dictionary(path)  # read from the cache
    assert again.maxlen == own.maxlen and len(again.patterns) == len(own.patterns)
    for word in words.split():
        assert again.positions(word) == own.positions(word) == first.positions(word), word


def test_a_damaged_cache_file_is_parsed_again(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("VIGIL_CACHE_DIR", raising=False)
    path = pyphen.LANGUAGES["en_GB"]
    register()
    load_dictionary(path)
    (kept,) = (tmp_path / "vigil" / "hyphenation").glob("*.json")
    for damage in ('{"patterns": {"ab": [1]}, "maxlen": 2}', '{"patterns": ', "[]"):
        kept.write_text(damage, encoding="utf-8")
        assert load_dictionary(path).positions("commemoration") == \
            _pyphen_parse(path).positions("commemoration")
        assert kept.read_text(encoding="utf-8") != damage  # written again, whole


def test_another_dictionarys_cache_file_is_not_used(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Each cache file carries its key (its name): the Russian dictionary's file copied over
    the English one's is parsed again, not used."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("VIGIL_CACHE_DIR", raising=False)
    register()
    english, russian = pyphen.LANGUAGES["en_GB"], pyphen.LANGUAGES["ru_RU"]
    load_dictionary(english)
    load_dictionary(russian)
    folder = tmp_path / "vigil" / "hyphenation"
    (kept_en,) = folder.glob(f"{Path(english).stem}-*.json")
    (kept_ru,) = folder.glob(f"{Path(russian).stem}-*.json")
    kept_en.write_bytes(kept_ru.read_bytes())
    assert load_dictionary(english).positions("commemoration") == \
        _pyphen_parse(english).positions("commemoration")
    assert kept_en.read_bytes() != kept_ru.read_bytes()  # written again, its own


def test_an_unwritable_cache_only_costs_time(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.delenv("VIGIL_CACHE_DIR", raising=False)
    register()
    path = pyphen.LANGUAGES["en_GB"]
    assert load_dictionary(path).positions("commemoration") == \
        _pyphen_parse(path).positions("commemoration")


# ---------------------------------------------------------------- in a PDF

LONG_WORDS = [w for w in WORDS if len(w.replace("-", "")) >= 9]
PARAGRAPH = " ".join(w.replace("-", "") for w in LONG_WORDS * 2)


def line_end_breaks(pdf: Path) -> list[tuple[str, int]]:
    """(word, letters before the break) for every word hyphenated at the end of a line.

    Page numbers and the running head (the title, "Mətn") are left out, so that a word broken
    across two pages is joined up too.
    """
    lines = [line.strip() for page in pdf_text_pages(pdf) for line in page.split("\n")]
    text = "\n".join(line for line in lines
                     if line and not line.isdigit() and line.casefold() != "mətn")
    return [(match.group(1) + match.group(2), len(match.group(1)))
            for match in re.finditer(rf"([^\W\d_]+){HYPHEN}\n([^\W\d_]+)", text)]


def build_paragraph(tmp_path: Path, language: str) -> Path:
    folder = write_publication(tmp_path / language, {
        "intro.md": f"# Mətn\n\n{PARAGRAPH}\n",
    }, manifest=manifest_with(f"language: {language}\npage: {{size: A6}}\n"))
    return build_into(tmp_path / f"out-{language}", folder).output


def test_azerbaijani_paragraph_is_hyphenated_by_syllables(tmp_path: Path) -> None:
    breaks = line_end_breaks(build_paragraph(tmp_path, "az"))
    assert len(breaks) >= 3, breaks
    by_word = {w.replace("-", ""): w for w in LONG_WORDS}
    for word, position in breaks:
        assert word in by_word, word
        assert position in allowed_breaks(by_word[word]), (word, position)


def test_english_paragraph_is_not_hyphenated_with_the_azerbaijani_dictionary(
        tmp_path: Path) -> None:
    """Azerbaijani words in an English text break (if at all) by the English patterns."""
    english = pyphen.Pyphen(lang="en")
    for word, position in line_end_breaks(build_paragraph(tmp_path, "en")):
        assert position in english.positions(word), (word, position)
