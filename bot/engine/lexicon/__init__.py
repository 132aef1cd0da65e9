"""General vocabulary per language, shipped with the engine: synonym groups every story gets.

`<code>.yaml` holds a top-level ``groups:`` list; each group is a list of strings, its
canonical word first. Other top-level lists are words the language's rules read by name
(``lasting``). A story's ``synonyms.yaml`` adds its own names and words on top and wins
where the two disagree (see `bot.engine.loader`).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml


@cache
def _data(code: str) -> dict[str, Any]:
    resource = files(__package__) / f"{code}.yaml"
    if not resource.is_file():
        return {}
    # libyaml's loader when present: ten times faster than the pure-Python one (27 vs 270 ms).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(resource.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506


def groups(code: str) -> list[list[str]]:
    """The general synonym groups of language ``code`` (empty when it has no lexicon)."""
    return [[str(word) for word in group] for group in _data(code).get("groups") or []]


def word_list(code: str, name: str) -> list[str]:
    """A list of words the language's rules read (``lasting``: things that last, so "how
    long is" one of them asks a duration); empty when the lexicon has none."""
    return [str(word) for word in _data(code).get(name) or []]


def lexicon_bytes(code: str) -> bytes:
    """The lexicon file's bytes (part of a knowledge version: a new lexicon answers anew)."""
    resource = files(__package__) / f"{code}.yaml"
    return resource.read_bytes() if resource.is_file() else b""
