"""Logging set-up: one line per event, text or JSON, with secrets redacted everywhere.

The bot token is part of every Bot API URL, and httpx logs request URLs; tracebacks of network
errors can carry them too. Redaction happens on the final formatted line, so no code path
(ours, PTB's, httpx's) can leak the token into the logs.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TextIO

REDACTED = "[REDACTED]"


def redactor(secrets: Iterable[str]) -> Callable[[str], str]:
    """A function that replaces every secret (of 8 characters or more) in a text."""
    # Longest first, so a secret containing another is replaced whole.
    ordered = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def redact(text: str) -> str:
        for secret in ordered:
            text = text.replace(secret, REDACTED)
        return text

    return redact


class RedactingFormatter(logging.Formatter):
    """Formats a record, then replaces every secret in the result."""

    def __init__(self, secrets: Iterable[str], *, as_json: bool = False) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = redactor(secrets)
        self._as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        """One redacted line (tracebacks included), as text or as a JSON object."""
        if not self._as_json:
            return self.redact(super().format(record))
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("event", "outcome", "entry", "confidence", "chat_type", "version"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(entry, ensure_ascii=False, default=str))


def setup_logging(
    level: str = "INFO",
    log_format: str = "text",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Route all logging through one redacting handler; returns it (tests capture it)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets, as_json=log_format == "json"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and those URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    return handler
