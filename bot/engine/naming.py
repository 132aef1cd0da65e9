"""Questions that ask to identify something: "which lab?", "where is that lab?", "can you name
them?". An answer that only mentions the thing generically ("Kim swung by a missile lab",
"a new global setup that boosts developing countries") does not say which one it is: the
story does not answer the question, however close the entry's topic.

English rules (the engine's language rules; a story's own words stay in knowledge/).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.engine.matcher import MatchIndex
from bot.engine.model import Entry, Snapshot
from bot.engine.text import STOPWORDS, fold

# "which developing countries?": the words after "which" (up to a function word) name the kind
# of thing asked for; "which is it?" names none.
_WHICH = re.compile(r"\bwhich\s+([a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,2})")
# "exactly", "specific", "which names/models?", "which other...?": a name is wanted, not a kind.
_STRICT = re.compile(r"\b(?:exactly|specifically|specific|precisely|names?|models?|other|else)\b")
# Words after "which" that stand for the last turn's topic ("which ones?", "which names?").
_REFERENT_HEADS = frozenset("one ones name names".split())
# Verbs that may follow the thing in "which paper wrote...", "which leader says..." (besides
# any word ending in -ed).
_VERBS = frozenset(
    """
    said says wrote writes told tells made makes took takes went goes came comes got gets gave
    gives saw sees built builds sent sends led leads won wins lost loses met meets ran runs
    brought brings thought thinks put puts reports claims shows sells buys pays hosts holds
    held
    """.split()
)
# "where is that lab?", "where's the lab?": the thing whose place is asked.
_WHERE = re.compile(
    r"\bwhere(?:\s+(?:is|are|was|were|will)|'s|s)\s+(?:(?:the|that|this|these|those)\s+)?"
    r"(?!(?:it|he|she|they|we|you|i|him|them|there)\b)([a-z][\w'-]*)"
)
# "can you name them?", "who are they?", "list them": the last turn's topic, named one by one.
_NAME_THEM = re.compile(
    r"\b(?:name|list|identify)\s+(?:them|those|these|they|it|all|some|any)\b"
    r"|\bwho\s+(?:are|were)\s+(?:they|those|these)\b"
    r"|\bwhat\s+are\s+their\s+names\b"
)
# Words that, right after the thing ("labs such as ...", "the lab in Pyongyang"), introduce
# its name or place.
_INTRODUCERS = frozenset("such like including called named in at near outside from".split())
# An answer's words ("Hwasong-20", "China's") and its punctuation, one token each.
_TOKEN = re.compile(r"[\w][\w'’-]*|[^\w\s]")
_PLURAL_ACRONYM = re.compile(r"[A-Z]{2,}s")
# How far before the thing a name may stand ("the Hwasong-19 and Hwasong-20 missiles").
_BEFORE = 3
# The longest run of words read as one term ("heads of state").
_TERM = 3


@dataclass(frozen=True, slots=True)
class Request:
    """What a question asks to have named: the analysed words of the thing, and whether it
    asks a place ("where") rather than which one."""

    things: frozenset[str]
    place: bool = False
    # "them": the thing is the last turn's topic, so an answer naming it must mention it.
    referent: bool = False
    # "which lab?", "which developing countries?": nothing but the thing is asked, so the
    # message only makes sense after something that mentioned it.
    bare: bool = False
    # The words the reader already knows (the question's, the last turn's topic): a word
    # before the thing that is not one of them says which it is ("developing countries").
    known: frozenset[str] = frozenset()
    # "which weapons exactly?", "which names?": only a name says which, not a kind of it
    # ("the latest high-tech weapons" tells what kind of weapons, not which ones).
    strict: bool = False


def asked_to_name(snapshot: Snapshot, question: str, topic: Iterable[str] = ()) -> Request | None:
    """The thing the question asks to have identified, or None when it asks no such thing.
    ``topic`` is what "them" stands for in "can you name them?" (the last turn's topic)."""
    folded = fold(question)
    if "which" not in folded and "where" not in folded and not _NAME_THEM.search(folded):
        return None
    index = snapshot.index
    known = frozenset(index.analyse(question)) | frozenset(topic)
    strict = bool(_STRICT.search(folded))
    if match := _WHICH.search(folded):
        if match.group(1).split()[0] in _REFERENT_HEADS:  # "which ones?": of the last topic
            things = {t for t in topic if not t.startswith("@")}
            bare = not folded[match.end() :].strip(" ?!.")
            return (
                Request(frozenset(things), referent=True, known=known, bare=bare, strict=strict)
                if things
                else None
            )
        words = []
        for word in match.group(1).split():
            if word in {"other", "else"} and not words:
                continue  # "which other countries?" asks for countries
            if word in STOPWORDS:
                break
            words.append(word)
        # "which newspaper reported...": the thing is the last word before the verb.
        while len(words) > 1 and (words[-1].endswith("ed") or words[-1] in _VERBS):
            words.pop()
        bare = not folded[match.end() :].strip(" ?!.") and folded[: match.start()].strip() in {
            "",
            "and",
            "but",
            "so",
        }
        head = words[-1:]
        things = {t for t in index.analyse(" ".join(head)) if not t.startswith("@")}
        return Request(frozenset(things), known=known, bare=bare, strict=strict) if things else None
    if match := _WHERE.search(folded):
        things = {t for t in index.analyse(match.group(1)) if not t.startswith("@")}
        return Request(frozenset(things), place=True, known=known) if things else None
    if _NAME_THEM.search(folded):
        things = {t for t in topic if not t.startswith("@")}
        return Request(frozenset(things), referent=True, known=known) if things else None
    return None


def names_it(snapshot: Snapshot, entry: Entry, request: Request) -> bool:
    """True when the entry's answer names the thing asked for where it mentions it: a name (a
    capitalised word inside a sentence, or one with digits) right before it or introduced
    right after it ("labs such as ..."), or a term of the knowledge's own that the reader has
    not used ("developing countries" for "which countries?"). An answer that does not
    mention the thing names it unless the entry is about it (then any name it gives may be
    the one: "which country surrendered?" - "Japan's surrender")."""
    index = snapshot.index
    if request.place and "@where" in index.analyse_known(entry.question):
        return True  # "Where is Kim going?" tells a place
    if request.things == {"year"} and YEAR.search(entry.answer):
        return True  # "which year?": "set in 2022" names it
    tokens, stems, runs = _read(index, entry.answer)

    def analysed(start: int, end: int) -> frozenset[str] | None:
        return runs.get((start, end))

    spans = [
        (start, start + size)
        for size in range(_TERM, 0, -1)
        for start in range(len(tokens) - size + 1)
        if (found := analysed(start, start + size)) and found & request.things
    ]
    # The shortest runs that mention it: "a missile lab" is "lab" with two words before it.
    spans = [
        (start, end)
        for start, end in spans
        if not any(start <= a and b <= end and (a, b) != (start, end) for a, b in spans)
    ]
    if spans:
        return any(_named_at(tokens, stems, span, request, analysed) for span in spans)
    if request.referent:
        return False  # "can you name them?" answered without them
    # An entry about the thing that does not name it: "which lab?" - "What did Kim see at
    # the missile lab?"
    about_it = any(index.accounts_for(entry.id, t) for t in request.things)
    return not (about_it and _mentions(snapshot, entry.question, request))


@lru_cache(maxsize=1024)
def _read(
    index: MatchIndex, answer: str
) -> tuple[list[str], list[frozenset[str]], dict[tuple[int, int], frozenset[str]]]:
    """An answer's tokens, each word's analysed stems, and those of every run of up to
    ``_TERM`` words (no punctuation inside); cached, as the knowledge's answers recur."""
    tokens = _TOKEN.findall(answer)
    words = [t[0].isalnum() for t in tokens]
    stems = [
        frozenset(index.analyse(t)) if word else frozenset()
        for t, word in zip(tokens, words, strict=True)
    ]
    runs = {
        (start, start + size): frozenset(index.analyse(" ".join(tokens[start : start + size])))
        for size in range(1, _TERM + 1)
        for start in range(len(tokens) - size + 1)
        if all(words[start : start + size])
    }
    return tokens, stems, runs


def _mentions(snapshot: Snapshot, text: str, request: Request) -> bool:
    return bool(request.things & set(snapshot.index.analyse(text)))


def _is_name(tokens: list[str], number: int, things: frozenset[str], stems: frozenset[str]) -> bool:
    """True for a name that is not just the thing's own word: a word of letters and digits
    ("Hwasong-20"), or a capitalised one inside a sentence."""
    word = tokens[number]
    if not word[0].isalnum() or _PLURAL_ACRONYM.fullmatch(word):
        return False  # "ICBMs", "MVPs": a kind of thing, however capitalised
    if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
        return True  # "Hwasong-20"; a bare number ("26 other world leaders") counts them
    return _capitalised(tokens, number) and not stems & things


def _capitalised(tokens: list[str], number: int) -> bool:
    """True for a capitalised word that does not start a sentence (those all are)."""
    starts_sentence = number == 0 or tokens[number - 1] in {".", "!", "?", "—", ":"}
    return tokens[number][0].isupper() and not starts_sentence


def _named_at(
    tokens: list[str],
    stems: list[frozenset[str]],
    span: tuple[int, int],
    request: Request,
    analysed: Callable[[int, int], frozenset[str] | None],
) -> bool:
    things = request.things
    start, end = span
    if all(_capitalised(tokens, number) for number in range(start, end)):
        return True  # the thing said by its name: "Rodong Sinmun" for "which newspaper?"
    words = 0
    for number in range(start - 1, -1, -1):
        if tokens[number] == "," and words == 0:
            continue  # "Beijing, China" for "which Chinese city?"
        if not tokens[number][0].isalnum() or words == _BEFORE:
            break
        words += 1
        if _is_name(tokens, number, things, stems[number]):
            return True
    if not request.place and not request.strict and _in_new_term(span, stems, request, analysed):
        return True
    following = end
    if following < len(tokens) and tokens[following] == "(":
        following += 1
    elif following < len(tokens) and tokens[following].lower() in _INTRODUCERS:
        following += 1
        if following < len(tokens) and tokens[following].lower() == "as":
            following += 1
    else:
        return False
    return following < len(tokens) and _is_name(tokens, following, things, stems[following])


def _is_term(
    start: int, end: int, stems: list[frozenset[str]], analysed: Callable
) -> frozenset[str] | None:
    """The words start..end read as one term of the knowledge (they analyse otherwise than
    each alone: "developing countries"), with no shorter term inside; else None."""
    found = analysed(start, end)
    if found is None or found == set().union(*stems[start:end]):
        return None
    for inner in range(start, end):
        for inner_end in range(inner + 2, end + 1):
            if (inner, inner_end) != (start, end) and _is_term(inner, inner_end, stems, analysed):
                return None
    return found


def _in_new_term(
    span: tuple[int, int], stems: list[frozenset[str]], request: Request, analysed: Callable
) -> bool:
    """True when the mention is part of a term the reader has not used ("developing
    countries" for "which countries?")."""
    start, end = span
    for size in range(2, _TERM + 1):
        for first in range(max(0, end - size), start + 1):
            last = first + size
            if (first, last) == span or last < end:
                continue
            term = _is_term(first, last, stems, analysed)
            if term and not term <= request.things | request.known:
                return True
    return False


def _told(snapshot: Snapshot, entry: Entry) -> str:
    """What the entry tells a reader: its answer and the quotes cited with it."""
    quotes = (citation.quote for citation in snapshot.citations_for(entry))
    return " ".join([entry.answer, *quotes])


def gives_measure(snapshot: Snapshot, question: str, entry: Entry) -> bool:
    """False when the question asks a number or a measure that the entry's answer and quotes
    do not give: "how many?" needs a number, "how heavy?" a unit of weight."""
    language = snapshot.index.language
    asks_count = "@count" in snapshot.index.analyse(question)
    units = language.measure_units(question)
    if not asks_count and units is None:
        return True
    text = _told(snapshot, entry)
    if asks_count and not language.states_amount(text):
        return False
    return units is None or bool(units.search(text.lower()))


# A year as written ("in 2022", "since 1903").
YEAR = re.compile(r"\b(?:1[6-9]|20)\d\d\b")
# "...travelled to Beijing", "...at the Palmdale plant": a place named after a preposition;
# or a kind of place ("a bigger role in the region", "swung by a missile lab").
_PLACE = re.compile(
    r"\b(?:in|at|to|from|near|inside|outside)\s+(?:the\s+)?[A-Z][\w-]+"
    r"|\b(?:in|at|to|from|near|inside|outside|by|across|around|throughout)\s+(?:the|a|an|its|their"
    r"|his|her)\s+(?:[\w-]+\s+)?(?:regions?|area|world|countryside|city|town|village|capital"
    r"|continent|border|lab|laboratory|factory|plant|base|station|site|facility|river|sea|ocean"
    r"|coast|island|province|county|district|neighbou?rhood|farm|ranch|port|airport|stadium"
    r"|museum|hospital|school|university|campus|headquarters|office|home)\b"
)


def tells_what_is_asked(snapshot: Snapshot, question: str, entry: Entry) -> bool:
    """True when the question asks one kind of thing about what the entry already covers
    ("where?", "how big?", "against who?": every word of it the entry's own) and the entry's
    answer tells that kind of thing: a place, a name, a number (with the unit a measure
    needs), a reason. A time is not checked: "when?" after an answer with a date more often
    asks about another event."""
    index = snapshot.index
    tokens = index.analyse(question)
    focus = [t for t in tokens if t.startswith("@")]
    if len(focus) != 1 or not all(
        t.startswith("@") or index.accounts_for(entry.id, t) for t in tokens
    ):
        return False
    return tells_kind(snapshot, question, entry, focus[0])


def tells_kind(snapshot: Snapshot, question: str, entry: Entry, kind: str) -> bool:
    """True when the entry's answer tells the kind of thing a focus asks: a reason (@why), a
    number with the unit a measure needs, a place (@where), a name (@who, @name). Other kinds:
    no."""
    if kind == "@why":
        return entry.gives_reason
    text = _told(snapshot, entry)
    if kind in ("@count", "@size", "@age", "@distance", "@duration"):
        language = snapshot.index.language
        return language.states_amount(text) and gives_measure(snapshot, question, entry)
    if kind == "@where":
        return bool(_PLACE.search(text))
    if kind in ("@who", "@name"):
        words = _TOKEN.findall(text)
        return any(_capitalised(words, number) for number in range(len(words)))
    return False
