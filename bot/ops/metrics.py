"""Prometheus metrics of one running bot, on a registry of its own (tests run many bots)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.exposition import generate_latest

from bot.engine.model import Snapshot


class Metrics:
    """The counters and histograms the bot updates as it works."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "storybot_questions", "Questions handled, by outcome", ["outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.answer_seconds = Histogram(
            "storybot_answer_seconds",
            "From receiving a question to its reply being accepted by the Bot API",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.reloads = Counter(
            "storybot_reloads", "Knowledge reloads, by result", ["result"], registry=self.registry
        )
        self.api_errors = Counter(
            "storybot_bot_api_errors", "Failed Bot API calls, by kind", ["kind"],
            registry=self.registry,
        )  # fmt: skip
        self.last_api_success = Gauge(
            "storybot_last_api_success_timestamp_seconds",
            "Unix time of the last successful Bot API call",
            registry=self.registry,
        )
        self.knowledge = Info("storybot_knowledge", "The live knowledge", registry=self.registry)
        self.entries = Gauge(
            "storybot_knowledge_entries", "FAQ entries in the live knowledge",
            registry=self.registry,
        )  # fmt: skip
        # Busy groups and floods (bot/chat/dispatch.py).
        self.answers_throttled = Counter(
            "storybot_answers_throttled",
            "Answers that had to wait for their chat's flood budget",
            registry=self.registry,
        )
        self.answers_combined = Counter(
            "storybot_answers_combined",
            "Answers sent as a part of a combined message answering several askers",
            registry=self.registry,
        )
        self.combined_messages = Counter(
            "storybot_combined_messages", "Combined messages sent", registry=self.registry
        )
        self.answers_dropped = Counter(
            "storybot_answers_dropped",
            "Questions not answered on their own, by reason (flood: a newer question of the "
            "same reader replaced it; repeat: the same question seconds before; overflow: the "
            "queue was full; error: the send failed; shutdown: still waiting at exit)",
            ["reason"],
            registry=self.registry,
        )
        self.flood_notices = Counter(
            "storybot_flood_notices",
            "Readers told that only their latest question will be answered",
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "storybot_answer_queue_depth", "Answers waiting for a flood budget",
            registry=self.registry,
        )  # fmt: skip
        self.budget_wait_seconds = Histogram(
            "storybot_budget_wait_seconds",
            "How long a chat send waited for its flood budget",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.groups_at_budget = Counter(
            "storybot_groups_at_budget",
            "Times a group reached its budget of messages a minute",
            registry=self.registry,
        )
        self._last_success = 0.0

    def knowledge_loaded(self, snapshot: Snapshot) -> None:
        """Record the live knowledge version."""
        self.knowledge.info({"version": snapshot.version})
        self.entries.set(len(snapshot.entries))

    def api_success(self) -> None:
        """A Bot API call succeeded."""
        self._last_success = time.time()
        self.last_api_success.set(self._last_success)

    @property
    def last_success(self) -> float:
        """Unix time of the last successful Bot API call (0 if none yet)."""
        return self._last_success

    def exposition(self) -> bytes:
        """The metrics in Prometheus text format."""
        return generate_latest(self.registry)
