"""Health: is the knowledge loaded and has the Bot API answered lately?

The running bot rewrites a small heartbeat file; `storybot health` (the container
HEALTHCHECK) reads it from another process, and webhook mode also serves the same report on
/healthz.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from bot.engine.model import Snapshot


def report(
    snapshot: Snapshot | None, last_api_success: float, max_age: float, replica: str = ""
) -> tuple[bool, dict[str, Any]]:
    """(healthy, details): healthy when knowledge is loaded and the API answered recently."""
    now = time.time()
    age = now - last_api_success if last_api_success else None
    healthy = snapshot is not None and age is not None and age <= max_age
    details = {
        "status": "ok" if healthy else "unhealthy",
        "knowledge_version": snapshot.version if snapshot else None,
        "entries": len(snapshot.entries) if snapshot else 0,
        "last_api_success_age_seconds": round(age, 1) if age is not None else None,
        "max_age_seconds": max_age,
        "replica": replica,
        "pid": os.getpid(),
        "time": now,
    }
    return healthy, details


def write_heartbeat(path: Path, details: dict[str, Any]) -> None:
    """Atomically replace the heartbeat file (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(details), encoding="utf-8")
    temporary.replace(path)


def check_heartbeat(path: Path, max_age: float) -> tuple[bool, str]:
    """(healthy, one-line reason) from the heartbeat file a running bot keeps fresh."""
    try:
        details = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False, f"no heartbeat at {path}: is the bot running?"
    except (OSError, ValueError) as exc:
        return False, f"unreadable heartbeat {path}: {exc}"
    written_age = time.time() - float(details.get("time", 0))
    if written_age > max_age:
        return False, f"heartbeat is {written_age:.0f}s old: the bot is stuck or stopped"
    if details.get("status") != "ok":
        api_age = details.get("last_api_success_age_seconds")
        return False, f"unhealthy: last Bot API success {api_age}s ago, knowledge " + str(
            details.get("knowledge_version")
        )
    return True, f"ok: knowledge {details.get('knowledge_version')}"
