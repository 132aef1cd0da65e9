"""General vocabulary per language, shipped with the engine: synonym groups every story gets.

`<code>.yaml` holds a top-level ``groups:`` list; each group is a list of strings, its
canonical word first. A story's ``synonyms.yaml`` adds its own names and words on top and wins
where the two disagree (see `bot.engine.loader`).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml


@cache
def groups(code: str) -> list[list[str]]:
    """The general synonym groups of language ``code`` (empty when it has no lexicon)."""
    resource = files(__package__) / f"{code}.yaml"
    if not resource.is_file():
        return []
    data = yaml.safe_load(resource.read_text(encoding="utf-8")) or {}
    return [[str(word) for word in group] for group in data.get("groups") or []]


def lexicon_bytes(code: str) -> bytes:
    """The lexicon file's bytes (part of a knowledge version: a new lexicon answers anew)."""
    resource = files(__package__) / f"{code}.yaml"
    return resource.read_bytes() if resource.is_file() else b""
