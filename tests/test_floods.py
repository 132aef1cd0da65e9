"""Busy groups and floods end to end: the real `storybot run` against the emulator with
Telegram's flood limits on (the default), on Telegram's real time scale.

"Named" means the asker got an answer: a message replying to their question, or a combined
answer whose part mentions them (a tg://user?id= link).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

import aiohttp
from botapi_emulator import BotApiEmulator, parse_html
from conftest import ROOT, StartBot, free_port
from prometheus_client.parser import text_string_to_metric_families

from bot.chat import render
from bot.engine.answering import answer_question
from bot.engine.loader import load

SNAPSHOT = load(ROOT / "knowledge")
GROUP = -100500600
FIRST_USER = 70_000
# Answerable questions; several readers ask the same ones, as in a real discussion.
QUESTIONS = [
    "how fast is kim's train?",
    "when did kim leave pyongyang?",
    "what colour is the train?",
    "how many leaders attend the parade?",
    "who published this story?",
    "where is the parade held?",
    "when does the parade take place?",
    "how long is the journey?",
    "is putin going?",
    "what is the parade for?",
]


def mentions(params: dict) -> set[int]:
    """User ids a sent message mentions by id."""
    _, entities = parse_html(params["text"])
    return {
        int(e["url"].removeprefix("tg://user?id="))
        for e in entities
        if e["type"] == "text_link" and e["url"].startswith("tg://user?id=")
    }


def answer_times(botapi: BotApiEmulator, chat_id: int, asked: dict[int, int]) -> dict[int, float]:
    """user -> time (time.time()) of the first message answering them; ``asked`` maps each
    user to the id of their question's message."""
    by_message = {message_id: user for user, message_id in asked.items()}
    times: dict[int, float] = {}
    for call in botapi.calls_to("sendMessage"):
        if call.params["chat_id"] != chat_id:
            continue
        replied = (call.params.get("reply_parameters") or {}).get("message_id")
        users = mentions(call.params)
        if replied in by_message:
            users.add(by_message[replied])
        for user in users & asked.keys():
            times.setdefault(user, call.time)
    return times


async def wait_until(condition, timeout: float) -> None:  # noqa: ASYNC109
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


async def ask_in_group(botapi: BotApiEmulator, readers: int, seconds: float) -> dict:
    """``readers`` readers each ask once in GROUP, spread evenly over ``seconds``; returns
    user -> (message id, question, push time)."""
    asked = {}
    for i in range(readers):
        user = FIRST_USER + i
        question = QUESTIONS[i % len(QUESTIONS)]
        update = botapi.group_message(GROUP, user, f"/ask {question}", first_name=f"Reader <{i}>")
        asked[user] = (update["message"]["message_id"], question, time.time())
        await asyncio.sleep(seconds / readers)
    return asked


async def check_busy_group(botapi: BotApiEmulator, readers: int, seconds: float, within: float):
    asked = await ask_in_group(botapi, readers, seconds)
    message_ids = {user: message_id for user, (message_id, _, _) in asked.items()}
    await wait_until(lambda: len(answer_times(botapi, GROUP, message_ids)) == readers, within + 2)
    answered = answer_times(botapi, GROUP, message_ids)
    late = {
        user: round(answered[user] - pushed, 1) if user in answered else None
        for user, (_, _, pushed) in asked.items()
        if user not in answered or answered[user] - pushed > within
    }
    assert not late, f"askers without an answer naming them within {within} s: {late}"
    assert botapi.flood_log == [], "the bot provoked a 429"
    sent = [c.params for c in botapi.calls_to("sendMessage") if c.params["chat_id"] == GROUP]
    combined = [p for p in sent if mentions(p)]
    assert combined, "nothing was combined: the test did not test combining"
    assert len(sent) < readers
    # Every part says the right thing: the engine's answer, after its asker's name.
    for params in combined:
        text = parse_html(params["text"])[0]
        assert "<" not in text.replace("Reader <", ""), "a name was not escaped"
        for user in mentions(params):
            question = asked[user][1]
            answer = answer_question(SNAPSHOT, question, today=dt.date.today())
            start = text.index(f"Reader <{user - FIRST_USER}>")
            assert answer.text in text[start:], (question, text)
    return sent


