"""Every setting in one place: environment variables, their defaults and what they mean.

Command-line flags override the environment; `SETTINGS` is the single table the README, the
`.env.example` file and the deployment files are checked against.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from bot.engine.answering import Bands

PUBLIC_API_BASE_URL = "https://api.telegram.org/bot"
# @BotFather's tokens: the bot id, a colon, a 35-character secret. Only what is certainly wrong
# is refused here (Telegram's own docs and test servers use other lengths): the Bot API judges.
_BOT_ID = re.compile(r"\d{3,}")
_SECRET = re.compile(r"[A-Za-z0-9_-]+")
SECRET_CHARS = 35
MIN_SECRET_CHARS = 20
TOKEN_FORMAT = (
    "@BotFather's tokens are the bot id in digits, a colon, then a "
    f"{SECRET_CHARS}-character secret of letters, digits, '_' and '-'"
)
_SWITCH = {"on": True, "true": True, "1": True, "yes": True, "off": False, "false": False,
           "0": False, "no": False}  # fmt: skip


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message says which and what to set."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One environment variable."""

    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("TELEGRAM_BOT_TOKEN", "", "Bot token from @BotFather (or use --token-file)."),
    Setting("STORYBOT_ADMINS", "", "Comma-separated numeric Telegram user ids allowed /reload."),
    Setting("STORYBOT_KNOWLEDGE", "", "Knowledge directory (default: the bundled knowledge)."),
    Setting("STORYBOT_API_BASE_URL", PUBLIC_API_BASE_URL, "Bot API server base URL."),
    Setting("STORYBOT_ANSWER_THRESHOLD", "0.60", "Confidence at or above which the bot answers."),
    Setting("STORYBOT_SUGGEST_THRESHOLD", "0.42", "Confidence above which it offers choices."),
    Setting("STORYBOT_WEBHOOK_URL", "", "Public https URL Telegram posts updates to."),
    Setting("STORYBOT_WEBHOOK_SECRET", "", "Secret token Telegram sends with each update."),
    Setting("STORYBOT_WEBHOOK_LISTEN", "127.0.0.1", "Address the webhook server listens on."),
    Setting("STORYBOT_WEBHOOK_PORT", "8443", "Port the webhook server listens on."),
    Setting("STORYBOT_WEBHOOK_PATH", "telegram", "URL path of the webhook endpoint."),
    Setting("STORYBOT_RATE_LIMIT", "on", "Apply Telegram's flood limits (off: own API server)."),
    Setting("STORYBOT_DATA_DIR", "./data", "Where the question log and the health file live."),
    Setting(
        "STORYBOT_DATABASE_URL",
        "",
        "Question log: sqlite:///path or postgresql://... (default: SQLite in the data dir).",
    ),
    Setting("STORYBOT_RETENTION_DAYS", "90", "Days the question log keeps its rows."),
    Setting(
        "STORYBOT_CONVERSATION_MINUTES",
        "10",
        "Minutes a private chat's last exchange is kept for follow-up questions (0: off).",
    ),
    Setting(
        "STORYBOT_CONTEXT_SECRET",
        "",
        "Secret for the keys of conversation contexts shared in PostgreSQL (same on all replicas).",
    ),
    Setting("STORYBOT_WATCH_KNOWLEDGE", "off", "Reload when the knowledge files change (on/off)."),
    Setting("STORYBOT_WATCH_INTERVAL", "10", "Seconds between checks of the knowledge files."),
    Setting("STORYBOT_METRICS_PORT", "0", "Prometheus /metrics port in polling mode (0: off)."),
    Setting("STORYBOT_HEALTH_MAX_AGE", "120", "Seconds without a Bot API success = unhealthy."),
    Setting("STORYBOT_LOG_USER_IDS", "off", "Debugging only: include user ids in log lines."),
    Setting("STORYBOT_LOG_LEVEL", "INFO", "Logging level: DEBUG, INFO, WARNING, ERROR."),
    Setting("STORYBOT_LOG_FORMAT", "text", "Log line format: text or json."),
    Setting(
        "STORYBOT_TODAY",
        "",
        "The readers' date, YYYY-MM-DD, for tests and demos (default: the system clock).",
    ),
)


def bundled_knowledge() -> Path:
    """The project's knowledge/: beside the package in a checkout, inside it in a wheel."""
    checkout = Path(__file__).resolve().parent.parent / "knowledge"
    if (checkout / "faq.yaml").is_file():
        return checkout
    return Path(str(resources.files("bot") / "_knowledge"))


def _float(env: Mapping[str, str], name: str) -> float:
    raw = env.get(name) or _default(name)
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number between 0 and 1, not {raw!r}") from None
    if not 0 <= value <= 1:
        raise SettingsError(f"{name} must be between 0 and 1, not {raw!r}")
    return value


def _default(name: str) -> str:
    return next(s.default for s in SETTINGS if s.env == name)


def _switch(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or _default(name)).strip().lower()
    if raw not in _SWITCH:
        raise SettingsError(f"{name} must be on or off, not {raw!r}")
    return _SWITCH[raw]


