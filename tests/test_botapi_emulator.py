"""Tests of the Bot API emulator, driven by a real python-telegram-bot ``Bot``."""

import asyncio
import re
import struct
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest
from botapi_emulator import BotApiEmulator, FloodGuard, FloodLimits, parse_html
from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, InlineKeyboardButton
from telegram import InlineKeyboardMarkup as Markup
from telegram.error import BadRequest, InvalidToken, RetryAfter, TimedOut
from telegram.request import HTTPXRequest


def png_bytes(width: int = 3, height: int = 2) -> bytes:
    """A valid RGB PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def bot(botapi: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(
        botapi.token, base_url=botapi.base_url, base_file_url=botapi.base_file_url
    ) as bot:
        yield bot


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "StoryTestBot"
    assert me.is_bot and me.supports_inline_queries and me.can_join_groups


async def test_send_and_edit(bot: Bot, botapi: BotApiEmulator) -> None:
    update = botapi.private_message(42, "hi")
    keyboard = Markup([[InlineKeyboardButton("More", callback_data="more:1")]])
    sent = await bot.send_message(
        42,
        "<b>Hello</b> &amp; bye",
        parse_mode="HTML",
        reply_markup=keyboard,
        reply_to_message_id=update["message"]["message_id"],
    )
    assert sent.text == "Hello & bye"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 5
    assert sent.from_user.id == botapi.bot_id
    assert sent.reply_to_message.text == "hi"
    assert sent.message_id == update["message"]["message_id"] + 1
    assert sent.reply_markup == keyboard

    edited = await bot.edit_message_text("Hello again", chat_id=42, message_id=sent.message_id)
    assert edited.text == "Hello again" and edited.reply_markup is None
    assert botapi.sent_messages(42)[-1]["text"] == "Hello again"
    with pytest.raises(BadRequest, match="is not modified"):
        await bot.edit_message_text("Hello again", chat_id=42, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="to edit not found"):
        await bot.edit_message_text("x", chat_id=42, message_id=999)
    with pytest.raises(BadRequest, match="to edit not found"):
        await bot.edit_message_text("x", inline_message_id="nope")
    [call] = await botapi.wait_for("sendmessage", lambda p: p["chat_id"] == 42)
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more:1"


async def test_unknown_chat(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(5, "hi")


async def test_get_updates_long_poll_and_offset(bot: Bot, botapi: BotApiEmulator) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, botapi.private_message, 7, "/start")
    started = loop.time()
    updates = await bot.get_updates(timeout=3)
    assert 0.25 < loop.time() - started < 2
    [update] = updates
    assert update.message.text == "/start"
    assert update.message.entities[0].type == "bot_command"
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert botapi.pending_updates == []


async def test_allowed_updates_are_remembered(bot: Bot, botapi: BotApiEmulator) -> None:
    await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    botapi.private_message(7, "ignored")
    assert botapi.pending_updates == []
    await bot.get_updates(timeout=0, allowed_updates=[])
    botapi.private_message(7, "seen")
    assert [u.message.text for u in await bot.get_updates(timeout=0)] == ["seen"]


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>bold", "Can't find end tag"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("<div>x</div>", 'Unsupported start tag "div"'),
        ("a < b", "can't parse entities"),
    ],
)
async def test_bad_html_rejected(bot: Bot, botapi: BotApiEmulator, html: str, error: str) -> None:
    botapi.private_message(1, "hi")
    with pytest.raises(BadRequest, match=re.compile(re.escape(error), re.I)):
        await bot.send_message(1, html, parse_mode="HTML")


def test_parse_html_entities() -> None:
    text, entities = parse_html(
        '😀 <a href="https://x.org">link</a> <pre><code class="language-py">x</code></pre>'
        '<blockquote expandable>q</blockquote><span class="tg-spoiler">s</span>&#33;&lt;'
    )
    assert text == "😀 link xqs!<"
    assert entities == [
        {"type": "text_link", "url": "https://x.org", "offset": 3, "length": 4},
        {"type": "pre", "language": "py", "offset": 8, "length": 1},
        {"type": "expandable_blockquote", "offset": 9, "length": 1},
        {"type": "spoiler", "offset": 10, "length": 1},
    ]


async def test_text_length_limit(bot: Bot, botapi: BotApiEmulator) -> None:
    botapi.private_message(1, "hi")
    await bot.send_message(1, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1, "x" * 4097)


async def test_callback_data_limit(bot: Bot, botapi: BotApiEmulator) -> None:
    botapi.private_message(1, "hi")
    markup = Markup([[InlineKeyboardButton("b", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=re.compile("BUTTON_DATA_INVALID", re.I)):
        await bot.send_message(1, "text", reply_markup=markup)


async def test_callback_query_and_inline_query(bot: Bot, botapi: BotApiEmulator) -> None:
    botapi.private_message(1, "hi")
    sent = await bot.send_message(
        1, "q", reply_markup=Markup.from_button(InlineKeyboardButton("b", callback_data="d"))
    )
    update = botapi.callback_query(1, botapi.sent_messages(1)[0], "d")
    assert update["callback_query"]["message"]["message_id"] == sent.message_id
    assert await bot.answer_callback_query(update["callback_query"]["id"], "ok")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(update["callback_query"]["id"])

    query_id = botapi.inline_query(1, "story")["inline_query"]["id"]
    results = [
        {
            "type": "article",
            "id": str(i),
            "title": "t",
            "input_message_content": {"message_text": "m"},
        }
        for i in range(51)
    ]
    with pytest.raises(BadRequest, match=re.compile("RESULTS_TOO_MUCH", re.I)):
        await bot.answer_inline_query(query_id, results)
    assert await bot.answer_inline_query(query_id, results[:50])


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fault_429_retry_after(bot: Bot, botapi: BotApiEmulator) -> None:
    botapi.private_message(1, "hi")
    botapi.inject("sendMessage", kind="429", retry_after=7, times=1)
    with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
        await bot.send_message(1, "x")
    assert botapi.sent_messages() == []
    await bot.send_message(1, "x")
    assert [(r.method, r.kind) for r in botapi.fault_log] == [("sendMessage", "429")]


async def test_faults_skip_get_updates_unless_named(bot: Bot, botapi: BotApiEmulator) -> None:
    botapi.inject(kind="500")
    assert await bot.get_updates(timeout=0) == ()
    with pytest.raises(Exception, match="Internal Server Error"):
        await bot.get_me()


async def test_fault_rate_is_seeded(botapi: BotApiEmulator) -> None:
    def pattern(seed: int) -> list[bool]:
        fault = botapi.inject("getMe", rate=0.5, seed=seed)
        return [fault.fires("getme") for _ in range(20)]

    assert pattern(3) == pattern(3)
    assert 0 < sum(pattern(3)) < 20


async def test_timeout_fault_skips_side_effect(botapi: BotApiEmulator) -> None:
    botapi.private_message(1, "hi")
    botapi.inject("sendMessage", kind="timeout", delay=0.5)
    request = HTTPXRequest(read_timeout=0.1)
    async with Bot(botapi.token, base_url=botapi.base_url, request=request) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(1, "lost")
    await asyncio.sleep(0.6)
    assert botapi.sent_messages() == []
    assert [(r.kind, r.applied) for r in botapi.fault_log] == [("timeout", False)]


async def test_drop_fault_closes_connection(bot: Bot, botapi: BotApiEmulator) -> None:
    botapi.private_message(1, "hi")
    url = f"{botapi.base_url}{botapi.token}/sendMessage"
    async with httpx.AsyncClient() as client:
        for kind in ("drop", "drop_after"):
            botapi.inject("sendMessage", kind=kind, times=1)
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post(url, json={"chat_id": 1, "text": kind})
    assert [m["text"] for m in botapi.sent_messages()] == ["drop_after"]
    assert [(r.kind, r.applied) for r in botapi.fault_log] == [
        ("drop", False),
        ("drop_after", True),
    ]


async def test_wrong_token_and_unknown_method(botapi: BotApiEmulator) -> None:
    with pytest.raises(InvalidToken, match="Unauthorized"):
        await Bot("123:wrong", base_url=botapi.base_url).get_me()
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{botapi.base_url}{botapi.token}/sendDice")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{botapi.base_url}{botapi.token}/GETME?x=1")
    assert response.json()["result"]["username"] == "StoryTestBot"


async def test_commands_per_scope(bot: Bot) -> None:
    groups = BotCommandScopeAllGroupChats()
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands([BotCommand("ask", "Ask")], scope=groups, language_code="de")
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert await bot.get_my_commands(scope=groups) == ()
    assert [c.command for c in await bot.get_my_commands(scope=groups, language_code="de")] == [
        "ask"
    ]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_send_photo_stores_png(bot: Bot, botapi: BotApiEmulator) -> None:
    botapi.private_message(1, "hi")
    message = await bot.send_photo(1, png_bytes(), caption="<i>chart</i>", parse_mode="HTML")
    photo = message.photo[-1]
    assert (photo.width, photo.height) == (3, 2)
    assert botapi.files[photo.file_id].startswith(b"\x89PNG")
    assert message.caption == "chart"
    with pytest.raises(BadRequest, match=re.compile("IMAGE_PROCESS_FAILED", re.I)):
        await bot.send_photo(1, b"not an image")
    document = await bot.send_document(1, b"data", filename="a.txt")
    assert document.document.file_name == "a.txt"
    downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"data"


async def test_incoming_entities_utf16(botapi: BotApiEmulator) -> None:
    update = botapi.group_message(
        -100, 5, "😀 @someone /ask@StoryTestBot why?", message_thread_id=9, is_topic_message=True
    )
    message = update["message"]
    assert message["entities"] == [
        {"offset": 3, "length": 8, "type": "mention"},
        {"offset": 12, "length": 17, "type": "bot_command"},
    ]
    assert message["message_thread_id"] == 9 and message["chat"]["is_forum"]
    edited = botapi.edited_message(update, "/ask again")
    assert edited["edited_message"]["message_id"] == message["message_id"]
    assert edited["update_id"] == update["update_id"] + 1


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_limits_refuse_a_fourth_quick_message_to_one_chat(
    bot: Bot, botapi: BotApiEmulator
) -> None:
    botapi.private_message(1, "hi")
    botapi.private_message(2, "hi")
    for _ in range(3):  # a short burst is allowed
        await bot.send_message(1, "x")
    with pytest.raises(RetryAfter, match="Retry in 1 seconds"):
        await bot.send_message(1, "x")
    await bot.send_message(2, "another chat is not held up")
    await bot.edit_message_text("edits do not count", chat_id=1, message_id=2)
    assert [(r.chat_id, r.limit) for r in botapi.flood_log] == [(1, "chat")]
    await asyncio.sleep(1.0)
    await bot.send_message(1, "about one a second after the burst")


def test_flood_limits_per_group_and_overall() -> None:
    guard = FloodGuard(FloodLimits())
    for second in range(20):
        assert guard.check(-100, second * 2.0) is None
        guard.accept(-100, second * 2.0)
    assert guard.check(-100, 40.0) == ("group", pytest.approx(20.0))  # 20 in any minute
    assert guard.check(-100, 60.5) is None
    for chat in range(1, 31):
        assert guard.check(chat, 100.0) is None
        guard.accept(chat, 100.0)
    assert guard.check(31, 100.5) == ("overall", pytest.approx(0.5))  # 30 in any second


async def test_flood_limits_can_be_turned_off(bot: Bot, botapi: BotApiEmulator) -> None:
    botapi.limits = None
    botapi.private_message(1, "hi")
    for _ in range(10):
        await bot.send_message(1, "x")
    assert botapi.flood_log == []


async def test_a_user_s_app_language_rides_on_their_updates(
    bot: Bot, botapi: BotApiEmulator
) -> None:
    botapi.private_message(7, "привет", language_code="ru-RU")
    botapi.private_message(8, "hi")  # Telegram may send no language at all
    await bot.send_message(7, "q")
    botapi.callback_query(7, botapi.sent_messages(7)[0], "d")
    botapi.inline_query(7, "story")
    botapi.set_language(7, None)
    botapi.group_message(-100, 7, "hello")
    updates = await bot.get_updates()
    first, other, pressed, inline, later = updates
    assert first.message.from_user.language_code == "ru-RU"
    assert other.message.from_user.language_code is None
    assert pressed.callback_query.from_user.language_code == "ru-RU"
    assert inline.inline_query.from_user.language_code == "ru-RU"
    assert later.message.from_user.language_code is None
