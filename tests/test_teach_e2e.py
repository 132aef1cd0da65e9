"""End to end: an admin teaches the real `storybot run` from /unanswered, against the emulator."""

from __future__ import annotations

import pytest
from botapi_emulator import BotApiEmulator
from conftest import ADMIN_ID, StartBot
from test_bot_e2e import next_reply, replies_to
from test_postgres_store import server_url, url  # noqa: F401 - fixtures for the PostgreSQL run

USER = 1001
# One question five ways; the story answers it (why Kim went: the parade), the bot abstains.
VARIANTS = [
    "What event lured Kim to the Chinese capital?",
    "what event lured him to china",
    "which event lured kim to beijing",
    "What event lured Kim to the Chinese capital?",
    "kim was lured to beijing by what event?",
]
DOES_NOT_SAY = "The story doesn't say that"


async def ask(botapi: BotApiEmulator, question: str, user: int = USER) -> str:
    botapi.private_message(user, question)
    return (await next_reply(botapi, user))["text"]


def buttons(message: dict) -> list[dict]:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def press(botapi: BotApiEmulator, user: int, message: dict, data: str) -> str:
    """Press a button; the text of the callback's answer."""
    query_id = botapi.callback_query(user, message, data)["callback_query"]["id"]
    (answer,) = await botapi.wait_for(
        "answerCallbackQuery", lambda p: str(p["callback_query_id"]) == str(query_id), timeout=15
    )
    return answer.params.get("text", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> dict[str, str]:
    """The bots' database: the default SQLite file, or a PostgreSQL schema of this test's
    (skipped without STORYBOT_TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        return {}
    return {"STORYBOT_DATABASE_URL": request.getfixturevalue("url")}


async def test_admin_teaches_from_unanswered_and_undoes(
    botapi: BotApiEmulator, start_bot: StartBot, database: dict[str, str]
):
    first = await start_bot(**database)
    # Each from a reader of their own: one reader's repeat within seconds is answered once.
    for number, question in enumerate(VARIANTS):
        assert DOES_NOT_SAY in await ask(botapi, question, USER + number)

    before = len(replies_to(botapi, ADMIN_ID))
    botapi.private_message(ADMIN_ID, "/unanswered")
    await botapi.wait_for(
        "sendMessage", lambda p: p["chat_id"] == ADMIN_ID, timeout=15, count=before + 2
    )
    report, offer = replies_to(botapi, ADMIN_ID)[before : before + 2]
    assert "1 group(s), 5 asked" in report["text"]  # five phrasings, one group
    assert "5×" in offer["text"]
    offered = {b["text"]: b["callback_data"] for b in buttons(offer)}
    assert {"Other entry…", "Not in the story", "Ignore"} <= set(offered)
    adds = [data for text, data in offered.items() if text.startswith("Add to:")]
    assert len(adds) == 3
    message = botapi.sent_messages(ADMIN_ID)[-1]
    if not any(data.endswith(":trip-purpose") for data in adds):  # pick another entry
        assert await press(botapi, ADMIN_ID, message, offered["Other entry…"]) == ""
        more = await next_reply(botapi, ADMIN_ID)
        adds = [b["callback_data"] for b in buttons(more)]
        message = botapi.sent_messages(ADMIN_ID)[-1]
    add = next(data for data in adds if data.endswith(":trip-purpose"))

    # A reader's press is refused politely and changes nothing.
    refusal = await press(botapi, USER, message, add)
    assert "only the bot's admins" in refusal
    assert DOES_NOT_SAY in await ask(botapi, VARIANTS[2])

    await press(botapi, ADMIN_ID, message, add)
    done = await next_reply(botapi, ADMIN_ID, wait=20)
    assert done["text"].startswith("✅ Added to trip-purpose")
    (undo,) = buttons(done)
    assert undo["text"] == "Undo"
    for number, question in enumerate(VARIANTS):
        answer = await ask(botapi, question, USER + number)
        assert DOES_NOT_SAY not in answer and "parade" in answer

    botapi.private_message(ADMIN_ID, "/stats")
    stats = await next_reply(botapi, ADMIN_ID)
    assert "taught answers: 5" in stats["text"]

    # A second bot process on the same database answers with the taught knowledge too.
    await first.stop()
    second = await start_bot(**database)
    assert DOES_NOT_SAY not in await ask(botapi, VARIANTS[1])

    # Undo, pressed on the first process's message, is applied by the second.
    await press(botapi, ADMIN_ID, botapi.sent_messages(ADMIN_ID)[-2], undo["callback_data"])
    undone = await next_reply(botapi, ADMIN_ID, wait=20)
    assert undone["text"].startswith("✅ Undone")
    assert DOES_NOT_SAY in await ask(botapi, VARIANTS[0])
    await second.stop()
    assert f"non-admin user id {USER}" in second.logs or f"non-admin user id {USER}" in first.logs


def test_other_entry_pages_reach_every_entry():
    from bot.chat import render
    from bot.chat.teaching import MORE_ENTRIES, _closest
    from bot.curation.grouping import UnansweredGroup
    from bot.engine.loader import load
    from bot.settings import bundled_knowledge

    snapshot = load(bundled_knowledge())
    group = UnansweredGroup("what event lured kim to beijing", 5, {}, 0, 1, None, "", ())
    seen: list[str] = [s.entry for s in _closest(snapshot, group)]
    page = 0
    while True:
        skip = 3 + page * MORE_ENTRIES
        entries = _closest(snapshot, group, skip=skip, count=MORE_ENTRIES)
        seen += [s.entry for s in entries]
        more = page + 1 if skip + MORE_ENTRIES < len(snapshot.entries) else None
        reply = render.teach_entries_reply(group.question, 7, entries, more)
        data = [b.callback_data for row in reply.keyboard.inline_keyboard for b in row]
        assert all(render.parse_callback(d) is not None for d in data)
        if more is None:
            break
        assert data[-1] == f"t:7:m:{more}"
        page = more
    assert sorted(seen) == sorted(snapshot.entries)
