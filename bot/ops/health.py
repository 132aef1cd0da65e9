"""Health: is the knowledge loaded, has the Bot API answered lately, is the bot still running?

The running bot rewrites a small heartbeat file every `HEARTBEAT_SECONDS`; `storybot health`
(the container HEALTHCHECK) reads it from another process. The file names the process that
wrote it (pid, start time, boot id), so a bot that stopped is seen as stopped at once, even
when it was killed and could not remove the file; a bot that is alive but hung is seen once its
heartbeat is older than `STALE_SECONDS`. Webhook mode also answers /healthz (healthy or not,
nothing more) and /status (the details, for the private network only).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import time
from pathlib import Path
from typing import Any

from bot.engine.model import Snapshot

HEARTBEAT_SECONDS = 5
# Six missed heartbeats: long enough for a busy machine, short enough for a container restart.
STALE_SECONDS = 30


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


@functools.cache
def process_identity() -> dict[str, Any]:
    """What tells this process apart from a later one with the same pid (None: unknown here)."""
    pid = os.getpid()
    return {
        "pid": pid,
        "start_ticks": _start_ticks(pid),
        "boot_id": _read(Path("/proc/sys/kernel/random/boot_id")),
        "pid_namespace": _pid_namespace(),
    }


def is_running(identity: dict[str, Any]) -> bool | None:
    """Whether the process a heartbeat names still runs; None when this process cannot tell
    (another pid namespace, such as a different container)."""
    here = process_identity()
    recorded_boot, boot = identity.get("boot_id"), here["boot_id"]
    if recorded_boot and boot and recorded_boot != boot:
        return False  # the machine restarted since
    recorded_namespace = identity.get("pid_namespace")
    if recorded_namespace and recorded_namespace != here["pid_namespace"]:
        return None
    pid = identity.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    started = identity.get("start_ticks")
    now_started = _start_ticks(pid)
    # A different start time: the pid was reused by a newer process.
    return started is None or now_started is None or started == now_started


def write_heartbeat(path: Path, details: dict[str, Any]) -> None:
    """Atomically replace the heartbeat file (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    record = {**details, "process": process_identity()}
    temporary.write_text(json.dumps(record), encoding="utf-8")
    temporary.replace(path)


def remove_heartbeat(path: Path) -> None:
    """On a clean stop: remove the heartbeat if this process wrote it (a newer bot may own it)."""
    with contextlib.suppress(OSError, ValueError):
        written = json.loads(path.read_text(encoding="utf-8")).get("process") or {}
        if written == process_identity():
            path.unlink()


def check_heartbeat(path: Path, max_age: float) -> tuple[bool, str]:
    """(healthy, one-line reason) from the heartbeat file a running bot keeps fresh;
    ``max_age`` is the oldest acceptable Bot API success, in seconds."""
    try:
        details = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False, f"no heartbeat at {path}: is the bot running?"
    except (OSError, ValueError) as exc:
        return False, f"unreadable heartbeat {path}: {exc}"
    if not isinstance(details, dict):
        return False, f"unreadable heartbeat {path}: not a JSON object"
    written_age = time.time() - float(details.get("time") or 0)
    process = details.get("process")
    if isinstance(process, dict) and is_running(process) is False:
        return False, (
            f"the bot is not running: process {process.get('pid')} that wrote {path} "
            f"{written_age:.0f}s ago has stopped"
        )
    if written_age > STALE_SECONDS:
        return False, (
            f"heartbeat is {written_age:.0f}s old (rewritten every {HEARTBEAT_SECONDS}s): "
            "the bot is stuck or stopped"
        )
    api_age = details.get("last_api_success_age_seconds")
    version = details.get("knowledge_version")
    if not version or api_age is None or api_age + written_age > max_age:
        last = "never" if api_age is None else f"{api_age + written_age:.0f}s ago"
        return False, f"unhealthy: last Bot API success {last}, knowledge {version}"
    return True, f"ok: knowledge {version}"


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), or None."""
    stat = _read(Path(f"/proc/{pid}/stat"))
    if stat is None:
        return None
    # Fields after the command name (in parentheses, which may hold spaces): state is
    # field 3, starttime field 22.
    fields = stat.rpartition(")")[2].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
