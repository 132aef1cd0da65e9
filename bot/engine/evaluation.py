"""Question files (the format of dev_questions.yaml) and conversation files (the format of
dev_conversations.yaml) -> accuracy per kind."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.engine.answering import Bands, answer_question
from bot.engine.followup import Turn, next_turn
from bot.engine.model import Answer, Snapshot

# Groups of kinds the targets may name besides the kinds themselves.
ANSWERABLE = "answerable"
ABSTAIN = "abstain"
# The kinds of a conversation's turns: the first question, a follow-up, a new question in
# the middle, and a follow-up the story does not answer (to be declined).
TURN_KINDS = ("open", "follow", "switch", "nearmiss")


@dataclass(frozen=True, slots=True)
class Case:
    """One question with what a correct reply must contain, or that the bot must abstain."""

    question: str
    expect: str  # "answer" or "abstain"
    kind: str
    topic: str | None = None
    all: tuple[tuple[str, ...], ...] = ()

    def judge(self, answer: Answer) -> bool:
        """True when the answer is what the case asks for."""
        if self.expect == "abstain":
            return not answer.answered
        if not answer.answered:
            return False
        said = _fold(" ".join([answer.text or "", *(c.quote for c in answer.all_citations)]))
        return all(any(_fold(option) in said for option in group) for group in self.all)


@dataclass
class Report:
    """Results of one evaluation run."""

    results: list[tuple[Case, Answer, bool]] = field(default_factory=list)

    def rate(self, group: str) -> tuple[int, int]:
        """(correct, total) for a kind, or for the groups 'answerable' and 'abstain'."""
        chosen = [ok for case, _, ok in self.results if _in_group(case, group)]
        return sum(chosen), len(chosen)

    def groups(self) -> list[str]:
        """Kinds present, answerable ones first, then the aggregate groups."""
        kinds = dict.fromkeys(c.kind for c, _, _ in self.results)
        return [*kinds, ANSWERABLE, ABSTAIN]

    def misses(self) -> list[tuple[Case, Answer]]:
        """The cases the bot got wrong."""
        return [(case, answer) for case, answer, ok in self.results if not ok]


def _in_group(case: Case, group: str) -> bool:
    if group == ANSWERABLE:
        return case.expect == "answer"
    if group == ABSTAIN:
        return case.expect == "abstain"
    return case.kind == group


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def load_cases(path: Path) -> list[Case]:
    """Read a question file; ValueError naming the item when one is malformed."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of questions")
    return [_case(item, number) for number, item in enumerate(data, 1)]


def _case(item: Any, number: int) -> Case:
    if not isinstance(item, dict) or not isinstance(item.get("q"), str):
        raise ValueError(f"question {number}: needs a 'q' text")
    expect = item.get("expect", "answer")
    if expect not in ("answer", "abstain"):
        raise ValueError(f"question {number}: expect must be 'answer' or 'abstain'")
    groups = item.get("all") or []
    if expect == "answer" and not groups:
        raise ValueError(f"question {number}: an answerable question needs 'all' groups")
    return Case(
        question=item["q"],
        expect=expect,
        kind=str(item.get("kind", "paraphrase")),
        topic=item.get("topic"),
        all=tuple(tuple(str(option) for option in group) for group in groups),
    )


def evaluate(snapshot: Snapshot, cases: Iterable[Case], bands: Bands | None = None) -> Report:
    """Answer every case and judge it."""
    report = Report()
    for case in cases:
        answer = answer_question(snapshot, case.question, bands or Bands())
        report.results.append((case, answer, case.judge(answer)))
    return report


@dataclass(frozen=True, slots=True)
class Conversation:
    """Questions asked in order in one chat, each judged as a case."""

    id: str
    turns: tuple[Case, ...]


def is_conversation_file(path: Path) -> bool:
    """True when the file holds conversations (items with ``turns``), not questions."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return isinstance(data, list) and any(isinstance(i, dict) and "turns" in i for i in data)


def load_conversations(path: Path) -> list[Conversation]:
    """Read a conversation file; ValueError naming the conversation and turn when malformed."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of conversations")
    conversations = []
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("turns"), list):
            raise ValueError(f"conversation {number}: needs a list of 'turns'")
        name = str(item.get("id", number))
        turns = []
        for turn_number, turn in enumerate(item["turns"], 1):
            kind = turn.get("kind", "follow") if isinstance(turn, dict) else None
            if kind not in TURN_KINDS:
                raise ValueError(
                    f"conversation {name}, turn {turn_number}: kind must be one of "
                    f"{', '.join(TURN_KINDS)}"
                )
            expect = "abstain" if kind == "nearmiss" else "answer"
            try:
                turns.append(_case({**turn, "expect": expect}, turn_number))
            except ValueError as exc:
                raise ValueError(f"conversation {name}, {exc}") from None
        conversations.append(Conversation(name, tuple(turns)))
    return conversations


def evaluate_conversations(
    snapshot: Snapshot, conversations: Iterable[Conversation], bands: Bands | None = None
) -> Report:
    """Ask each conversation's turns in order, each read with the one before, and judge them."""
    report = Report()
    for conversation in conversations:
        context: Turn | None = None
        for case in conversation.turns:
            answer = answer_question(snapshot, case.question, bands or Bands(), context=context)
            context = next_turn(answer)
            report.results.append((case, answer, case.judge(answer)))
    return report
