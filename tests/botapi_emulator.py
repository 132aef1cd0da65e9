"""In-process HTTP emulator of the Telegram Bot API for end-to-end tests.

The emulator is an aiohttp server on 127.0.0.1 that speaks the Bot API wire protocol, so a real
``telegram.Bot`` / PTB ``Application`` can talk to it through ``base_url(emu.base_url)``.
Tests push updates with the builder methods (``private_message`` ...), the bot fetches them via
``getUpdates`` and the test inspects what the bot did through ``calls`` / ``sent_messages``.

Simplifications: only HTML is parsed for ``parse_mode`` (Markdown modes are answered with 400),
there are no chat members/permissions, inline messages only exist through
``chosen_inline_result``.

Fault semantics (``inject``):

* ``"429"``/``"500"``/``"502"``: answered with that error; the method is not applied.
* ``"timeout"``: the answer is delayed by ``delay`` seconds and the method is applied only after
  the delay and only if the client is still connected, i.e. a client that gave up earlier
  leaves no side effect behind.
* ``"drop"``: the connection is closed without an HTTP response; the method is not applied.
* ``"drop_after"``: the method is applied, then the connection is closed without a response
  (an answer lost on the way back, the case that causes duplicates on retry).

Flood limits (``limits``, on by default; ``None`` turns them off, as an own Bot API server
would): like Telegram, a message sent to a chat (``sendMessage``, ``sendPhoto``,
``sendDocument``) is refused with 429 and ``retry_after`` when it would exceed 30 messages in
any second overall, 20 in any minute to one group (negative chat id), or about one a second to
one chat after a burst of three. Edits, callback and inline answers do not count. Every 429 the
limits provoke is kept in ``flood_log``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
import re
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from types import TracebackType
from typing import Any, NamedTuple, Self

from aiohttp import BodyPartReader, web

JsonDict = dict[str, Any]

# Parameters that Telegram treats as plain strings; every other form value is JSON-decoded when
# possible (PTB sends form fields whose non-string values are JSON-encoded).
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "action",
        "next_offset",
        "language_code",
        "file_id",
        "photo",
        "document",
        "switch_pm_text",
        "switch_pm_parameter",
        "ip_address",
    }
)
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
METHODS = (
    "getMe",
    "logOut",
    "close",
    "deleteWebhook",
    "setWebhook",
    "getWebhookInfo",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "answerInlineQuery",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendChatAction",
    "sendPhoto",
    "sendDocument",
    "getFile",
    "setChatMenuButton",
    "getChatMenuButton",
)
FAULT_KINDS = frozenset({"429", "500", "502", "timeout", "drop", "drop_after"})
CHAT_SENDS = frozenset({"sendmessage", "sendphoto", "senddocument"})


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood limits for bots (core.telegram.org/bots/faq)."""

    overall: int = 30  # messages in any `overall_period` seconds, all chats together
    overall_period: float = 1.0
    group: int = 20  # messages in any `group_period` seconds to one group
    group_period: float = 60.0
    chat_interval: float = 1.0  # about one a second to one chat ...
    chat_burst: int = 3  # ... after a short burst


class FloodRecord(NamedTuple):
    """One send refused for going over a flood limit."""

    method: str
    chat_id: Any
    limit: str
    retry_after: int
    time: float


class FloodGuard:
    """Counts accepted chat sends and tells how long a new one must wait (0: allowed)."""

    def __init__(self, limits: FloodLimits) -> None:
        self.limits = limits
        self._overall: deque[float] = deque()
        self._groups: dict[Any, deque[float]] = {}
        self._due: dict[Any, float] = {}  # per chat: theoretical time of the next message

    @staticmethod
    def _window_wait(times: deque[float], limit: int, period: float, now: float) -> float:
        while times and times[0] <= now - period:
            times.popleft()
        return times[0] + period - now if len(times) >= limit else 0.0

    def check(self, chat_id: Any, now: float) -> tuple[str, float] | None:
        """(which limit, seconds to wait) if a message to ``chat_id`` now is over a limit."""
        lim = self.limits
        wait = self._window_wait(self._overall, lim.overall, lim.overall_period, now)
        if wait > 0:
            return "overall", wait
        if isinstance(chat_id, str) or chat_id < 0:
            times = self._groups.setdefault(chat_id, deque())
            wait = self._window_wait(times, lim.group, lim.group_period, now)
            if wait > 0:
                return "group", wait
        due = self._due.get(chat_id, float("-inf"))
        wait = due - (lim.chat_burst - 1) * lim.chat_interval - now
        if wait > 0:
            return "chat", wait
        return None

    def accept(self, chat_id: Any, now: float) -> None:
        """Count a message sent to ``chat_id`` at ``now``."""
        self._overall.append(now)
        if isinstance(chat_id, str) or chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)
        due = self._due.get(chat_id, float("-inf"))
        self._due[chat_id] = max(due, now) + self.limits.chat_interval


