"""Drafting facts from an article's text: sentences, one fact each, readable ids.

Free of Telegram and of any file layout: `storybot add-source` uses it on a new article, and
any later tool that starts knowledge from a text can too. A draft's quote is a sentence of the
text exactly as it stands (only the bullet or dash a line starts with is left out), so the
loader finds it word for word; its statement starts as the same sentence for the curator to
rewrite.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from bot.engine.loader import folded_text, placed_sentences, quoted_spans
from bot.engine.model import Snapshot
from bot.engine.sentences import split_sentences
from bot.engine.text import STOPWORDS

MAX_QUOTE_CHARS = 1000  # the loader's limit for a fact's text fields
MAX_ID_CHARS = 48  # the loader's limit for ids
ID_WORDS = 5  # content words that name a drafted fact

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class DraftFact:
    """One drafted fact: the curator reviews the statement; the quote is verbatim."""

    id: str
    statement: str
    quote: str


def _ascii_words(text: str) -> list[str]:
    """The words of ``text`` in lowercase ASCII ("Kim’s" -> "kim", "Pyongyang’s" too)."""
    text = re.sub(r"['’]s\b", "", text)
    found = []
    for word in _WORD.findall(text):
        folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
        if folded:
            found.append(folded.casefold())
    return found


def slug(text: str, words: int = ID_WORDS, limit: int = MAX_ID_CHARS) -> str:
    """A readable id from the first content words of ``text`` ("the-parade-took-place" ->
    "parade-took-place"): lowercase ASCII letters and digits joined by '-'."""
    found = _ascii_words(text)
    content = [w for w in found if w not in STOPWORDS] or found
    result = ""
    for word in content[:words]:
        candidate = f"{result}-{word}" if result else word
        if len(candidate) > limit:
            break
        result = candidate
    return result or "fact"


def unique_id(base: str, taken: Collection[str], limit: int = MAX_ID_CHARS) -> str:
    """``base``, or ``base-2``, ``base-3``... : the first not in ``taken``."""
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: limit - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1


def _bounded(sentence: str) -> str:
    """The sentence, or its longest start within MAX_QUOTE_CHARS that ends at a word."""
    if len(sentence) <= MAX_QUOTE_CHARS:
        return sentence
    cut = sentence[:MAX_QUOTE_CHARS]
    return cut[: cut.rfind(" ")].rstrip() if " " in cut else cut


HEADING_WORDS = 8  # at most this many words on a line of its own, unpunctuated: a heading
HEADLINE_WORDS = 20  # ...and a headline
# "I'm Andrew Smith." / "And I'm Anna Matteo.": a broadcast script's sign-off
_SIGN_OFF = re.compile(
    r"^(?:(?:and\s+)?i['’]m\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}\.\s*)+$", re.IGNORECASE
)
_ENDS_SENTENCE = re.compile(r"[.!?:;…\"'”’)\]]\s*$")
_BULLET = re.compile(r"^\s*[-•*–—]\s")
# a dateline, or a credit line without a full stop ("Reporting by Jane Doe; Editing by ...")
_DATELINE = re.compile(
    r"\d{4}|^(?:by|published|updated|posted|(?:reporting|writing|editing) by)\b", re.IGNORECASE
)


def set_aside(text: str) -> list[str]:
    """The sentences of an article that tell no fact: section headings ("How it works": a
    short line of its own without a sentence's end, below the headline's block; not a bullet)
    and sign-offs ("I'm Andrew Smith."). `storybot new` marks them uncovered_ok."""
    aside: list[str] = []
    lines = [line.strip() for line in text.splitlines()]
    # The body starts after the first blank line below the headline (and dateline).
    body = next((n for n, line in enumerate(lines) if not line and any(lines[:n])), 1)
    for line in lines[body:]:
        if _SIGN_OFF.match(line):
            aside.extend(split_sentences(line))  # each sentence, as check reads the text
        elif is_heading(line):
            aside.append(line)
    return aside


def is_heading(line: str, words: int = HEADING_WORDS) -> bool:
    """True for a section heading or (with more ``words``) a headline: a short line without a
    sentence's end (not a bullet, a dateline or a link)."""
    return (
        len(line.split()) <= words
        and not _ENDS_SENTENCE.search(line)
        and not _BULLET.match(line)
        and not _DATELINE.search(line)  # "By NASA", "Sep 02, 2025": the dateline's
        and "://" not in line  # a link to read more, which a reader may ask for
        and bool(re.search(r"[^\W\d_]", line))  # not an empty line
    )


def draft_facts(text: str, taken_ids: Collection[str] = ()) -> list[DraftFact]:
    """One fact per sentence of ``text`` (less the ones `set_aside` finds), with ids unique
    among themselves and ``taken_ids``."""
    taken = set(taken_ids)
    aside = set(set_aside(text))
    kept = "\n".join(
        line for line in text.splitlines() if not aside.issuperset(split_sentences(line))
    )
    drafts = []
    for sentence in split_sentences(kept):
        quote = _bounded(sentence)
        fact_id = unique_id(slug(quote), taken)
        taken.add(fact_id)
        drafts.append(DraftFact(fact_id, quote, quote))
    return drafts


def uncited_sentences(
    snapshot: Snapshot, source_id: str | None = None, *, with_todo: bool = False
) -> list[tuple[str, str]]:
    """(source id, sentence) for each sentence that no FAQ entry cites yet (nor, with
    ``with_todo``, an entry still to write: it is on the to-do list already).

    A sentence counts as cited when a fact quoting part of it (a quote may run on from the
    sentence before) is cited by some entry: a reader can reach it. Sentences marked
    ``uncovered_ok`` in sources.yaml are left out.
    """
    cited = {fact_id for entry in snapshot.entries.values() for fact_id in entry.fact_ids}
    if with_todo:
        cited.update(fact_id for todo in snapshot.todo for fact_id in todo.fact_ids)
    found = []
    for source in snapshot.sources.values():
        if source_id is not None and source.id != source_id:
            continue
        text = folded_text(source.text)
        quotes = (
            folded_text(f.quote)
            for f in snapshot.facts.values()
            if f.source_id == source.id and f.id in cited
        )
        spans = quoted_spans(text, quotes)
        skipped = {folded_text(s) for s in source.uncovered_ok}
        for sentence, folded, start in placed_sentences(source.text, text):
            end = start + len(folded)
            if folded in skipped or any(
                q_start < end and start < q_end for q_start, q_end in spans
            ):
                continue
            found.append((source.id, sentence))
    return found
