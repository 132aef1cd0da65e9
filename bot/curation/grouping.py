"""Unanswered questions grouped by meaning, through the engine's own analysis.

Two questions are one group when the words the matcher reads in them (typos corrected,
synonyms applied, stems, the question's focus) mostly agree, weighted the way the matcher
weighs them: "how long is the armored train" and "What is the length of Kim's train?" share
the rare words (length, train) and differ only in common ones. Without a knowledge index the
questions are compared as plain analysed words, give or take a slip of the keyboard.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, utils

from bot.engine.matcher import MatchIndex
from bot.engine.model import QUESTION_OUTCOMES
from bot.engine.text import analyse

# Weighted overlap (Dice) of two questions' meanings at which they are one group.
SAME_MEANING = 0.75
# token_sort_ratio of the plain analysed words at which two questions are one (slips).
SIMILARITY = 85
EXAMPLES = 5  # phrasings a group keeps for teaching, commonest first

Row = tuple[str, str, str | None, int | None, str]  # question, outcome, entry, helpful, asked_at


@dataclass(frozen=True, slots=True)
class UnansweredGroup:
    """Questions that mean the same and that the bot did not answer well, as one report line."""

    question: str  # the commonest phrasing
    count: int
    outcomes: dict[str, int]  # outcome -> rows
    unhelpful: int  # rows answered but rated 👎
    variants: int  # distinct phrasings
    closest_entry: str | None  # the entry most often matched or suggested
    last_asked: str
    examples: tuple[str, ...] = ()  # distinct phrasings, commonest first (at most EXAMPLES)


@dataclass(frozen=True, slots=True)
class _Meaning:
    """One question as grouping compares it."""

    weights: dict[str, float]  # meaning token -> how much it says (the matcher's weight)
    plain: str  # the analysed words without the knowledge, for slips the index can't fix

    @property
    def total(self) -> float:
        return sum(self.weights.values())


def meaning_key(question: str, index: MatchIndex | None = None) -> frozenset[str]:
    """The words that stand for what ``question`` asks, as the matcher reads them.

    A question's focus ("how long" -> "@length") and the noun it stands for ("length") are the
    same token here, so "how long is it" and "what is its length" agree.
    """
    tokens = index.analyse(question) if index is not None else analyse(question)
    return frozenset(t.lstrip("@") for t in tokens)


def _meaning(question: str, index: MatchIndex | None) -> _Meaning:
    tokens = index.analyse(question) if index is not None else analyse(question)
    weights: dict[str, float] = {}
    for token in tokens:
        weight = index.weight(token) if index is not None else 1.0
        key = token.lstrip("@")
        weights[key] = max(weights.get(key, 0.0), weight)
    return _Meaning(weights, " ".join(analyse(question)) or utils.default_process(question))


def similarity(a: _Meaning, b: _Meaning) -> float:
    """Weighted Dice overlap of two meanings in [0, 1]."""
    total = a.total + b.total
    if not total:
        return 0.0
    shared = sum(a.weights[t] + b.weights[t] for t in a.weights.keys() & b.weights.keys())
    return shared / total


def _same(a: _Meaning, b: _Meaning) -> bool:
    if similarity(a, b) >= SAME_MEANING:
        return True
    return fuzz.token_sort_ratio(a.plain, b.plain) >= SIMILARITY


def same_meaning(question: str, other: str, index: MatchIndex | None = None) -> bool:
    """True when two questions would be one group."""
    return _same(_meaning(question, index), _meaning(other, index))


def group_questions(rows: Sequence[Row], index: MatchIndex | None = None) -> list[UnansweredGroup]:
    """Cluster (question, outcome, entry, helpful, asked_at) rows by meaning, commonest first."""
    by_question: dict[str, list[Row]] = {}
    for row in rows:
        by_question.setdefault(row[0], []).append(row)
    meanings = {q: _meaning(q, index) for q in by_question}
    # The same meaning tokens are one key: each distinct meaning is compared once.
    by_key: dict[frozenset[str], list[str]] = {}
    for question, meaning in meanings.items():
        by_key.setdefault(frozenset(meaning.weights), []).append(question)

    def size(key: frozenset[str]) -> int:
        return sum(len(by_question[q]) for q in by_key[key])

    # Commonest meanings seed the groups; the rest join the first seed they mean the same as
    # (greedy, so linear in the number of groups, and no chain of small steps drifts to
    # another question).
    seeds: list[_Meaning] = []
    members: list[list[frozenset[str]]] = []
    for key in sorted(by_key, key=lambda k: (-size(k), sorted(k))):
        meaning = meanings[min(by_key[key])]
        for number, seed in enumerate(seeds):
            if _same(seed, meaning):
                members[number].append(key)
                break
        else:
            seeds.append(meaning)
            members.append([key])
    groups = [_group(by_question, [q for key in keys for q in by_key[key]]) for keys in members]
    groups.sort(key=lambda g: (-g.count, g.question))
    return groups


def _group(by_question: dict[str, list[Row]], questions: list[str]) -> UnansweredGroup:
    grouped = [row for question in questions for row in by_question[question]]
    phrasings = Counter(row[0] for row in grouped)
    outcomes = Counter(row[1] for row in grouped)
    entries = Counter(row[2] for row in grouped if row[2])
    # The commonest phrasing names the group; of equals, the shortest reads best.
    ranked = sorted(phrasings, key=lambda q: (-phrasings[q], len(q), q))
    return UnansweredGroup(
        question=ranked[0],
        count=len(grouped),
        outcomes={o.value: outcomes[o.value] for o in QUESTION_OUTCOMES if outcomes[o.value]},
        unhelpful=sum(row[3] == 0 for row in grouped),
        variants=len(phrasings),
        closest_entry=entries.most_common(1)[0][0] if entries else None,
        last_asked=max(row[4] for row in grouped),
        examples=tuple(ranked[:EXAMPLES]),
    )
