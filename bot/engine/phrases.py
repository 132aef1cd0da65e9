"""Sentences the engine says itself (timeline notes, reasons), kept translatable.

The engine speaks no language of its own beyond the knowledge it reads. A sentence it makes
("as reported on 2 Sep 2025", "The story is from ...") is a `Phrase`: a message id (the English
sentence with named ``{placeholders}``) and its parameters. A Phrase *is* its English text (a
``str``), so the CLI, JSON, logs and tests use it like any string; a channel that speaks the
reader's language says it from the message id instead (``bot.i18n.say``), dates included.

`phrase` and `plural_phrase` are the extraction keywords (``babel.cfg``): every message id
they are called with lands in the gettext catalogs under ``bot/locale/``.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

MONTHS = (
    "january february march april may june july august september october november december"
).split()
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class DateStyle(StrEnum):
    """How a date parameter is written (each language has its own form of each)."""

    SHORT = "short"  # "2 Sep 2025"
    LONG = "long"  # "2 September 2025"
    WEEKDAY = "weekday"  # "Tuesday, 2 September 2025"


@dataclass(frozen=True, slots=True)
class Day:
    """A date parameter: the date and the style to write it in."""

    date: dt.date
    style: DateStyle


def english_date(day: Day) -> str:
    """A date as the English knowledge writes it (British order: "3 September 2025")."""
    date = day.date
    month = MONTHS[date.month - 1].title()
    if day.style is DateStyle.SHORT:
        return f"{date.day} {month[:3]} {date.year}"
    written = f"{date.day} {month} {date.year}"
    if day.style is DateStyle.WEEKDAY:
        return f"{WEEKDAYS[date.weekday()].title()}, {written}"
    return written


Value = str | int | Day
Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


class Phrase(str):
    """A sentence as its message id and parameters; as a ``str``, its English text.

    ``params`` may hold strings (knowledge text, said as it is unless it is a Phrase itself),
    counts and `Day` values. With ``plural`` set, the count is the parameter ``n``.
    """

    msgid: str
    plural: str | None
    params: Mapping[str, Value]

    def __new__(cls, msgid: str, params: Mapping[str, Value], plural: str | None = None) -> Phrase:
        """The phrase of ``msgid`` (and ``plural``) with ``params``, its text the English."""
        english = _format(msgid, plural, params, _no_translation, _english_plural, english_date)
        self = super().__new__(cls, english)
        self.msgid, self.plural, self.params = msgid, plural, dict(params)
        return self

    def say(self, gettext: Gettext, ngettext: Ngettext, date: Callable[[Day], str]) -> str:
        """The phrase in the language of ``gettext``/``ngettext``, dates written by ``date``
        (phrases among the parameters are said the same way)."""
        return _format(self.msgid, self.plural, self.params, gettext, ngettext, date)

    def __reduce__(self) -> tuple[object, ...]:
        return (Phrase, (self.msgid, self.params, self.plural))


def phrase(msgid: str, **params: Value) -> Phrase:
    """A sentence to say in the reader's language (an extraction keyword)."""
    return Phrase(msgid, params)


def plural_phrase(singular: str, plural: str, n: int, **params: Value) -> Phrase:
    """A sentence whose form follows the count ``n`` (an extraction keyword)."""
    return Phrase(singular, {**params, "n": n}, plural)


def joined(*parts: str) -> str:
    """Sentences one after another; a Phrase when any of them is one, so each part is still
    said in the reader's language (the joining template itself needs no translation)."""
    if not any(isinstance(p, Phrase) for p in parts):
        return " ".join(parts)
    return Phrase(
        " ".join(f"{{p{i}}}" for i in range(len(parts))),
        {f"p{i}": part for i, part in enumerate(parts)},
    )


def placeholders(template: str) -> frozenset[str]:
    """The names of a message's ``{placeholders}`` (catalog checks compare them)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _no_translation(msgid: str) -> str:
    return msgid


def _english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def _format(
    msgid: str,
    plural: str | None,
    params: Mapping[str, Value],
    gettext: Gettext,
    ngettext: Ngettext,
    date: Callable[[Day], str],
) -> str:
    values: dict[str, object] = {}
    for name, value in params.items():
        if isinstance(value, Day):
            values[name] = date(value)
        elif isinstance(value, Phrase):
            values[name] = value.say(gettext, ngettext, date)
        else:
            values[name] = value
    if plural is None:
        template = gettext(msgid)
    else:
        count = params["n"]
        template = ngettext(msgid, plural, count if isinstance(count, int) else 0)
    said = template.format(**values)
    # A sentence starts with a capital, also when it starts with a date a language writes in
    # lower case ("среда, 3 сентября ...").
    return said[:1].upper() + said[1:]