def _number(env: Mapping[str, str], name: str, minimum: float) -> float:
    raw = (env.get(name) or _default(name)).strip()
    try:
        value = float(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise SettingsError(f"{name} must be a number of at least {minimum:g}, not {raw!r}")
    return value


def token_fault(token: str) -> str | None:
    """What is certainly wrong with a bot token, in words that do not repeat it; None if
    nothing is."""
    bot_id, colon, secret = token.partition(":")
    if not colon:
        return "it has no ':' between the bot id and the secret"
    if not _BOT_ID.fullmatch(bot_id):
        hint = " (leave out the 'bot' of the API URL)" if bot_id.lower().startswith("bot") else ""
        return f"the part before ':' must be the bot id, at least three digits{hint}"
    if not _SECRET.fullmatch(secret):
        return "the secret after ':' may only hold letters, digits, '_' and '-'"
    if len(secret) < MIN_SECRET_CHARS:
        return f"the secret after ':' has only {len(secret)} characters"
    return None


def _admins(raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise SettingsError(
                f"STORYBOT_ADMINS must be comma-separated numeric user ids; {part!r} is not one"
            )
        ids.add(int(part))
    return frozenset(ids)


def parse_today(raw: str, name: str) -> dt.date | None:
    """A pinned date (YYYY-MM-DD); None for an empty value."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a date as YYYY-MM-DD, not {raw!r}") from None


@dataclass(frozen=True, slots=True)
class Settings:
    """The resolved configuration of one process."""

    knowledge_dir: Path = field(default_factory=bundled_knowledge)
    token: str = field(default="", repr=False)
    admins: frozenset[int] = frozenset()
    api_base_url: str = PUBLIC_API_BASE_URL
    bands: Bands = field(default_factory=Bands)
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "telegram"
    rate_limit: bool = True
    data_dir: Path = Path("data")
    database_url: str = ""
    retention_days: int = 90
    conversation_minutes: float = 10.0
    context_secret: str = field(default="", repr=False)
    watch_knowledge: bool = False
    watch_interval: float = 10.0
    metrics_port: int = 0
    health_max_age: float = 120.0
    log_user_ids: bool = False
    log_level: str = "INFO"
    log_format: str = "text"
    # The readers' date pinned (STORYBOT_TODAY, --today); None: the system clock's date.
    today: dt.date | None = None

    def reader_today(self) -> dt.date:
        """The date answers are said as of: the pinned one, else today's on this machine.
        The one place the engine's ``today`` comes from."""
        return self.today or dt.date.today()

    @property
    def question_log_url(self) -> str:
        """The question log's database URL: the setting, or SQLite in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'storybot.sqlite3'}"

    @property
    def health_file(self) -> Path:
        """Where the running bot writes its heartbeat for `storybot health`."""
        return self.data_dir / "health.json"

    def require_token(self, source: str = "TELEGRAM_BOT_TOKEN") -> str:
        """The bot token, or SettingsError saying what is wrong with it and where it came from
        (``source``), never echoing the value."""
        if not self.token:
            raise SettingsError("no bot token: set TELEGRAM_BOT_TOKEN or pass --token-file FILE")
        fault = token_fault(self.token)
        if fault:
            raise SettingsError(f"the bot token in {source} is malformed: {fault}; {TOKEN_FORMAT}")
        return self.token

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read the environment (``os.environ`` by default); keyword overrides win."""
        env = os.environ if env is None else env
        knowledge = env.get("STORYBOT_KNOWLEDGE")
        port = env.get("STORYBOT_WEBHOOK_PORT", "8443")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"STORYBOT_WEBHOOK_PORT must be a port number, not {port!r}")
        answer = _float(env, "STORYBOT_ANSWER_THRESHOLD")
        suggest = _float(env, "STORYBOT_SUGGEST_THRESHOLD")
        if suggest > answer:
            raise SettingsError(
                "STORYBOT_SUGGEST_THRESHOLD must not be above STORYBOT_ANSWER_THRESHOLD"
            )
        log_format = env.get("STORYBOT_LOG_FORMAT", "text").lower()
        if log_format not in ("text", "json"):
            raise SettingsError(f"STORYBOT_LOG_FORMAT must be text or json, not {log_format!r}")
        settings = cls(
            knowledge_dir=Path(knowledge) if knowledge else bundled_knowledge(),
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            admins=_admins(env.get("STORYBOT_ADMINS", "")),
            api_base_url=env.get("STORYBOT_API_BASE_URL") or PUBLIC_API_BASE_URL,
            bands=Bands(answer=answer, suggest=suggest),
            webhook_url=env.get("STORYBOT_WEBHOOK_URL", ""),
            webhook_secret=env.get("STORYBOT_WEBHOOK_SECRET", ""),
            webhook_listen=env.get("STORYBOT_WEBHOOK_LISTEN", "127.0.0.1"),
            webhook_port=int(port),
            webhook_path=env.get("STORYBOT_WEBHOOK_PATH", "telegram").strip("/"),
            rate_limit=_switch(env, "STORYBOT_RATE_LIMIT"),
            data_dir=Path(env.get("STORYBOT_DATA_DIR") or "./data"),
            database_url=env.get("STORYBOT_DATABASE_URL", "").strip(),
            retention_days=int(_number(env, "STORYBOT_RETENTION_DAYS", minimum=1)),
            conversation_minutes=_number(env, "STORYBOT_CONVERSATION_MINUTES", minimum=0),
            context_secret=env.get("STORYBOT_CONTEXT_SECRET", ""),
            watch_knowledge=_switch(env, "STORYBOT_WATCH_KNOWLEDGE"),
            watch_interval=_number(env, "STORYBOT_WATCH_INTERVAL", minimum=0.1),
            metrics_port=int(_number(env, "STORYBOT_METRICS_PORT", minimum=0)),
            health_max_age=_number(env, "STORYBOT_HEALTH_MAX_AGE", minimum=1),
            log_user_ids=_switch(env, "STORYBOT_LOG_USER_IDS"),
            log_level=env.get("STORYBOT_LOG_LEVEL", "INFO").upper(),
            log_format=log_format,
            today=parse_today(env.get("STORYBOT_TODAY", ""), "STORYBOT_TODAY"),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})
