"""Follow-up questions read with the turn before them ("When is the parade?" - "who hosts it?").

A message that names no topic of its own (only question words: "when?", "how many?", "by
whom?"), points back at one ("it", "they", "there", "that") or continues the last question
("and Russia's?", "what about the train?") is read twice: alone, and with the previous turn's
topic words added at a lower weight, so its own words still decide what is asked and the
borrowed ones only say what about (when that finds nothing, with the words of the previous
answer: "by train" - "how fast is it?"). A message that names its own topic and points back at
nothing stands alone: context never hijacks a new question.

The contextual reading must account for what the follow-up itself asks: an entry that does
not know one of its words or the kind of answer it wants ("and their range?", "how many will
be built?") is a near miss, abstained on as any other.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from bot.engine import timeline
from bot.engine.attribution import SOURCE_VOICE, asks_when_said, words_of
from bot.engine.matcher import Match
from bot.engine.model import Answer, Entry, Outcome, Snapshot, Suggestion
from bot.engine.naming import YEAR, tells_kind
from bot.engine.text import STOPWORDS, STRICT_FOCUS, fold, is_small_talk

# English words that point back at something said before (the engine's language rules; a
# story's own words stay in knowledge/).
REFERENCE_WORDS: frozenset[str] = frozenset(
    """
    it its itself they them their theirs themselves he him his himself she her hers herself
    there that this those these then thereafter such else
    """.split()
)
# Verbs that report what someone said: in "when did they say he arrived?" they frame the
# question ("when did he arrive?") rather than ask about the saying.
REPORTING = "say said says saying tell told tells report reported reports claim claimed claims"
# "and Russia's?", "but why?", "what about the train?", "how about China": the last question
# asked again about something else, or more about the same thing.
_CONTINUES = re.compile(r"^(?:(?:and|but|also|so|or|then)\b|(?:what|how) about\b)")
# "Other question: ...", "totally different thing -", "switching topics,": the reader says
# the message is not about the turn before.
_NEW_TOPIC = re.compile(
    r"^\W*(?:ok(?:ay)?\W+|now\W+|and\W+|also\W+)?(?:(?:a|one|some|something|totally|completely"
    r"|entirely|quite|slightly)\s+)?(?:(?:different|other|another|separate|new|unrelated"
    r"|random|off[- ]?topic)\s+(?:question|topic|thing|subject|note|query|one|matter)s?\b"
    r"|(?:switching|changing|change|switch)\s+(?:of\s+)?(?:the\s+)?(?:topics?|subjects?|gears)\b"
    r"|on\s+(?:a|an)?\s*(?:different|other|another|separate|unrelated)\s+note\b"
    r"|unrelated)(?:\s+(?:here|now|though|please|for\s+you))?\s*(?:[:,.!;\u2013\u2014-]|$)"
)
_WORD = re.compile(r"[\w']+")
# "at that pace", "for that price": a circumstance the last answer told ("why that
# material?" still asks about the material)
_DEMONSTRATED = re.compile(
    r"\b(?:at|in|for|with|by|on|from|to)\s+(?:that|this|those|these)\s+(\w+)", re.IGNORECASE
)
# Kinds of answer a follow-up may get from an entry none of whose phrasings asks it, when its
# answer tells one: a name, a place.
_TOLD_KINDS = frozenset({"@who", "@where"})

# The previous turn's words weigh this much of their own weight in a follow-up that names a
# topic of its own ("when did he arrive?"), and fully in one that names none ("what day?").
CONTEXT_WEIGHT = 0.5
# The entry that answered the last turn, matched again, counts this share of its confidence:
# a follow-up mostly asks something new, but often more of what was just said ("what kind?"
# after "China will show off its latest high-tech weapons"). (0.85: three fewer follow-ups
# right over the sixteen conversation sets, none more.)
LAST_ENTRY_FACTOR = 0.9
# The share of a follow-up's own words (by weight) its answer must know.
OWN_SHARE = 0.6
# A follow-up that also names a topic of its own: the standalone reading wins outright only
# when this much more confident than the contextual one (and the other way round).
CLEARLY_BETTER = 0.1


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange: what it was about (the question of the entry that answered it,
    else the words asked) and that entry (None when none did). Plain text and an id: safe
    to store anywhere."""

    question: str
    entry_id: str | None = None


