"""Dates and the reader's "now": every phrase the engine says or reads about time.

A source has a date; a fact may say which day it happens on (``when:``). The reader asks on a
day of their own (``today``, injected by the caller: settings or ``--today``), often long after
the story. From those three dates this module decides

* the tense of an answer (``answer`` before the entry's event, ``answer_after`` after it),
* the notes a time-sensitive answer carries ("as reported on 2 Sep 2025", "that was 458 days
  ago", "the story says nothing after that"),
* that a question about what happened after the story ("how did the parade go?", "when did he
  return?") cannot be answered from it, and the reason given instead.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.engine.model import Answer, Entry, Outcome, Snapshot, Suggestion
from bot.engine.phrases import (
    MONTHS,
    WEEKDAYS,
    DateStyle,
    Day,
    english_date,
    joined,
    phrase,
    plural_phrase,
)

if TYPE_CHECKING:
    from bot.engine.languages import Analyser

# A weekday in a source means the one nearest the source's date: a story dated Tuesday says
# "Monday" for yesterday and "Wednesday" for tomorrow.
WEEKDAY_REACH = 3

_WEEKDAY = "|".join(WEEKDAYS)
_MONTH = "|".join(MONTHS)
# "Wednesday, 3 September 2025", "Wednesday 3 September 2025", "Wednesday (3 September 2025)".
_STATED_DAY = re.compile(
    rf"\b({_WEEKDAY})\b(?:,?\s*\(?\s*(\d{{1,2}})\s+({_MONTH})\s+(\d{{4}})\)?)?", re.IGNORECASE
)


def resolve(when: str, source_date: dt.date) -> tuple[dt.date | None, str | None]:
    """The date a fact's ``when:`` names, or None and what is wrong with it.

    ``when`` is an ISO date ("2025-09-03"), a weekday resolved against the source's date
    ("wednesday"), or both ("wednesday 2025-09-03"), which must agree.
    """
    parts = when.strip().lower().replace(",", " ").split()
    weekday = next((p for p in parts if p in WEEKDAYS), None)
    iso = next((p for p in parts if p not in WEEKDAYS), None)
    if len(parts) > 2 or (len(parts) == 2 and not (weekday and iso)) or not parts:
        return None, f"when {when!r} must be a date (YYYY-MM-DD), a weekday, or both"
    date = None
    if iso is not None:
        try:
            date = dt.date.fromisoformat(iso)
        except ValueError:
            return None, f"when {when!r}: {iso!r} is not a date (YYYY-MM-DD)"
    if weekday is None:
        return date, None
    if date is None:
        offset = (WEEKDAYS.index(weekday) - source_date.weekday()) % 7
        return source_date + dt.timedelta(
            days=offset if offset <= WEEKDAY_REACH else offset - 7
        ), None
    if WEEKDAYS[date.weekday()] != weekday:
        return None, f"when {when!r}: {date.isoformat()} is a {WEEKDAYS[date.weekday()].title()}"
    return date, None


def day_name(date: dt.date) -> str:
    """The weekday and date as answers write them: "Wednesday, 3 September 2025"."""
    return english_date(Day(date, DateStyle.WEEKDAY))


def short_date(date: dt.date) -> str:
    """A compact date: "2 Sep 2025"."""
    return english_date(Day(date, DateStyle.SHORT))


def long_date(date: dt.date) -> str:
    """A date without its weekday: "2 September 2025"."""
    return english_date(Day(date, DateStyle.LONG))


def weekdays_only(text: str) -> str:
    """The text with the dates beside its weekdays left out ("Wednesday, 3 September 2025"
    -> "Wednesday"): what the match index reads of an answer."""
    return _STATED_DAY.sub(lambda m: m.group(1), text)


@dataclass(frozen=True, slots=True)
class StatedDay:
    """A weekday named in a text, with the date written beside it (if any)."""

    weekday: str
    date: dt.date | None
    text: str


def stated_days(text: str) -> list[StatedDay]:
    """The weekdays a text names, each with the date beside it when one is written."""
    found = []
    for match in _STATED_DAY.finditer(text):
        weekday, day, month, year = match.groups()
        date = None
        if day:
            try:
                date = dt.date(int(year), MONTHS.index(month.lower()) + 1, int(day))
            except ValueError:
                date = None
        found.append(StatedDay(weekday.lower(), date, match.group(0)))
    return found


def day_problems(text: str, dates: list[dt.date]) -> list[str]:
    """What is wrong with the days an answer names: a weekday whose date is another day's, or
    a weekday of a dated fact named without its date ("Wednesday" for "Wednesday, 3 September
    2025"). ``dates`` are the dates of the facts the answer cites."""
    problems = []
    by_weekday = {WEEKDAYS[d.weekday()]: d for d in dates}
    for day in stated_days(text):
        if day.date is not None and WEEKDAYS[day.date.weekday()] != day.weekday:
            actual = WEEKDAYS[day.date.weekday()].title()
            problems.append(f"{day.text!r}: {day.date.isoformat()} is a {actual}")
        elif day.date is None and day.weekday in by_weekday:
            problems.append(
                f"{day.text!r}: name the date beside the weekday "
                f"({day_name(by_weekday[day.weekday])!r})"
            )
    return problems


# ---- what a question asks about time --------------------------------------------------------

# How something went: after the story unless the story reports it as done ("what happened
# at the missile lab?" is told; "what happened at the parade?" is not).
_OUTCOME = re.compile(
    r"\bhow (?:was|were) (?:it|the \w+)\s*\W*$"
    r"|\bwhat (?:happened|went on|took place) (?:at|during|after|on|in|since)\b"
    r"|\bactually (?:\w+ed|shown|shot|seen|held|done)\b",
    re.IGNORECASE,
)
# What can only have happened after the story: returns, endings, what came next.
_STRICTLY_AFTER = re.compile(
    r"\bhow (?:did|has|have)\b(?:\s+\w+){0,4}\s+(?:go|went|gone|turn(?:ed)? out)\b"
    r"(?=\s*(?:[^\w\s]|$))"  # "how did the parade go?", not "how did he go to China"
    r"|\bin the end\b|\bended up\b|\bafterwards?\b|\beventually\b|\bsince then\b"
    r"|\bwhat happened (?:next|then|later)\b"
    r"|\bafter (?:the|his|this|that|their) (?:\w+ )?(?:trip|parade|visit|event|summit|meeting"
    r"|ceremony|celebration|commemoration|story|article|journey)\b"
    r"|\b(?:next|latest)\s*\W*$",
    re.IGNORECASE,
)
# Coming back: after the story, unless coming back is what the story is about (a mission to
# return samples from Mars): then the knowledge's own entries use the word.
_RETURNING = re.compile(
    r"\b(?:return|returns|returned|returning|came back|come back|coming back|went back|"
    r"go back|going back|got back|get back|head(?:ed)? back|cross(?:ed)? back|back home)\b",
    re.IGNORECASE,
)
RETURN_STEM = "return"
# Words of the reader's now (and "calendar" of "calendar date") that name no topic: the
# matcher drops them like stopwords. ("still", "yet", "already" ask whether something has
# happened by now: the knowledge's synonyms make them one word.)
NOW_WORDS = frozenset("anymore nowadays presently calendar".split())
# The reader's now: answered from the story as of its date, with that said plainly.
_NOW = re.compile(
    r"\b(?:today|tonight|tomorrow|yesterday|right now|currently|at the moment|still|yet|"
    r"anymore|any more|this week|this month|this year|coming up|upcoming|recent|recently|"
    r"end up|already|current|so far|these days|nowadays)\b"
    r"|\bnow\b(?=\s*(?:[^\w\s]|$))",  # "is he there now?", not "and now I wonder"
    re.IGNORECASE,
)


def asks_after_story(question: str, returns_told: bool = False, language: str = "en") -> bool:
    """True when the question asks what happened after the story was written;
    ``returns_told``: the story itself tells of returning (its knowledge uses the word)."""
    outcome = _OUTCOME if language == "en" else _analyser(language).OUTCOME
    return bool(
        (outcome and outcome.search(question)) or _strictly_after(question, returns_told, language)
    )


def _strictly_after(question: str, returns_told: bool, language: str = "en") -> bool:
    if language != "en":
        later = _analyser(language).STRICTLY_AFTER
        return bool(later and later.search(question))
    return bool(
        _STRICTLY_AFTER.search(question) or (not returns_told and _RETURNING.search(question))
    )


def _analyser(language: str) -> Analyser:
    """The rules of another language (imported here: the analysers read text.py, which reads
    this module's NOW_WORDS)."""
    from bot.engine import languages

    return languages.get(language)


def asks_now(question: str) -> bool:
    """True when the question is about the reader's now ("is it today?", "is he still there?")."""
    return bool(_NOW.search(question))


def relative_day(date: dt.date, today: dt.date) -> str:
    """The event day said from the reader's today: "Wednesday, 3 September 2025 is
    tomorrow.", "... was 458 days ago."."""
    days, day = (date - today).days, Day(date, DateStyle.WEEKDAY)
    if days == 0:
        return phrase("{day} is today.", day=day)
    if days == 1:
        return phrase("{day} is tomorrow.", day=day)
    if days == -1:
        return phrase("{day} was yesterday.", day=day)
    if days > 0:
        return plural_phrase("{day} is in {n} day.", "{day} is in {n} days.", days, day=day)
    return plural_phrase("{day} was {n} day ago.", "{day} was {n} days ago.", -days, day=day)


def as_reported(answer: str, source_date: dt.date) -> str:
    """The answer marked with its source's date: "... (as reported on 2 Sep 2025)."."""
    body = answer.rstrip()
    end = body[-1] if body and body[-1] in _ENDS else "."
    return phrase(
        "{answer} (as reported on {date}){end}",
        answer=body.rstrip(_ENDS),
        date=Day(source_date, DateStyle.SHORT),
        end=end,
    )


# Sentence ends an answer may have in any of its languages ("。" in Chinese).
_ENDS = ".!?。！？"


def nothing_after(source_date: dt.date) -> str:
    """The plain statement that the story stops at its date."""
    return phrase(
        "The story is from {date} and says nothing after that.",
        date=Day(source_date, DateStyle.LONG),
    )


def after_story_reason(source_date: dt.date, event: str | None, event_date: dt.date | None) -> str:
    """Why a question about what happened after the story is not answered."""
    if event and event_date and event_date > source_date:
        return phrase(
            "The story is from {date}, before {event} ({event_day}); it doesn't say how it "
            "went or what happened after.",
            date=Day(source_date, DateStyle.LONG),
            event=event,
            event_day=Day(event_date, DateStyle.WEEKDAY),
        )
    return phrase(
        "The story is from {date}; it doesn't say what happened after that.",
        date=Day(source_date, DateStyle.LONG),
    )


# ---- answers for the reader's day -----------------------------------------------------------


def for_reader(snapshot: Snapshot, question: str, answer: Answer, today: dt.date | None) -> Answer:
    """The answer as said on the reader's ``today``: tense, "as reported on", and for
    questions about now, where the event stands and that the story stops at its date.
    Without ``today`` the answer stays as of the story's date."""
    if not answer.answered or today is None:
        return answer
    now = asks_now(question)
    parts = [_said(snapshot, part, today, now) for part in answer.parts]
    first, *rest = parts
    return replace(first, also=tuple(rest))


def _said(snapshot: Snapshot, part: Answer, today: dt.date, now: bool) -> Answer:
    entry = part.entry
    if entry is None:
        return part
    event, source = snapshot.event_date(entry), snapshot.source_date(entry)
    text = entry.answer_after if entry.answer_after and event and today > event else entry.answer
    notes = []
    if today > source and event:
        text = as_reported(text, source)
    if now and event:
        notes.append(relative_day(event, today))
    if now and today > source:
        notes.append(nothing_after(source))
    return replace(part, said=joined(text, *notes), also=())


def after_story(snapshot: Snapshot, question: str, closest: Answer) -> Answer | None:
    """An abstention with its reason when the question asks what happened after the story;
    None when the story does tell it (the closest answer is about something it reports as
    done: "what happened at the missile lab?")."""
    returns_told = snapshot.index.knows(RETURN_STEM)
    language = snapshot.language
    if not asks_after_story(question, returns_told, language):
        return None
    entry = closest.entry if closest.answered else None
    source = snapshot.source_date(entry)
    event = snapshot.event_date(entry) if entry else None
    later = _later_event_named(snapshot, question)
    # an entry that gives no date for what it tells reports it as the story stands
    reported = entry is not None and (event is None or event < source)
    if reported and later is None and not _strictly_after(question, returns_told, language):
        return None
    suggestions = closest.suggestions or tuple(
        Suggestion(part.entry.id, part.entry.question) for part in closest.parts if part.entry
    )
    named = later or (entry if entry and entry.about else None)
    reason = after_story_reason(
        source, named.about if named else None, snapshot.event_date(named) if named else None
    )
    return Answer(
        question, Outcome.ABSTAINED, closest.confidence, suggestions=suggestions, reason=reason
    )


def _later_event_named(snapshot: Snapshot, question: str) -> Entry | None:
    """The entry about a later event than its story ("the parade") that the question names."""
    asked = set(snapshot.index.analyse(question))
    for entry in snapshot.entries.values():
        event = snapshot.event_date(entry) if entry.about else None
        if (
            event is not None
            and event > snapshot.source_date(entry)
            and asked & set(snapshot.index.analyse(entry.about))
        ):
            return entry
    return None


# ---- dates in questions ---------------------------------------------------------------------

_ORDINAL = r"(?:st|nd|rd|th)?"
_MONTH_WORD = (
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|"
    r"june|july|august|september|october|november|december)\.?"
)
_ASKED_DATE = re.compile(
    rf"\b(?:{_MONTH_WORD}\s+(\d{{1,2}}){_ORDINAL}|(\d{{1,2}}){_ORDINAL}(?:\s+of)?\s+{_MONTH_WORD})"
    r"(?:,?\s+(\d{4}))?\b|\b(\d{4})-(\d{2})-(\d{2})\b",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
# The source's age asked as a person's ("how old is this news?"): its date is the answer.
_SOURCE_AGE = re.compile(
    r"\bhow (?:old|recent|new|fresh|current|up to date) (?:is|was) (?:this|the|that) "
    r"(?:news|article|story|piece|report|post|info|information)\b",
    re.IGNORECASE,
)
# Phrases that ask the day, or place the reader's now, without naming a topic.
_DAY_PHRASES = re.compile(r"\bday of the week\b|\bthis week\b", re.IGNORECASE)


def in_story_days(question: str, story_date: dt.date) -> str:
    """The question as the story's days: dates near the story's written as the weekdays it
    uses ("did he leave on September 1st?" -> "...on monday"), so they meet its words, and
    the source's age asked as its date ("how old is this news?")."""
    if _DIGIT.search(question):
        question = _ASKED_DATE.sub(lambda m: _weekday_of(m, story_date), question)
    question = _SOURCE_AGE.sub("when was this article published", question)
    asks_other = bool(_OTHER_QUESTION_WORD.search(question))
    return _DAY_PHRASES.sub(lambda match: _day_phrase(match, asks_other), question)


# "why is he going to China this week?": a question word of its own; "this week" is when it
# happens, not what is asked
_OTHER_QUESTION_WORD = re.compile(r"\b(?:why|who|whom|whose|what|which|where|how)\b", re.IGNORECASE)


def _day_phrase(match: re.Match[str], asks_other: bool) -> str:
    # "day of the week" asks the day; "this week" asks when, as the reader sees it, unless
    # the question asks something else
    if match.group(0).lower().startswith("day"):
        return "day"
    return " " if asks_other else "when"


def _weekday_of(match: re.Match[str], story_date: dt.date) -> str:
    month_a, day_a, day_b, month_b, year, iso_y, iso_m, iso_d = match.groups()
    try:
        if iso_y:
            date = dt.date(int(iso_y), int(iso_m), int(iso_d))
        else:
            month = _month_number(month_a or month_b)
            date = dt.date(int(year) if year else story_date.year, month, int(day_a or day_b))
    except ValueError:
        return match.group(0)
    if abs((date - story_date).days) > WEEKDAY_REACH:
        return match.group(0)  # far from the story: nothing it says falls on that day
    return WEEKDAYS[date.weekday()]


def _month_number(word: str) -> int:
    word = word.lower().rstrip(".")
    return next(i + 1 for i, name in enumerate(MONTHS) if name.startswith(word[:3]))
