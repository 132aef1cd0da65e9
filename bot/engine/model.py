"""The knowledge and answers as immutable values, shared freely across asyncio tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from bot.engine.overlay import Overlay

if TYPE_CHECKING:
    from bot.engine.matcher import MatchIndex


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the knowledge, located as precisely as we can."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class KnowledgeError(Exception):
    """Raised when a knowledge set has problems; carries all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the knowledge:\n{lines}")


@dataclass(frozen=True, slots=True)
class Source:
    """A published text facts are quoted from."""

    id: str
    title: str
    publisher: str
    date: str
    url: str | None
    language: str
    file: str
    text: str
    uncovered_ok: tuple[str, ...] = ()

    def to_json(self, directory: Path) -> dict[str, Any]:
        """The source as `storybot sources --json` lists it; ``file`` under ``directory``."""
        return {
            "id": self.id,
            "title": self.title,
            "publisher": self.publisher,
            "date": self.date,
            "url": self.url,
            "language": self.language,
            "file": str(directory / self.file),
        }


@dataclass(frozen=True, slots=True)
class Fact:
    """One statement and the exact words of its source that prove it."""

    id: str
    source_id: str
    statement: str
    quote: str  # as it stands in the source text, whatever quote marks the YAML used
    updates: str | None = None  # the older fact this one supersedes ("set for" -> "took place")
    when: dt.date | None = None  # the day it happens on, when the source says
    said_by: str | None = None  # who the source attributes the claim to; None: the source


def by_source(citations: Sequence[Citation]) -> list[list[int]]:
    """The citations' indexes grouped by source, in order: each source is named once, after
    all the quotes taken from it."""
    groups: dict[str, list[int]] = {}
    for index, citation in enumerate(citations):
        groups.setdefault(citation.source, []).append(index)
    return list(groups.values())


