"""The match index: question -> entries ranked by a confidence in [0, 1].

Confidence answers "how much of what this question asks does this entry account for?":

* coverage: the share of the question's information (content words weighted by inverse entry
  frequency, so "hwasong" counts far more than "kim") that the entry's phrasings cover; words
  only in the entry's answer count three quarters. A word no entry knows ("payload", "heavy")
  weighs as much as the rarest known word, so a question about something the story does not
  say stays low even when its other words match well.
* closeness: how closely the question matches the entry's single best phrasing, by weighted
  word overlap and by rapidfuzz's token-sort ratio (which forgives leftover spelling slips).

confidence = 0.6 * coverage + 0.25 * overlap + 0.15 * fuzzy.  Around 1.0 the question is one
of the phrasings; at 0.5 half of what it asks is unaccounted for.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.engine.model import Entry
from bot.engine.text import Synonyms, Vocabulary, analyse, words

ANSWER_WORD_CREDIT = 0.75
FOCUS_WEIGHT = 0.8  # question focus ("@when") weighs a little less than a content word
CANDIDATES = 12
COVERAGE_SHARE, OVERLAP_SHARE, FUZZY_SHARE = 0.6, 0.25, 0.15


@dataclass(frozen=True, slots=True)
class Match:
    """One entry's score for one question."""

    entry: Entry
    confidence: float
    coverage: float
    closeness: float


@dataclass(frozen=True, slots=True)
class _Phrasing:
    tokens: frozenset[str]
    sorted_text: str


class MatchIndex:
    """Immutable inverted index from content stems to entries, with per-stem weights."""

    __slots__ = (
        "_entries",
        "_phrasings",
        "_postings",
        "_strong",
        "_unknown_weight",
        "_weights",
        "synonyms",
        "vocabulary",
    )

    def __init__(
        self,
        entries: list[Entry],
        phrasings: list[list[_Phrasing]],
        strong: list[frozenset[str]],
        postings: dict[str, tuple[int, ...]],
        synonyms: Synonyms,
        vocabulary: Vocabulary,
    ) -> None:
        self._entries = entries
        self._phrasings = phrasings
        self._strong = strong
        self._postings = postings
        self.synonyms = synonyms
        self.vocabulary = vocabulary
        total = len(entries)
        self._weights = {
            token: _idf(total, len(ids)) * (FOCUS_WEIGHT if token.startswith("@") else 1.0)
            for token, ids in postings.items()
        }
        self._unknown_weight = _idf(total, 0.5)

    @classmethod
    def build(cls, entries: Iterable[Entry], synonyms: Synonyms) -> MatchIndex:
        """Index the entries' phrasings (strong words) and answers (weak words)."""
        entries = list(entries)
        surface: Counter[str] = Counter()
        for entry in entries:
            for text in (entry.question, *entry.phrasings, entry.answer):
                surface.update(w for w in words(text) if not w.startswith("@"))
        for phrase in synonyms.phrases:
            surface.update(phrase)
        vocabulary = Vocabulary(surface)

        postings: dict[str, list[int]] = {}
        strong_sets, phrasing_lists = [], []
        for number, entry in enumerate(entries):
            phrasings = []
            for text in (entry.question, *entry.phrasings):
                tokens = analyse(text, synonyms)
                phrasings.append(_Phrasing(frozenset(tokens), " ".join(sorted(tokens))))
            strong = frozenset().union(*(p.tokens for p in phrasings))
            weak = frozenset(analyse(entry.answer, synonyms)) - strong
            for token in strong | weak:
                postings.setdefault(token, []).append(number)
            strong_sets.append(strong)
            phrasing_lists.append(phrasings)
        frozen = {token: tuple(ids) for token, ids in postings.items()}
        return cls(entries, phrasing_lists, strong_sets, frozen, synonyms, vocabulary)

    def analyse(self, question: str) -> list[str]:
        """The question's content stems, deduplicated, in order."""
        return list(dict.fromkeys(analyse(question, self.synonyms, self.vocabulary)))

    def weight(self, token: str) -> float:
        """How much a stem says about which entry is meant (unknown stems weigh most)."""
        return self._weights.get(token, self._unknown_weight)

    def search(self, question: str, limit: int = 5) -> list[Match]:
        """Entries ranked by confidence, best first; empty when nothing overlaps."""
        tokens = self.analyse(question)
        if not tokens:
            return []
        weights = {t: self.weight(t) for t in tokens}
        total = sum(weights.values())
        scores: dict[int, float] = {}
        for token, weight in weights.items():
            for number in self._postings.get(token, ()):
                credit = 1.0 if token in self._strong[number] else ANSWER_WORD_CREDIT
                scores[number] = scores.get(number, 0.0) + weight * credit
        best = sorted(scores.items(), key=lambda item: -item[1])[:CANDIDATES]
        query_set, query_text = frozenset(tokens), " ".join(sorted(tokens))
        matches = []
        for number, covered in best:
            coverage = covered / total
            overlap = max(
                2 * self._sum(weights, query_set & p.tokens) / (total + self._sum_tokens(p.tokens))
                for p in self._phrasings[number]
            )
            fuzzy = process.extractOne(
                query_text,
                [p.sorted_text for p in self._phrasings[number]],
                scorer=fuzz.ratio,
            )[1] / 100
            closeness = (OVERLAP_SHARE * overlap + FUZZY_SHARE * fuzzy) / (
                OVERLAP_SHARE + FUZZY_SHARE
            )
            confidence = COVERAGE_SHARE * coverage + (1 - COVERAGE_SHARE) * closeness
            matches.append(Match(self._entries[number], min(confidence, 1.0), coverage, closeness))
        matches.sort(key=lambda m: -m.confidence)
        return matches[:limit]

    @staticmethod
    def _sum(weights: dict[str, float], tokens: Iterable[str]) -> float:
        return sum(weights[t] for t in tokens)

    def _sum_tokens(self, tokens: Iterable[str]) -> float:
        return sum(self.weight(t) for t in tokens)

    def __len__(self) -> int:
        return sum(len(p) for p in self._phrasings)


def _idf(total: int, frequency: float) -> float:
    return math.log((total + 1) / (frequency + 0.5)) + 0.1
