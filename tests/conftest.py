"""Shared pytest fixtures."""

from collections.abc import AsyncIterator

import pytest
from botapi_emulator import BotApiEmulator


@pytest.fixture
async def botapi() -> AsyncIterator[BotApiEmulator]:
    """A running Telegram Bot API emulator (see tests/botapi_emulator.py)."""
    async with BotApiEmulator() as emu:
        yield emu
