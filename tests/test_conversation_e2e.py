"""End to end: follow-up questions in Telegram, the real bot process against the emulator.

The replica test runs two `storybot webhook` processes sharing one PostgreSQL (skipped without
STORYBOT_TEST_POSTGRES_URL, as tests/test_postgres_store.py): consecutive updates of one chat
go to different processes, as behind a load balancer.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from urllib.parse import urlencode, urlsplit

import aiohttp
import pytest
from botapi_emulator import BotApiEmulator
from conftest import StartBot, free_port, wait_until_serving
from test_bot_e2e import next_reply, replies_to

READER, STRANGER = 1001, 1002
GROUP = -100200300
SECRET = "replica-test-webhook-secret"


async def test_private_follow_ups_show_their_reading_and_start_clears(
    botapi: BotApiEmulator, start_bot: StartBot
):
    await start_bot()
    botapi.private_message(READER, "When is the parade?")
    assert "Wednesday" in (await next_reply(botapi, READER))["text"]
    botapi.private_message(READER, "what will happen there?")
    there = (await next_reply(botapi, READER))["text"]
    assert "troops" in there
    assert "about: When is the parade?" in there  # the reading, so the reader can correct it
    botapi.private_message(READER, "what is it for?")
    purpose = (await next_reply(botapi, READER))["text"]
    assert "surrender" in purpose and "about: What will the parade feature?" in purpose
    botapi.private_message(READER, "/start")
    await next_reply(botapi, READER)
    botapi.private_message(READER, "when?")
    alone = (await next_reply(botapi, READER))["text"]
    assert "doesn't say" in alone and "about:" not in alone


async def test_private_context_expires(botapi: BotApiEmulator, start_bot: StartBot):
    await start_bot(STORYBOT_CONVERSATION_MINUTES="0.02")  # 1.2 seconds
    botapi.private_message(READER, "When is the parade?")
    await next_reply(botapi, READER)
    botapi.private_message(READER, "what will happen there?")
    assert "troops" in (await next_reply(botapi, READER))["text"]
    await asyncio.sleep(2.0)
    botapi.private_message(READER, "what day?")
    late = (await next_reply(botapi, READER))["text"]
    assert "about:" not in late and "Wednesday" not in late


async def test_group_reply_to_an_answer_follows_it_up_and_a_stranger_stands_alone(
    botapi: BotApiEmulator, start_bot: StartBot
):
    await start_bot()
    botapi.group_message(GROUP, READER, "/ask When is the parade?")
    assert "Wednesday" in (await next_reply(botapi, GROUP))["text"]
    parade_answer = botapi.sent_messages(GROUP)[-1]
    # Another reader's bare follow-up, not a reply to the answer: nothing to follow up.
    botapi.group_message(GROUP, STRANGER, "@StoryTestBot and what is it for?")
    stranger = (await next_reply(botapi, GROUP))["text"]
    assert "about:" not in stranger and "surrender" not in stranger
    botapi.group_message(GROUP, STRANGER, "/ask How fast does the train go?")
    assert "60 km/h" in (await next_reply(botapi, GROUP))["text"]
    # A reply to the parade answer follows it up, whatever was asked since.
    botapi.group_message(GROUP, READER, "and what is it for?", reply_to=parade_answer)
    follow = (await next_reply(botapi, GROUP))["text"]
    assert "surrender" in follow and "about: When is the parade?" in follow


async def test_related_button_sets_the_context_and_an_edit_keeps_its_own(
    botapi: BotApiEmulator, start_bot: StartBot
):
    await start_bot()
    botapi.private_message(READER, "How does Kim travel to Beijing?")
    travel = await next_reply(botapi, READER)
    related = {
        b["text"]: b["callback_data"]
        for row in travel["reply_markup"]["inline_keyboard"]
        for b in row
        if b.get("callback_data", "").startswith("r:")  # related: answered in a new message
    }
    chosen = next(text for text in related if "like" in text.lower())
    botapi.callback_query(READER, botapi.sent_messages(READER)[-1], related[chosen])
    assert "green" in (await next_reply(botapi, READER))["text"]
    asked = botapi.private_message(READER, "how fast does it go?")
    speed = (await next_reply(botapi, READER))["text"]
    assert f"about: {chosen}" in speed.replace("&#x27;", "'") and "60 km/h" in speed
    botapi.private_message(READER, "Who is China's leader?")
    assert "Xi" in (await next_reply(botapi, READER))["text"]
    # Edited, the follow-up is read with the turn it followed, not the latest one.
    botapi.edited_message(asked, "what colour is it?")
    (edit,) = await botapi.wait_for("editMessageText")
    assert f"about: {chosen}" in edit.params["text"].replace("&#x27;", "'")
    assert "green" in edit.params["text"]


async def test_inline_mode_stays_stateless(botapi: BotApiEmulator, start_bot: StartBot):
    await start_bot()
    botapi.private_message(READER, "When is the parade?")
    await next_reply(botapi, READER)
    botapi.inline_query(READER, "what day?")
    (call,) = await botapi.wait_for("answerInlineQuery")
    texts = [r["input_message_content"]["message_text"] for r in call.params["results"]]
    assert all("about:" not in text for text in texts)


# --- two replicas sharing one PostgreSQL ----------------------------------------------------

SERVER_URL = os.environ.get("STORYBOT_TEST_POSTGRES_URL", "")


@pytest.fixture
def postgres_url():
    """A fresh schema on the test server, dropped afterwards; skip without a server."""
    psycopg = pytest.importorskip("psycopg")
    if not SERVER_URL:
        pytest.skip("no PostgreSQL server: STORYBOT_TEST_POSTGRES_URL is unset (.ci/run)")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    try:
        with psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL server unreachable: {exc}")
    separator = "&" if urlsplit(SERVER_URL).query else "?"
    yield SERVER_URL + separator + urlencode({"options": f"-csearch_path={schema}"})
    with psycopg.connect(SERVER_URL, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def test_replicas_on_postgres_share_contexts_without_ids(
    botapi: BotApiEmulator, start_bot: StartBot, postgres_url: str
):
    import psycopg

    bases = []
    for _ in range(2):
        port = free_port()
        await start_bot(
            "webhook", "--url", "https://bot.example/telegram", "--port", str(port),
            ready=False, STORYBOT_WEBHOOK_SECRET=SECRET, STORYBOT_DATABASE_URL=postgres_url,
            STORYBOT_CONTEXT_SECRET="shared-context-secret",
        )  # fmt: skip
        bases.append(f"http://127.0.0.1:{port}")
    for base in bases:
        await wait_until_serving(f"{base}/healthz")
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async with aiohttp.ClientSession() as session:

        async def deliver(replica: int, update: dict) -> None:
            url = f"{bases[replica]}/telegram"
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 200

        # Private: each message of the conversation reaches the other replica.
        await deliver(0, botapi.private_message(READER, "When is the parade?"))
        assert "Wednesday" in (await next_reply(botapi, READER))["text"]
        await deliver(1, botapi.private_message(READER, "what will happen there?"))
        assert "troops" in (await next_reply(botapi, READER))["text"]
        await deliver(0, botapi.private_message(READER, "what is it for?"))
        assert "surrender" in (await next_reply(botapi, READER))["text"]
        # Group: the answer came from one replica, the reply to it reaches the other.
        await deliver(1, botapi.group_message(GROUP, READER, "/ask Who is China's leader?"))
        assert "Xi" in (await next_reply(botapi, GROUP))["text"]
        answer = botapi.sent_messages(GROUP)[-1]
        # Which message answered what is stored right after it is sent; a human reply takes
        # longer than this.
        await asyncio.sleep(0.5)
        await deliver(0, botapi.group_message(GROUP, READER, "and Russia's?", reply_to=answer))
        assert "Putin" in (await next_reply(botapi, GROUP))["text"]
        await deliver(1, botapi.group_message(GROUP, STRANGER, "@StoryTestBot and Russia's?"))
        assert "about:" not in (await next_reply(botapi, GROUP))["text"]
    assert len(replies_to(botapi, READER)) == 3

    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute(
            "SELECT key, question, entry FROM conversation_context"
        ).fetchall()
    assert rows
    for key, _, _ in rows:  # keyed by an HMAC: no chat or user id is stored
        assert len(key) == 64 and all(c in "0123456789abcdef" for c in key)
        assert str(READER) not in key and str(abs(GROUP)) not in key
