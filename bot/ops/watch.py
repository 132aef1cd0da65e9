"""Reload the knowledge when its files change (every replica of a cluster follows a ConfigMap)."""

from __future__ import annotations

import asyncio
import logging

from bot.chat.holder import KnowledgeHolder
from bot.engine.loader import content_hash

log = logging.getLogger(__name__)


async def watch_knowledge(holder: KnowledgeHolder, interval: float) -> None:
    """Poll the knowledge directory's content hash; reload when it changes. Runs until cancelled.

    A broken change is refused once and not retried until the files change again.
    """
    refused = None
    while True:
        await asyncio.sleep(interval)
        snapshot = holder.snapshot
        try:
            current = await asyncio.to_thread(
                content_hash, holder.directory, snapshot.sources.values()
            )
        except OSError as exc:
            log.warning("cannot read the knowledge directory: %s", exc)
            continue
        if current in (snapshot.version, refused):
            continue
        log.info("knowledge files changed (%s -> %s): reloading", snapshot.version, current)
        result = await holder.reload()
        refused = None if result.ok else current