@dataclass(frozen=True, slots=True)
class Entry:
    """An FAQ entry: the questions it answers, the answer, and the facts behind it."""

    id: str
    question: str
    phrasings: tuple[str, ...]
    answer: str
    fact_ids: tuple[str, ...]
    related: tuple[str, ...]
    gives_reason: bool = False  # the answer says why: only such entries answer a "why"
    # The answer once the reader's day is past the entry's event ("was set for Wednesday").
    answer_after: str | None = None
    # What the answer is about ("the parade"): named when the story cannot say how it went.
    about: str | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """Where an answer comes from, in the shape of the `--json` contract."""

    source: str
    title: str
    publisher: str
    date: str
    url: str | None
    quote: str
    language: str = "en"  # the source's: a reply in another language labels the quote

    def to_json(self) -> dict[str, Any]:
        """The citation as a JSON-ready dict (stable contract)."""
        return {
            "source": self.source,
            "title": self.title,
            "publisher": self.publisher,
            "date": self.date,
            "url": self.url,
            "quote": self.quote,
        }


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An entry offered as "did you mean" or as a related question."""

    entry: str
    question: str

    def to_json(self) -> dict[str, str]:
        """The suggestion as a JSON-ready dict (stable contract)."""
        return {"entry": self.entry, "question": self.question}


class Outcome(StrEnum):
    """What the engine made of a message: one of the three confidence bands for a question
    about the story, or what a message that asks nothing about it says."""

    ANSWERED = "answered"
    SUGGESTED = "suggested"
    ABSTAINED = "abstained"
    GREETING = "greeting"  # "hi", "good morning"
    THANKS = "thanks"  # "thank you!"
    HELP = "help"  # "help", "what can you do?"
    SOURCES = "sources"  # "sources please": the list of sources

    @property
    def is_question(self) -> bool:
        """True for the bands, which answer a question about the story."""
        return self in QUESTION_OUTCOMES


# The bands, in report order: the outcomes of questions about the story.
QUESTION_OUTCOMES = (Outcome.ANSWERED, Outcome.SUGGESTED, Outcome.ABSTAINED)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the engine says to one question; rendered by the CLI and the bot alike."""

    question: str
    outcome: Outcome
    confidence: float
    entry: Entry | None = None
    citations: tuple[Citation, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    related: tuple[Suggestion, ...] = ()
    # Answers to further questions asked in the same message ("when did he leave and when
    # did he arrive?"), each answered in full.
    also: tuple[Answer, ...] = ()
    sources: tuple[Source, ...] = ()  # what the knowledge comes from (Outcome.SOURCES)
    # An abstention on a why-question: the story tells about the topic, not the reason.
    reason_missing: bool = False
    # A follow-up: the question of the turn it was read with ("When is the parade?"), and
    # that turn's entry (None for a standalone reading, or when the turn had no answer).
    about: str | None = None
    followup_of: str | None = None

    # The answer as said to this reader (tense for their day, "as reported on" notes); None:
    # the entry's answer as written. A `bot.engine.phrases.Phrase` when it carries notes.
    said: str | None = None
    # Why the bot abstains, when it knows ("the story is from 2 September 2025, before..."):
    # a `bot.engine.phrases.Phrase`, said in the reader's language by each channel.
    reason: str | None = None
    # The language of the reply (a code of bot.engine.languages.CODES): the answer text's,
    # or for a decline, suggestion or chat reply the reader's.
    language: str = "en"

    @property
    def read_as(self) -> str:
        """The question as understood: a follow-up names the turn it was read with."""
        return f"{self.question} (about: {self.about})" if self.about else self.question

    @property
    def answered(self) -> bool:
        """True when the answer text is given (the top band)."""
        return self.outcome is Outcome.ANSWERED

    @property
    def parts(self) -> tuple[Answer, ...]:
        """This answer and the further ones, in the order they were asked."""
        return (self, *self.also)

    @property
    def text(self) -> str | None:
        """The answer text (all parts), or None unless answered."""
        if not (self.answered and self.entry):
            return None
        return "\n".join(part.said or part.entry.answer for part in self.parts if part.entry)

    @property
    def all_citations(self) -> tuple[Citation, ...]:
        """The citations of every part, each once."""
        return tuple(dict.fromkeys(c for part in self.parts for c in part.citations))

    def to_json(self) -> dict[str, Any]:
        """One line of `storybot ask --json` (stable contract: fields are only ever added)."""
        return {
            "question": self.question,
            "answered": self.answered,
            "answer": self.text,
            "confidence": round(self.confidence, 4),
            "entry": self.entry.id if self.answered and self.entry else None,
            "citations": [c.to_json() for c in self.all_citations],
            "suggestions": [s.to_json() for s in self.suggestions],
            "outcome": self.outcome.value,
            # Every part's entry, so a two-part answer names both ("entry" is the first).
            "entries": [part.entry.id for part in self.parts if part.answered and part.entry],
            # The source list a "sources please" asked for (empty otherwise).
            "sources": [
                {key: s[key] for key in ("id", "title", "publisher", "date", "url")}
                for s in (source.to_json(Path()) for source in self.sources)
            ],
            "language": self.language,
        }


class Todo(NamedTuple):
    """An entry `storybot new` drafted and the curator has yet to write."""

    id: str
    question: str
    fact_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One loaded, validated knowledge set with its match index; replaced whole on reload."""

    directory: Path
    sources: Mapping[str, Source]
    facts: Mapping[str, Fact]
    entries: Mapping[str, Entry]
    index: MatchIndex = field(repr=False)
    version: str  # short content hash of the knowledge files (and of taught knowledge)
    load_seconds: float
    # Index ids standing for questions taught as not in the story (never in ``entries``).
    declined: frozenset[str] = frozenset()
    overlay: Overlay = field(default_factory=Overlay, repr=False)  # the teachings merged in
    # Entries marked `todo: true` in faq.yaml, still to write. Never answered.
    todo: tuple[Todo, ...] = ()
    language: str = "en"  # the language of the entries' questions and answers
    # The knowledge in other languages (knowledge/i18n/): the same sources and facts, the
    # entries translated, an index that reads that language. Keyed by language code.
    translations: Mapping[str, Snapshot] = field(default_factory=dict, repr=False)
    # What is wrong with the translation files: reported, never in the way of the English.
    translation_problems: tuple[Problem, ...] = ()

    def in_language(self, code: str) -> Snapshot | None:
        """The knowledge as read and answered in ``code``; None without a translation."""
        return self if code == self.language else self.translations.get(code)

    @property
    def phrasing_count(self) -> int:
        """How many phrasings (canonical questions included) the index holds."""
        return sum(1 + len(e.phrasings) for e in self.entries.values())

    def event_date(self, entry: Entry) -> dt.date | None:
        """The latest day the entry's facts happen on; None when none is dated."""
        return max((d for f in entry.fact_ids if (d := self.facts[f].when)), default=None)

    def source_date(self, entry: Entry | None = None) -> dt.date:
        """The date of the newest source the entry cites (of any source without an entry)."""
        ids = {self.facts[f].source_id for f in entry.fact_ids} if entry else self.sources
        return max(dt.date.fromisoformat(self.sources[i].date) for i in ids)

    def citations_for(self, entry: Entry) -> tuple[Citation, ...]:
        """The citations of an entry's facts, in the order the entry lists them."""
        citations = []
        for fact_id in entry.fact_ids:
            fact = self.facts[fact_id]
            source = self.sources[fact.source_id]
            citations.append(
                Citation(
                    source=source.id,
                    title=source.title,
                    publisher=source.publisher,
                    date=source.date,
                    url=source.url,
                    quote=fact.quote,
                    language=source.language,
                )
            )
        return tuple(citations)
