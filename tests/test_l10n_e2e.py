"""End to end: readers in their own language, `storybot run` against the Bot API emulator.

Commands, buttons and errors speak the reader's Telegram app language (``language_code``);
answers speak the question's, whatever the app's. Readers come with a matching app language,
with none, and with another one.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass

import pytest
from botapi_emulator import BotApiEmulator
from conftest import StartBot
from test_bot_e2e import next_reply

from bot import i18n

GROUP = -100200300


@dataclass(frozen=True)
class Reader:
    """A language's reader: app language, a question, an unrelated question."""

    code: str
    app: str  # the language_code their Telegram app sends
    question: str  # answered by the story
    expect: str  # in the answer
    unrelated: str  # nothing in the story comes close
    vague: str  # close to several entries: "did you mean"


READERS = {
    "ru": Reader(
        "ru",
        "ru-RU",
        "С какой скоростью едет поезд Кима?",
        "60",
        "Какая погода будет завтра в Москве?",
        "Как Ким путешествует?",
    ),
    "zh": Reader(
        "zh",
        "zh-hans",
        "金正恩的火车开多快？",
        "60",
        "明天上海天气怎么样？",
        "金正恩和火车",
    ),
    "ko": Reader(
        "ko",
        "ko",
        "김정은의 열차는 얼마나 빠른가요?",
        "60",
        "내일 서울 날씨 어때요?",
        "김정은 기차",
    ),
}
# The scripts readers of each language write in, to tell which language a reply is in.
SCRIPTS = {
    "en": r"[A-Za-z]",
    "ru": r"[\u0400-\u04FF]",
    "zh": r"[\u4E00-\u9FFF]",
    "ko": r"[\uAC00-\uD7AF]",
}
# The engine half of issue 12 (branch `languages`): questions read in their own language.
needs_engine_languages = pytest.mark.skipif(
    importlib.util.find_spec("bot.engine.languages") is None,
    reason="the engine's languages (branch languages) are not merged yet",
)
_ = {code: i18n.translator(code).gettext for code in i18n.supported()}


def language_of(text: str) -> str:
    """The language most of a reply's own words are in: not quotes and their source lines,
    titles or the reader's words (in italics), commands or the bot's name."""
    before_quotes = text.split("<blockquote>")[0]  # the quotes, then their source line
    own = re.sub(r"<i>.*?</i>|<a .*?</a>|<[^>]+>|@\w+|/\w+", " ", before_quotes, flags=re.S)
    counts = {code: len(re.findall(script, own)) for code, script in SCRIPTS.items()}
    return max(counts, key=lambda code: counts[code])


@pytest.mark.parametrize("code", ["ru", "zh", "ko"])
async def test_start_help_menus_and_buttons_in_the_app_language(
    botapi: BotApiEmulator, start_bot: StartBot, code: str
):
    reader = READERS[code]
    await start_bot()
    menus = {
        (c.params["scope"]["type"], c.params.get("language_code")): c.params["commands"]
        for c in botapi.calls_to("setMyCommands")
    }
    private = {c["command"]: c["description"] for c in menus[("all_private_chats", code)]}
    assert private["start"] == _[code]("What I can answer")
    assert private["ask"] == _[code]("Ask a question about the story")
    groups = {c["command"] for c in menus[("all_group_chats", code)]}
    assert groups == {"ask", "help", "sources"}
    assert menus[("all_private_chats", None)][0]["description"] == "What I can answer"

    user = 2000 + list(READERS).index(code)
    botapi.private_message(user, "/start", language_code=reader.app)
    greeting = await next_reply(botapi, user)
    assert greeting["text"].startswith({"ru": "Привет!", "zh": "你好！", "ko": "안녕하세요!"}[code])
    assert language_of(greeting["text"]) == code
    example = greeting["reply_markup"]["inline_keyboard"][0][0]
    assert example["callback_data"].endswith(f":{code}")  # answered in the reader's language
    botapi.private_message(user, "/help")  # the app language is remembered per user
    helped = await next_reply(botapi, user)
    assert language_of(helped["text"]) == code and "@StoryTestBot" in helped["text"]
    botapi.private_message(user, "/start no-such-entry")
    gone = await next_reply(botapi, user)
    assert gone["text"].startswith(_[code]("That link points to a question I no longer have."))
    botapi.private_message(user, "/reload")
    refused = await next_reply(botapi, user)
    assert refused["text"] == _[code]("Sorry, only the bot's admins can do that.")
    botapi.group_message(GROUP, user, "/ask")
    prompt = await next_reply(botapi, GROUP)
    assert prompt["reply_markup"]["input_field_placeholder"] == _[code]("Your question")

    message = botapi.sent_messages(user)[-1]
    forged = botapi.callback_query(user, message, "x" * 64)["callback_query"]["id"]
    (pressed,) = await botapi.wait_for("answerCallbackQuery")
    assert str(pressed.params["callback_query_id"]) == forged
    assert pressed.params["text"] == _[code]("Sorry, that button is no longer valid.")


