"""The aiohttp Bot API client (bot/chat/request.py) under a real telegram.Bot, on the emulator."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import pytest
from botapi_emulator import BotApiEmulator
from conftest import free_port
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.chat.request import AiohttpRequest, _body
from bot.ops.metrics import Metrics

CHAT = 77


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def errors(metrics: Metrics) -> dict[str, float]:
    """Counted Bot API errors by kind."""
    (family,) = [m for m in metrics.registry.collect() if m.name == "storybot_bot_api_errors"]
    return {s.labels["kind"]: s.value for s in family.samples if s.name.endswith("_total")}


@pytest.fixture
async def bot(botapi: BotApiEmulator) -> AsyncIterator[tuple[Bot, Metrics]]:
    botapi.private_message(CHAT, "hello")  # the chat the bot writes to
    metrics = Metrics()
    client = AiohttpRequest(metrics, connection_pool_size=4, read_timeout=0.5)
    async with Bot(botapi.token, base_url=botapi.base_url, request=client) as bot:
        yield bot, metrics


async def test_sends_json_with_nested_objects_and_parses_the_reply(botapi, bot):
    telegram_bot, metrics = bot
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data="f:1:1")]])
    sent = await telegram_bot.send_message(
        CHAT, "<b>Hi</b> & bye", parse_mode="HTML", reply_markup=keyboard
    )
    assert sent.text == "Hi & bye"
    assert sent.reply_markup == keyboard
    params = botapi.calls_to("sendMessage")[-1].params
    assert params["reply_markup"] == {
        "inline_keyboard": [[{"text": "👍", "callback_data": "f:1:1"}]]
    }
    assert sample(metrics, "storybot_last_api_success_timestamp_seconds") == pytest.approx(
        time.time(), abs=60
    )


def test_body_is_json_unless_files_go_along():
    data = RequestData([RequestParameter.from_input("reply_markup", {"a": [1, "é"]})])
    body = _body(data)
    assert body["headers"] == {"Content-Type": "application/json"}
    assert json.loads(body["data"]) == {"reply_markup": {"a": [1, "é"]}}
    assert _body(None) == {}


async def test_uploads_files_as_multipart(botapi, bot):
    telegram_bot, _ = bot
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x02\x00\x00\x00"
        b"\x12\x16\xf1M\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x01\x01\x01\x00\x18\xdd\x8d\xb4"
        b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    sent = await telegram_bot.send_photo(CHAT, png, caption="a <i>chart</i>", parse_mode="HTML")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (2, 3)
    assert sent.caption == "a chart"
    document = await telegram_bot.send_document(CHAT, b"a,b\n1,2\n", filename="log.csv")
    assert document.document.file_name == "log.csv"
    assert botapi.files[document.document.file_id] == b"a,b\n1,2\n"


async def test_an_api_error_is_the_api_error_and_is_counted(botapi, bot):
    telegram_bot, metrics = bot
    botapi.inject("sendMessage", kind="500", times=1)
    with pytest.raises(NetworkError):
        await telegram_bot.send_message(CHAT, "hi")
    assert errors(metrics) == {"http_500": 1}


async def test_a_slow_reply_times_out(botapi, bot):
    telegram_bot, metrics = bot
    botapi.inject("sendMessage", kind="timeout", delay=2.0, times=1)
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await telegram_bot.send_message(CHAT, "hi")  # read timeout 0.5 s
    assert time.monotonic() - started < 1.5
    assert sum(errors(metrics).values()) == 1
    assert (await telegram_bot.send_message(CHAT, "again")).text == "again"  # pool intact


async def test_dropped_connection_is_a_network_error(botapi, bot):
    telegram_bot, _ = bot
    botapi.inject("sendMessage", kind="drop", times=1)
    with pytest.raises(NetworkError) as failure:
        await telegram_bot.send_message(CHAT, "hi")
    assert not isinstance(failure.value, TimedOut)
    assert botapi.token not in str(failure.value)


async def test_unreachable_api_error_never_shows_the_token():
    token = "123:secret-token-value"
    clients = AiohttpRequest(Metrics()), AiohttpRequest(Metrics())
    base = f"http://127.0.0.1:{free_port()}/bot"
    bot = Bot(token, base_url=base, request=clients[0], get_updates_request=clients[1])
    with pytest.raises(NetworkError) as failure:
        await bot.initialize()
    assert "secret-token-value" not in repr(failure.value)
    assert "secret-token-value" not in str(failure.value.__cause__)  # aiohttp's own message
    for client in clients:
        await client.shutdown()


async def test_lifecycle(botapi):
    client = AiohttpRequest(Metrics())
    url = f"{botapi.base_url}{botapi.token}/getMe"
    with pytest.raises(RuntimeError, match="not initialized"):
        await client.do_request(url, "POST")
    await client.initialize()
    assert (await client.do_request(url, "POST"))[0] == 200
    await client.shutdown()
    await client.shutdown()  # twice is fine
    await client.initialize()  # PTB may start a bot again after stopping it
    assert (await client.do_request(url, "POST"))[0] == 200
    await client.shutdown()


async def test_rejected_token_raises_invalid_token(botapi):
    clients = AiohttpRequest(Metrics()), AiohttpRequest(Metrics())
    bot = Bot(
        "1:wrong", base_url=botapi.base_url, request=clients[0], get_updates_request=clients[1]
    )
    with pytest.raises(InvalidToken):
        await bot.initialize()
    for client in clients:
        await client.shutdown()
