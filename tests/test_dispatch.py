"""The outgoing-answer scheduler (bot/chat/dispatch.py) piece by piece: budgets, combining,
fairness and bursts, with a recording bot and a budget gate the test opens and closes."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from botapi_emulator import FloodGuard, FloodLimits, parse_html
from conftest import ROOT

from bot.chat import render
from bot.chat.app import make_services, open_question_log
from bot.chat.dispatch import Budgets, Dispatcher, Job, Limits, Pacer, Window, is_chat_send
from bot.chat.handlers import Services
from bot.ops.metrics import Metrics
from bot.settings import Settings

GROUP = -100123


def test_the_default_limits_are_telegrams_and_the_emulators():
    limits = Limits()
    assert (limits.overall, limits.overall_period) == (30, 1.0)
    assert (limits.group, limits.group_period) == (20, 60.0)
    assert (limits.chat_interval, limits.chat_burst) == (1.0, 3)
    emulated = FloodLimits()
    assert (emulated.overall, emulated.overall_period, emulated.group, emulated.group_period) == (
        limits.overall, limits.overall_period, limits.group, limits.group_period,
    )  # fmt: skip
    assert (emulated.chat_interval, emulated.chat_burst) == (
        limits.chat_interval,
        limits.chat_burst,
    )
    assert limits.reader_burst == 3 and limits.repeat_window == 10.0
    assert limits.max_parts == 8 and limits.max_pending == 5000


def test_window_counts_sends_in_flight_and_from_their_end():
    window = Window(20, 60.0)
    for second in range(20):
        assert window.delay(second) == 0
        window.start()
        window.end(second + 0.5)
    assert window.delay(30.0) == pytest.approx(30.5)  # the first ends its minute at 60.5
    assert window.delay(60.5) == 0
    busy = Window(1, 1.0)
    busy.start()
    assert busy.delay(100.0) > 0  # in flight: it counts until it ends


def test_pacer_allows_a_burst_then_one_a_second():
    pacer = Pacer(1.0, 3)
    for _ in range(3):
        assert pacer.delay(0.0) == 0
        pacer.end(0.0)
    assert pacer.delay(0.0) == pytest.approx(1.0)
    pacer.end(1.0)
    assert pacer.delay(1.0) == pytest.approx(1.0)


def test_the_ledger_never_allows_what_the_emulator_refuses():
    """Sends as fast as the ledger allows, to a group and private chats, end 5 ms after they
    start: the emulator's guard (which sees them when they start) never refuses one."""
    now = [0.0]
    budgets = Budgets(Limits(), Metrics(), clock=lambda: now[0])
    guard = FloodGuard(FloodLimits())
    chats = [GROUP, GROUP - 1, 1, 2, 3]
    sent = 0
    while now[0] < 130:
        for chat in chats:
            if budgets.delay(chat) == 0:
                assert guard.check(chat, now[0]) is None, (chat, now[0])
                guard.accept(chat, now[0])
                asyncio.run(_one_slot(budgets, chat, now))
                sent += 1
        now[0] += 0.01
    assert sent > 100


async def _one_slot(budgets: Budgets, chat: int, now: list[float]) -> None:
    async with budgets.slot(chat):
        now[0] += 0.005


def test_a_group_at_its_budget_is_logged_once(caplog):
    now = [0.0]
    metrics = Metrics()
    budgets = Budgets(Limits(), metrics, clock=lambda: now[0])
    with caplog.at_level(logging.INFO):
        for _ in range(20):
            asyncio.run(_one_slot(budgets, GROUP, now))
            now[0] += 1.0
        assert budgets.delay(GROUP) > 30
        assert budgets.delay(GROUP) > 30
    assert caplog.text.count("is at its budget") == 1
    assert metrics.groups_at_budget._value.get() == 1


def test_only_messages_in_chats_count_as_chat_sends():
    assert is_chat_send("sendMessage") and is_chat_send("sendPhoto")
    assert is_chat_send("copyMessage")
    for endpoint in ("answerCallbackQuery", "answerInlineQuery", "sendChatAction", "getUpdates"):
        assert not is_chat_send(endpoint)


class RecordingBot:
    username = "storybot"  # as telegram.Bot knows it after initialize()

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send_message(self, chat_id, text, **kwargs):
        self.sent.append({"chat_id": chat_id, "text": text, **kwargs})
        return SimpleNamespace(message_id=len(self.sent))