_PERSONAL = re.compile(r"\b(?:he|him|his|himself|she|her|hers|herself)\b", re.IGNORECASE)
# "this", "that"...: a pronoun alone ("is that a lot?"), a determiner before a noun.
DEMONSTRATIVES: frozenset[str] = frozenset("this that these those such".split())
_REFERENCE = re.compile(r"\b(?:" + "|".join(sorted(REFERENCE_WORDS)) + r")\b", re.IGNORECASE)
# "those two", "the 3 of them": a count of what was talked about
_COUNTED = re.compile(
    r"\b(?:the|those|these|all)\s+(two|three|four|five|six|[2-6])\b(?:\s+(\w+))?", re.IGNORECASE
)
# "what about the train?": the words after it are the topic, "how" asks no manner here.
_ABOUT = re.compile(r"^\W*(?:(?:and|but|so)\s+)?(?:what|how)\s+about\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Reading:
    """A follow-up read with the turn before: its own words, the topic words it borrowed, the
    entries that fit that reading and all the entries it came close to."""

    own: list[str]
    borrowed: list[str]
    fitting: list[Match]
    close: list[Match]


def own_words(snapshot: Snapshot, question: str) -> list[str]:
    """The analysed words of the message itself: not what its pointing words stand for
    alone ("he" is whoever the last turn was about, whatever a synonym says "he" means)."""
    index = snapshot.index
    pointers = " ".join(_REFERENCE.findall(question))
    stand_for = set(index.analyse(pointers)) if pointers else set()
    # "have those two always got along?", "the three countries": a count of what was talked
    # about asks no number
    stand_for.update(index.analyse(" ".join(count for count, _ in _COUNTED.findall(question))))
    return [t for t in index.analyse(_ABOUT.sub(" ", question)) if t not in stand_for]


def is_followup_shaped(snapshot: Snapshot, question: str) -> bool:
    """True when the message needs the turn before to be understood: it names no known topic,
    points back at one, or continues the last question."""
    folded = fold(question).strip()
    if not folded or is_small_talk(question):
        return False
    if continues_last_question(question) or _REFERENCE.search(question):
        return True
    if _pointing_counts(question):
        return True  # "have things always been smooth between the two?"
    return not names_topic(snapshot, own_words(snapshot, question))


def topic_of(snapshot: Snapshot, turn: Turn) -> str:
    """How a follow-up's reading names what it is about: the entry's question, or the words
    of the turn when no entry answered it."""
    entry = snapshot.entries.get(turn.entry_id or "")
    return entry.question if entry else turn.question


def read_with(
    snapshot: Snapshot, question: str, turn: Turn, limit: int, *, by_answer: bool = False
) -> Reading:
    """The follow-up read with the turn's topic words added: those of its question, or (with
    ``by_answer``) those of the answer it got ("by train" - "how fast is it?")."""
    index = snapshot.index
    own = own_words(snapshot, question)
    entry = snapshot.entries.get(turn.entry_id or "")
    # "at that pace": what the last answer told, pointed at, not asked anew
    pointed: list[str] = []
    if entry is not None:
        shown = set(index.analyse(" ".join(_DEMONSTRATED.findall(question))))
        pointed = [t for t in own if t in shown and index.accounts_for(entry.id, t)]
        own = [t for t in own if t not in pointed]
    # Only "and Russia's?" asks the last question's kind of answer again; "what will happen
    # there?" asks something new about the same topic.
    borrow_focus = (
        not has_focus(own)
        and continues_last_question(question)
        and len(_WORD.findall(fold(question))) <= _SHORT
    )
    weight = CONTEXT_WEIGHT if names_topic(snapshot, own) else 1.0
    # Answers are read as the index reads them: without the dates beside their weekdays.
    said = timeline.weekdays_only(entry.answer) if entry is not None else ""
    if by_answer:
        readings = [index.analyse_known(said)] if entry is not None else []
    elif entry is None:
        readings = [index.analyse(turn.question)]
    elif entry.question == turn.question:  # (a turn an entry answered is about its question)
        readings = [index.analyse_known(entry.question)]
    else:
        readings = [index.analyse(turn.question), index.analyse_known(entry.question)]
    scale: dict[str, float] = dict.fromkeys(pointed, weight)
    for reading in readings:
        for token in reading:
            # The follow-up's own question word replaces the one asked before ("when?").
            if token in own or token in scale or (token.startswith("@") and not borrow_focus):
                continue
            # A word only the last entry uses is what was asked then ("feature"), not the
            # topic the conversation is about ("the parade"): it would only dilute the rest.
            only_last = entry is not None and index.accounts_for(entry.id, token)
            if not token.startswith("@") and index.entry_count(token) - only_last < 1:
                continue
            # "and Russia's?" asks the same kind of answer as before, fully.
            scale[token] = 1.0 if token.startswith("@") else weight
    if borrow_focus and names_topic(snapshot, own) and not points_back(question):
        # "and Russia's?" after "Who is China's leader?": the same kind of question about
        # Russia; the last one's topic words would only pull back to the same answer.
        for token in [t for t in scale if not t.startswith("@")]:
            del scale[token]
    # "in this story" frames the last question rather than naming its topic (every entry is
    # about the story): such words are borrowed only when the question named nothing else.
    voice = story_voice(snapshot)
    if any(not t.startswith("@") and t not in voice for t in scale):
        scale = {t: w for t, w in scale.items() if t not in voice}
    borrowed = list(scale)
    if not borrowed:
        return Reading(own, borrowed, [], [])
    optional = frozenset(borrowed)
    matches = index.search_tokens(own + borrowed, scale, limit + 1, optional)
    # A follow-up mostly asks something new: the answer just given is less likely wanted.
    matches = sorted(
        (
            replace(m, confidence=m.confidence * LAST_ENTRY_FACTOR)
            if m.entry.id == turn.entry_id
            else m
            for m in matches
        ),
        key=lambda m: -m.confidence,
    )[:limit]
    # What "it" may stand for: the topic words, or what the last answer named ("by train").
    topic = {t for t in borrowed if not t.startswith("@")}
    # "he", "her" after a who-question ("Who is Putin?" - "will he give a speech?"): the
    # person asked about, so the answer must know the question's words, not only whatever
    # the last answer named ("one of the big names Kim joins").
    personal = (
        bool(_PERSONAL.search(question))
        and entry is not None
        and "@who" in index.analyse_known(entry.question)
    )
    if entry is not None and (by_answer or not personal or not topic):
        topic.update(t for t in index.analyse_known(said) if not t.startswith("@"))
    # "and the Hwasong-18?" after "how much thrust?": the kind of answer borrowed is asked too.
    focus = [t for t in borrowed if t.startswith("@")]
    fitting = [m for m in matches if _fits(snapshot, question, m, own + focus, topic)]
    return Reading(own, borrowed, fitting, matches)


# "it", "they": what an entry's `about` stands in for, read in place ("its" as "X's").
_STANDS_FOR = re.compile(r"\b(?:it|they|them|its|their)\b", re.IGNORECASE)


def in_place(snapshot: Snapshot, question: str, turn: Turn) -> str | None:
    """The follow-up with what its "it" stands for in place ("what day is it?" after a turn
    about the parade: "what day is the parade?"): the last entry's `about`, else the one
    thing with an `about` the turn's question named. None when it has no "it" or the turn
    stands for nothing curated."""
    if not _STANDS_FOR.search(question):
        return None
    entry = snapshot.entries.get(turn.entry_id or "")
    about = entry.about if entry is not None else None
    if about is None:
        named = _abouts_named(snapshot, set(snapshot.index.analyse(turn.question)))
        if len(named) != 1:
            return None
        (about,) = named
    return _STANDS_FOR.sub(
        lambda m: f"{about}'s" if m.group(0).lower() in {"its", "their"} else about, question
    )


def guarded_in_place(snapshot: Snapshot, question: str, turn: Turn) -> bool:
    """True when the follow-up, read with what its "it" stands for in place ("how many hours
    does it go on for?" after the parade: "...does the parade go on for"), is a question the
    curators marked as one the story does not say (a guard)."""
    entry = snapshot.entries.get(turn.entry_id or "")
    if entry is None or entry.about is None:
        return False
    read = in_place(snapshot, question, turn)
    index = snapshot.index
    return read is not None and not index.synonyms.guarded.isdisjoint(index.analyse(read))


def topic_words(snapshot: Snapshot, turn: Turn) -> list[str]:
    """The analysed topic words of the turn: what "them" in "can you name them?" stands for."""
    return sorted(words_of(snapshot, topic_of(snapshot, turn)))


# "did Russia back it too?", "is Japan sending anyone as well?": the same asked of another.
_TOO = re.compile(r"\b(?:too|also|as well|either)\b")


def new_subject(snapshot: Snapshot, question: str, turn: Turn) -> frozenset[str]:
    """The subject a follow-up asks the same about ("did Russia back it too?" after North
    Korea backed something): its first own word, when the last turn neither asked nor
    answered it. Empty when it asks nothing "too"."""
    if not _TOO.search(fold(question)):
        return frozenset()
    index = snapshot.index
    before = set(topic_words(snapshot, turn))
    entry = snapshot.entries.get(turn.entry_id or "")
    if entry is not None:
        before.update(index.analyse_known(entry.answer))
    # The subject comes first: "is Putin at the parade too?" asks about Putin.
    own = [t for t in own_words(snapshot, question) if not t.startswith("@")]
    return frozenset(own[:1]) - before


def says_of(snapshot: Snapshot, entry_id: str, subject: frozenset[str]) -> bool:
    """True when the entry's question or answer names every word of the subject."""
    entry = snapshot.entries[entry_id]
    index = snapshot.index
    return subject <= set(index.analyse_known(entry.question)) | set(
        index.analyse_known(entry.answer)
    )


# "whose?", "and whose is it?": the owner of what the last answer spoke of.
_WHOSE = re.compile(
    r"^(?:(?:and|but|so)\s+)?whose(?:\s+(?:is|are|was|were)\s+(?:it|they|that|those))?\W*$"
)
# "China's efforts", "Kim's train": a name owning something.
_POSSESSIVE_NAME = re.compile(r"\b[A-Z][\w-]*['’]s\b")


def asks_the_last_answer(snapshot: Snapshot, question: str, turn: Turn) -> bool:
    """True when the message asks about the last answer itself, which says it: a bare
    "whose?" after an answer naming an owner, "why that one?" after an answer giving a
    reason, a yes/no question naming nothing ("is that the most?"), "which year?" after an
    answer giving one, "when did he say that?" after an answer telling when."""
    return (
        _owner_said_before(snapshot, question, turn)
        or _reason_told_before(snapshot, question, turn)
        or _judges_the_last_answer(snapshot, question, turn)
        or _asks_the_year_told(snapshot, question, turn)
        or (
            turn.entry_id in snapshot.entries
            and asks_when_said(fold(question))
            and snapshot.index.tells_when(str(turn.entry_id))
        )
    )


def _owner_said_before(snapshot: Snapshot, question: str, turn: Turn) -> bool:
    """True when a bare "whose?" follows an answer that names an owner ("China's efforts
    to flex its diplomatic clout"): that answer says whose."""
    entry = snapshot.entries.get(turn.entry_id or "")
    if entry is None or not _WHOSE.match(fold(question).strip()):
        return False
    return bool(_POSSESSIVE_NAME.search(entry.answer))


# "why that?", "why this one?": the reason for what the last answer named.
_WHY_THAT = re.compile(
    r"^(?:(?:and|but|so|ok|okay)\s+)?why\s+(?:that|this|those|these)(?:\s+ones?)?\W*$"
)


def _reason_told_before(snapshot: Snapshot, question: str, turn: Turn) -> bool:
    """True when a bare "why that one?" follows an answer that gives a reason ("...using
    lightweight carbon fiber"): that answer says why."""
    entry = snapshot.entries.get(turn.entry_id or "")
    return entry is not None and entry.gives_reason and bool(_WHY_THAT.match(fold(question)))


# "that same day", "the day before", "two days later": a day counted from the last answer's.
_ANY_EVENT = "what happened what happens what went on what occurred what took place"
_DAYS = {"a": 1, "one": 1, "1": 1, "two": 2, "2": 2, "three": 3, "3": 3, "four": 4, "4": 4}
_DAY_SHIFT = re.compile(
    r"\b(?:(?:the|a)\s+day\s+(?P<one>before|after|earlier|later|prior)"
    r"|the\s+(?P<next>next|following|previous)\s+day"
    r"|(?P<count>a|one|two|three|four|[1-4])\s+days?\s+(?P<way>before|after|earlier|later|prior)"
    r"|(?:on\s+)?(?:that|the)\s+(?:same\s+)?day|same\s+day)"
    r"(?:\s+that)?\b"
)


def on_another_day(snapshot: Snapshot, question: str, turn: Turn) -> str | None:
    """The entry that tells what happened on a day counted from the last answer's ("what else
    did he do that same day?", "what did Kim do two days before?"): one whose facts happen on
    that day, other than the last answer, that knows every word the message names besides
    the day. None when the message counts no day, the last answer has no dated fact, or no
    entry of that day fits."""
    entry = snapshot.entries.get(turn.entry_id or "")
    shift = _DAY_SHIFT.search(fold(question))
    if entry is None or shift is None:
        return None
    day = snapshot.event_date(entry)
    if day is None:
        return None
    if shift["one"] or shift["count"]:
        days = _DAYS[shift["count"]] if shift["count"] else 1
        later = (shift["one"] or shift["way"]) in ("after", "later")
        day += dt.timedelta(days=days if later else -days)
    elif shift["next"]:
        day += dt.timedelta(days=-1 if shift["next"] == "previous" else 1)
    index = snapshot.index
    rest = fold(question)[: shift.start()] + " " + fold(question)[shift.end() :]
    # "what happened / went on": whatever the words read as, they ask for any event
    events = set(index.analyse(_ANY_EVENT))
    asked = [t for t in own_words(snapshot, rest) if not t.startswith("@") and t not in events]
    told = set(entry.fact_ids)
    # another event of that day: a fact of it the last answer did not already tell
    dated = [
        other.id
        for other in snapshot.entries.values()
        if other.id != entry.id
        and any(snapshot.facts[f].when == day and f not in told for f in other.fact_ids)
    ]
    # those that know what else the message names ("what did he inspect that day?"): one
    # naming what none of them knows ("did it rain that day?") is not about them
    dated = [i for i in dated if all(index.accounts_for(i, t) for t in asked)]
    if not dated:
        return None
    ranked = [m.entry.id for m in index.search(rest, limit=len(snapshot.entries))]

    weekday = day.strftime("%A").lower()

    def closest(entry_id: str) -> tuple[float, bool, int]:
        # of several, the one most about that day's events (not one citing it in passing),
        # then one whose answer names the day, then the one the message reads most like
        other = snapshot.entries[entry_id]
        share = sum(snapshot.facts[f].when == day for f in other.fact_ids) / len(other.fact_ids)
        named = weekday in fold(other.answer)
        return (-share, not named, ranked.index(entry_id) if entry_id in ranked else len(ranked))

    return min(dated, key=closest)


# "what else?", "anything else?", "what else will there be?": more of what was talked about.
_ELSE = re.compile(r"^\W*(?:(?:and|so|ok|okay)\W+)?(?:what|anything|something)\s+else\b")
# The last answer tells "the rest" when at least this share of its words were not asked for.
UNASKED_SHARE = 0.5


def rest_of(snapshot: Snapshot, question: str, turn: Turn) -> str | None:
    """The entry that tells "the rest" when "what else?" follows an answer: that answer again
    when it told more than its question asked ("Will there be aircraft?" - "troops marching,
    planes overhead, the latest weapons"), else the first entry the curators relate to it
    ("Is the train armored?" - "Yes" - "what else?": what the train is like). None when the
    message names what that answer does not ("what else did they brag about?")."""
    entry = snapshot.entries.get(turn.entry_id or "")
    if entry is None or not _ELSE.search(fold(question)):
        return None
    index = snapshot.index
    if any(
        (t.startswith("@") and t != "@what") or not index.accounts_for(entry.id, t)
        for t in own_words(snapshot, question)
    ):
        return None  # "what else did they brag about?", "...did he do that day?": another thing
    asked = set(index.analyse(turn.question))
    told = [t for t in index.analyse_known(entry.answer) if not t.startswith("@")]
    if sum(t not in asked for t in told) >= UNASKED_SHARE * len(told) > 0:
        return entry.id
    return next((r for r in entry.related if r in snapshot.entries), None)


def _judges_the_last_answer(snapshot: Snapshot, question: str, turn: Turn) -> bool:
    """True for a yes/no question about what was just said that names nothing of its own
    ("is that the most?", "is it?"): the last answer is what it asks about."""
    if turn.entry_id not in snapshot.entries or not points_back(question):
        return False
    language = snapshot.index.language
    return language.asks_yes_no(question) and not own_words(snapshot, question)


def _asks_the_year_told(snapshot: Snapshot, question: str, turn: Turn) -> bool:
    """True for "which year?", "what year was that?" after an answer that gives a year:
    the answer before says it (another entry's date would answer another event)."""
    entry = snapshot.entries.get(turn.entry_id or "")
    if entry is None or not YEAR.search(entry.answer):
        return False
    own = set(own_words(snapshot, question))
    return "year" in own and own <= {"@when", "year"}


def story_voice(snapshot: Snapshot) -> frozenset[str]:
    """The analysed words that name the story itself ("article", "story", "author")."""
    return words_of(snapshot, SOURCE_VOICE)


def points_back(question: str) -> bool:
    """True when the message uses a word that stands for something said before ("it", "he",
    "is that a lot?"). "this article", "that material" name their own noun: the message may
    still mean the last turn's topic, but can stand alone too."""
    words = _WORD.findall(fold(question))
    for number, word in enumerate(words):
        if word in DEMONSTRATIVES:
            following = words[number + 1] if number + 1 < len(words) else None
            if following is None or following in STOPWORDS:
                return True
        elif word in REFERENCE_WORDS:
            return True
    return bool(_pointing_counts(question))


def _pointing_counts(question: str) -> list[str]:
    """The counts that stand for what was talked about: "between the two?", "will the three
    of them meet?" (not "the three countries")."""
    found = _COUNTED.findall(fold(question))
    return [count for count, after in found if not after or after in STOPWORDS]


def means_the_same_alone(snapshot: Snapshot, question: str, borrowed: list[str]) -> bool:
    """True when every word pointing back stands, by the story's own synonyms, for something
    the last turn was about too ("he" for Kim, when Kim was in it): read alone, the message
    asks the same of the same subject ("why is he going?")."""
    pointers = _REFERENCE.findall(question)
    if not pointers:
        return False
    for pointer in pointers:
        meant = {t for t in snapshot.index.analyse(pointer) if not t.startswith("@")}
        if not meant or not meant.issubset(borrowed):
            return False
    return True


def names_topic(snapshot: Snapshot, own: list[str]) -> bool:
    """True when analysed words name something the knowledge knows (not only ask "when?")."""
    return any(not t.startswith("@") and snapshot.index.knows(t) for t in own)


# "and the Hwasong-18?": a continuation this short names only what it asks about; a longer
# one ("so is Kim going to get private time with Putin?") asks a question of its own.
_SHORT = 4


def asks_the_last_question_again(question: str, own: list[str]) -> bool:
    """True for "and Russia's?", "and the Hwasong-18?": the last question about something
    else, asking no kind of answer of its own ("what about the train?" asks to hear about
    the train, whatever was asked before)."""
    words = _WORD.findall(fold(question))
    return (
        len(words) <= _SHORT
        and continues_last_question(question)
        and not has_focus(own)
        and not _ABOUT.match(question)
    )


def starts_new_topic(question: str) -> bool:
    """True for "Other question: ...", "Switching topic, ...": not a follow-up, by its word."""
    return bool(_NEW_TOPIC.match(fold(question)))


def continues_last_question(question: str) -> bool:
    """True for "and Russia's?", "what about the train?": the last question, about X."""
    return bool(_CONTINUES.match(fold(question).strip()))


def _fits(snapshot: Snapshot, question: str, match: Match, own: list[str], topic: set[str]) -> bool:
    """True when the matched entry answers what the follow-up itself asks (the kind of answer
    it wants, and most of its words) about the topic it borrowed (one of those words)."""
    index = snapshot.index
    entry_id = match.entry.id
    if any(
        t in STRICT_FOCUS
        and not index.accounts_for(entry_id, t)
        # "and who's showing off weapons there?": an answer that names who does it tells
        and not (t in _TOLD_KINDS and tells_kind(snapshot, question, match.entry, t))
        for t in own
    ):
        return False
    # "when did they say he arrived?": the saying frames what is asked, when more is asked.
    words = [t for t in own if not t.startswith("@")]
    content = [t for t in words if t not in words_of(snapshot, REPORTING)]
    if content:
        words = content
    total = sum(index.weight(t) for t in words)
    known = sum(index.weight(t) for t in words if index.accounts_for(entry_id, t))
    if total and known / total < OWN_SHARE:
        return False
    return not topic or any(index.accounts_for(entry_id, t) for t in topic)


def as_followup(answer: Answer, snapshot: Snapshot, turn: Turn) -> Answer:
    """The answer marked as read with ``turn``."""
    return replace(answer, about=topic_of(snapshot, turn), followup_of=turn.entry_id)


def did_you_mean(question: str, first: Answer, second: Answer, limit: int) -> Answer:
    """Both readings offered when neither is clearly the one meant."""
    offered: list[Suggestion] = []
    for answer in (first, second):
        if answer.entry and all(s.entry != answer.entry.id for s in offered):
            offered.append(Suggestion(answer.entry.id, answer.entry.question))
    confidence = max(first.confidence, second.confidence)
    return Answer(question, Outcome.SUGGESTED, confidence, suggestions=tuple(offered[:limit]))


def next_turn(answer: Answer, snapshot: Snapshot) -> Turn:
    """The context the reader's next message is read with, after ``answer``.

    An answered turn is about what its entry asks (a follow-up's own words are often only
    "when?", and the reader's words measured worse as a topic), unless the reader named a
    thing the curators gave an entry `about` that the entry's question does not name ("Where
    is the WWII parade being held?" - "Beijing" - "which day?": the parade's); a follow-up
    that found no answer keeps the topic it was read with.
    """
    if answer.answered and answer.entry:
        asked = answer.question
        if answer.followup_of is not None and answer.about is not None:
            # "where is it?" about the parade: "where is the parade?"
            asked = in_place(snapshot, asked, Turn(answer.about, answer.followup_of)) or asked
        if _names_another_about(snapshot, asked, answer.entry):
            return Turn(asked, answer.entry.id)
        return Turn(answer.entry.question, answer.entry.id)
    if answer.about:
        return Turn(answer.about, answer.followup_of)
    return Turn(answer.question)


def has_focus(own: list[str]) -> bool:
    """True when the analysed words ask a kind of answer of their own ("when", "who")."""
    return any(t.startswith("@") for t in own)


def _names_another_about(snapshot: Snapshot, question: str, entry: Entry) -> bool:
    """True when ``question`` names what some other entry is `about` ("the parade") and the
    question of ``entry``, which answered it, does not."""
    index = snapshot.index
    own = set(index.analyse_known(entry.question))
    named = _abouts_named(snapshot, set(index.analyse(question)), besides=entry.id)
    return any(not words <= own for words in named.values())


def _abouts_named(
    snapshot: Snapshot, asked: set[str], besides: str | None = None
) -> dict[str, set[str]]:
    """What the entries (other than ``besides``) are `about` that the analysed words ``asked``
    name, each with its words."""
    index = snapshot.index
    named = {}
    for other in snapshot.entries.values():
        if other.about is None or other.id == besides:
            continue
        words = {t for t in index.analyse_known(other.about) if not t.startswith("@")}
        if words and words <= asked:
            named[other.about] = words
    return named
