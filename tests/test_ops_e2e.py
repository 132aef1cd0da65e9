"""End to end for operations: webhook mode with /healthz, /status and /metrics, the knowledge watch,
and `storybot health`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import aiohttp
from botapi_emulator import BotApiEmulator
from conftest import StartBot, StartWebhookBot
from prometheus_client.parser import text_string_to_metric_families

USER = 2002
SECRET = "test-webhook-secret_123"


async def test_webhook_mode_secret_health_and_metrics(
    botapi: BotApiEmulator, start_webhook_bot: StartWebhookBot
):
    bot, base = await start_webhook_bot(SECRET)
    (call,) = await botapi.wait_for("setWebhook", timeout=20)
    assert call.params["secret_token"] == SECRET
    update = botapi.private_message(USER, "how fast is the train?")
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/telegram", json=update) as response:
            assert response.status == 403
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        async with session.post(f"{base}/telegram", json=update, headers=wrong) as response:
            assert response.status == 403
        right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with session.post(f"{base}/telegram", data=b"{not json", headers=right) as response:
            assert response.status == 400
        async with session.post(f"{base}/telegram", json=update, headers=right) as response:
            assert response.status == 200
        (sent,) = await botapi.wait_for("sendMessage", timeout=10)
        assert "60 km/h" in sent.params["text"]
        async with session.get(f"{base}/healthz") as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok"}
        async with session.get(f"{base}/status") as response:
            assert response.status == 200
            health = await response.json()
        assert health["status"] == "ok" and health["entries"] > 30
        async with session.get(f"{base}/metrics") as response:
            assert response.status == 200
            exposition = await response.text()
    families = {f.name: f for f in text_string_to_metric_families(exposition)}
    answered = [
        s.value
        for s in families["storybot_questions"].samples
        if s.name == "storybot_questions_total" and s.labels["outcome"] == "answered"
    ]
    assert answered == [1.0]
    assert families["storybot_answer_seconds"].samples
    (info,) = families["storybot_knowledge_info"].samples
    assert info.labels["version"] == health["knowledge_version"]
    await bot.stop()
    assert botapi.token not in bot.logs
    assert SECRET not in bot.logs


async def test_watch_reloads_changed_knowledge_and_refuses_broken(
    botapi: BotApiEmulator, start_bot: StartBot, knowledge_copy: Path
):
    bot = await start_bot(STORYBOT_WATCH_KNOWLEDGE="on", STORYBOT_WATCH_INTERVAL="0.2")
    faq = knowledge_copy / "faq.yaml"
    original = faq.read_text(encoding="utf-8")
    assert "answer: Kim's train runs" in original
    faq.write_text(original.replace("answer: Kim's train runs", "answer: Kim's slow train runs"))
    for _ in range(50):
        if "knowledge reloaded" in bot.logs:
            break
        await asyncio.sleep(0.1)
    botapi.private_message(USER, "how fast is the train")
    (sent,) = await botapi.wait_for("sendMessage", timeout=10)
    assert "slow train runs" in sent.params["text"]
    faq.write_text(original.replace("phrasings:", "phrasings: [", 1))
    for _ in range(50):
        if "reload refused" in bot.logs:
            break
        await asyncio.sleep(0.1)
    assert "reload refused" in bot.logs
    # Other words: the same question again within seconds would be answered once only.
    botapi.private_message(USER, "how fast does the train go")
    sent = await botapi.wait_for("sendMessage", timeout=10, count=2)
    assert "slow train runs" in sent[1].params["text"]


async def test_health_command_follows_the_running_bot(
    botapi: BotApiEmulator, start_bot: StartBot, tmp_path: Path
):
    data = tmp_path / "data"
    env = {"STORYBOT_DATA_DIR": str(data)}

    def health() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "health"], capture_output=True, text=True,
            env={**__import__("os").environ, **env}, check=False,
        )  # fmt: skip

    assert health().returncode == 1
    await start_bot(**env)
    for _ in range(50):
        if (data / "health.json").exists():
            break
        await asyncio.sleep(0.1)
    result = await asyncio.to_thread(health)
    assert result.returncode == 0, result.stderr
    details = json.loads((data / "health.json").read_text())
    assert details["status"] == "ok"
