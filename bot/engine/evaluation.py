"""Question files and conversation files (the formats: README.md, "Question files") ->
accuracy per kind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine.answering import Bands, answer_question
from bot.engine.followup import Turn, next_turn
from bot.engine.languages import CODES
from bot.engine.model import Answer, Snapshot
from bot.engine.text import fold_accents
from bot.engine.yamlfile import YamlList, read_yaml

# Groups of kinds the targets may name besides the kinds themselves.
ANSWERABLE = "answerable"
ABSTAIN = "abstain"
# The kinds of a conversation's turns: the first question, a follow-up, a new question in
# the middle, and a follow-up the story does not answer (to be declined).
TURN_KINDS = ("open", "follow", "switch", "nearmiss")
DEFAULT_LANG = "en"  # the language of a question without 'lang'


@dataclass(frozen=True, slots=True)
class Case:
    """One question with what a correct reply must contain, or that the bot must abstain."""

    question: str
    expect: str  # "answer" or "abstain"
    kind: str
    topic: str | None = None
    all: tuple[tuple[str, ...], ...] = ()
    # The language the question is asked in: the reply (answer or decline) must be in it.
    lang: str | None = None

    def judge(self, answer: Answer) -> bool:
        """True when the answer is what the case asks for (in the case's language)."""
        if self.lang is not None and answer.language != self.lang:
            return False
        if self.expect == "abstain":
            return not answer.answered
        if not answer.answered:
            return False
        said = fold_expected(
            " ".join([answer.text or "", *(c.quote for c in answer.all_citations)])
        )
        return all(any(fold_expected(option) in said for option in group) for group in self.all)


@dataclass
class Report:
    """Results of one evaluation run."""

    results: list[tuple[Case, Answer, bool]] = field(default_factory=list)

    def rate(self, group: str) -> tuple[int, int]:
        """(correct, total) for a kind, or for the groups 'answerable' and 'abstain'."""
        chosen = [ok for case, _, ok in self.results if _in_group(case, group)]
        return sum(chosen), len(chosen)

    def groups(self) -> list[str]:
        """Kinds present, answerable ones first, then the aggregate groups; with questions
        in more than one language (or any marked with ``lang``), each language's answerable
        and abstain groups ("ru:answerable")."""
        kinds = dict.fromkeys(c.kind for c, _, _ in self.results)
        codes = dict.fromkeys(c.lang or DEFAULT_LANG for c, _, _ in self.results)
        marked = any(c.lang for c, _, _ in self.results)
        by_language = [
            f"{code}:{group}"
            for code in (codes if marked else ())
            for group in (ANSWERABLE, ABSTAIN)
            if any(_in_group(c, f"{code}:{group}") for c, _, _ in self.results)
        ]
        return [*kinds, ANSWERABLE, ABSTAIN, *by_language]

    def misses(self) -> list[tuple[Case, Answer]]:
        """The cases the bot got wrong."""
        return [(case, answer) for case, answer, ok in self.results if not ok]


def _in_group(case: Case, group: str) -> bool:
    code, _, rest = group.rpartition(":")
    if code:  # "ru:answerable": the group among the questions in that language
        return (case.lang or DEFAULT_LANG) == code and _in_group(case, rest)
    if group == ANSWERABLE:
        return case.expect == "answer"
    if group == ABSTAIN:
        return case.expect == "abstain"
    return case.kind == group


def fold_expected(text: str) -> str:
    """Text as an expected answer is compared: case, accents ("Maori" finds "Māori") and
    spacing aside."""
    return " ".join(fold_accents(text.casefold()).split())


class QuestionFileError(ValueError):
    """A question file cannot be used; the message names the file, and the question and line."""


def load_cases(path: Path) -> list[Case]:
    """Read a question file (the format: README.md, "Question files"); QuestionFileError
    naming the file, and the question and its line, when something is wrong."""
    data, problems = read_yaml(Path(path), str(path))
    if problems:
        raise QuestionFileError(str(problems[0]))
    if data is None:
        return []
    if not isinstance(data, YamlList):
        line = getattr(data, "line", 1)
        raise QuestionFileError(f"{path}:{line}: expected a list of questions, one '- q: ...' each")
    return [
        _case(item, f"{path}: question {number} (line {line})")
        for number, (item, line) in enumerate(zip(data, data.item_lines, strict=True), 1)
    ]


def _case(item: Any, where: str) -> Case:
    if not isinstance(item, dict) or not isinstance(item.get("q"), str):
        raise QuestionFileError(f"{where}: needs a 'q' text")
    expect = item.get("expect", "answer")
    if expect not in ("answer", "abstain"):
        raise QuestionFileError(f"{where}: expect must be 'answer' or 'abstain', not {expect!r}")
    groups = item.get("all") or []
    if not isinstance(groups, list) or not all(isinstance(g, list) and g for g in groups):
        raise QuestionFileError(
            f"{where}: 'all' must be a list of groups, each a list of strings, "
            "e.g. all: [[monday], [train, rail]]"
        )
    if expect == "answer" and not groups:
        raise QuestionFileError(
            f"{where}: an answerable question needs 'all' groups (or expect: abstain)"
        )
    lang = item.get("lang")
    if lang is not None and lang not in CODES:
        raise QuestionFileError(f"{where}: lang must be one of {', '.join(CODES)}, not {lang!r}")
    return Case(
        lang=lang,
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


@dataclass(frozen=True, slots=True)
class Conversation:
    """Questions asked in order in one chat, each judged as a case."""

    id: str
    turns: tuple[Case, ...]


def _read_list(path: Path, what: str) -> YamlList:
    """The file's top-level list; QuestionFileError naming the file and line otherwise."""
    data, problems = read_yaml(Path(path), str(path))
    if problems:
        raise QuestionFileError(str(problems[0]))
    if data is None:
        return YamlList()
    if not isinstance(data, YamlList):
        line = getattr(data, "line", 1)
        raise QuestionFileError(f"{path}:{line}: expected a list of {what}")
    return data


def is_conversation_file(path: Path) -> bool:
    """True when the file holds conversations (items with ``turns``), not questions."""
    data = _read_list(path, "questions or conversations")
    return any(isinstance(item, dict) and "turns" in item for item in data)


def load_conversations(path: Path) -> list[Conversation]:
    """Read a conversation file; QuestionFileError naming the file, the conversation, the turn
    and its line when something is wrong."""
    data = _read_list(path, "conversations, one '- id: ...' with 'turns' each")
    conversations = []
    for number, (item, line) in enumerate(zip(data, data.item_lines, strict=True), 1):
        if not isinstance(item, dict) or not isinstance(item.get("turns"), YamlList):
            raise QuestionFileError(f"{path}: conversation {number} (line {line}): needs 'turns'")
        name = str(item.get("id", number))
        turns = []
        for turn_number, (turn, turn_line) in enumerate(
            zip(item["turns"], item["turns"].item_lines, strict=True), 1
        ):
            where = f"{path}: conversation {name}, turn {turn_number} (line {turn_line})"
            kind = turn.get("kind", "follow") if isinstance(turn, dict) else None
            if kind not in TURN_KINDS:
                raise QuestionFileError(f"{where}: kind must be one of {', '.join(TURN_KINDS)}")
            expect = "abstain" if kind == "nearmiss" else "answer"
            turns.append(_case({**turn, "expect": expect}, where))
        conversations.append(Conversation(name, tuple(turns)))
    return conversations


def evaluate_conversations(
    snapshot: Snapshot,
    conversations: Iterable[Conversation],
    bands: Bands | None = None,
    today: dt.date | None = None,
) -> Report:
    """Ask each conversation's turns in order, each read with the one before, as asked on
    ``today`` (None: the story's date), and judge them."""
    report = Report()
    for conversation in conversations:
        context: Turn | None = None
        for case in conversation.turns:
            answer = answer_question(
                snapshot, case.question, bands or Bands(), context=context, today=today
            )
            context = next_turn(answer, snapshot)
            report.results.append((case, answer, case.judge(answer)))
    return report