class Gate:
    """Budgets the test opens and closes."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.open = True

    def delay(self, chat_id: int) -> float:
        return 0.0 if self.open else 0.01


@pytest.fixture
def services(tmp_path: Path) -> Services:
    made = make_services(Settings(knowledge_dir=ROOT / "knowledge", data_dir=tmp_path))
    open_question_log(made)  # as post_init does: 👍/👎 rate logged questions
    return made


def dispatcher(services: Services, **limits) -> tuple[Dispatcher, RecordingBot, Gate]:
    bot, gate = RecordingBot(), Gate(Limits(**limits))
    return Dispatcher(bot, services, services.metrics, gate), bot, gate  # type: ignore[arg-type]


def job(user: int, question: str, chat: int = GROUP, **details) -> Job:
    kind = "private" if chat > 0 else "supergroup"
    details.setdefault("message_id", user)
    return Job(chat, kind, question, user, f"Reader {user}", **details)


async def settle(dispatch: Dispatcher) -> None:
    await asyncio.wait_for(dispatch.drain(5), 6)


async def test_first_answer_at_once_then_waiting_ones_combined(services):
    dispatch, bot, gate = dispatcher(services)
    await dispatch.submit(job(1, "how fast is kim's train?"))
    assert len(bot.sent) == 1 and bot.sent[0]["reply_parameters"].message_id == 1
    gate.open = False
    await dispatch.submit(job(2, "when did kim leave pyongyang?"))
    await dispatch.submit(job(3, "how fast is the train"))
    await dispatch.submit(job(4, "How fast is Kim's train?"))
    hostile = job(5, "what colour is the train?")
    hostile.name = '<b onclick="x">Eve & co</b>'
    await dispatch.submit(hostile)
    assert len(bot.sent) == 1 and dispatch.pending == 4
    gate.open = True
    await settle(dispatch)
    (combined,) = bot.sent[1:]
    assert combined["reply_parameters"] is None  # the mentions notify every asker
    text, entities = parse_html(combined["text"])
    links = [e["url"] for e in entities if e["type"] == "text_link"]
    assert links == [f"tg://user?id={user}" for user in (2, 3, 4, 5)]
    assert '<b onclick="x">Eve & co</b>' in text and "<b onclick" not in combined["text"]
    # Readers 3 and 4 asked the same question: it is answered once, naming both.
    assert text.count("60 km/h, so the trip") == 1
    assert "Reader 3 and Reader 4 asked" in text
    rows = combined["reply_markup"].inline_keyboard
    data = [button.callback_data for row in rows for button in row]
    assert data and all(len(d.encode()) <= 64 for d in data)
    assert all(render.parse_callback(d) for d in data)
    assert [b.text for b in rows[0]] == ["👍 1", "👎 1"]
    assert services.metrics.answers_combined._value.get() == 4


async def test_forum_topics_are_answered_in_their_own_topic(services):
    dispatch, bot, gate = dispatcher(services)
    gate.open = False
    for user, topic in ((1, 7), (2, 9), (3, 7), (4, 9)):
        await dispatch.submit(job(user, "how fast is kim's train?", thread_id=topic))
    gate.open = True
    await settle(dispatch)
    topics = sorted((m["message_thread_id"], m["text"].count("tg://user")) for m in bot.sent)
    assert topics == [(7, 2), (9, 2)]


async def test_readers_are_served_round_robin(services):
    dispatch, bot, gate = dispatcher(services, max_parts=1)
    gate.open = False
    for question in ("how fast is kim's train?", "what colour is the train?", "who published it"):
        await dispatch.submit(job(1, question))
    await dispatch.submit(job(2, "when did kim leave pyongyang?"))
    gate.open = True
    await settle(dispatch)
    order = [m["reply_parameters"].message_id for m in bot.sent]
    assert order[:2] == [1, 2]  # the second reader waits one answer, not three


async def test_a_burst_then_only_the_latest_question_and_one_notice(services):
    dispatch, bot, gate = dispatcher(services)
    gate.open = False
    questions = [f"how fast is kim's train? ({i})" for i in range(50)]
    for number, question in enumerate(questions):
        await dispatch.submit(job(1, question, chat=1, message_id=number + 100))
    assert dispatch.pending == 2  # the notice and the latest question
    gate.open = True
    await settle(dispatch)
    notice, answer = bot.sent
    assert "asking faster than" in notice["text"] and "tg://user" not in notice["text"]
    assert answer["reply_parameters"].message_id == 149
    dropped = services.metrics.answers_dropped.labels(reason="flood")._value.get()
    assert dropped == 49  # with the latest answered: all 50 accounted for
    assert services.metrics.flood_notices._value.get() == 1


async def test_a_repeat_within_seconds_is_answered_once(services):
    dispatch, bot, _ = dispatcher(services)
    await dispatch.submit(job(1, "how fast is kim's train?", chat=1))
    await dispatch.submit(job(1, "How fast is Kim's train ?", chat=1))
    await settle(dispatch)
    assert len(bot.sent) == 1
    assert services.metrics.answers_dropped.labels(reason="repeat")._value.get() == 1


async def test_queues_are_bounded(services):
    dispatch, _, gate = dispatcher(services, max_pending=5)
    gate.open = False
    for user in range(10):
        await dispatch.submit(job(user, "how fast is kim's train?"))
    assert dispatch.pending == 5
    assert services.metrics.answers_dropped.labels(reason="overflow")._value.get() == 5
    gate.open = True
    await settle(dispatch)


async def test_a_combined_message_never_exceeds_telegrams_length(services):
    from test_floods import QUESTIONS

    dispatch, bot, gate = dispatcher(services, max_parts=20)
    gate.open = False
    grandma = " Asking for my grandmother, who reads every single word of the news each morning."
    for user, question in enumerate(QUESTIONS):
        await dispatch.submit(job(user, question + grandma * 2))
    gate.open = True
    await settle(dispatch)
    assert len(bot.sent) > 1, "ten long answers should not fit one message"
    assert all(render.visible_length(m["text"]) <= render.MAX_TEXT for m in bot.sent)
    named = sum(m["text"].count("tg://user") or 1 for m in bot.sent)
    assert named == len(QUESTIONS)


def test_mentions_work_without_a_username_and_escape_names():
    assert render.mention(render.Asker(42, "Ann <b>&</b>")) == (
        '<a href="tg://user?id=42">Ann &lt;b&gt;&amp;&lt;/b&gt;</a>'
    )
    assert render.mention(render.Asker(None, "News channel")) == "<b>News channel</b>"
    assert render.mention(render.Asker(7, "   ")).endswith(">Someone</a>")
    long = render.mention(render.Asker(7, "x" * 500))
    assert len(parse_html(long)[0]) == render.MAX_NAME


def test_the_flood_notice_is_polite_and_names_the_reader_in_groups():
    private = render.flood_notice(None).text
    group = render.flood_notice(render.Asker(5, "Bo")).text
    assert private.startswith("You're asking faster") and "latest question" in private
    assert group.startswith('<a href="tg://user?id=5">Bo</a>, you')
    parse_html(group)  # valid Telegram HTML


async def test_a_failed_combined_send_is_counted_and_apologised_for(services):
    dispatch, bot, gate = dispatcher(services)
    gate.open = False
    await dispatch.submit(job(1, "how fast is kim's train?"))
    await dispatch.submit(job(2, "what colour is the train?"))
    real_send = bot.send_message

    async def failing(chat_id, text, **kwargs):
        if "tg://user" in text:
            raise RuntimeError("the Bot API is down")
        return await real_send(chat_id, text, **kwargs)

    bot.send_message = failing
    gate.open = True
    await settle(dispatch)
    (apology,) = bot.sent
    assert apology["text"].startswith("Sorry, something went wrong")
    assert services.metrics.answers_dropped.labels(reason="error")._value.get() == 2


async def test_an_entry_asked_for_in_two_languages_is_no_repeat(services):
    dispatch, bot, _ = dispatcher(services)
    await dispatch.submit(job(1, "", chat=1, entry_id="train-speed"))
    await dispatch.submit(job(1, "", chat=1, entry_id="train-speed", language="ru"))
    await settle(dispatch)
    english, russian = (sent["text"] for sent in bot.sent)
    assert "60 km/h" in english and "км/ч" in russian


async def test_busy_groups_answer_each_asker_in_their_language(services):
    dispatch, bot, gate = dispatcher(services)
    await dispatch.submit(job(1, "when did kim leave pyongyang?"))
    gate.open = False
    await dispatch.submit(job(2, "how fast is kim's train?"))
    await dispatch.submit(job(3, "С какой скоростью едет поезд Кима?", hint="ru"))
    await dispatch.submit(job(4, "金正恩的火车开多快？"))
    gate.open = True
    await settle(dispatch)
    combined = bot.sent[1]["text"]
    assert "<b>1.</b> <a" in combined and "asked" in combined
    assert "<b>2.</b> Вопрос от" in combined and "км/ч" in combined
    assert "<b>3.</b> <a" in combined and "问：" in combined
    notice = dispatch._notice(job(5, "", hint="ko-KR"))
    assert notice.reply.text.startswith('<a href="tg://user?id=5">Reader 5</a> 님,')