@pytest.mark.parametrize(("app", "code"), [(None, "en"), ("de", "en"), ("en-US", "en")])
async def test_readers_whose_app_language_the_bot_lacks_get_english(
    botapi: BotApiEmulator, start_bot: StartBot, app: str | None, code: str
):
    await start_bot()
    botapi.private_message(3000, "/start", language_code=app)
    greeting = await next_reply(botapi, 3000)
    assert greeting["text"].startswith("Hi! I answer questions about one news story")
    assert ":" not in greeting["reply_markup"]["inline_keyboard"][0][0]["callback_data"][2:]


async def test_an_english_question_from_a_russian_app_is_answered_in_english(
    botapi: BotApiEmulator, start_bot: StartBot
):
    await start_bot()
    botapi.private_message(4000, "how fast is kims train?", language_code="ru")
    reply = await next_reply(botapi, 4000)
    assert "60 km/h" in reply["text"] and language_of(reply["text"]) == "en"
    assert "Source: Kim Jong Un Rides Train to China" in reply["text"]
    assert "Original quote" not in reply["text"]  # the answer is in the quote's language
    # The 👍 under it is thanked in the reader's app language.
    feedback = reply["reply_markup"]["inline_keyboard"][-1][0]["callback_data"]
    botapi.callback_query(4000, botapi.sent_messages(4000)[-1], feedback)
    (thanked,) = await botapi.wait_for("answerCallbackQuery")
    assert thanked.params["text"] == _["ru"]("Thanks for the feedback!")
    botapi.private_message(4000, "what is the weather in Paris tomorrow?")
    declined = await next_reply(botapi, 4000)
    assert declined["text"].startswith("The story doesn't say that")


async def test_inline_results_are_personal_when_the_app_language_chose_them(
    botapi: BotApiEmulator, start_bot: StartBot
):
    await start_bot()
    botapi.inline_query(5000, "", language_code="ko")
    botapi.inline_query(5001, "train speed", language_code="ko")
    calls = await botapi.wait_for("answerInlineQuery", count=2)
    by_query = {
        botapi_query: call.params
        for call in calls
        for botapi_query in [call.params["inline_query_id"]]
    }
    empty, typed = (by_query[q] for q in sorted(by_query, key=int))
    assert empty["is_personal"] is True  # popular topics in the reader's language
    assert empty["results"]
    assert not typed.get("is_personal")  # English words: English for everyone
    assert "60 km/h" in typed["results"][0]["input_message_content"]["message_text"]


# ---- questions in each language (the engine half) ---------------------------------------------


