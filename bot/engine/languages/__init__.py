"""Languages the engine reads: one analyser module per language behind one small interface.

An analyser turns text into the tokens the language-free matcher compares (stems, character
n-grams, question-focus tokens such as ``@when``), splits chatty messages into the parts that
ask, and tells chat ("hello", "thanks") from questions. Adding a language is adding a module
here and a translation file in ``knowledge/i18n/``.
"""

from __future__ import annotations

import importlib
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Protocol, cast

from bot.engine.text import Synonyms, Vocabulary

DEFAULT = "en"
# Every language with an analyser, the default first.
CODES: tuple[str, ...] = ("en", "ru", "zh", "ko")


class Analyser(Protocol):
    """What the matcher and the answering rules need from a language (a module)."""

    CODE: str
    # Unknown words that are values to check ("did he leave on Sunday?"), not missing topics.
    PREMISE_STEMS: frozenset[str]

    def surface_words(self, text: str) -> list[str]:
        """Folded words as written, before focus and stemming: typo correction's input."""
        ...

    def analyse_surface(
        self, surface: list[str], synonyms: Synonyms = ..., vocabulary: Vocabulary | None = ...
    ) -> list[str]:
        """Content tokens of words split by ``surface_words``."""
        ...

    def analyse(
        self, text: str, synonyms: Synonyms = ..., vocabulary: Vocabulary | None = ...
    ) -> list[str]:
        """Content tokens of ``text``: focus tokens, stems or n-grams, synonyms applied."""
        ...

    def question_clauses(self, text: str) -> list[str]:
        """The parts of a chatty message that ask something; empty for a single clause."""
        ...

    def message_parts(self, text: str) -> list[tuple[str, bool]]:
        """The message cut where framing ends: each part, and whether it asks."""
        ...

    def is_small_talk(self, text: str) -> bool:
        """True for greetings, thanks and chat that asks nothing."""
        ...

    def chat_kind(self, text: str) -> str | None:
        """ "greeting", "thanks", "help" or "sources" when that is all a message says."""
        ...

    def synonyms(self, groups: Iterable[Iterable[str]]) -> Synonyms:
        """Synonym groups (first word canonical) read with this language's analysis."""
        ...

    def vocabulary(self, counts: Mapping[str, int]) -> Vocabulary:
        """The knowledge's surface words, for typo correction in this language."""
        ...


@cache
def get(code: str) -> Analyser:
    """The analyser of ``code`` (one of CODES); KeyError for a language without one."""
    if code not in CODES:
        raise KeyError(code)
    return cast(Analyser, importlib.import_module(f"bot.engine.languages.{code}"))


# A writing system tells the language outright for the languages written in it alone.
_SCRIPTS = (("CYRILLIC", "ru"), ("HANGUL", "ko"), ("CJK", "zh"), ("LATIN", "en"))
# Japanese kana beside Han characters: not Chinese (and no Japanese analyser yet).
_KANA = ("HIRAGANA", "KATAKANA")


def detect(text: str, hint: str | None = None) -> str:
    """The language ``text`` is written in, one of CODES.

    The script decides (most letters win): Cyrillic is Russian, Hangul Korean, Han Chinese,
    Latin English. ``hint`` (a Telegram account's language_code, "ru" or "pt-br") only breaks
    ties, as when the text has no letters ("?", "26") or as many of two scripts: an English
    question from a Russian account is English.
    """
    counts = dict.fromkeys(CODES, 0)
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        if name.startswith(_KANA):
            continue
        for script, code in _SCRIPTS:
            if name.startswith(script):
                counts[code] += 1
                break
    best = max(counts.values())
    leaders = [code for code, count in counts.items() if count == best]
    preferred = normalise(hint)
    if preferred in leaders:
        return preferred
    return DEFAULT if best == 0 or DEFAULT in leaders else leaders[0]


def normalise(code: str | None) -> str | None:
    """A Telegram language_code ("ru", "zh-hans", "ko-KR") as one of CODES, or None."""
    if not code:
        return None
    base = code.lower().replace("_", "-").split("-")[0]
    return base if base in CODES else None
