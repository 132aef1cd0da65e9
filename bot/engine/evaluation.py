"""Question files (the format of dev_questions.yaml) -> accuracy per kind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.engine.answering import Bands, answer_question
from bot.engine.model import Answer, Snapshot

# Groups of kinds the targets may name besides the kinds themselves.
ANSWERABLE = "answerable"
ABSTAIN = "abstain"


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


def evaluate(
    snapshot: Snapshot,
    cases: Iterable[Case],
    bands: Bands | None = None,
    *,
    today: dt.date | None = None,
) -> Report:
    """Answer every case, as asked on ``today`` (None: the story's date), and judge it."""
    report = Report()
    for case in cases:
        answer = answer_question(snapshot, case.question, bands or Bands(), today=today)
        report.results.append((case, answer, case.judge(answer)))
    return report
