"""Building throwaway knowledge directories for tests: a copy of the bundled one, mutated."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from bot.engine.model import Problem

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "knowledge"
SOURCE_FILE = "sources/gli-2025-09-02-kim-train.txt"


def copy_knowledge(tmp_path: Path) -> Path:
    """A private copy of the bundled knowledge directory under ``tmp_path``."""
    target = tmp_path / "knowledge"
    shutil.copytree(BUNDLED, target)
    return target


def edit(directory: Path, name: str, old: str, new: str, *, regex: bool = False) -> None:
    """Replace the first occurrence of ``old`` (text or regex) in one file; it must be there."""
    path = directory / name
    text = path.read_text(encoding="utf-8")
    if regex:
        changed, count = re.subn(old, new, text, count=1, flags=re.MULTILINE)
    else:
        changed, count = text.replace(old, new, 1), text.count(old)
    assert count, f"{old!r} not found in {name}"
    path.write_text(changed, encoding="utf-8")


def line_of(directory: Path, name: str, needle: str, nth: int = 1) -> int:
    """The 1-based number of the ``nth`` line of a file that contains ``needle``."""
    lines = (directory / name).read_text(encoding="utf-8").splitlines()
    hits = [number for number, line in enumerate(lines, 1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} is on {len(hits)} line(s) of {name}, wanted #{nth}"
    return hits[nth - 1]


def problem(problems: list[Problem], file: str, line: int | None, text: str) -> Problem:
    """The problem of ``file`` at ``line`` whose message contains ``text``; fails listing all."""
    for candidate in problems:
        if candidate.file == file and candidate.line == line and text in candidate.message:
            return candidate
    listing = "\n".join(f"  {p}" for p in problems) or "  (none)"
    raise AssertionError(f"no problem {file}:{line} containing {text!r}; got:\n{listing}")
