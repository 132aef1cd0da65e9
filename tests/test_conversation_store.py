"""Conversation contexts: the in-memory store, the shared PostgreSQL store, and the question
log's record of follow-ups."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlencode, urlsplit

import pytest

from bot.chat.conversation import (
    DatabaseConversations,
    MemoryConversations,
    answer_key,
    open_store,
    reader_key,
)
from bot.curation.store import QuestionLog
from bot.engine.followup import Turn

PARADE = Turn("When is the parade?", "parade-date")


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_memory_store_expires_and_stays_bounded():
    clock = Clock()
    store = MemoryConversations(clock, limit=2)
    await store.put(reader_key(1, 1), PARADE, 600)
    assert await store.get(reader_key(1, 1)) == PARADE
    assert await store.get(reader_key(1, 2)) is None  # another reader has none
    clock.now += 601
    assert await store.get(reader_key(1, 1)) is None
    for message_id in range(3):
        await store.put(answer_key(5, message_id), PARADE, 600)
    assert await store.get(answer_key(5, 0)) is None  # the oldest went beyond the bound
    assert await store.get(answer_key(5, 2)) == PARADE
    await store.clear(answer_key(5, 2))
    assert await store.get(answer_key(5, 2)) is None


def test_open_store_uses_memory_without_a_shared_database_or_secret(caplog):
    assert isinstance(open_store("", "s"), MemoryConversations)
    assert isinstance(open_store("sqlite:///x.sqlite3", "s"), MemoryConversations)
    assert isinstance(open_store("postgresql://u@127.0.0.1:1/db", ""), MemoryConversations)
    assert "STORYBOT_CONTEXT_SECRET" in caplog.text


async def test_question_log_records_follow_ups_and_shows_the_turn_before(tmp_path):
    log = QuestionLog.open(f"sqlite:///{tmp_path}/log.sqlite3")
    try:
        common = {"chat_type": "private", "outcome": "abstained", "entry": None}
        common |= {"confidence": 0.2, "knowledge_version": "v1"}
        log.record(question="when?", context="What will the parade feature?", **common)
        log.record(question="how heavy is it", **common)
        assert await log.flush()
        rows = log.backend.execute(
            "SELECT question, followup, context FROM questions ORDER BY id"
        ).rows
        assert rows == [
            ("when?", 1, "what will the parade feature?"),
            ("how heavy is it", 0, None),
        ]
        shown = {group.question for group in log.unanswered(7)}
        assert shown == {"when? (after: what will the parade feature?)", "how heavy is it"}
        # Exported as eval questions, "when?" alone would be a different question.
        assert [row.question for row in log.reviewed(7)] == ["how heavy is it"]
    finally:
        await log.close()


SERVER_URL = os.environ.get("STORYBOT_TEST_POSTGRES_URL", "")


@pytest.fixture
def postgres_url():
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


async def test_database_store_shares_hashes_expires_and_purges(postgres_url):
    clock = Clock()
    first = DatabaseConversations(postgres_url, "secret", clock)
    second = DatabaseConversations(postgres_url, "secret", clock)  # another replica
    other_secret = DatabaseConversations(postgres_url, "another", clock)
    try:
        await first.put(reader_key(4242, 4242), PARADE, 600)
        assert await second.get(reader_key(4242, 4242)) == PARADE
        assert await other_secret.get(reader_key(4242, 4242)) is None  # keys need the secret
        await second.put(reader_key(4242, 4242), Turn("when?", None), 600)  # replaced
        assert await first.get(reader_key(4242, 4242)) == Turn("when?", None)
        (key,) = first._backend.execute("SELECT key FROM conversation_context").rows[0]
        assert "4242" not in key and len(key) == 64
        clock.now += 601
        assert await first.get(reader_key(4242, 4242)) is None  # expired
        assert await first.purge() == 1
        assert first._backend.execute("SELECT COUNT(*) FROM conversation_context").rows == [(0,)]
        await first.put(answer_key(-100, 7), PARADE, 60)
        await first.clear(answer_key(-100, 7))
        assert await second.get(answer_key(-100, 7)) is None
    finally:
        for store in (first, second, other_secret):
            await store.close()


async def test_database_store_failure_costs_the_context_not_the_answer(postgres_url, caplog):
    store = DatabaseConversations(postgres_url, "secret")
    await store.close()  # every later call fails
    assert await store.get(reader_key(1, 1)) is None
    await store.put(reader_key(1, 1), PARADE, 60)
    assert "conversation context" in caplog.text
