"""English: the rules of ``bot.engine.text`` (focus, stopwords, chat spellings, framing,
Snowball stems, the spell checker) behind the analyser interface."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.engine.text import (
    PREMISE_WORDS,
    Synonyms,
    Vocabulary,
    analyse,
    analyse_surface,
    asked_for,
    asking_part,
    asks_yes_no,
    chat_kind,
    is_small_talk,
    measure_units,
    message_parts,
    question_clauses,
    states_amount,
    stem,
    surface_words,
)

CODE = "en"
PREMISE_STEMS: frozenset[str] = frozenset(stem(w) for w in PREMISE_WORDS)
# After the story: bot.engine.timeline's English rules.
OUTCOME = STRICTLY_AFTER = None

__all__ = [
    "CODE",
    "PREMISE_STEMS",
    "analyse",
    "analyse_surface",
    "asked_for",
    "asking_part",
    "asks_yes_no",
    "chat_kind",
    "is_small_talk",
    "measure_units",
    "message_parts",
    "question_clauses",
    "states_amount",
    "surface_words",
    "synonyms",
    "unknown_share",
    "vocabulary",
]


def synonyms(groups: Iterable[Iterable[str]]) -> Synonyms:
    """Synonym groups, the first word of each canonical, as English text reads them."""
    pairs = []
    for group in groups:
        canonical, *aliases = group
        pairs.append((canonical, aliases))
    return Synonyms.build(pairs)


def vocabulary(counts: Mapping[str, int]) -> Vocabulary:
    """English typo correction: misspellings only, real English words kept."""
    return Vocabulary(counts)


def unknown_share(token: str) -> float:
    """An unknown word weighs fully: a word no entry knows is a topic the story may lack."""
    del token
    return 1.0
