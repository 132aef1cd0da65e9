"""Splitting an article's text into sentences, each exactly as it stands in the text.

One splitter for every tool that reads a source: `storybot new` and `add-source` draft a fact
per sentence with it, and `storybot check` lists the sentences no fact quotes with it.
"""

from __future__ import annotations

import re

from bot.engine.text import STOPWORDS

MIN_SENTENCE_CHARS = 4  # shorter pieces ("-", "1.") are layout, not statements

# Abbreviations a full stop does not end a sentence after ("Mr. Kim", "U.S. officials").
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st gen col lt sgt capt gov sen rep pres jr sr vs etc inc ltd co corp no"
    " jan feb mar apr jun jul aug sep sept oct nov dec approx est fig".split()
)
# A sentence ends at . ! or ? (and any closing quote or bracket), before space and a capital,
# a digit or an opening quote.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_BULLET = re.compile(r"^[\s\-–—•*·]+")
# The word after a sentence end, past any opening quote or bracket.
_NEXT_WORD = re.compile(r"\s+[\"'“‘(\[]?(\w+)")


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` in order, each exactly as it stands in the text.

    Lines are never joined (a headline, a byline and list items are their own sentences);
    within a line, a sentence ends at ., ! or ? before a capital letter, except after a
    single initial ("J. Smith") or a known abbreviation ("U.S. officials"), unless what
    follows it starts a sentence ("...in the U.S. It is...").
    """
    sentences = []
    for raw_line in text.splitlines():
        line = _BULLET.sub("", raw_line).rstrip()
        start = 0
        for end in _END.finditer(line):
            before = line[start : end.start()].split()
            last = before[-1].casefold().rstrip(".") if before else ""
            if end.group().startswith(".") and (
                (len(last) == 1 and last.isalpha())
                or ((last in _ABBREVIATIONS or "." in last) and not _starts_sentence(line, end))
            ):
                continue  # "Mr. Kim", "J. Smith", "U.S. officials"; not "...in the U.S. It is"
            sentences.append(line[start : end.end()].strip())
            start = end.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if len(s) >= MIN_SENTENCE_CHARS]


def _starts_sentence(line: str, end: re.Match[str]) -> bool:
    """True when the word after an abbreviation's full stop is a function word ("It", "The"):
    the abbreviation ends its sentence ("...in the U.S. It is...")."""
    following = _NEXT_WORD.match(line, end.end())
    return following is not None and following.group(1).casefold() in STOPWORDS
