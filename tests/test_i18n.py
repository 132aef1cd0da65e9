"""The bot's languages: picking the reader's, the catalogs (complete, no fuzzy, placeholders
and markup intact), dates per locale, the engine's sentences translated, replies rendered."""

from __future__ import annotations

import datetime as dt
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from botapi_emulator import parse_html

from bot import i18n
from bot.chat import render
from bot.engine import timeline
from bot.engine.answering import answer_entry
from bot.engine.loader import load
from bot.engine.model import Answer, Outcome, Suggestion
from bot.engine.phrases import DateStyle, Phrase, joined, phrase, placeholders, plural_phrase
from bot.settings import bundled_knowledge

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "bot" / "locale"
TRANSLATED = [code for code in i18n.supported() if code != i18n.DEFAULT]
PARADE, STORY, LATER = dt.date(2025, 9, 3), dt.date(2025, 9, 2), dt.date(2026, 12, 5)


@pytest.fixture(scope="module")
def snapshot():
    return load(bundled_knowledge())


def _catalog(path: Path):
    with path.open("rb") as file:
        return read_po(file)


def _ids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


# ---- the reader's language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("RU_ru", "ru"),
        ("zh-hans", "zh"),
        ("zh-CN", "zh"),
        ("ko", "ko"),
        ("en-GB", "en"),
        ("de", "en"),  # not spoken: English
        ("pt-br", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_reader_s_app_language_picks_the_reply_language(language_code, expected):
    assert i18n.pick(language_code) == expected


def test_english_is_the_message_ids_themselves():
    assert i18n.supported()[0] == "en"
    assert i18n.translator("en").gettext("Thanks!") == "Thanks!"
    assert i18n.translator("xx").gettext("Thanks!") == "Thanks!"


# ---- the catalogs ----------------------------------------------------------------------------


def test_the_template_holds_every_string_the_code_marks(tmp_path: Path):
    """`pybabel extract` as README says it: the committed .pot is up to date."""
    fresh = tmp_path / "storybot.pot"
    subprocess.run(
        [
            *(sys.executable, "-m", "babel.messages.frontend", "extract"),
            *("-F", "babel.cfg", "-k", "phrase", "-k", "plural_phrase:1,2"),
            *("--no-location", "--sort-output", "-o", str(fresh), "."),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert _ids(_catalog(fresh)) == _ids(_catalog(LOCALE / "storybot.pot"))


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(code: str):
    template = _ids(_catalog(LOCALE / "storybot.pot"))
    catalog = _catalog(LOCALE / code / "LC_MESSAGES" / "storybot.po")
    assert _ids(catalog) == template, "run pybabel update (README: Translations)"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert strings and all(s.strip() for s in strings), f"{code}: {message.id!r} is empty"
        assert len(strings) == (catalog.num_plurals if message.pluralizable else 1)


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_placeholders_and_markup(code: str):
    catalog = _catalog(LOCALE / code / "LC_MESSAGES" / "storybot.po")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            assert placeholders(string) == placeholders(ids[-1]), (code, message.id, string)
            assert _markup(string) == _markup(ids[0]), (code, message.id, string)
            # Replies are HTML: a translation must be valid Telegram HTML once filled in.
            filled = string.format(**dict.fromkeys(placeholders(string), "x"))
            parse_html(filled)


def _markup(text: str) -> list[str]:
    # the HTML tags and the commands a message names, in any order
    return sorted(re.findall(r"</?\w+>|/\w+", text))


def test_russian_plural_forms_follow_the_count():
    said = {
        n: i18n.say(timeline.relative_day(PARADE, PARADE + dt.timedelta(days=n)), "ru")
        for n in (2, 5, 11, 21, 22, 25, 101, 111)
    }
    assert said[2].endswith("2 дня назад.") and said[22].endswith("22 дня назад.")
    assert said[21].endswith("21 день назад.") and said[101].endswith("101 день назад.")
    for n in (5, 11, 25, 111):
        assert said[n].endswith(f"{n} дней назад."), said[n]


def test_catalogs_are_package_data():
    """A wheel carries bot/ whole: the catalogs sit inside it, read through the package."""
    for code in TRANSLATED:
        assert (LOCALE / code / "LC_MESSAGES" / "storybot.po").is_file()
        assert i18n.translator(code).gettext("Thanks!") != "Thanks!"


# ---- dates and the engine's sentences --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "long", "weekday"),
    [
        ("en", "3 September 2025", "Wednesday, 3 September 2025"),
        # CLDR keeps "г." with its year by a narrow no-break space
        ("ru", "3 сентября 2025\u202fг.", "среда, 3 сентября 2025\u202fг."),
        ("zh", "2025年9月3日", "2025年9月3日星期三"),
        ("ko", "2025년 9월 3일", "2025년 9월 3일 수요일"),
    ],
)
def test_dates_are_written_per_locale(code: str, long: str, weekday: str):
    assert i18n.local_date(PARADE, code) == long
    assert i18n.local_date(PARADE, code, DateStyle.WEEKDAY) == weekday


def test_a_phrase_is_its_english_text_and_is_said_in_any_language():
    reason = timeline.after_story_reason(STORY, None, None)
    assert isinstance(reason, Phrase)
    assert reason == "The story is from 2 September 2025; it doesn't say what happened after that."
    assert i18n.say(reason, "en") == reason
    assert i18n.say(reason, "ru").startswith("Новость датирована 2 сентября 2025\u202fг.")
    assert "2025年9月2日" in i18n.say(reason, "zh")
    assert "2025년 9월 2일" in i18n.say(reason, "ko")
    assert pickle.loads(pickle.dumps(reason)) == reason  # answers may be pickled (PTB state)
    assert i18n.say("plain knowledge text", "ru") == "plain knowledge text"


def test_joined_sentences_say_each_part_and_start_with_a_capital():
    said = joined(
        timeline.as_reported("Поезд шёл 60 км/ч.", STORY), timeline.relative_day(PARADE, LATER)
    )
    assert said == (
        "Поезд шёл 60 км/ч (as reported on 2 Sep 2025). Wednesday, 3 September 2025 was "
        "458 days ago."
    )
    assert i18n.say(said, "ru") == (
        "Поезд шёл 60 км/ч (по сообщению от 2 сент. 2025\u202fг.). "
        "Среда, 3 сентября 2025\u202fг. — это было 458 дней назад."
    )
    assert joined("One.", "Two.") == "One. Two." and not isinstance(joined("a", "b"), Phrase)


def test_phrases_placeholders_and_plural_in_english():
    assert placeholders("{day} was {n} days ago.") == {"day", "n"}
    assert plural_phrase("{n} day", "{n} days", 1) == "1 day"
    assert plural_phrase("{n} day", "{n} days", 3) == "3 days"
    assert phrase("{x} and {x}", x="a") == "A and a"


# ---- replies in each language ----------------------------------------------------------------


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_decline_with_the_engine_s_reason_is_said_in_the_answer_s_language(code: str):
    reason = timeline.after_story_reason(STORY, None, None)
    answer = Answer("вопрос <b>", Outcome.ABSTAINED, 0.0, reason=reason, language=code)
    text = render.answer_reply(answer).text
    assert i18n.say(reason, code) in text and "&lt;b&gt;" in text
    assert "The story" not in text


@pytest.mark.parametrize("code", TRANSLATED)
def test_replies_without_an_answer_speak_the_language(code: str):
    _ = i18n.translator(code).gettext
    suggestion = Suggestion("train-speed", "?")
    suggested = Answer("q", Outcome.SUGGESTED, 0.5, suggestions=(suggestion,), language=code)
    reply = render.answer_reply(suggested)
    assert reply.text == _(
        "I'm not sure what you mean by <i>{question}</i>. Did you mean one of these?"
    ).format(question="q")
    # the button answers the entry in the language it was offered in
    assert reply.keyboard.inline_keyboard[0][0].callback_data == f"a:train-speed:{code}"
    unsaid = render.answer_reply(Answer("q", Outcome.ABSTAINED, 0.0, language=code)).text
    assert unsaid.startswith(
        _("The story doesn't say that (<i>{question}</i>).").format(question="q")
    )
    thanks = render.answer_reply(Answer("q", Outcome.THANKS, 0.0, language=code)).text
    assert thanks == _("You're welcome! Ask me anything else about the story.")
    assert render.flood_notice(None, code).text != render.flood_notice(None).text


def test_entry_buttons_name_their_language_and_parse_back():
    assert render.entry_callback(render.ANSWER_IN_PLACE, "train-speed") == "a:train-speed"
    assert render.parse_callback("a:train-speed:ru") == ("a", ["train-speed", "ru"])
    assert render.parse_callback("r:train-speed") == ("r", ["train-speed"])
    assert render.parse_callback("a:train-speed:xx") is None
    assert render.parse_callback("a") is None
    assert render.parse_callback("a::ru") is None


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_quote_in_another_language_than_the_answer_is_labelled(snapshot, code: str):
    english = answer_entry(snapshot, "train-speed")
    assert "<blockquote>" in render.answer_reply(english).text
    assert "Original quote" not in render.answer_reply(english).text
    # An answer said in another language than its English source labels the quotes.
    answer = Answer(
        english.question,
        Outcome.ANSWERED,
        1.0,
        entry=english.entry,
        citations=english.citations,
        language=code,
    )
    text = render.answer_reply(answer).text
    label = i18n.translator(code).gettext("Original quote ({language}):")
    name = {"ru": "английский", "zh": "英语", "ko": "영어"}[code]
    assert f"<i>{label.format(language=name)}</i>\n<blockquote>" in text
    assert i18n.translator(code).gettext("Source: {title}, {publisher}, {date}")[:2] in text
    assert i18n.local_date(STORY, code) in text


@pytest.mark.parametrize("code", i18n.supported())
def test_start_help_and_sources_in_each_language(snapshot, code: str):
    examples = [Suggestion("train-speed", "How fast is Kim's train?")]
    start = render.start_reply(snapshot, examples, code)
    helped = render.help_reply("StoryTestBot", examples, code)
    listed = render.sources_reply(snapshot.sources.values(), code)
    assert "Global Leaders Insights" in start.text and "@StoryTestBot" in helped.text
    assert "<i>How fast is Kim&#x27;s train?</i>" in helped.text  # the example, escaped
    assert i18n.local_date(STORY, code) in listed.text
    if code != "en":
        assert "Hi!" not in start.text and "Ask me" not in helped.text
        assert start.keyboard.inline_keyboard[0][0].callback_data == f"r:train-speed:{code}"


def test_a_combined_answer_says_each_part_in_its_own_language(snapshot):
    english = answer_entry(snapshot, "train-speed")
    russian = answer_entry(snapshot, "train-speed", language="ru")
    unsaid = Answer("погода?", Outcome.ABSTAINED, 0.0, language="ru")
    parts = [
        render.Part((render.Asker(1, "Ann"),), english),
        render.Part((render.Asker(2, "Иван"), render.Asker(None, "")), russian),
        render.Part((render.Asker(3, "Олег"),), unsaid),
    ]
    text = render.combined_reply(parts).text
    first, second, third = text.split("\n\n")
    assert first.startswith('<b>1.</b> <a href="tg://user?id=1">Ann</a> asked <i>')
    assert second.startswith(
        '<b>2.</b> Вопрос от <a href="tg://user?id=2">Иван</a> и <b>Кто-то</b>: <i>'
    )
    assert russian.entry.answer in second and "<i>Цитата в оригинале (английский):</i>" in second
    assert third.endswith("\nВ новости об этом не говорится.")
    named = render.flood_notice(render.Asker(5, "Бо"), "ru").text
    assert named.startswith('<a href="tg://user?id=5">Бо</a>, вы задаёте вопросы быстрее')


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_follow_up_names_the_turn_it_was_read_with_in_the_answer_s_language(code: str):
    answer = Answer("а когда?", Outcome.ABSTAINED, 0.0, about="Когда парад?", language=code)
    label = i18n.translator(code).gettext("about: {question}").format(question="Когда парад?")
    assert render.answer_reply(answer).text.startswith(f"<i>{label}</i>\n")
