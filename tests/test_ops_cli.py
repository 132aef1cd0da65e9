"""Operating the bot through the real `storybot` console script: start-up failures in one line,
the webhook secret never printed, `storybot health` after a stop, quiet and minimal /healthz."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from botapi_emulator import BotApiEmulator
from conftest import ADMIN_ID, StartBot, free_port, wait_until_serving

STORYBOT = Path(sys.executable).with_name("storybot")
HAS_PROC = Path("/proc/self/stat").exists()
WRONG_TOKEN = "123456789:AAwrongTokenThatTheServerRejects12345"


def environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A clean environment for the console script: no STORYBOT_* of the machine leaks in."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_")}
    return {
        **base,
        "STORYBOT_ADMINS": str(ADMIN_ID),
        "STORYBOT_DATA_DIR": str(tmp_path / "data"),
        "STORYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'log.sqlite3'}",
        **overrides,
    }


async def storybot(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """Run the console script to completion: (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        STORYBOT, *args, env=environment(tmp_path, **env), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_rejected_token_is_one_line_and_the_traceback_only_at_debug(
    botapi: BotApiEmulator, tmp_path: Path
):
    env = {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN, "STORYBOT_API_BASE_URL": botapi.base_url}
    code, out, err = await storybot(tmp_path, "run", **env)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "storybot: the Bot API rejected the bot token: check TELEGRAM_BOT_TOKEN or --token-file"
    ]
    code, _, debug = await storybot(tmp_path, "run", STORYBOT_LOG_LEVEL="DEBUG", **env)
    assert code == 2 and "Traceback" in debug and "InvalidToken" in debug
    assert WRONG_TOKEN.split(":")[1] not in debug
    assert debug.splitlines()[-1] == err.strip()


async def test_unreachable_bot_api_is_one_line(tmp_path: Path):
    nowhere = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens: connection refused
    env = {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN, "STORYBOT_API_BASE_URL": nowhere}
    code, out, err = await storybot(tmp_path, "run", **env)
    assert (code, out) == (1, "")
    (line,) = err.splitlines()
    assert line.startswith(f"storybot: cannot reach the Bot API at {nowhere}: ")
    assert WRONG_TOKEN.split(":")[1] not in err


async def start_webhook(
    botapi: BotApiEmulator, tmp_path: Path, port: int, run: int = 0, **env: str
) -> tuple[asyncio.subprocess.Process, Path]:
    """`storybot webhook` on ``port``, its output going to a log file; once it serves."""
    log_path = tmp_path / f"webhook-{run}.log"
    settings = environment(
        tmp_path, TELEGRAM_BOT_TOKEN=botapi.token, STORYBOT_API_BASE_URL=botapi.base_url, **env
    )
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            STORYBOT, "webhook", "--url", "https://bot.example/telegram", "--port", str(port),
            env=settings, cwd=tmp_path, stdout=log_file, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    await wait_until_serving(f"http://127.0.0.1:{port}/healthz")
    return process, log_path


async def stop(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 15)


async def test_generated_webhook_secret_is_never_printed_and_kept_private(
    botapi: BotApiEmulator, tmp_path: Path
):
    port = free_port()
    process, log_path = await start_webhook(botapi, tmp_path, port)
    (call,) = await botapi.wait_for("setWebhook", timeout=20)
    secret_file = tmp_path / "data" / "webhook-secret"
    secret = secret_file.read_text(encoding="utf-8").strip()
    assert call.params["secret_token"] == secret and len(secret) >= 32
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    update = botapi.private_message(ADMIN_ID, "how fast is the train?")
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/telegram", json=update, headers=headers) as response,
    ):
        assert response.status == 200
    await botapi.wait_for("sendMessage", timeout=10)
    await stop(process)
    logs = log_path.read_text(encoding="utf-8")
    assert secret not in logs
    assert f"using the secret kept in {secret_file}" in logs
    # A restart keeps the same secret: Telegram's retries of older updates still get through.
    process, log_path = await start_webhook(botapi, tmp_path, port, run=1)
    calls = await botapi.wait_for("setWebhook", timeout=20, count=2)
    assert calls[1].params["secret_token"] == secret
    await stop(process)
    assert secret not in log_path.read_text(encoding="utf-8")


async def test_a_readable_secret_file_is_refused(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "webhook-secret").write_text("abcdefghijklmnopqrstuvwxyz\n", encoding="utf-8")
    (data / "webhook-secret").chmod(0o644)
    env = {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN}
    code, _, err = await storybot(
        tmp_path, "webhook", "--url", "https://bot.example/telegram", **env
    )
    assert code == 2
    assert err.strip() == f"storybot: {data / 'webhook-secret'} holds the webhook secret: " + (
        "make it private (chmod 600)"
    )
    assert "abcdefghijklmnopqrstuvwxyz" not in err