@needs_engine_languages
@pytest.mark.parametrize("code", ["ru", "zh", "ko"])
@pytest.mark.parametrize("matching_app", [True, False], ids=["own-app", "english-app"])
async def test_questions_in_each_language_are_answered_and_declined_in_it(
    botapi: BotApiEmulator, start_bot: StartBot, code: str, matching_app: bool
):
    reader = READERS[code]
    await start_bot(STORYBOT_TODAY="2025-09-02")
    user = 6000
    app = reader.app if matching_app else "en"
    botapi.private_message(user, reader.question, language_code=app)
    answered = await next_reply(botapi, user)
    assert reader.expect in answered["text"] and "<blockquote>" in answered["text"]
    assert language_of(answered["text"]) == code
    english = {"ru": "английский", "zh": "英语", "ko": "영어"}[code]
    label = _[code]("Original quote ({language}):").format(language=english)
    assert f"<i>{label}</i>" in answered["text"]  # the English quote, labelled as such
    botapi.private_message(user, reader.unrelated)
    declined = await next_reply(botapi, user)
    unsaid = _[code]("The story doesn't say that (<i>{question}</i>).")
    assert declined["text"].startswith(unsaid[:6])
    assert language_of(declined["text"]) == code


@needs_engine_languages
@pytest.mark.parametrize("code", ["ru", "zh", "ko"])
async def test_did_you_mean_buttons_answer_in_the_question_s_language(
    botapi: BotApiEmulator, start_bot: StartBot, code: str
):
    reader = READERS[code]
    # Thresholds that put an ordinary question in the "did you mean" band.
    await start_bot(STORYBOT_ANSWER_THRESHOLD="1.0", STORYBOT_SUGGEST_THRESHOLD="0.2")
    user = 7000
    botapi.private_message(user, reader.vague, language_code="en")  # the app says English
    offered = await next_reply(botapi, user)
    assert language_of(offered["text"]) == code
    buttons = [row[0] for row in offered["reply_markup"]["inline_keyboard"]]
    assert buttons and all(b["callback_data"].endswith(f":{code}") for b in buttons)
    assert all(language_of(b["text"]) == code for b in buttons)
    botapi.callback_query(user, botapi.sent_messages(user)[-1], buttons[0]["callback_data"])
    (edit,) = await botapi.wait_for("editMessageText")
    assert "<blockquote>" in edit.params["text"]
    assert language_of(edit.params["text"]) == code


@needs_engine_languages
async def test_inline_results_in_the_query_s_language(botapi: BotApiEmulator, start_bot: StartBot):
    await start_bot()
    botapi.inline_query(8000, "скорость поезда Кима")  # no app language at all
    botapi.inline_query(8001, "60", language_code="ko")  # no letters: the app language decides
    calls = await botapi.wait_for("answerInlineQuery", count=2)
    typed, digits = sorted((c.params for c in calls), key=lambda p: int(p["inline_query_id"]))
    assert not typed.get("is_personal")  # Russian words: Russian for everyone
    first = typed["results"][0]
    assert "60" in first["input_message_content"]["message_text"]
    assert language_of(first["title"]) == "ru"
    assert language_of(first["input_message_content"]["message_text"]) == "ru"
    assert digits["is_personal"] is True
    assert all(language_of(r["title"]) == "ko" for r in digits["results"])


@needs_engine_languages
async def test_the_readers_date_is_noted_in_their_language(
    botapi: BotApiEmulator, start_bot: StartBot
):
    await start_bot(STORYBOT_TODAY="2025-09-04")
    asked = {"ru": "Когда парад?", "zh": "阅兵式是哪天？", "ko": "열병식은 언제인가요?"}
    noted = {
        "ru": "(по сообщению от 2 сент. 2025\u202fг.)",
        "zh": "（据2025年9月2日的报道）",
        "ko": "(2025. 9. 2. 보도 기준)",
    }
    for user, (code, question) in enumerate(asked.items(), 9000):
        botapi.private_message(user, question)
        reply = await next_reply(botapi, user)
        assert noted[code] in reply["text"] and "as reported" not in reply["text"]
        assert language_of(reply["text"]) == code
