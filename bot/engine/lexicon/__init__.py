"""General vocabulary per language (not a story's words): synonym groups in ``<code>.yaml``.

A story's own names and words stay in its knowledge (``synonyms.yaml``, the ``synonyms`` of
``i18n/<code>.yaml``); on conflict the story wins.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml


@cache
def groups(code: str) -> list[list[str]]:
    """The synonym groups of language ``code`` (lists of words, the first canonical); an
    empty list when the language has no lexicon file."""
    resource = files(__name__) / f"{code}.yaml"
    if not resource.is_file():
        return []
    data = yaml.safe_load(resource.read_text(encoding="utf-8")) or {}
    return [[str(word) for word in group] for group in data.get("groups", [])]