class ApiError(Exception):
    """A Bot API error answer (``ok: false``)."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def bad_request(description: str) -> ApiError:
    """Build a 400 error with Telegram's ``Bad Request: `` prefix."""
    return ApiError(400, f"Bad Request: {description}")


class Call(NamedTuple):
    """One API request received by the emulator."""

    method: str
    params: JsonDict
    time: float


class FaultRecord(NamedTuple):
    """One injected fault; ``applied`` tells whether the method's side effect happened."""

    method: str
    kind: str
    time: float
    applied: bool


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Fault:
    """A fault rule; ``method`` is a lower-cased method name or None for every method."""

    method: str | None
    kind: str
    rate: float
    retry_after: int
    delay: float
    times: int | None
    rng: random.Random = field(repr=False)

    def fires(self, method: str) -> bool:
        """Decide (reproducibly) whether this rule hits a call of ``method``."""
        if self.method is None and method == "getupdates":
            return False
        if self.method is not None and self.method != method:
            return False
        if self.times is not None and self.times <= 0:
            return False
        if self.rng.random() >= self.rate:
            return False
        if self.times is not None:
            self.times -= 1
        return True


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z_-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)"
    r"\s*/?>"
)
_ATTR_RE = re.compile(r"([a-zA-Z_-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY_RE = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_ALLOWED_TAGS = frozenset({*_SIMPLE_TAGS, "span", "a", "blockquote", "tg-emoji"})


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Parse Telegram-flavoured HTML into plain text and message entities.

    Raises ``ApiError`` (400 ``can't parse entities: ...``) for unknown or unbalanced tags.
    """
    out: list[str] = []
    offset = 0  # UTF-16 offset of the end of ``out``
    stack: list[tuple[str, JsonDict | None, int]] = []  # (tag, entity template, start offset)
    entities: list[JsonDict] = []
    pos = 0

    def fail(reason: str) -> ApiError:
        return bad_request(f"can't parse entities: {reason}")

    while pos < len(source):
        char = source[pos]
        if char == "<":
            byte_offset = len(source[:pos].encode())
            match = _TAG_RE.match(source, pos)
            if match is None:
                raise fail(f"Unexpected end of name token at byte offset {byte_offset}")
            closing, tag, raw_attrs = match.group(1), match.group(2).lower(), match.group(3)
            if tag not in _ALLOWED_TAGS:
                kind = "end" if closing else "start"
                raise fail(f'Unsupported {kind} tag "{tag}" at byte offset {byte_offset}')
            if closing:
                if not stack:
                    raise fail(f"Unexpected end tag at byte offset {byte_offset}")
                open_tag, template, start = stack.pop()
                if open_tag != tag:
                    raise fail(
                        f'Unmatched end tag at byte offset {byte_offset}, expected "</{open_tag}>",'
                        f' found "</{tag}>"'
                    )
                if template is not None and offset > start:
                    entities.append({**template, "offset": start, "length": offset - start})
            else:
                attrs = {
                    m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
                    for m in _ATTR_RE.finditer(raw_attrs)
                }
                stack.append((tag, _entity_template(tag, attrs, stack, fail), offset))
            pos = match.end()
            continue
        if char == "&" and (match := _ENTITY_RE.match(source, pos)):
            piece = unescape(match.group(0))
            pos = match.end()
        else:
            piece = char
            pos += 1
        out.append(piece)
        offset += utf16_len(piece)
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _entity_template(
    tag: str,
    attrs: dict[str, str],
    stack: list[tuple[str, JsonDict | None, int]],
    fail: Callable[[str], ApiError],
) -> JsonDict | None:
    """Entity (without offset/length) produced by an opening tag, None if it yields none."""
    if tag == "code" and stack and stack[-1][0] == "pre":
        # <pre><code class="language-x"> is a single pre entity with a language.
        language = attrs.get("class", "").removeprefix("language-")
        if language and stack[-1][1] is not None:
            stack[-1][1]["language"] = language
        return None
    if tag in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[tag]}
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise fail('Tag "span" must have class "tg-spoiler"')
        return {"type": "spoiler"}
    if tag == "a":
        return {"type": "text_link", "url": attrs["href"]} if attrs.get("href") else None
    if tag == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if "emoji-id" not in attrs:
        raise fail('Tag "tg-emoji" must have attribute "emoji-id"')
    return {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}


_COMMAND_RE = re.compile(r"(?<![\w/])/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[a-zA-Z0-9_]{5,32}\b")


def incoming_entities(text: str) -> list[JsonDict]:
    """Entities Telegram adds to a user's text: ``bot_command`` and ``mention`` (UTF-16)."""
    found = [(m, "bot_command") for m in _COMMAND_RE.finditer(text)]
    found += [(m, "mention") for m in _MENTION_RE.finditer(text)]
    return sorted(
        (
            {
                "offset": utf16_len(text[: m.start()]),
                "length": utf16_len(m.group(0)),
                "type": kind,
            }
            for m, kind in found
        ),
        key=lambda e: e["offset"],
    )


def _update_type(update: JsonDict) -> str:
    return next(key for key in update if key != "update_id")


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG (0x0 for JPEG); 400 IMAGE_PROCESS_FAILED for other data."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith(b"\xff\xd8\xff"):
        return 0, 0
    raise bad_request("IMAGE_PROCESS_FAILED")


class BotApiEmulator:
    """A fake Telegram Bot API server with update builders, a call log and fault injection."""

    def __init__(
        self,
        token: str | None = None,
        *,
        bot_id: int = 7000001,
        username: str = "StoryTestBot",
        first_name: str = "Story Bot",
        can_join_groups: bool = True,
        seed: int = 0,
        limits: FloodLimits | None = FloodLimits(),
    ) -> None:
        self.bot_id = bot_id
        self.token = token or f"{bot_id}:AAE-storybot-emulator-token"
        self.username = username
        self.bot_user: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.me: JsonDict = {
            **self.bot_user,
            "can_join_groups": can_join_groups,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.seed = seed
        self.limits = limits
        self.flood_log: list[FloodRecord] = []
        self._flood = FloodGuard(limits or FloodLimits())
        self.calls: list[Call] = []
        self.fault_log: list[FaultRecord] = []
        self.faults: list[Fault] = []
        self.files: dict[str, bytes] = {}
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.callback_answers: dict[str, JsonDict] = {}
        self.inline_answers: dict[str, JsonDict] = {}
        self.inline_messages: dict[str, JsonDict] = {}
        self.webhook: JsonDict = {"url": ""}
        self.allowed_updates: list[str] | None = None
        self.port: int | None = None
        self._updates: list[JsonDict] = []
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._chats: dict[int, JsonDict] = {}
        self._users: dict[int, JsonDict] = {}
        self._messages: dict[int, dict[int, JsonDict]] = {}
        self._next_message_id: dict[int, int] = {}
        self._sent: list[tuple[int, int]] = []
        self._pending_queries: set[str] = set()
        self._new_update = asyncio.Event()
        self._poll_generation = 0
        self._stopping = False
        self._activity = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, tuple[str, Callable[[JsonDict], Any]]] = {
            name.lower(): (name, getattr(self, f"_api_{name.lower()}")) for name in METHODS
        }

    # ------------------------------------------------------------------ server lifecycle

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder().base_file_url(...)``."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> None:
        """Start serving on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.1
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop the server, answering pending long polls with no updates."""
        self._stopping = True
        self._wake_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ inspection helpers

    def calls_to(self, method: str) -> list[Call]:
        """All received calls of ``method`` (case-insensitive), oldest first."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[JsonDict], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the tests' API, mirrors asyncio.wait_for
        count: int = 1,
    ) -> list[Call]:
        """Wait until ``count`` handled calls of ``method`` match ``predicate(params)``.

        Failed calls (errors, injected faults) count too; returns the first ``count`` matches
        and raises AssertionError on timeout.
        """

        def matching() -> list[Call]:
            return [c for c in self.calls_to(method) if predicate is None or predicate(c.params)]

        try:
            async with asyncio.timeout(timeout), self._activity:
                await self._activity.wait_for(lambda: len(matching()) >= count)
        except TimeoutError:
            seen = [(c.method, c.params) for c in self.calls[-10:]]
            raise AssertionError(
                f"expected {count} call(s) to {method} within {timeout}s, got "
                f"{len(matching())}; last calls: {seen}"
            ) from None
        return matching()[:count]

    def sent_messages(self, chat_id: int | None = None) -> list[JsonDict]:
        """Current state of the messages the bot sent (deleted ones excluded), oldest first."""
        result = []
        for chat, message_id in self._sent:
            message = self._messages.get(chat, {}).get(message_id)
            if message is not None and (chat_id is None or chat == chat_id):
                result.append(message)
        return result

    def get_message(self, chat_id: int, message_id: int) -> JsonDict | None:
        """Current state of any stored message, None if unknown or deleted."""
        return self._messages.get(chat_id, {}).get(message_id)

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    # ------------------------------------------------------------------ fault injection

    def inject(
        self,
        method: str | None = None,
        *,
        rate: float = 1.0,
        kind: str = "429",
        retry_after: int = 1,
        delay: float = 1.0,
        times: int | None = None,
        seed: int | None = None,
    ) -> Fault:
        """Add a fault rule; ``method=None`` hits every method except getUpdates.

        ``rate`` is the probability per matching call (seeded, reproducible), ``times`` caps how
        often the rule fires. See the module docstring for the kinds.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        rng = random.Random(self.seed + len(self.faults) if seed is None else seed)
        fault = Fault(
            method.lower() if method else None, kind, rate, retry_after, delay, times, rng
        )
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove all fault rules (the fault log is kept)."""
        self.faults.clear()

    # ------------------------------------------------------------------ update builders

    def push_update(self, update: JsonDict) -> JsonDict:
        """Queue a raw update, assigning ``update_id`` if missing; returns it.

        Like Telegram, updates of a type excluded by the last ``allowed_updates`` are dropped.
        """
        update.setdefault("update_id", next(self._update_ids))
        allowed = self.allowed_updates
        kind = _update_type(update)
        if (allowed and kind not in allowed) or (not allowed and kind in DEFAULT_EXCLUDED_UPDATES):
            return update
        self._updates.append(update)
        self._wake_pollers()
        return update

    def register_chat(self, chat: JsonDict) -> JsonDict:
        """Make a chat known (the bot can only send to known chats)."""
        self._chats[chat["id"]] = chat
        return chat

    def private_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Ann",
        username: str | None = None,
        reply_to: JsonDict | None = None,
        language_code: str | None = None,
    ) -> JsonDict:
        """Queue a text message from ``user_id`` in its private chat with the bot
        (``language_code``: their app's language, kept for their later updates)."""
        user = self._user(user_id, first_name, username, language_code)
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            chat["username"] = username
        message = self._incoming(self.register_chat(chat), user, text, reply_to)
        return self.push_update({"message": message})

    def group_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        chat_type: str = "supergroup",
        title: str = "Readers",
        reply_to: JsonDict | None = None,
        message_thread_id: int | None = None,
        is_topic_message: bool = False,
        first_name: str = "Ann",
        username: str | None = None,
        language_code: str | None = None,
    ) -> JsonDict:
        """Queue a text message from ``user_id`` in a group, optionally inside a thread/topic."""
        user = self._user(user_id, first_name, username, language_code)
        chat = {"id": chat_id, "type": chat_type, "title": title}
        if is_topic_message:
            chat["is_forum"] = True
        message = self._incoming(self.register_chat(chat), user, text, reply_to)
        if message_thread_id is not None:
            message["message_thread_id"] = message_thread_id
        if is_topic_message:
            message["is_topic_message"] = True
        return self.push_update({"message": message})

    def channel_post(self, chat_id: int, text: str, *, title: str = "News") -> JsonDict:
        """Queue a post in a channel (no ``from``, ``sender_chat`` is the channel)."""
        chat = self.register_chat({"id": chat_id, "type": "channel", "title": title})
        message = self._incoming(chat, None, text, None)
        message["sender_chat"] = chat
        return self.push_update({"channel_post": message})

    def edited_message(self, original: JsonDict, new_text: str) -> JsonDict:
        """Queue an edit of a user message; ``original`` is its update or message dict."""
        key = "channel_post" if "channel_post" in original else "message"
        message = original.get(key, original)
        edited = {
            **message,
            "text": new_text,
            "edit_date": int(time.time()),
            "entities": incoming_entities(new_text),
        }
        if not edited["entities"]:
            del edited["entities"]
        self._messages.setdefault(message["chat"]["id"], {})[message["message_id"]] = edited
        return self.push_update({f"edited_{key}": edited})

    def callback_query(self, user_id: int, message: JsonDict, data: str) -> JsonDict:
        """Queue a button press on ``message`` (a bot message or an inline message dict)."""
        query: JsonDict = {"id": str(next(self._ids)), "from": self._user(user_id), "data": data}
        if "inline_message_id" in message:
            query["inline_message_id"] = message["inline_message_id"]
            query["chat_instance"] = "inline"
        else:
            chat_id = message["chat"]["id"]
            query["message"] = self.get_message(chat_id, message["message_id"]) or message
            query["chat_instance"] = str(abs(chat_id) * 7919)
        self._pending_queries.add(query["id"])
        return self.push_update({"callback_query": query})

    def inline_query(
        self,
        user_id: int,
        query: str,
        *,
        offset: str = "",
        chat_type: str = "sender",
        language_code: str | None = None,
    ) -> JsonDict:
        """Queue an inline query ``@bot query`` typed by ``user_id``."""
        inline = {
            "id": str(next(self._ids)),
            "from": self._user(user_id, language_code=language_code),
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
        self._pending_queries.add(inline["id"])
        return self.push_update({"inline_query": inline})

    def chosen_inline_result(self, user_id: int, result: JsonDict, query: str = "") -> JsonDict:
        """Queue the choice of an inline ``result`` (as sent in answerInlineQuery).

        The posted inline message is stored in ``inline_messages``; as in Telegram, the update
        carries ``inline_message_id`` only when the result has an inline keyboard.
        """
        content = result.get("input_message_content", {})
        text, entities = self._formatted(
            content.get("message_text", ""), content.get("parse_mode"), content.get("entities")
        )
        inline_id = f"inline-{next(self._ids)}"
        inline_message = {"inline_message_id": inline_id, "text": text, "entities": entities}
        if "reply_markup" in result:
            inline_message["reply_markup"] = result["reply_markup"]
        self.inline_messages[inline_id] = inline_message
        chosen = {"result_id": result["id"], "from": self._user(user_id), "query": query}
        if "reply_markup" in result:
            chosen["inline_message_id"] = inline_id
        return self.push_update({"chosen_inline_result": chosen})

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if not re.fullmatch(r"\d+:[\w-]+", token):
            return self._error(ApiError(404, "Not Found"))
        if token != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        handler = self._handlers.get(request.match_info["method"].lower())
        if handler is None:
            return self._error(ApiError(404, "Not Found"))
        name = handler[0]
        try:
            params = await self._read_params(request)
        except ValueError as exc:
            return self._error(bad_request(str(exc)))
        self.calls.append(Call(name, params, time.time()))
        try:
            return await self._dispatch(request, name, params)
        finally:
            async with self._activity:
                self._activity.notify_all()

    async def _dispatch(self, request: web.Request, name: str, params: JsonDict) -> web.Response:
        fault = next((f for f in self.faults if f.fires(name.lower())), None)
        if fault is not None and fault.kind in {"429", "500", "502"}:
            self.fault_log.append(FaultRecord(name, fault.kind, time.time(), False))
            if fault.kind == "429":
                description = f"Too Many Requests: retry after {fault.retry_after}"
                return self._error(ApiError(429, description, fault.retry_after))
            description = "Internal Server Error" if fault.kind == "500" else "Bad Gateway"
            return self._error(ApiError(int(fault.kind), description))
        if fault is not None and fault.kind == "drop":
            self.fault_log.append(FaultRecord(name, fault.kind, time.time(), False))
            return await self._drop(request)
        if fault is not None and fault.kind == "timeout":
            connected = False  # stays False if aiohttp cancels us on disconnect
            try:
                await asyncio.sleep(fault.delay)
                transport = request.transport
                connected = transport is not None and not transport.is_closing()
            finally:
                self.fault_log.append(FaultRecord(name, fault.kind, time.time(), connected))
            if not connected:
                return await self._drop(request)
        flood = self._flood if self.limits and name.lower() in CHAT_SENDS else None
        now = time.monotonic()
        if flood is not None and (over := flood.check(params.get("chat_id"), now)):
            limit, wait = over
            retry_after = max(1, math.ceil(wait))
            self.flood_log.append(
                FloodRecord(name, params.get("chat_id"), limit, retry_after, time.time())
            )
            description = f"Too Many Requests: retry after {retry_after}"
            return self._error(ApiError(429, description, retry_after))
        try:
            result = self._handlers[name.lower()][1](params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as exc:
            return self._error(exc)
        if flood is not None:
            flood.accept(params.get("chat_id"), now)
        if fault is not None and fault.kind == "drop_after":
            self.fault_log.append(FaultRecord(name, fault.kind, time.time(), True))
            return await self._drop(request)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _drop(request: web.Request) -> web.Response:
        """Close the connection without answering; aiohttp then cancels the handler."""
        if request.transport is not None:
            request.transport.close()
        await asyncio.sleep(10)
        raise ConnectionResetError("dropped by fault injection")

    @staticmethod
    def _error(error: ApiError) -> web.Response:
        body: JsonDict = {"ok": False, "error_code": error.code, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.code)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        file_id = request.match_info["path"].removeprefix("files/")
        if file_id not in self.files:
            return self._error(ApiError(404, "Not Found"))
        return web.Response(body=self.files[file_id])

    @staticmethod
    async def _read_params(request: web.Request) -> JsonDict:
        """Merge query string and body (JSON, urlencoded or multipart) into typed params."""
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            content_type = request.content_type
            if content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError("JSON body must be an object")
                raw.update(body)
            elif content_type == "multipart/form-data":
                reader = await request.multipart()
                async for part in reader:
                    if not isinstance(part, BodyPartReader) or part.name is None:
                        continue
                    if part.filename is not None:
                        raw[part.name] = UploadedFile(
                            part.filename,
                            part.headers.get("Content-Type", "application/octet-stream"),
                            bytes(await part.read()),
                        )
                    else:
                        raw[part.name] = await part.text()
            else:
                raw.update(await request.post())
        return {key: _coerce(key, value) for key, value in raw.items()}

    def _wake_pollers(self) -> None:
        self._new_update.set()
        self._new_update = asyncio.Event()

    # ------------------------------------------------------------------ internal model

    def _user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> JsonDict:
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": first_name or "Ann"}
        )
        if first_name:
            user["first_name"] = first_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return dict(user)

    def set_language(self, user_id: int, language_code: str | None) -> None:
        """The language of a user's Telegram app, sent as ``from.language_code`` in every
        update they cause from now on (None: their app says none, as Telegram may)."""
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": "Ann"}
        )
        if language_code:
            user["language_code"] = language_code
        else:
            user.pop("language_code", None)

    def _chat(self, chat_id: Any) -> JsonDict:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self._chats.values():
                if chat.get("username", "").lower() == chat_id[1:].lower():
                    return chat
        elif isinstance(chat_id, int) and chat_id in self._chats:
            return self._chats[chat_id]
        raise bad_request("chat not found")

    def _store(self, chat: JsonDict, message: JsonDict) -> JsonDict:
        chat_id = chat["id"]
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        message = {"message_id": message_id, **message}
        self._messages.setdefault(chat_id, {})[message_id] = message
        return message

    def _incoming(
        self, chat: JsonDict, user: JsonDict | None, text: str, reply_to: JsonDict | None
    ) -> JsonDict:
        message: JsonDict = {"date": int(time.time()), "chat": chat}
        if user is not None:
            message["from"] = user
        message["text"] = text
        entities = incoming_entities(text)
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = {
                k: v for k, v in reply_to.items() if k != "reply_to_message"
            }
        return self._store(chat, message)

    def _formatted(
        self, text: str, parse_mode: str | None, entities: list[JsonDict] | None
    ) -> tuple[str, list[JsonDict]]:
        if parse_mode and parse_mode.lower() == "html":
            return parse_html(text)
        if parse_mode:
            raise bad_request(f"unsupported parse_mode {parse_mode!r} in the emulator")
        return text, list(entities or [])

    def _message_text(self, params: JsonDict) -> tuple[str, list[JsonDict]]:
        text, entities = self._formatted(
            str(params.get("text", "")), params.get("parse_mode"), params.get("entities")
        )
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > 4096:
            raise bad_request("message is too long")
        return text, entities

    @staticmethod
    def _inline_markup(params: JsonDict) -> JsonDict | None:
        """Validate ``reply_markup``; returns it if it is an inline keyboard (kept in Message)."""
        markup = params.get("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise bad_request("BUTTON_TEXT_EMPTY")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
        return markup

    def _new_bot_message(self, params: JsonDict, content: JsonDict) -> JsonDict:
        chat = self._chat(params.get("chat_id"))
        message: JsonDict = {"from": self.bot_user, "chat": chat, "date": int(time.time())}
        if params.get("message_thread_id") is not None:
            message["message_thread_id"] = params["message_thread_id"]
        reply = params.get("reply_parameters") or {}
        reply_id = reply.get("message_id", params.get("reply_to_message_id"))
        if reply_id is not None:
            replied = self.get_message(chat["id"], reply_id)
            allow = reply.get("allow_sending_without_reply")
            if replied is None and not (allow or params.get("allow_sending_without_reply")):
                raise bad_request("message to be replied not found")
            if replied is not None:
                message["reply_to_message"] = {
                    k: v for k, v in replied.items() if k != "reply_to_message"
                }
        message.update(content)
        markup = self._inline_markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        message = self._store(chat, message)
        self._sent.append((chat["id"], message["message_id"]))
        return message

    def _upload(self, params: JsonDict, key: str) -> tuple[str, UploadedFile]:
        """Store an uploaded file (or resolve a known file_id); returns its file_id."""
        value = params.get(key)
        if isinstance(value, str) and value in self.files:
            return value, UploadedFile(None, "", self.files[value])
        if not isinstance(value, UploadedFile):
            raise bad_request("wrong file identifier/HTTP URL specified")
        file_id = f"file-{next(self._ids)}"
        self.files[file_id] = value.data
        return file_id, value

    def _caption(self, params: JsonDict) -> JsonDict:
        if "caption" not in params:
            return {}
        caption, entities = self._formatted(
            str(params["caption"]), params.get("parse_mode"), params.get("caption_entities")
        )
        if len(caption) > 1024:
            raise bad_request("message caption is too long")
        content: JsonDict = {"caption": caption}
        if entities:
            content["caption_entities"] = entities
        return content

    def _editable(self, params: JsonDict) -> JsonDict:
        if params.get("inline_message_id") is not None:
            message = self.inline_messages.get(str(params["inline_message_id"]))
        else:
            message = self._messages.get(params.get("chat_id"), {}).get(params.get("message_id"))
        if message is None:
            raise bad_request("message to edit not found")
        return message

    def _apply_edit(self, params: JsonDict, message: JsonDict, changes: JsonDict) -> Any:
        """Apply ``changes`` (None values remove keys); the keyboard is replaced as in Telegram,
        an edit without ``reply_markup`` removes it."""
        markup = self._inline_markup(params)
        changes = {
            **changes,
            "reply_markup": markup if markup and markup["inline_keyboard"] else None,
        }
        new = {k: v for k, v in {**message, **changes}.items() if v is not None}
        if new == message:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        if "inline_message_id" in message:
            self.inline_messages[message["inline_message_id"]] = new
            return True
        new["edit_date"] = int(time.time())
        self._messages[message["chat"]["id"]][message["message_id"]] = new
        return new

    # ------------------------------------------------------------------ API methods

    def _api_getme(self, params: JsonDict) -> JsonDict:
        return self.me

    def _api_logout(self, params: JsonDict) -> bool:
        return True

    def _api_close(self, params: JsonDict) -> bool:
        return True

    def _api_setwebhook(self, params: JsonDict) -> bool:
        if not str(params.get("url", "")).startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": params["url"]}
        if params.get("allowed_updates") is not None:
            self.allowed_updates = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_deletewebhook(self, params: JsonDict) -> bool:
        self.webhook = {"url": ""}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_getwebhookinfo(self, params: JsonDict) -> JsonDict:
        info = {**self.webhook, "has_custom_certificate": False}
        info["pending_update_count"] = len(self._updates)
        if self.allowed_updates is not None:
            info["allowed_updates"] = self.allowed_updates
        return info

    async def _api_getupdates(self, params: JsonDict) -> list[JsonDict]:
        if self.webhook["url"]:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        if offset < 0:
            del self._updates[: max(0, len(self._updates) + offset)]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if params.get("allowed_updates") is not None:
            self.allowed_updates = list(params["allowed_updates"])
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()  # an older long poll gets 409, as in Telegram
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(float(params.get("timeout") or 0), 0.0)
        while not self._updates and not self._stopping:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), remaining)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
        return self._updates[:limit]

    def _api_sendmessage(self, params: JsonDict) -> JsonDict:
        text, entities = self._message_text(params)
        content: JsonDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._new_bot_message(params, content)

    def _api_sendphoto(self, params: JsonDict) -> JsonDict:
        photo = params.get("photo")
        if isinstance(photo, UploadedFile):
            _image_size(photo.data)  # reject non-images before storing them
        file_id, upload = self._upload(params, "photo")
        width, height = _image_size(upload.data)
        size = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "width": width,
            "height": height,
            "file_size": len(upload.data),
        }
        return self._new_bot_message(params, {"photo": [size], **self._caption(params)})

    def _api_senddocument(self, params: JsonDict) -> JsonDict:
        file_id, upload = self._upload(params, "document")
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(upload.data),
        }
        if upload.filename:
            document["file_name"] = upload.filename
        if upload.content_type:
            document["mime_type"] = upload.content_type
        return self._new_bot_message(params, {"document": document, **self._caption(params)})

    def _api_getfile(self, params: JsonDict) -> JsonDict:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            raise bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"files/{file_id}",
        }

    def _api_editmessagetext(self, params: JsonDict) -> Any:
        message = self._editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._message_text(params)
        return self._apply_edit(params, message, {"text": text, "entities": entities or None})

    def _api_editmessagereplymarkup(self, params: JsonDict) -> Any:
        return self._apply_edit(params, self._editable(params), {})

    def _api_deletemessage(self, params: JsonDict) -> bool:
        chat_messages = self._messages.get(params.get("chat_id"), {})
        if chat_messages.pop(params.get("message_id"), None) is None:
            raise bad_request("message to delete not found")
        return True

    def _api_answercallbackquery(self, params: JsonDict) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._pending_queries or query_id in self.callback_answers:
            raise bad_request(QUERY_INVALID.removeprefix("Bad Request: "))
        if len(str(params.get("text", ""))) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._pending_queries.discard(query_id)
        self.callback_answers[query_id] = params
        return True

    def _api_answerinlinequery(self, params: JsonDict) -> bool:
        query_id = str(params.get("inline_query_id"))
        if query_id not in self._pending_queries or query_id in self.inline_answers:
            raise bad_request(QUERY_INVALID.removeprefix("Bad Request: "))
        results = params.get("results") or []
        if len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = [str(result.get("id", "")) for result in results]
        if len(set(ids)) != len(ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        for result, result_id in zip(results, ids, strict=True):
            if not 1 <= len(result_id.encode()) <= 64:
                raise bad_request("RESULT_ID_INVALID")
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._message_text(
                    {
                        "text": content["message_text"],
                        "parse_mode": content.get("parse_mode"),
                        "entities": content.get("entities"),
                    }
                )
            self._inline_markup(result)
        self._pending_queries.discard(query_id)
        self.inline_answers[query_id] = params
        return True

    @staticmethod
    def _commands_key(params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _api_setmycommands(self, params: JsonDict) -> bool:
        commands = params.get("commands") or []
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _api_getmycommands(self, params: JsonDict) -> list[JsonDict]:
        return self.commands.get(self._commands_key(params), [])

    def _api_deletemycommands(self, params: JsonDict) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _api_sendchataction(self, params: JsonDict) -> bool:
        self._chat(params.get("chat_id"))
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _api_setchatmenubutton(self, params: JsonDict) -> bool:
        self.menu_buttons[params.get("chat_id")] = params.get("menu_button") or {"type": "default"}
        return True

    def _api_getchatmenubutton(self, params: JsonDict) -> JsonDict:
        button = self.menu_buttons.get(params.get("chat_id"))
        if button is None or button["type"] == "default":
            return self.menu_buttons.get(None, {"type": "commands"})
        return button


def _coerce(key: str, value: Any) -> Any:
    """Decode a form/query value as Telegram does: JSON for non-string parameters."""
    if isinstance(value, str) and key not in STRING_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
