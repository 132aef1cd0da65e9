"""Conversation context in Telegram: which turn a reader's next message is read with.

Three kinds of context are kept, each under a key made of a kind, a chat id and one more id:

* ``reader`` (private chats): the last exchange with that reader, for a configurable time;
* ``answer``: the turn each bot message answered, so a reply to it (in a group too) is read
  with that answer and nobody else's;
* ``asked``: the context a question was read with, so an edited follow-up is answered again
  the way it was first read.

In one process the contexts live in memory. Replicas share them through PostgreSQL, keyed by
an HMAC of the ids (never the ids themselves), each row expiring and purged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable

from telegram import Chat, Message, User
from telegram.constants import ChatType

from bot.curation.store import StoreError, backend_for
from bot.engine.followup import Turn

log = logging.getLogger(__name__)

READER, ANSWER, ASKED = "reader", "answer", "asked"
Key = tuple[str, int, int]
# Replies to an answer may come long after it; a day covers a group's discussion of it.
ANSWER_SECONDS = 24 * 3600.0
MAX_MEMORY_CONTEXTS = 50_000
PURGE_INTERVAL = 60.0  # seconds between deletions of expired rows
# Shared contexts: keyed by an HMAC of the ids, never the ids; expires_at in epoch seconds.
CONTEXT_TABLE = (
    """
    CREATE TABLE IF NOT EXISTS conversation_context (
        key TEXT PRIMARY KEY,
        question TEXT NOT NULL,
        entry TEXT,
        expires_at DOUBLE PRECISION NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS conversation_context_expires ON conversation_context (expires_at)",
)


def reader_key(chat_id: int, user_id: int) -> Key:
    """The key of a reader's private conversation."""
    return (READER, chat_id, user_id)


def answer_key(chat_id: int, message_id: int) -> Key:
    """The key of the turn one bot message answered."""
    return (ANSWER, chat_id, message_id)


def asked_key(chat_id: int, message_id: int) -> Key:
    """The key of the context one question message was read with."""
    return (ASKED, chat_id, message_id)


class ConversationStore(ABC):
    """Where contexts live; every method is safe to call from the event loop."""

    @abstractmethod
    async def get(self, key: Key) -> Turn | None:
        """The context under ``key``, or None when there is none or it expired."""

    @abstractmethod
    async def put(self, key: Key, turn: Turn, seconds: float) -> None:
        """Keep ``turn`` under ``key`` for ``seconds``."""

    @abstractmethod
    async def clear(self, key: Key) -> None:
        """Forget the context under ``key``."""

    @abstractmethod
    async def close(self) -> None:
        """Release what the store holds."""


