"""End to end: the real `storybot run` process against the Bot API emulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from botapi_emulator import BotApiEmulator
from conftest import ADMIN_ID, StartBot

USER = 1001
GROUP = -100200300


def replies_to(botapi: BotApiEmulator, chat_id: int) -> list[dict]:
    return [c.params for c in botapi.calls_to("sendMessage") if c.params["chat_id"] == chat_id]


async def next_reply(botapi: BotApiEmulator, chat_id: int, wait: float = 10) -> dict:
    before = len(replies_to(botapi, chat_id))
    await botapi.wait_for(
        "sendMessage", lambda p: p["chat_id"] == chat_id, timeout=wait, count=before + 1
    )
    return replies_to(botapi, chat_id)[before]


async def test_private_question_gets_answer_with_citation(
    botapi: BotApiEmulator, start_bot: StartBot
):
    bot = await start_bot()
    asked = botapi.private_message(USER, "how fast is kims trian?")
    reply = await next_reply(botapi, USER)
    assert "60 km/h" in reply["text"]
    assert "<blockquote>" in reply["text"]
    assert "Source: Kim Jong Un Rides Train to China" in reply["text"]
    assert reply["reply_parameters"]["message_id"] == asked["message"]["message_id"]
    assert reply["parse_mode"] == "HTML"
    await bot.stop()
    assert botapi.token not in bot.logs
    assert botapi.token.split(":")[1] not in bot.logs


async def test_start_help_sources_and_menus(botapi: BotApiEmulator, start_bot: StartBot):
    await start_bot()
    scopes = {c.params["scope"]["type"] for c in botapi.calls_to("setMyCommands")}
    assert {"all_private_chats", "all_group_chats", "chat"} <= scopes
    botapi.private_message(USER, "/start")
    greeting = await next_reply(botapi, USER)
    assert "one news story" in greeting["text"]
    assert greeting["reply_markup"]["inline_keyboard"]
    botapi.private_message(USER, "/start train-speed")
    deep = await next_reply(botapi, USER)
    assert "60 km/h" in deep["text"]
    botapi.private_message(USER, "/start <b>forged</b>")
    forged = await next_reply(botapi, USER)
    assert "no longer have" in forged["text"]
    botapi.private_message(USER, "/sources")
    assert "Global Leaders Insights" in (await next_reply(botapi, USER))["text"]


async def test_group_ask_mention_reply_and_chatter(botapi: BotApiEmulator, start_bot: StartBot):
    await start_bot()
    botapi.group_message(GROUP, USER, "anyone seen the news today?")
    botapi.group_message(GROUP, USER, "/ask@StoryTestBot when did kim leave")
    reply = await next_reply(botapi, GROUP)
    assert "Monday" in reply["text"]
    botapi.group_message(GROUP, USER, "@StoryTestBot what colour is the train")
    assert "green" in (await next_reply(botapi, GROUP))["text"]
    bot_message = botapi.sent_messages(GROUP)[-1]
    botapi.group_message(GROUP, USER, "and how fast does it go?", reply_to=bot_message)
    assert "60 km/h" in (await next_reply(botapi, GROUP))["text"]
    botapi.group_message(
        GROUP, USER, "/ask who published this", message_thread_id=7, is_topic_message=True
    )
    threaded = await next_reply(botapi, GROUP)
    assert threaded["message_thread_id"] == 7
    botapi.group_message(GROUP, USER, "/ask")
    prompt = await next_reply(botapi, GROUP)
    assert prompt["reply_markup"]["force_reply"] is True
    botapi.group_message(GROUP, USER, "lol ok, lunch anyone?")
    await asyncio.sleep(1.0)
    assert len(replies_to(botapi, GROUP)) == 5  # the chatter got nothing


async def test_channel_post_and_inline_query(botapi: BotApiEmulator, start_bot: StartBot):
    await start_bot()
    channel = -100999
    botapi.channel_post(channel, "Morning briefing, no bot needed")
    botapi.channel_post(channel, "/ask how many leaders attend the parade?")
    assert "26" in (await next_reply(botapi, channel))["text"]
    assert len(replies_to(botapi, channel)) == 1
    botapi.inline_query(USER, "train speed")
    (call,) = await botapi.wait_for("answerInlineQuery")
    results = call.params["results"]
    assert 1 <= len(results) <= 5
    assert "60 km/h" in results[0]["input_message_content"]["message_text"]
    botapi.inline_query(USER, "")
    calls = await botapi.wait_for("answerInlineQuery", count=2)
    assert calls[1].params["results"]


async def test_did_you_mean_buttons_and_forged_callbacks(
    botapi: BotApiEmulator, start_bot: StartBot
):
    # Thresholds that put an ordinary question in the "did you mean" band, whatever the
    # curators change in the knowledge.
    await start_bot(STORYBOT_ANSWER_THRESHOLD="1.0", STORYBOT_SUGGEST_THRESHOLD="0.2")
    botapi.private_message(USER, "tell me about the speed of kim's armoured train")
    reply = await next_reply(botapi, USER)
    assert "Did you mean" in reply["text"]
    buttons = [row[0] for row in reply["reply_markup"]["inline_keyboard"]]
    assert 1 < len(buttons) <= 3
    message = botapi.sent_messages(USER)[-1]
    botapi.callback_query(USER, message, buttons[0]["callback_data"])
    (edit,) = await botapi.wait_for("editMessageText")
    assert "<blockquote>" in edit.params["text"]
    stale = botapi.callback_query(USER, message, "a:no-such-entry")["callback_query"]["id"]
    forged = botapi.callback_query(USER, message, "x" * 64)["callback_query"]["id"]
    answers = await botapi.wait_for("answerCallbackQuery", count=3)
    # Updates are handled concurrently: match the answers by query, not by order.
    said = {str(a.params["callback_query_id"]): a.params.get("text", "") for a in answers}
    assert "no longer available" in said[stale]
    assert "no longer valid" in said[forged]


async def test_edited_question_edits_the_answer(botapi: BotApiEmulator, start_bot: StartBot):
    await start_bot()
    asked = botapi.private_message(USER, "when did kim leave?")
    first = await next_reply(botapi, USER)
    assert "Monday" in first["text"]
    botapi.edited_message(asked, "how fast is the train?")
    (edit,) = await botapi.wait_for("editMessageText")
    assert "60 km/h" in edit.params["text"]


async def test_reload_by_admin_good_and_broken_and_by_stranger(
    botapi: BotApiEmulator, start_bot: StartBot, knowledge_copy: Path
):
    bot = await start_bot()
    botapi.private_message(USER, "/reload")
    refusal = await next_reply(botapi, USER)
    assert "only the bot's admins" in refusal["text"]
    faq = knowledge_copy / "faq.yaml"
    faq.write_text(
        faq.read_text(encoding="utf-8").replace(
            "answer: Kim's train runs", "answer: Kim's armoured train runs", 1
        ),
        encoding="utf-8",
    )
    botapi.private_message(ADMIN_ID, "/reload")
    report = await next_reply(botapi, ADMIN_ID)
    assert "Reloaded" in report["text"] and "Changed (1): train-speed" in report["text"]
    faq.write_text(faq.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")
    botapi.private_message(ADMIN_ID, "/reload")
    refused = await next_reply(botapi, ADMIN_ID)
    assert "Reload refused" in refused["text"]
    assert re.search(r"faq\.yaml:\d+", refused["text"])
    botapi.private_message(USER, "how fast is the train")
    assert "armoured train runs" in (await next_reply(botapi, USER))["text"]
    await bot.stop()
    assert f"non-admin user id {USER}" in bot.logs


async def test_rejected_token_is_one_clear_line_without_the_token(
    botapi: BotApiEmulator, start_bot: StartBot
):
    wrong = "123456789:AAwrongTokenThatTheServerRejects12345"
    bot = await start_bot(ready=False, TELEGRAM_BOT_TOKEN=wrong)
    assert await asyncio.wait_for(bot.process.wait(), 30) == 2
    assert "rejected the bot token" in bot.logs.splitlines()[-1]
    assert wrong not in bot.logs and wrong.split(":")[1] not in bot.logs


async def test_help_thanks_sources_and_why_in_plain_words(
    botapi: BotApiEmulator, start_bot: StartBot
):
    await start_bot()
    botapi.private_message(USER, "help")
    helped = await next_reply(botapi, USER)
    assert "Ask me about the story" in helped["text"] and "clout" not in helped["text"]
    # Its example is a question the knowledge answers (the first entry's, none asked yet).
    assert "e.g. <i>When did Kim leave for China?</i>" in helped["text"]
    botapi.private_message(USER, "thank you!")
    assert "You're welcome" in (await next_reply(botapi, USER))["text"]
    botapi.private_message(USER, "give me the sources")
    listed = await next_reply(botapi, USER)
    assert "comes from" in listed["text"] and "Global Leaders Insights" in listed["text"]
    botapi.private_message(USER, "Why doesn't Kim fly?")
    why = await next_reply(botapi, USER)
    assert "doesn't say why" in why["text"] and "No —" not in why["text"]


async def test_the_readers_date_sets_tense_and_reasons(botapi: BotApiEmulator, start_bot: StartBot):
    await start_bot(STORYBOT_TODAY="2025-09-04")
    botapi.private_message(USER, "When is the parade?")
    reply = await next_reply(botapi, USER)
    assert (
        "The parade was set for Wednesday, 3 September 2025 (as reported on 2 Sep 2025)."
        in (reply["text"])
    )
    botapi.private_message(USER, "How did the parade go? <b>")
    reply = await next_reply(botapi, USER)
    assert "before the parade (Wednesday, 3 September 2025)" in reply["text"]
    assert "&lt;b&gt;" in reply["text"]  # the question echoed, escaped
