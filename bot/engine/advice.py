"""The offline curator loop: for each question a knowledge set gets wrong, what to add.

For a question that should have been answered: the entry that should have answered (the one
whose answer and quotes hold what the question file expects, the closest such one first) and
the question's words that entry does not know, as a phrasing to paste under it and, for words
no entry knows, a synonym line to fill in. For a question that should have been declined: the
entry that answered, and the words a guard could stand for.
"""

from __future__ import annotations

from bot.engine.evaluation import Case, fold_expected
from bot.engine.model import Answer, Entry, Snapshot
from bot.engine.text import COMMON_WORDS, surface_words


def miss_advice(snapshot: Snapshot, case: Case, answer: Answer) -> list[str]:
    """Ready-to-paste lines for one missed case (empty when there is nothing to suggest)."""
    index = snapshot.index
    if case.expect == "abstain":
        if answer.entry is None:
            return []
        lacking = _lacking(snapshot, case.question, answer.entry)
        lines = [f"answered by {answer.entry.id} ({answer.entry.question!r})"]
        if lacking:
            lines.append(
                "if the story does not say this, guard the words it asks beyond that entry, "
                "in synonyms.yaml:"
            )
            aliases = ", ".join(lacking[1:])
            lines.append(f"  - canonical: {lacking[0]}\n    guard: true\n    aliases: [{aliases}]")
        return lines
    entry = expected_entry(snapshot, case, answer)
    if entry is None:
        return ["no entry's answer or quotes hold what the question file expects"]
    lacking = _lacking(snapshot, case.question, entry)
    lines = [f"should answer: {entry.id} ({entry.question!r})"]
    if lacking:
        lines.append(f"words {entry.id} does not know: {', '.join(lacking)}")
    lines.append(f"faq.yaml, under {entry.id}'s phrasings:\n      - {_phrasing(case.question)}")
    unknown = [word for word in lacking if not any(map(index.knows, index.analyse(word)))]
    for word in unknown:
        lines.append(
            f"synonyms.yaml, if {word!r} means a word the entry uses:\n"
            f"  - canonical: WORD-THE-ENTRY-USES\n    aliases: [{word}]"
        )
    return lines


def expected_entry(snapshot: Snapshot, case: Case, answer: Answer) -> Entry | None:
    """The entry that should have answered: of the entries whose answer and quotes hold every
    expected text, the one the matcher ranks highest (else the closest entry at all)."""
    ranked = [m.entry for m in snapshot.index.search(case.question, limit=len(snapshot.entries))]
    if not case.all:
        return answer.entry or (ranked[0] if ranked else None)
    holding = []
    for entry in snapshot.entries.values():
        said = fold_expected(
            " ".join([entry.answer, *(snapshot.facts[f].quote for f in entry.fact_ids)])
        )
        if all(any(fold_expected(o) in said for o in group) for group in case.all):
            holding.append(entry)
    if not holding:
        return None
    order = {entry.id: rank for rank, entry in enumerate(ranked)}
    return min(holding, key=lambda e: order.get(e.id, len(order)))


def _lacking(snapshot: Snapshot, question: str, entry: Entry) -> list[str]:
    """The question's words (as written) that the entry's phrasings, answer and quotes lack."""
    index = snapshot.index
    # Read in the whole question: "aaron" of "Aaron Judge" is part of a name the entry knows.
    missing = {
        t for t in index.analyse(question) if t[0] != "@" and not index.accounts_for(entry.id, t)
    }
    lacking = []
    for word in dict.fromkeys(surface_words(question)):
        if word in COMMON_WORDS:
            continue
        tokens = [t for t in index.analyse(word) if not t.startswith("@")]
        if missing.intersection(tokens):
            lacking.append(word)
    return lacking


def _phrasing(question: str) -> str:
    return " ".join(surface_words(question))