class MemoryConversations(ConversationStore):
    """Contexts in this process's memory, the oldest dropped beyond a bound."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, limit: int = MAX_MEMORY_CONTEXTS
    ) -> None:
        self._clock = clock
        self._limit = limit
        self._contexts: OrderedDict[Key, tuple[Turn, float]] = OrderedDict()

    async def get(self, key: Key) -> Turn | None:
        """The context under ``key``, or None when there is none or it expired."""
        found = self._contexts.get(key)
        if found is None:
            return None
        turn, expires = found
        if expires <= self._clock():
            del self._contexts[key]
            return None
        return turn

    async def put(self, key: Key, turn: Turn, seconds: float) -> None:
        """Keep ``turn`` under ``key`` for ``seconds``."""
        self._contexts[key] = (turn, self._clock() + seconds)
        self._contexts.move_to_end(key)
        while len(self._contexts) > self._limit:
            self._contexts.popitem(last=False)

    async def clear(self, key: Key) -> None:
        """Forget the context under ``key``."""
        self._contexts.pop(key, None)

    async def close(self) -> None:
        """Forget every context."""
        self._contexts.clear()


class DatabaseConversations(ConversationStore):
    """Contexts in the shared database, so any replica reads what another wrote.

    A row's key is an HMAC-SHA256 of the kind and ids under a secret setting: the table holds
    no id, and without the secret a key cannot be matched to a chat. A failing database costs
    a warning and the context (the message is then read alone), never the answer.
    """

    def __init__(self, url: str, secret: str, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("a shared conversation store needs a secret for its keys")
        self._secret = secret.encode()
        self._clock = clock
        self._backend = backend_for(url)
        try:
            with self._backend.migration_lock():  # replicas starting at once create it once
                self._backend.run([(sql, ()) for sql in CONTEXT_TABLE], write=True)
        except BaseException:
            self._backend.close()
            raise
        self._next_purge = 0.0

    def hashed(self, key: Key) -> str:
        """The key as stored: an HMAC of the kind and ids."""
        kind, chat_id, other_id = key
        message = f"{kind}:{chat_id}:{other_id}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    async def get(self, key: Key) -> Turn | None:
        """The context under ``key``, or None when there is none or it expired."""
        try:
            rows = await asyncio.to_thread(
                self._backend.execute,
                "SELECT question, entry FROM conversation_context WHERE key = ? AND expires_at > ?",
                self.hashed(key),
                self._clock(),
            )
        except StoreError as exc:
            log.warning("conversation context: read failed (%s)", exc)
            return None
        if not rows.rows:
            return None
        question, entry = rows.rows[0]
        return Turn(question, entry)

    async def put(self, key: Key, turn: Turn, seconds: float) -> None:
        """Keep ``turn`` under ``key`` for ``seconds`` (and purge expired rows now and then)."""
        now = self._clock()
        statements: list[tuple[str, tuple[object, ...]]] = [
            (
                "INSERT INTO conversation_context (key, question, entry, expires_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET question = excluded.question,"
                " entry = excluded.entry, expires_at = excluded.expires_at",
                (self.hashed(key), turn.question, turn.entry_id, now + seconds),
            )
        ]
        if now >= self._next_purge:
            self._next_purge = now + PURGE_INTERVAL
            statements.append(("DELETE FROM conversation_context WHERE expires_at <= ?", (now,)))
        await self._write(statements)

    async def clear(self, key: Key) -> None:
        """Forget the context under ``key``."""
        await self._write([("DELETE FROM conversation_context WHERE key = ?", (self.hashed(key),))])

    async def purge(self) -> int:
        """Delete every expired context now; how many went."""
        try:
            result = await asyncio.to_thread(
                self._backend.execute,
                "DELETE FROM conversation_context WHERE expires_at <= ?",
                self._clock(),
                write=True,
            )
        except StoreError as exc:
            log.warning("conversation context: purge failed (%s)", exc)
            return 0
        return result.rowcount

    async def close(self) -> None:
        """Close the database connection."""
        await asyncio.to_thread(self._backend.close)

    async def _write(self, statements: list[tuple[str, tuple[object, ...]]]) -> None:
        try:
            await asyncio.to_thread(self._backend.run, statements, write=True)
        except StoreError as exc:
            log.warning("conversation context: write failed (%s)", exc)


def open_store(database_url: str, secret: str) -> ConversationStore:
    """The shared store on PostgreSQL (replicas read each other's contexts), else memory."""
    if not database_url.startswith(("postgresql://", "postgres://")):
        return MemoryConversations()  # one process: memory is enough
    if not secret:
        log.warning("no STORYBOT_CONTEXT_SECRET: follow-up contexts stay in this replica's memory")
        return MemoryConversations()
    try:
        return DatabaseConversations(database_url, secret)
    except StoreError as exc:
        log.warning("conversation store unavailable, contexts stay in memory: %s", exc)
        return MemoryConversations()


def _replied_to_bot(message: Message) -> int | None:
    """The id of the bot message this message replies to, if it does."""
    replied = message.reply_to_message
    bot = message.get_bot()
    if replied and replied.from_user and replied.from_user.id == bot.id:
        return replied.message_id
    return None


async def context_for(store: ConversationStore, message: Message) -> Turn | None:
    """The turn a question is read with: the bot answer it replies to, else (in a private
    chat) the reader's last exchange. A group message that replies to no answer stands
    alone, so two strangers' questions never mix."""
    replied = _replied_to_bot(message)
    if replied is not None:
        turn = await store.get(answer_key(message.chat_id, replied))
        if turn is not None:
            return turn
    if message.chat.type == ChatType.PRIVATE and message.from_user:
        return await store.get(reader_key(message.chat_id, message.from_user.id))
    return None


async def remember_reader(
    store: ConversationStore, chat: Chat, user: User | None, turn: Turn, seconds: float
) -> None:
    """In a private chat, the reader's conversation goes on from ``turn``. Kept before the
    reply is sent: the reader's next message may reach another replica at once."""
    if chat.type == ChatType.PRIVATE and user is not None and seconds > 0:
        await store.put(reader_key(chat.id, user.id), turn, seconds)


async def remember_answer(store: ConversationStore, chat: Chat, reply_id: int, turn: Turn) -> None:
    """The bot message ``reply_id`` answers ``turn``: a reply to it follows it up."""
    await store.put(answer_key(chat.id, reply_id), turn, ANSWER_SECONDS)


async def remember_asked(store: ConversationStore, message: Message, used: Turn | None) -> None:
    """Keep the context a question was read with, so an edit of it is read the same way."""
    if used is not None:
        await store.put(asked_key(message.chat_id, message.message_id), used, ANSWER_SECONDS)


async def asked_with(store: ConversationStore, message: Message) -> Turn | None:
    """The context an (edited) question was first read with."""
    return await store.get(asked_key(message.chat_id, message.message_id))


async def forget_reader(store: ConversationStore, message: Message) -> None:
    """A fresh start: the reader's private conversation is forgotten."""
    if message.chat.type == ChatType.PRIVATE and message.from_user:
        await store.clear(reader_key(message.chat_id, message.from_user.id))
