"""Where the question log lives and how long it keeps questions, from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from bot.settings import SettingsError

DATABASE_URL_ENV = "STORYBOT_DATABASE_URL"
RETENTION_DAYS_ENV = "STORYBOT_RETENTION_DAYS"
DEFAULT_DATABASE_URL = "sqlite:///./data/storybot.sqlite3"
DEFAULT_RETENTION_DAYS = 90


@dataclass(frozen=True, slots=True)
class CurationConfig:
    """The question log's database URL and retention."""

    database_url: str = DEFAULT_DATABASE_URL
    retention_days: int = DEFAULT_RETENTION_DAYS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CurationConfig:
        """Read ``STORYBOT_DATABASE_URL`` and ``STORYBOT_RETENTION_DAYS`` (``os.environ``)."""
        env = os.environ if env is None else env
        raw = env.get(RETENTION_DAYS_ENV, "").strip() or str(DEFAULT_RETENTION_DAYS)
        if not raw.isdigit() or int(raw) < 1:
            raise SettingsError(f"{RETENTION_DAYS_ENV} must be a whole number of days, not {raw!r}")
        return cls(
            database_url=env.get(DATABASE_URL_ENV, "").strip() or DEFAULT_DATABASE_URL,
            retention_days=int(raw),
        )
