"""Shared pytest fixtures: the Bot API emulator and a real `storybot run` process against it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from botapi_emulator import BotApiEmulator
from hypothesis import settings as hypothesis_settings

ROOT = Path(__file__).resolve().parents[1]
ADMIN_ID = 4242

# CI (HYPOTHESIS_PROFILE=ci, set by .ci/run) tries the same examples on every run, so a red CI
# is always reproducible; local runs keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
async def botapi() -> AsyncIterator[BotApiEmulator]:
    """A running Telegram Bot API emulator (see tests/botapi_emulator.py)."""
    async with BotApiEmulator() as emu:
        yield emu


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled knowledge that a test may break."""
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


@dataclass
class BotProcess:
    """A `storybot` subprocess and the file its logs go to."""

    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def logs(self) -> str:
        """Everything the bot logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:  # noqa: ASYNC109
        """Signal the bot and wait for it to exit; returns the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"bot did not stop within {timeout}s:\n{self.logs}") from None


StartBot = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def start_bot(
    botapi: BotApiEmulator, tmp_path: Path, knowledge_copy: Path
) -> AsyncIterator[StartBot]:
    """Start `python -m bot run` against the emulator; stopped at the end of the test."""
    started: list[BotProcess] = []

    async def start(*args: str, ready: bool = True, **env: str) -> BotProcess:
        if env.get("STORYBOT_RATE_LIMIT") == "off":
            # A bot told not to mind Telegram's flood limits talks to a server without them.
            botapi.limits = None
        log_path = tmp_path / f"bot-{len(started)}.log"
        environment = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": botapi.token,
            "STORYBOT_ADMINS": str(ADMIN_ID),
            "STORYBOT_KNOWLEDGE": str(knowledge_copy),
            "STORYBOT_API_BASE_URL": botapi.base_url,
            "STORYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'log.sqlite3'}",
            "STORYBOT_LOG_LEVEL": "DEBUG",
            **env,
        }
        with log_path.open("wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *(args or ("run",)),
                stdout=log_file, stderr=asyncio.subprocess.STDOUT, env=environment, cwd=tmp_path,
            )  # fmt: skip
        bot = BotProcess(process, log_path)
        started.append(bot)
        if ready:
            # PTB deletes any webhook right before it starts polling.
            before = len(botapi.calls_to("deleteWebhook"))
            try:
                await botapi.wait_for("deleteWebhook", timeout=20, count=before + 1)
            except AssertionError:
                raise AssertionError(f"bot did not start polling:\n{bot.logs}") from None
        return bot

    yield start
    for bot in started:
        await bot.stop()


StartWebhookBot = Callable[[str], Awaitable[tuple[BotProcess, str]]]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_until_serving(url: str) -> None:
    """Wait (up to 30 s: a loaded machine starts a bot slowly) until something answers HTTP
    at ``url``."""
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(url) as response:
                    await response.read()
                    return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"nothing is serving {url}")


@pytest.fixture
def start_webhook_bot(start_bot: StartBot) -> StartWebhookBot:
    """Start `storybot webhook` with a secret on a free port; (process, base URL) once serving."""

    async def start(secret: str) -> tuple[BotProcess, str]:
        port = free_port()
        bot = await start_bot(
            "webhook", "--url", "https://bot.example/telegram", "--port", str(port),
            ready=False, STORYBOT_WEBHOOK_SECRET=secret,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        await wait_until_serving(f"{base}/healthz")
        return bot, base

    return start
