"""Pieces the non-English analysers share: folding, question-focus rules, phrase
replacement for synonyms, chat cues and message splitting, read from per-language tables."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.engine.text import NOT_AMOUNTS, Synonyms, Vocabulary

_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_DIGIT_GROUP = re.compile(r"(?<=\d)[,. ](?=\d{3}\b)")
_TOKEN_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """NFKC (full-width forms to plain ones), case folding, no zero-width marks or digit
    grouping ("1,960" and "1 960" are 1960)."""
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return _DIGIT_GROUP.sub("", text) if any(c.isdigit() for c in text) else text


@dataclass(frozen=True, slots=True)
class Focus:
    """Question-focus rules: the first that matches at a position wins, as listed; each
    becomes its token (``@when``...) with spaces around it."""

    pattern: re.Pattern[str]
    tokens: Mapping[str, str]

    @classmethod
    def of(cls, rules: Sequence[tuple[str, str]]) -> Focus:
        """Compile ``(regex, token)`` rules into one pattern."""
        joined = "|".join(f"(?P<f{i}>{pattern})" for i, (pattern, _) in enumerate(rules))
        return cls(re.compile(joined), {f"f{i}": token for i, (_, token) in enumerate(rules)})

    def mark(self, text: str) -> str:
        """The text with each focus phrase replaced by its token."""
        return self.pattern.sub(lambda m: f" {self.tokens[m.lastgroup or '']} ", text)


def phrase_synonyms(groups: Iterable[Iterable[str]], normal: Callable[[str], str]) -> Synonyms:
    """Synonyms replaced in the text itself (languages written without spaces between words,
    or with particles glued on): each alias, as ``normal`` writes it, maps to its group's
    first word. Only the canonical words count as written (the vocabulary a question's
    n-grams are checked against): an alias never stands in a text once it is replaced."""
    phrases: dict[tuple[str, ...], str] = {}
    written: set[str] = set()
    for group in groups:
        canonical, *aliases = (normal(word) for word in group)
        if not canonical:
            continue  # a canonical word the analysis drops (a particle) would erase its aliases
        for alias in (canonical, *aliases):
            if alias:
                phrases[(alias,)] = canonical
                written.add(canonical)
    return Synonyms(phrases, {}, frozenset(written))


class PhraseTable:
    """The text-level replacement of a Synonyms built by `phrase_synonyms`, compiled once."""

    def __init__(self, synonyms: Synonyms) -> None:
        self.synonyms = synonyms  # held so its id is never reused while cached
        aliases = sorted((key[0] for key in synonyms.phrases), key=len, reverse=True)
        self._targets = {key[0]: target for key, target in synonyms.phrases.items()}
        # An alias of one character is a word only standing alone (Korean 북 is not the
        # 북 of 북경); longer ones are found inside compounds too.
        patterns = [
            re.escape(alias) if len(alias) > 1 else rf"(?<!\w){re.escape(alias)}(?!\w)"
            for alias in aliases
        ]
        self._pattern = re.compile("|".join(patterns)) if patterns else None

    def apply(self, text: str) -> str:
        """Every alias in ``text`` written as its canonical word (longest alias first)."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: f" {self._targets[m.group(0)]} ", text)


_tables: dict[int, PhraseTable] = {}


def phrase_table(synonyms: Synonyms) -> PhraseTable:
    """The compiled table of ``synonyms`` (built on first use; there are a few per process)."""
    table = _tables.get(id(synonyms))
    if table is None or table.synonyms is not synonyms:
        table = _tables[id(synonyms)] = PhraseTable(synonyms)
    return table


@dataclass(frozen=True, slots=True)
class Chat:
    """What a message that asks nothing about the story says, by the language's cues: the
    first kind whose cue it has wins, when every other word is filler."""

    cues: tuple[tuple[str, re.Pattern[str]], ...]
    greeting: re.Pattern[str]
    filler: re.Pattern[str]
    max_chars: int = 60

    def kind(self, folded: str) -> str | None:
        """ "greeting", "thanks", "help" or "sources", or None for anything else."""
        if not folded.strip() or len(folded) > self.max_chars:
            return None
        kind = None
        rest = folded
        for name, cue in self.cues:
            if cue.search(rest):
                kind = kind or name
                rest = cue.sub(" ", rest)
        if kind is None and self.greeting.search(rest):
            kind, rest = "greeting", self.greeting.sub(" ", rest)
        if kind is None:
            return None
        rest = self.filler.sub(" ", rest)
        return kind if not any(c.isalnum() for c in rest) else None


_PART_MARKS = ".?!;:,。？！；：，、\n"
_PART = re.compile(r"[^.?!;:,。？！；：，、\n]+(?:[.?!;:,。？！；：，、\n]+|$)")
_SENTENCE_MARKS = ".?!;。？！；\n"
_SENTENCE = re.compile(r"[^.?!;。？！；\n]+(?:[.?!;。？！；\n]+|$)")


def _pieces(
    folded: str, piece: re.Pattern[str], marks: str, asks: re.Pattern[str]
) -> list[tuple[str, bool]]:
    """The message cut by ``piece``: each piece without its ``marks``, and whether it asks
    ("?" or ``asks``)."""
    found = []
    for match in piece.finditer(folded):
        written = match.group(0)
        text = written.rstrip(marks).strip()
        if text:
            found.append((text, "?" in written or "？" in written or bool(asks.search(text))))
    return found


def parts(folded: str, asks: re.Pattern[str]) -> list[tuple[str, bool]]:
    """The message cut at punctuation: each part, and whether it asks ("?" or ``asks``)."""
    return _pieces(folded, _PART, _PART_MARKS, asks)


def clauses(folded: str, asks: re.Pattern[str]) -> list[str]:
    """The sentences that ask, when the message has more than one; else none. Commas do not
    cut: in these languages they mostly join the parts of one question."""
    found = _pieces(folded, _SENTENCE, _SENTENCE_MARKS, asks)
    if len(found) < 2:
        return []
    return [text for text, asking in found if asking]


def squeeze(text: str) -> str:
    """Runs of whitespace as one space, trimmed."""
    return _TOKEN_SPACE.sub(" ", text).strip()


def asked_for(
    text: str, synonyms: Synonyms, vocabulary: Vocabulary | None = None
) -> frozenset[str]:
    """Nothing to keep: only English everyday words are read as a reader's own wording (the
    matcher's paraphrase rule), so no other language's word needs keeping from it."""
    del text, synonyms, vocabulary
    return frozenset()


def states_amount(text: str, numerals: re.Pattern[str]) -> bool:
    """True when a text gives a number that is not a year, a date or part of a name, or one
    of the language's ``numerals``."""
    rest = NOT_AMOUNTS.sub(" ", text)
    return any(c.isdigit() for c in rest) or bool(numerals.search(rest))


def measure_units(question: str) -> re.Pattern[str] | None:
    """None: the units a measure asks for ("how heavy": tons) are English rules so far."""
    del question
    return None
