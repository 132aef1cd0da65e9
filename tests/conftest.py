"""Shared pytest fixtures: the Bot API emulator and a real `storybot run` process against it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from botapi_emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parents[1]
ADMIN_ID = 4242


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