async def test_healthz_says_only_healthy_or_not_and_probes_are_not_logged_at_info(
    botapi: BotApiEmulator, tmp_path: Path
):
    port = free_port()
    process, log_path = await start_webhook(
        botapi,
        tmp_path,
        port,
        STORYBOT_WEBHOOK_SECRET="a-test-secret-1234",
        STORYBOT_LOG_LEVEL="INFO",
    )
    await botapi.wait_for("setWebhook", timeout=20)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(30):  # until the first Bot API success after start-up
            async with session.get(f"{base}/healthz") as response:
                if response.status == 200:
                    public = await response.json()
                    break
            await asyncio.sleep(0.2)
        async with session.get(f"{base}/status") as response:
            details = await response.json()
        async with session.get(f"{base}/metrics") as response:
            assert response.status == 200
        async with session.get(f"{base}/nowhere") as response:
            assert response.status == 404
    assert public == {"status": "ok"}
    assert details["status"] == "ok" and details["entries"] > 30 and details["pid"]
    await stop(process)
    logs = log_path.read_text(encoding="utf-8")
    assert "GET /healthz" not in logs and "GET /status" not in logs and "GET /metrics" not in logs
    assert "404 GET /nowhere" in logs  # other requests are still logged


async def health(tmp_path: Path) -> tuple[int, str]:
    code, out, err = await storybot(tmp_path, "health")
    return code, (out + err).strip()


async def wait_for_heartbeat(path: Path) -> None:
    for _ in range(100):
        if await asyncio.to_thread(path.exists):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no heartbeat at {path}")


async def test_health_is_ok_only_while_the_bot_runs(start_bot: StartBot, tmp_path: Path):
    heartbeat = tmp_path / "data" / "health.json"
    bot = await start_bot(STORYBOT_DATA_DIR=str(heartbeat.parent))
    await wait_for_heartbeat(heartbeat)
    code, reason = await health(tmp_path)
    assert code == 0, reason
    assert await bot.stop() == 0
    assert not heartbeat.exists(), "a clean stop removes the heartbeat"
    code, reason = await health(tmp_path)
    assert code == 1 and reason.startswith("no heartbeat at")


async def test_health_sees_a_killed_bot_at_once(start_bot: StartBot, tmp_path: Path):
    heartbeat = tmp_path / "data" / "health.json"
    bot = await start_bot(STORYBOT_DATA_DIR=str(heartbeat.parent))
    await wait_for_heartbeat(heartbeat)
    assert (await health(tmp_path))[0] == 0
    await bot.stop(signal.SIGKILL)
    written = json.loads(heartbeat.read_text(encoding="utf-8"))
    assert written["process"]["pid"] == bot.process.pid
    code, reason = await health(tmp_path)  # the file is seconds old, and left behind
    assert code == 1
    assert reason.startswith("the bot is not running: process")


@pytest.mark.skipif(not HAS_PROC, reason="no /proc here: start times cannot be compared")
async def test_health_sees_a_reused_pid(tmp_path: Path):
    """A heartbeat naming a live pid that started at another time (a container restarted:
    the new bot is pid 1 again) is a stopped bot."""
    heartbeat = tmp_path / "data" / "health.json"
    heartbeat.parent.mkdir()
    record = {
        "status": "ok", "knowledge_version": "abc", "entries": 40,
        "last_api_success_age_seconds": 1.0, "time": time.time(),
        "process": {"pid": os.getpid(), "start_ticks": 1, "boot_id": None, "pid_namespace": None},
    }  # fmt: skip
    heartbeat.write_text(json.dumps(record), encoding="utf-8")
    code, reason = await health(tmp_path)
    assert code == 1 and reason.startswith("the bot is not running"), reason


async def test_check_refuses_knowledge_without_synonyms(tmp_path: Path, knowledge_copy: Path):
    (knowledge_copy / "synonyms.yaml").unlink()
    code, out, err = await storybot(tmp_path, "check", "--knowledge", str(knowledge_copy))
    assert code == 1
    assert out.splitlines() == [
        "synonyms.yaml: required file is missing (a knowledge directory needs sources.yaml, "
        "facts.yaml, faq.yaml and synonyms.yaml)"
    ]
    assert err.strip() == f"1 problem(s) found in {knowledge_copy}"