async def test_thirty_readers_in_one_group_within_a_second(
    botapi: BotApiEmulator, start_bot: StartBot
):
    await start_bot(STORYBOT_LOG_LEVEL="INFO")
    sent = await check_busy_group(botapi, readers=30, seconds=1.0, within=5.0)
    # The first answers went out at once, as lone replies.
    assert (sent[0].get("reply_parameters") or {}).get("message_id")


async def test_sixty_readers_in_one_group_within_ten_seconds(
    botapi: BotApiEmulator, start_bot: StartBot
):
    await start_bot(STORYBOT_LOG_LEVEL="INFO")
    await check_busy_group(botapi, readers=60, seconds=10.0, within=10.0)


async def metrics_of(port: int) -> dict:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        exposition = await response.text()
    values: dict = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            values[key] = sample.value
    return values


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def flood(botapi: BotApiEmulator, user: int, count: int, seconds: float) -> list[dict]:
    """``count`` questions from ``user`` in their private chat within ``seconds``."""
    pushed = []
    batch = max(1, count // 50)
    for i in range(count):
        pushed.append(botapi.private_message(user, f"{QUESTIONS[i % len(QUESTIONS)]} ({i})"))
        if i % batch == batch - 1:
            await asyncio.sleep(seconds / 50)
    return pushed


async def test_one_flooding_account_does_not_delay_another_reader(
    botapi: BotApiEmulator, start_bot: StartBot
):
    port = free_port()
    await start_bot(STORYBOT_LOG_LEVEL="INFO", STORYBOT_METRICS_PORT=str(port))
    flooder, reader = FIRST_USER, FIRST_USER + 1
    pushed = await flood(botapi, flooder, 300, 0.5)
    asked = botapi.private_message(reader, "how fast is kim's train?")
    asked_at = time.time()
    (reply,) = await botapi.wait_for("sendMessage", lambda p: p["chat_id"] == reader, timeout=5)
    assert reply.time - asked_at < 1.0, f"the other reader waited {reply.time - asked_at:.1f} s"
    assert reply.params["reply_parameters"]["message_id"] == asked["message"]["message_id"]
    latest = pushed[-1]["message"]
    await botapi.wait_for(
        "sendMessage",
        lambda p: (
            (p.get("reply_parameters") or {}).get("message_id") == latest["message_id"]
            and p["chat_id"] == flooder
        ),
        timeout=10,
    )
    await asyncio.sleep(1.5)  # anything more would come now
    to_flooder = [m["text"] for m in botapi.sent_messages(flooder)]
    notices = [t for t in to_flooder if "asking faster than" in t]
    assert len(notices) == 1
    expected = render.answer_reply(
        answer_question(SNAPSHOT, latest["text"], today=dt.date.today())
    ).text
    assert parse_html(expected)[0] in to_flooder
    assert botapi.flood_log == []
    # Nothing lost: every question was answered or counted as dropped (with its notice).
    metrics = await metrics_of(port)
    dropped = sum(
        value
        for (name, labels), value in metrics.items()
        if name == "storybot_answers_dropped_total"
    )
    answers = len(to_flooder) - len(notices)
    assert answers + dropped == 300, (answers, dropped)
    assert metrics[("storybot_flood_notices_total", ())] == 1


async def test_memory_stays_bounded_under_a_ten_thousand_message_flood(
    botapi: BotApiEmulator, start_bot: StartBot
):
    bot = await start_bot(STORYBOT_LOG_LEVEL="WARNING")
    flooder, reader = FIRST_USER, FIRST_USER + 1
    await flood(botapi, flooder, 500, 0.5)  # warm up: PTB, the engine, the question log
    await wait_until(lambda: not botapi.pending_updates, 20)
    before = rss_kib(bot.process.pid)
    pushed = await flood(botapi, flooder, 10_000, 5.0)
    botapi.private_message(reader, "when did kim leave pyongyang?")
    await wait_until(lambda: not botapi.pending_updates, 60)
    await botapi.wait_for("sendMessage", lambda p: p["chat_id"] == reader, timeout=10)
    latest = pushed[-1]["message"]["message_id"]
    await botapi.wait_for(
        "sendMessage",
        lambda p: (p.get("reply_parameters") or {}).get("message_id") == latest,
        timeout=10,
    )
    grown = rss_kib(bot.process.pid) - before
    assert grown < 20 * 1024, f"the bot grew by {grown / 1024:.0f} MiB under the flood"
    assert botapi.flood_log == []
    # One notice for the whole flood: the reader never went quiet.
    notices = [m for m in botapi.sent_messages(flooder) if "asking faster than" in m["text"]]
    assert len(notices) == 1


async def test_forum_topics_buttons_and_inline_answers_in_a_busy_group(
    botapi: BotApiEmulator, start_bot: StartBot
):
    await start_bot(STORYBOT_LOG_LEVEL="INFO")
    asked = {}
    for i in range(16):
        user, topic = FIRST_USER + i, (7, 9)[i % 2]
        update = botapi.group_message(
            GROUP, user, f"/ask {QUESTIONS[i % len(QUESTIONS)]}", first_name=f"R{i}",
            message_thread_id=topic, is_topic_message=True,
        )  # fmt: skip
        asked[user] = (update["message"]["message_id"], topic)
    # Inline answers have their own budget: never behind the group's waiting answers.
    botapi.inline_query(FIRST_USER + 99, "train speed")
    await botapi.wait_for("answerInlineQuery", timeout=1.0)
    message_ids = {user: message_id for user, (message_id, _) in asked.items()}
    await wait_until(lambda: len(answer_times(botapi, GROUP, message_ids)) == len(asked), 8)
    assert len(answer_times(botapi, GROUP, message_ids)) == len(asked)
    sent = [c.params for c in botapi.calls_to("sendMessage") if c.params["chat_id"] == GROUP]
    for params in sent:
        replied = (params.get("reply_parameters") or {}).get("message_id")
        users = mentions(params) | {u for u, (m, _) in asked.items() if m == replied}
        assert {asked[user][1] for user in users} == {params["message_thread_id"]}
    # 👍 on the second part of a combined answer rates that part.
    combined = next(m for m in botapi.sent_messages(GROUP) if len(mentions(m_params(m))) > 1)
    buttons = [b for row in combined["reply_markup"]["inline_keyboard"] for b in row]
    thumbs = next(b for b in buttons if b["text"] == "👍 2")
    botapi.callback_query(FIRST_USER, combined, thumbs["callback_data"])
    (answer,) = await botapi.wait_for("answerCallbackQuery", timeout=5)
    assert answer.params["text"] == "Thanks for the feedback!"
    assert botapi.flood_log == []


def m_params(message: dict) -> dict:
    """A stored message as the params that would have sent it (for mentions())."""
    entities = message.get("entities", [])
    links = "".join(f'<a href="{e["url"]}">x</a>' for e in entities if e["type"] == "text_link")
    return {"text": links or "x"}


async def test_did_you_mean_in_a_combined_answer_answers_the_presser(
    botapi: BotApiEmulator, start_bot: StartBot
):
    # Thresholds that put ordinary questions in the "did you mean" band (a curated phrasing
    # word for word is answered whatever they are: these are not word for word).
    await start_bot(STORYBOT_ANSWER_THRESHOLD="1.0", STORYBOT_SUGGEST_THRESHOLD="0.2")
    for i in range(8):
        question = f"/ask so tell me, {QUESTIONS[i]}"
        botapi.group_message(GROUP, FIRST_USER + i, question, first_name=f"R{i}")
    await wait_until(
        lambda: any(len(mentions(m_params(m))) > 1 for m in botapi.sent_messages(GROUP)), 8
    )
    combined = next(m for m in botapi.sent_messages(GROUP) if len(mentions(m_params(m))) > 1)
    buttons = [b for row in combined["reply_markup"]["inline_keyboard"] for b in row]
    choice = next(b for b in buttons if b["callback_data"].startswith("r:"))
    assert choice["text"][0].isdigit() and ". " in choice["text"]  # names its part
    before = len(botapi.sent_messages(GROUP))
    botapi.callback_query(FIRST_USER + 50, combined, choice["callback_data"])
    await wait_until(lambda: len(botapi.sent_messages(GROUP)) > before, 8)
    (new,) = botapi.sent_messages(GROUP)[before:]
    assert "Source:" in new["text"]
    assert new["reply_to_message"]["message_id"] == combined["message_id"]
    assert combined in botapi.sent_messages(GROUP)  # the combined answer is left as it was
    assert botapi.flood_log == []
