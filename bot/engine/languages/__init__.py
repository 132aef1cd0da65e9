"""Languages the engine reads: one analyser module per language behind one small interface.

An analyser turns text into the tokens the language-free matcher compares (stems, character
n-grams, question-focus tokens such as ``@when``), splits chatty messages into the parts that
ask, and tells chat ("hello", "thanks") from questions. Adding a language is adding a module
here and a translation file in ``knowledge/i18n/``.
"""

from __future__ import annotations

import importlib
import re
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
    # Questions about what happened after the story: how something went (unless the story
    # reports it done), and what can only have come later (endings, returns). English: None,
    # the timeline's own rules.
    OUTCOME: re.Pattern[str] | None
    STRICTLY_AFTER: re.Pattern[str] | None

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

    def asked_for(
        self, text: str, synonyms: Synonyms = ..., vocabulary: Vocabulary | None = ...
    ) -> frozenset[str]:
        """Tokens of the thing a question asks for ("which army *unit*?"): where the
        knowledge lacks them, the story may not say it, however everyday the word."""
        ...

    def states_amount(self, text: str) -> bool:
        """True when a text gives a number or an amount (a year is neither): what an
        answer to "how many?" must do."""
        ...

    def measure_units(self, question: str) -> re.Pattern[str] | None:
        """The units an answer must name for the measure the question asks ("how heavy":
        tons, kilograms); None when it asks none."""
        ...

    def question_clauses(self, text: str) -> list[str]:
        """The parts of a chatty message that ask something; empty for a single clause."""
        ...

    def asking_part(self, text: str) -> str | None:
        """The sentences that ask, without chat that asks nothing; None: read it whole."""
        ...

    def message_parts(self, text: str) -> list[tuple[str, bool]]:
        """The message cut where framing ends: each part, and whether it asks."""
        ...

    def asks_yes_no(self, text: str) -> bool:
        """True for a question whether something holds ("did he fly?"): it restates what
        the answer says, so the answer's words count almost as a phrasing's."""
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

    def unknown_share(self, token: str) -> float:
        """The share of an unknown word's weight an unknown token carries (1 for a word)."""
        ...


@cache
def get(code: str) -> Analyser:
    """The analyser of ``code`` (one of CODES); KeyError for a language without one."""
    if code not in CODES:
        raise KeyError(code)
    return cast(Analyser, importlib.import_module(f"bot.engine.languages.{code}"))


# A writing system tells the language outright for the languages written in it alone.
# Counted in words, so a name in Latin letters ("Hwasong-20 — что это?", "ICBM是什么") does not
# outweigh the question around it: a run of letters is a word, a Han character one too. One
# regex per script (a character at a time in Python costs 2 ms on a long message).
_SCRIPTS = (
    ("ru", re.compile(r"[\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f]+")),
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff]+")),
    ("zh", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")),
    ("en", re.compile(r"[a-zA-Z\u00c0-\u024f\u1e00-\u1eff]+")),
)
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")


DETECT_CHARS = 1000  # a long message's language shows in its first thousand characters


def detect(text: str, hint: str | None = None) -> str:
    """The language ``text`` is written in, one of CODES.

    The script decides (most words win): Cyrillic is Russian, Hangul Korean, Han Chinese
    (unless kana says it is Japanese), Latin English. ``hint`` (a Telegram account's
    language_code, "ru" or "pt-br") only breaks ties, as when the text has no letters ("?",
    "26") or as many of two scripts: an English question from a Russian account is English.
    Words would tell apart languages sharing a script; English is the only Latin one here.
    """
    if text.isascii():  # the common case: English, or digits and punctuation only
        letters = any(c.isalpha() for c in text)
        preferred = normalise(hint)
        return DEFAULT if letters or preferred is None else preferred
    sample = text[:DETECT_CHARS]
    counts = {code: len(script.findall(sample)) for code, script in _SCRIPTS}
    if _KANA.search(sample):
        # Japanese (its Han characters are not Chinese), which has no analyser yet.
        counts["zh"] = 0
    best = max(counts.values())
    leaders = [code for code, count in counts.items() if count == best]
    preferred = normalise(hint)
    if preferred in leaders:
        return preferred
    if best == 0:
        return DEFAULT
    # A tie with Latin letters: names and acronyms are written in them inside any language.
    others = [code for code in leaders if code != DEFAULT]
    return others[0] if others else DEFAULT


def normalise(code: str | None) -> str | None:
    """A Telegram language_code ("ru", "zh-hans", "ko-KR") as one of CODES, or None."""
    if not code:
        return None
    base = code.lower().replace("_", "-").split("-")[0]
    return base if base in CODES else None
