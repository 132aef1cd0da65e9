"""Languages: detection, the engine API every language shares, and each analyser's reading."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from helpers_knowledge import copy_knowledge
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.answering import answer_entry, answer_question
from bot.engine.evaluation import evaluate, load_cases
from bot.engine.followup import next_turn
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
        # most words win (a Han character is a word); in a tie, not the Latin letters of
        # names; kana beside Han is Japanese, not Chinese (no analyser: the account's
        # language, else English)
        ("Kim Jong Un поехал в Пекин?", None, "ru"),
        ("Kim Jong Un поехал в Пекин?", "en", "en"),
        ("Hwasong-20 — что это?", None, "ru"),
        ("ICBM是什么？", None, "zh"),
        ("KCNA 보도 내용은?", None, "ko"),
        ("What does 火星 mean here?", None, "en"),
        ("What does 火星 mean here?", "zh", "en"),
        ("金正恩は電車で行きましたか", None, "en"),
        ("金正恩は電車で行きましたか", "ko", "ko"),
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
    english = answer_entry(snapshot, "departure-day")
    assert english.language == "en" and english.outcome is Outcome.ANSWERED
    russian = answer_entry(snapshot, "departure-day", language="ru")
    assert russian.language == "ru" and "понедельник" in russian.text
    # the quotes stay the source's own words
    assert russian.citations == english.citations
    assert all(
        s.question == snapshot.in_language("ru").entries[s.entry].question for s in russian.related
    )


def test_without_a_translation_the_english_knowledge_answers(tmp_path):
    directory = copy_knowledge(tmp_path)
    (directory / "i18n/ko.yaml").unlink()
    snapshot = load(directory)
    assert snapshot.in_language("ko") is None
    fallback = answer_entry(snapshot, "departure-day", language="ko")
    assert fallback.language == "en" and "Monday" in fallback.text
    # a Korean question finds nothing in English: declined, in Korean
    declined = answer_question(snapshot, "김정은은 언제 출발했어요?")
    assert not declined.answered and declined.language == "ko"


@pytest.mark.parametrize(
    ("question", "language", "entry", "said"),
    [
        ("С какой скоростью едет поезд Кима?", "ru", "train-speed", "60 км/ч"),
        ("Когда начнётся парад?", "ru", "parade-date", "сред"),
        ("阅兵式是哪天？", "zh", "parade-date", "9月3日"),
        ("金正恩的火车是什么颜色的？", "zh", "train-colour", "绿"),
        ("김정은은 언제 출발했어요?", "ko", "departure-day", "월요일"),
        ("미사일 엔진 추력은 얼마예요?", "ko", "engine-thrust", "1,960"),
    ],
)
def test_questions_are_answered_in_their_language_with_the_original_quotes(
    snapshot, question, language, entry, said
):
    answer = answer_question(snapshot, question)
    assert answer.answered and answer.entry.id == entry
    assert answer.language == language and said in answer.text
    assert answer.text == snapshot.in_language(language).entries[entry].answer
    assert answer.citations == answer_entry(snapshot, entry).citations


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Как испечь блины?", "ru"),
        ("Сколько вагонов в поезде Кима?", "ru"),
        ("今天北京天气怎么样？", "zh"),
        ("火车有几节车厢？", "zh"),
        ("오늘 서울 날씨 어때?", "ko"),
        ("김정은 열차는 몇 량이에요?", "ko"),
    ],
)
def test_unrelated_questions_and_near_misses_are_declined_in_the_readers_language(
    snapshot, question, language
):
    answer = answer_question(snapshot, question)
    assert not answer.answered and answer.language == language
    view = snapshot.in_language(language)
    assert all(s.question == view.entries[s.entry].question for s in answer.suggestions)


@pytest.mark.parametrize(
    ("after", "before", "language"),
    [
        ("Как прошёл парад?", "Когда будет парад?", "ru"),
        ("Ким уже вернулся в Пхеньян?", "На чём Ким поехал в Китай?", "ru"),
        ("阅兵进行得怎么样了？", "阅兵式是哪天？", "zh"),
        ("金正恩后来回国了吗？", "金正恩坐什么去的中国？", "zh"),
        ("열병식은 어떻게 됐어요?", "열병식은 언제예요?", "ko"),
        ("김정은은 평양으로 돌아갔어?", "김정은은 베이징에 어떻게 갔나요?", "ko"),
    ],
)
def test_what_happened_after_the_story_is_declined_with_the_reason_in_each_language(
    snapshot, after, before, language
):
    declined = answer_question(snapshot, after, today=dt.date(2026, 12, 5))
    assert not declined.answered and declined.language == language
    assert declined.reason is not None and "2025" in str(declined.reason)
    # the same topic asked as of the story is still answered
    assert answer_question(snapshot, before, today=dt.date(2026, 12, 5)).answered


def test_did_you_mean_offers_the_entries_in_the_readers_language(snapshot):
    answer = answer_question(snapshot, "поезд и парад")
    assert answer.outcome is Outcome.SUGGESTED and answer.language == "ru"
    view = snapshot.in_language("ru")
    assert answer.suggestions
    assert all(s.question == view.entries[s.entry].question for s in answer.suggestions)


def test_a_forced_language_reads_the_question_in_it(snapshot):
    # "26?" alone tells no language: forced, the reply is in Russian
    assert answer_question(snapshot, "Hwasong?", language="ru").language == "ru"
    assert answer_question(snapshot, "How fast is the train?", language="en").language == "en"


def test_chat_is_told_in_each_language(snapshot):
    for text, language, outcome in [
        ("Спасибо большое!", "ru", Outcome.THANKS),
        ("привет", "ru", Outcome.GREETING),
        ("你好", "zh", Outcome.GREETING),
        ("来源是什么？", "zh", Outcome.SOURCES),
        ("감사합니다!", "ko", Outcome.THANKS),
        ("도와주세요", "ko", Outcome.HELP),
    ]:
        answer = answer_question(snapshot, text)
        assert (answer.outcome, answer.language) == (outcome, language), text


def test_follow_ups_work_within_a_language(snapshot):
    first = answer_question(snapshot, "Когда начнётся парад?")
    follow = answer_question(snapshot, "а где?", context=next_turn(first, snapshot))
    assert follow.language == "ru"
    assert follow.followup_of == "parade-date"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # inflection: the forms of one word meet
        ("ru", "поезда поездом поезду", ["поезд", "поезд", "поезд"]),
        # question focus
        ("ru", "Когда?", ["@when"]),
        ("zh", "什么时候", ["@when"]),
        ("ko", "언제", ["@when"]),
        # particles and endings off, syllables and their pairs
        ("ko", "열차를 열차로", ["열", "차", "열차", "열", "차", "열차"]),
        # no spaces: characters and their pairs, particles dropped
        ("zh", "火车的颜色", ["火", "车", "火车", "颜", "色", "颜色"]),
    ],
)
def test_each_analyser_reads_its_language(language, text, expected):
    assert get(language).analyse(text) == expected


def test_russian_typos_are_corrected_towards_the_knowledge(snapshot):
    index = snapshot.in_language("ru").index
    assert index.analyse("кгода ким выехал") == index.analyse("когда ким выехал")
    assert index.analyse("когда порад") == index.analyse("когда парад")
    # a real word is no typo
    assert index.analyse("погода в пекине") == ["погод", "пекин"]


# Blind sets written natively by helpers who read only the article (tests/data/lang/), kept
# as regression floors. Measured once before tuning: ru 19/28 answered, zh 21/28, ko 22/28
# (notes/languages.md); floors just below the figures after tuning general mechanisms. Then
# 12 more native phrasings per entry and language (written without these sets): ru 26 -> 25
# ("who reported Kim is in China?" now hesitates between two entries that both say it),
# zh 25 -> 27, ko 25 -> 25.
LANGUAGE_SETS = {
    "ru": {"multilingual": 0.89, "unrelated": 1.0, "nearmiss": 0.83},  # 25/28, 6/6, 5/6
    "zh": {"multilingual": 0.96, "unrelated": 1.0, "nearmiss": 0.83},  # 27/28, 6/6, 5/6
    "ko": {"multilingual": 0.89, "unrelated": 1.0, "nearmiss": 1.0},  # 25/28, 6/6, 6/6
}
LANGUAGE_DATA = Path(__file__).parent / "data/lang"


@pytest.mark.parametrize("code", sorted(LANGUAGE_SETS))
def test_blind_language_sets_hold_their_floors(snapshot, code):
    cases = load_cases(LANGUAGE_DATA / f"{code}.yaml")
    assert {case.lang for case in cases} == {code}
    report = evaluate(snapshot, cases)
    rates = {kind: report.rate(kind) for kind in LANGUAGE_SETS[code]}
    below = {
        kind: f"{correct}/{total}"
        for kind, (correct, total) in rates.items()
        if correct / total < LANGUAGE_SETS[code][kind]
    }
    assert below == {}


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(
            "кимпоездКогда?，。！金正恩火车是哪天김정은언제출발했어요 1,960-\u200b"
        ),
        max_size=60,
    ),
    language=st.sampled_from([None, *CODES]),
    hint=st.sampled_from([None, "ru", "zh-hans", "ko", "en", "xx"]),
)
def test_any_text_in_any_language_gets_a_reply_in_a_known_language(snapshot, text, language, hint):
    answer = answer_question(snapshot, text, hint=hint, language=language)
    assert answer.language in CODES
    if language is not None:
        assert answer.language == language or (answer.answered and answer.language == "en")
    if answer.answered:
        view = snapshot.in_language(answer.language)
        assert answer.entry.answer == view.entries[answer.entry.id].answer
