"""The live knowledge: one Snapshot, replaced whole and atomically on reload.

Readers take ``holder.snapshot`` once per question and use that object throughout, so a question
being answered while a reload runs finishes on the old snapshot. Reloads parse and index off the
event loop and are serialised by a lock; a broken knowledge set never replaces a good one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.engine.loader import validate
from bot.engine.model import Problem, Snapshot
from bot.engine.overlay import EMPTY_OVERLAY, Overlay

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a reload changed, by entry id."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @classmethod
    def between(cls, old: Snapshot, new: Snapshot) -> Changes:
        """Entries added, removed, or changed (text, phrasings or cited quotes) from old to new."""
        added = sorted(new.entries.keys() - old.entries.keys())
        removed = sorted(old.entries.keys() - new.entries.keys())
        changed = sorted(
            entry_id
            for entry_id in old.entries.keys() & new.entries.keys()
            if old.entries[entry_id] != new.entries[entry_id]
            or old.citations_for(old.entries[entry_id]) != new.citations_for(new.entries[entry_id])
        )
        return cls(tuple(added), tuple(removed), tuple(changed))

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """The outcome of one reload attempt."""

    ok: bool
    snapshot: Snapshot  # the live snapshot after the attempt (the old one when it failed)
    seconds: float
    problems: tuple[Problem, ...] = ()
    changes: Changes = field(default_factory=Changes)


class KnowledgeHolder:
    """Holds the live snapshot and reloads it from its directory."""

    def __init__(
        self,
        snapshot: Snapshot,
        on_reload: Callable[[ReloadResult], None] | None = None,
        overlay: Callable[[], Overlay] | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._lock = asyncio.Lock()
        self._on_reload = on_reload
        # Reads the taught knowledge (from the database) on every reload.
        self._overlay = overlay
        self.loaded_at = datetime.now(UTC)

    def attach_overlay(self, overlay: Callable[[], Overlay]) -> None:
        """Read taught knowledge with ``overlay`` on every reload from now on (the database
        opens only once the bot has started)."""
        self._overlay = overlay

    @property
    def snapshot(self) -> Snapshot:
        """The live snapshot; take it once per question."""
        return self._snapshot

    @property
    def directory(self) -> Path:
        """Where the knowledge is read from."""
        return self._snapshot.directory

    def _validate(self) -> tuple[Snapshot | None, list[Problem]]:
        try:
            overlay = self._overlay() if self._overlay is not None else EMPTY_OVERLAY
        except OSError as exc:  # the database is down: the files, with the teachings last read
            log.warning("taught knowledge unavailable (%s); keeping the last read", exc)
            overlay = self._snapshot.overlay
        return validate(self.directory, overlay)

    async def reload(self) -> ReloadResult:
        """Re-read, validate and swap in the knowledge; keep the old one on any problem."""
        async with self._lock:
            started = time.perf_counter()
            new, problems = await asyncio.to_thread(self._validate)
            seconds = time.perf_counter() - started
            old = self._snapshot
            if new is None:
                log.warning("reload refused: %d problem(s); keeping %s", len(problems), old.version)
                result = ReloadResult(False, old, seconds, tuple(problems))
            else:
                self._snapshot = new  # one reference assignment: atomic for every reader
                self.loaded_at = datetime.now(UTC)
                result = ReloadResult(True, new, seconds, changes=Changes.between(old, new))
                log.info("knowledge reloaded: %s -> %s in %.3fs", old.version, new.version, seconds)
            if self._on_reload is not None:
                self._on_reload(result)
            return result
