"""Languages: detection, the engine API every language shares, and each analyser's reading."""

import dataclasses

import pytest

from bot.engine.answering import answer_entry, answer_question
from bot.engine.languages import CODES, detect, get, normalise
from bot.engine.loader import load
from bot.engine.model import Answer, Outcome
from bot.settings import bundled_knowledge


@pytest.fixture(scope="module")
def snapshot():
    return load(bundled_knowledge())


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("С какой скоростью едет поезд Кима?", None, "ru"),
        ("阅兵式是哪天？", None, "zh"),
        ("김정은은 베이징에 어떻게 갔나요?", None, "ko"),
        ("How fast is the train?", None, "en"),
        # the account's language only breaks ties: an English question is English
        ("How fast is the train?", "ru", "en"),
        ("Когда парад?", "en", "ru"),
        # nothing to tell by: the account's language, else English
        ("26?", "ru", "ru"),
        ("26?", "ko-KR", "ko"),
        ("26?", "pt-br", "en"),
        ("?", None, "en"),
        # most letters win; kana beside Han is not Chinese
        ("Kim Jong Un поехал в Пекин?", None, "ru"),
        ("金正恩は電車で行きましたか", None, "zh"),
    ],
)
def test_detect_reads_the_script_and_the_hint_only_breaks_ties(text, hint, expected):
    assert detect(text, hint) == expected


def test_normalise_reads_telegram_language_codes():
    assert [normalise(c) for c in ("ru", "zh-hans", "ko_KR", "EN", "de", "", None)] == [
        "ru",
        "zh",
        "ko",
        "en",
        None,
        None,
        None,
    ]


def test_every_language_has_an_analyser_with_the_interface():
    for code in CODES:
        analyser = get(code)
        assert code == analyser.CODE
        assert analyser.analyse("") == []
    with pytest.raises(KeyError):
        get("xx")


def test_answer_language_is_the_last_field_and_defaults_to_english():
    fields = dataclasses.fields(Answer)
    assert fields[-1].name == "language" and fields[-1].default == "en"


def test_an_english_question_from_a_russian_account_is_answered_in_english(snapshot):
    plain = answer_question(snapshot, "How fast does Kim's train go?")
    hinted = answer_question(snapshot, "How fast does Kim's train go?", hint="ru")
    assert plain.answered and plain.language == "en"
    assert hinted == plain
    assert plain.to_json()["language"] == "en"


def test_answer_entry_takes_a_language_and_says_which_it_answered_in(snapshot):
    answer = answer_entry(snapshot, "departure-day")
    assert answer.language == "en" and answer.outcome is Outcome.ANSWERED
    # An entry without a translation in the asked language is answered in English.
    untranslated = next(c for c in CODES if c != "en" and snapshot.in_language(c) is None)
    fallback = answer_entry(snapshot, "departure-day", language=untranslated)
    assert fallback.language == "en" and fallback.entry == answer.entry
