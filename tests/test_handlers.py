"""Handler tests in PTB's offline style: built updates through `Application.process_update`,
with a recording request object standing in for the Bot API (no network at all)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.chat import render
from bot.chat.app import build_application, make_services, open_question_log
from bot.settings import Settings

TOKEN = "123456:offline-handler-test-token-xyz"
BOT = {"id": 123456, "is_bot": True, "first_name": "Story", "username": "StoryTestBot"}
ADMIN, READER, GROUP, CHANNEL = 42, 1001, -100777, -100888


def _payload(request_data: RequestData | None) -> dict[str, Any]:
    return json.loads(request_data.json_payload) if request_data else {}


def _decoded(value: Any) -> Any:
    """PTB sends nested objects (keyboards, results) as JSON text inside the payload."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class RecordingRequest(BaseRequest):
    """Answers every Bot API call with a plausible result and records it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail: dict[str, tuple[int, str]] = {}
        self._message_id = 1000

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(self, url, method, request_data: RequestData | None = None, **_):
        endpoint = url.rsplit("/", 1)[-1]
        params = {key: _decoded(value) for key, value in _payload(request_data).items()}
        self.calls.append((endpoint, params))
        if endpoint in self.fail:
            code, description = self.fail[endpoint]
            body = {"ok": False, "error_code": code, "description": description}
            return code, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(endpoint, params)}).encode()

    def _result(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return BOT
        if endpoint in ("sendMessage", "editMessageText", "sendPhoto"):
            self._message_id += 1
            return {
                "message_id": params.get("message_id", self._message_id),
                "date": int(datetime.now().timestamp()),
                "chat": {"id": params.get("chat_id", 1), "type": "private"},
                "from": BOT,
                "text": params.get("text", ""),
            }
        return True

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]


@pytest.fixture
async def app(knowledge_copy: Path, tmp_path: Path):
    settings = Settings(
        knowledge_dir=knowledge_copy,
        token=TOKEN,
        admins=frozenset({ADMIN}),
        rate_limit=False,
        data_dir=tmp_path / "data",
    )
    request = RecordingRequest()
    services = make_services(settings)
    application = build_application(settings, services, request=request)
    await application.initialize()
    open_question_log(services)  # as post_init does once getMe succeeded
    application.request = request
    yield application
    await application.shutdown()


_update_ids = iter(range(1, 10**6))


def message_update(app, text: str, chat: dict, user_id: int | None = READER, **extra) -> Update:
    message = {
        "message_id": next(_update_ids),
        "date": int(datetime.now().timestamp()),
        "chat": chat,
        "text": text,
        **extra,
    }
    if user_id is not None:
        message["from"] = {"id": user_id, "is_bot": False, "first_name": "Ann"}
    entities = []
    if text.startswith("/"):
        entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
    if "@StoryTestBot" in text and not text.startswith("/"):
        start = text.index("@StoryTestBot")
        entities.append({"type": "mention", "offset": start, "length": len("@StoryTestBot")})
    if entities:
        message["entities"] = entities
    key = "channel_post" if chat["type"] == "channel" else "message"
    return Update.de_json({"update_id": next(_update_ids), key: message}, app.bot)


PRIVATE = {"id": READER, "type": "private", "first_name": "Ann"}
ADMIN_CHAT = {"id": ADMIN, "type": "private", "first_name": "Boss"}
SUPERGROUP = {"id": GROUP, "type": "supergroup", "title": "Readers"}
GROUP_CHAT = {"id": GROUP - 1, "type": "group", "title": "Old group"}
CHANNEL_CHAT = {"id": CHANNEL, "type": "channel", "title": "News"}


async def test_private_question_is_answered_with_citation(app):
    await app.process_update(message_update(app, "how fast is kims trian?", PRIVATE))
    (reply,) = app.request.sent()
    assert "60 km/h" in reply["text"] and "<blockquote>" in reply["text"]
    assert reply["parse_mode"] == "HTML"
    assert reply["link_preview_options"]["is_disabled"] is True


async def test_quotes_from_one_source_share_one_source_line(app):
    await app.process_update(
        message_update(app, "how fast is the train and how long did the trip take", PRIVATE)
    )
    (reply,) = app.request.sent()
    assert reply["text"].count("<blockquote>") == 2
    assert reply["text"].count("Source: ") == 1
    assert reply["text"].index("</blockquote>Source: ") > reply["text"].rindex("<blockquote>")


async def test_hostile_text_is_escaped_and_huge_text_fits(app):
    hostile = '<b onclick="x">&amp; <script>alert(1)</script> *bold* [x](y) ' * 200
    await app.process_update(message_update(app, hostile, PRIVATE))
    (reply,) = app.request.sent()
    assert "<script>" not in reply["text"] and "&lt;script&gt;" in reply["text"]
    assert render.visible_length(reply["text"]) <= 4096


async def test_group_chatter_is_ignored_but_ask_mention_and_reply_work(app):
    await app.process_update(message_update(app, "how fast is the train", SUPERGROUP))
    assert app.request.sent() == []
    await app.process_update(message_update(app, "/ask@StoryTestBot how fast", SUPERGROUP))
    await app.process_update(message_update(app, "@StoryTestBot when did kim leave", GROUP_CHAT))
    replied = {"message_id": 5, "date": 0, "chat": SUPERGROUP, "from": BOT, "text": "x"}
    await app.process_update(
        message_update(app, "what colour is it", SUPERGROUP, reply_to_message=replied)
    )
    texts = [r["text"] for r in app.request.sent()]
    assert len(texts) == 3
    assert "60 km/h" in texts[0] and "Monday" in texts[1] and "green" in texts[2]


@pytest.mark.parametrize("command", ["/reload", "/unanswered", "/stats"])
@pytest.mark.parametrize("chat", [PRIVATE, SUPERGROUP, GROUP_CHAT])
async def test_admin_commands_refuse_non_admins_everywhere(app, command, chat, caplog):
    version = app.bot_data["services"].holder.snapshot.version
    with caplog.at_level(logging.WARNING):
        await app.process_update(message_update(app, command, chat))
    (reply,) = app.request.sent()
    assert "only the bot's admins" in reply["text"]
    assert f"non-admin user id {READER}" in caplog.text
    assert app.bot_data["services"].holder.snapshot.version == version


async def test_admin_commands_in_a_channel_do_nothing(app):
    for command in ("/reload", "/stats", "/unanswered"):
        await app.process_update(message_update(app, command, CHANNEL_CHAT, user_id=None))
    assert app.request.sent() == []


async def test_admin_reload_reports_counts_and_broken_knowledge(app, knowledge_copy):
    await app.process_update(message_update(app, "/reload", ADMIN_CHAT, user_id=ADMIN))
    (report,) = app.request.sent()
    assert "Reloaded" in report["text"] and "No entries changed" in report["text"]
    (knowledge_copy / "facts.yaml").write_text("facts: [", encoding="utf-8")
    await app.process_update(message_update(app, "/reload", ADMIN_CHAT, user_id=ADMIN))
    refused = app.request.sent()[1]["text"]
    assert "Reload refused" in refused and "facts.yaml:" in refused


async def test_admin_stats_sends_a_png_chart(app):
    await app.process_update(message_update(app, "how fast is the train", PRIVATE))
    await app.process_update(message_update(app, "/stats", ADMIN_CHAT, user_id=ADMIN))
    assert app.request.sent("sendPhoto")
    await app.process_update(message_update(app, "/unanswered", ADMIN_CHAT, user_id=ADMIN))
    assert any("questions" in r["text"].lower() for r in app.request.sent()[1:])


@pytest.mark.parametrize(
    "data",
    ["", "a:", "a:no-such-entry", "f:abc:1", "f:1:7", "zz:top", "a:" + "x" * 70, "r:../../etc"],
)
async def test_forged_callback_data_gets_a_polite_answer(app, data):
    query = {
        "id": "q1",
        "from": {"id": READER, "is_bot": False, "first_name": "Ann"},
        "chat_instance": "1",
        "data": data,
        "message": {"message_id": 7, "date": 0, "chat": PRIVATE, "from": BOT, "text": "old"},
    }
    await app.process_update(Update.de_json({"update_id": 1, "callback_query": query}, app.bot))
    (answer,) = app.request.sent("answerCallbackQuery")
    assert "no longer" in answer["text"] or "Thanks" in answer["text"]
    assert app.request.sent("editMessageText") == []


@pytest.mark.parametrize("payload", ["x" * 65, "<b>", "train-speed'--", "nonexistent"])
async def test_forged_deep_links_get_the_greeting(app, payload):
    await app.process_update(message_update(app, f"/start {payload}", PRIVATE))
    (reply,) = app.request.sent()
    assert "no longer have" in reply["text"]
    assert payload not in reply["text"]  # never echoed back


async def test_api_error_on_reply_is_logged_not_raised(app, caplog):
    app.request.fail["sendMessage"] = (400, "Bad Request: chat not found")
    with caplog.at_level(logging.ERROR):
        await app.process_update(message_update(app, "how fast is the train", PRIVATE))
    assert "error while handling an update" in caplog.text
    assert TOKEN not in caplog.text


async def test_inline_query_offers_answers_and_popular_topics(app):
    for query in ("kim train speed", ""):
        inline = {
            "id": f"i{len(query)}",
            "from": {"id": READER, "is_bot": False, "first_name": "Ann"},
            "query": query,
            "offset": "",
        }
        await app.process_update(Update.de_json({"update_id": 2, "inline_query": inline}, app.bot))
    first, empty = app.request.sent("answerInlineQuery")
    assert 1 <= len(first["results"]) <= 5
    assert "60 km/h" in first["results"][0]["input_message_content"]["message_text"]
    assert empty["results"]


async def test_version_shows_the_live_knowledge(app):
    await app.process_update(message_update(app, "/version", PRIVATE))
    (reply,) = app.request.sent()
    version = app.bot_data["services"].holder.snapshot.version
    assert f"<code>{version}</code>" in reply["text"] and " ms:" in reply["text"]


async def test_nothing_close_offers_example_questions(app):
    await app.process_update(message_update(app, "qwerty asdf", PRIVATE))
    (reply,) = app.request.sent()
    assert "doesn't say" in reply["text"] and "things it does answer" in reply["text"]
    assert len(reply["reply_markup"]["inline_keyboard"]) == 3


async def test_a_greeting_gets_a_greeting_and_examples(app):
    await app.process_update(message_update(app, "Good morning!", PRIVATE))
    (reply,) = app.request.sent()
    assert reply["text"].startswith("Hello!") and "doesn't say" not in reply["text"]
    assert reply["reply_markup"]["inline_keyboard"]
