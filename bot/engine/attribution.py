"""Who said what, and what a question is about: every phrase the engine reads about either.

An entry answers for its own subject and its own kind of claim, not for every question that
shares its words. Two rules, both read from the knowledge:

* **Who said it.** A fact may be attributed to someone (``said_by:`` "North Korean state
  media"); an unattributed fact is in the source's own voice. A question that asks what
  someone said ("what did Putin say...", "according to Rodong Sinmun...") is answered only by
  an entry whose facts that speaker said, or, when the story quotes that speaker somewhere,
  by facts in the source's own voice (which may relay them). Nobody the story quotes (Putin,
  analysts, Seoul) gets words put in their mouth.
* **What it is about.** An entry may say what its answer is about (``about:`` "Rodong
  Sinmun", "the train"). A question that names the subject of another entry close to it and
  not this one's ("what speed can the Hwasong-20 reach?" is not about the train) is not this
  entry's. A
  question asking for something *of* the subject ("who is the editor of Rodong Sinmun?",
  "who designed the Hwasong-20?") asks about that thing, which the entry answers only when
  its subject names it or its phrasings keep asking about it ("the speed of the train").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.engine.matcher import MatchIndex
from bot.engine.model import Entry, Snapshot
from bot.engine.sentences import split_sentences

_SPEECH_VERBS = (
    "say|said|saying|says|tell|told|report|reported|claim|claimed|announce|announced|brag|"
    "bragged|write|wrote|stated|reveal|revealed|confirm|confirmed|comment|commented|"
    "think|thought|mention|mentioned|add|added|estimate|estimated|describe|described|call|"
    "called|talk|talked|discuss|discussed|agree|agreed|promise|promised|warn|warned|"
    "tweet|tweeted|post|posted"
)
# Verbs that ask for someone's own words; the others ("agree", "promise", "announce") may ask
# what they did, which the story can tell without quoting them.
_SAYING = frozenset(
    "say said saying says tell told write wrote stated think thought comment commented "
    "mention mentioned add added talk talked tweet tweeted post posted".split()
)
# Where a question names whose words it asks for.
_SPEAKER = (
    # Past or future only: "what does the missile news say about..." asks what it implies;
    # "what were the missiles said to be made of" is passive.
    re.compile(
        r"\b(?:what|who|whom|which|where|when|how(?: \w+)?) (?:did|has|have|had|will|would) "
        # (not "what did the researchers ask villagers *to* tell them": someone else speaks)
        rf"(?P<speaker>(?:(?!\b(?:how|what|who|why|when|where|which|to)\b)[\w ]){{2,60}}?) "
        rf"(?P<verb>{_SPEECH_VERBS})\b"
    ),
    re.compile(
        r"\baccording to (?P<speaker>[\w ]{2,60}?)(?=\s*(?:[,?.!;:]|$|\bwhat\b|\bwhich\b|"
        r"\bwho\b|\bwhen\b|\bwhere\b|\bhow\b|\bdid\b|\bdoes\b|\bis\b|\bwas\b))"
    ),
    re.compile(r"(?:^|[,;] *)per (?P<speaker>[\w ]{2,40}?)\s*(?:[,?.!;:]|$)"),
    re.compile(
        r"\bwhat (?:is|was|were|are) (?P<speaker>[\w ]{2,40}?)s? (?:reaction|response|comment|"
        r"statement|view|position)s?\b"
    ),
)
_PRONOUNS = frozenset("he him she her they them it".split())
# Every speaker pattern needs one of these words: most questions skip them all at once.
_SPEAKER_HINTS = frozenset(
    f"{_SPEECH_VERBS}|according|per|reaction|response|comment|statement|view|position".split("|")
) | {f"{word}s" for word in "reaction response comment statement view position".split()}
# The source's own voice: "the article says", "according to the story", "per the author".
SOURCE_VOICE = (
    "article story piece author writer report text headline highlights bullet title roundup "
    "recap summary writeup column post news"
)

# "who said so?", "by whose account?", "says who?": a follow-up that asks whose claim the last
# answer was. That answer names its speaker where the story does, and its quote shows the words.
# What a reader asks the source of: the numbers the last answer gave.
_FIGURES = (
    r"(?:those|these|the|that|this)\s+(?:numbers?|figures?|stats|statistics|data|estimates?|count)"
)
_WHOSE_CLAIM = re.compile(
    rf"^(?:(?:and|but|so|ok|okay|wait)\s+)?(?:"
    rf"(?:who|whom)\s+(?:(?:has|had|did)\s+)?(?:(?:{_SPEECH_VERBS})s?|saying|claiming|reporting)"
    rf"(?:\s+(?:you|us|me))?(?:\s+(?:so|that|this|it))?"
    rf"|says\s+who|according\s+to\s+(?:whom|who)|(?:by|on)\s+whose\s+(?:account|word|say)"
    # "who gave those numbers?", "where do these figures come from?"
    rf"|(?:who|which\s+\w+)\s+(?:gave|gives|give|provided|provides|put\s+out|came\s+up\s+with)"
    rf"\s+{_FIGURES}"
    rf"|where\s+(?:do|did|does)\s+{_FIGURES}\s+come\s+from"
    rf"|(?:what(?:\s+is|'s)|whats)\s+the\s+source\s+(?:of|for)\s+(?:that|this|those|these|it)"
    rf")\W*$"
)


def asks_whose_claim(folded: str) -> bool:
    """True when a (folded) message only asks who said what the last answer said."""
    return bool(_WHOSE_CLAIM.match(folded.strip()))


# "when did he say that?", "when was that said?": when the last answer's words were said.
_WHEN_SAID = re.compile(
    rf"^(?:(?:and|but|so|ok|okay)\s+)?when\s+(?:did|was|were|had|has)\s+"
    rf"(?:(?:he|she|they|it|that|this)\s+)?(?:{_SPEECH_VERBS})(?:\s+(?:so|that|this|it))?\W*$"
)


def asks_when_said(folded: str) -> bool:
    """True when a (folded) message only asks when what the last answer said was said."""
    return bool(_WHEN_SAID.match(folded.strip()))


# The source's own voice framing a question ("according to the article, ...", "what does
# the story say ... ?") names no topic: matching reads the question without it.
_SOURCE_NOUNS = (
    r"article|story|piece|report|text|roundup|round-up|recap|summary|write-?up|column|post|news"
)
_VOICE = rf"(?:the|this) (?:{_SOURCE_NOUNS}|author|writer)"
_SOURCE_FRAMING = re.compile(
    rf"\b(?:according to|as per|per|going by|based on) {_VOICE}\b"
    rf"|(?:(?<=\bdoes )|(?<=\bdid )){_VOICE} (?:say|claim|estimate|report|mention|state|suggest)\b"
    rf"|\b{_VOICE} (?:says|said|claims|estimates|reports|mentions|states|suggests)(?: that)?\b"
    # "what does ICBM stand for in the story?", "..., its in the kim article"
    rf"|\b(?:(?:it'?s )?in|from) (?:the|this) (?:\w+ )?(?:{_SOURCE_NOUNS})(?=\W*$)",
    re.IGNORECASE,
)


def without_source_voice(question: str) -> str:
    """The question without the source's voice framing it ("per the article")."""
    return _SOURCE_FRAMING.sub(" ", question) if "t" in question else question


_WORD = re.compile(r"\w+")
_CAPITALISED_RUN = re.compile(r"(?<![\w'])[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")
# A word the entry's phrasings use this often is a kind of claim the entry makes ("speed").
CLAIM_USES = 3

# Something *of* a subject: "the editor of Rodong Sinmun", "Rodong Sinmun's editor".
# Each pattern comes with a word it needs, so most questions skip it without a search.
_PART_OF = (
    (
        " of ",
        re.compile(
            r"\b(?:the|a|an|its|their) (?P<part>\w+(?: \w+)?) of (?:the )?"
            r"(?P<whole>[\w\- ]{2,40}?)\s*(?:[,?.!;:]|$)"
        ),
    ),
    ("'s ", re.compile(r"(?P<whole>\b[\w\-]+(?: [\w\-]+)?)'s (?P<part>\w+)\s*(?:[,?.!;:]|$)")),
    # who did something to it: "who designed the Hwasong-20?", "who edits Rodong Sinmun?"
    (
        "who ",
        re.compile(
            r"^\s*who (?!is\b|are\b|was\b|were\b|s\b)(?P<part>\w+) (?:the |this |that )?"
            r"(?P<whole>[\w\- ]{2,40}?)\s*(?:[,?.!;:]|$)"
        ),
    ),
)

# Verbs that only say someone did the thing named after them ("who carried out / conducted /
# ran the study?"): the answer need not use them, it must say who.
_DOING = frozenset(
    "carried carry carries conducted conduct conducts did do does ran run runs led lead leads "
    "performed perform performs undertook undertake undertakes".split()
)


@dataclass(frozen=True, slots=True)
class Asked:
    """What a question says about whose words and which thing it asks for."""

    speaker: frozenset[str] | None = None  # the speaker's analysed words
    parts: tuple[tuple[frozenset[str], frozenset[str]], ...] = ()  # (part, whole) words
    named: frozenset[str] = frozenset()  # words of close entries' subjects the question names
    # the speaker's own words are asked ("what did X say?"), not what X did ("agree to")
    words: bool = True


def read(snapshot: Snapshot, question: str, candidates: Iterable[Entry] = ()) -> Asked:
    """Whose words and what thing ``question`` asks for, as analysed words; ``candidates``
    are the entries it comes closest to, whose subjects it may name."""
    text = question.lower().replace("’", "'")
    written = _WORD.findall(text)
    speaker, says = None, True
    for pattern in _SPEAKER if _SPEAKER_HINTS.intersection(written) else ():
        found = pattern.search(text)
        if found and found.group("speaker").strip() in _PRONOUNS:
            # "according to her": whoever the talk is about, not whom a synonym makes "her"
            break
        if found:
            words = words_of(snapshot, found.group("speaker"))
            if words:
                speaker = words
                says = "verb" not in pattern.groupindex or found.group("verb") in _SAYING
                break
    parts = []
    for needed, pattern in _PART_OF:
        for found in pattern.finditer(text) if needed in text else ():
            if found.group("part") in _DOING:
                continue  # "who carried out the study?" asks who did it, not a carrying
            # A part that asks the kind of answer ("the names of", "the date of": @name,
            # @when), read alone or with the word after it, is no thing of its own.
            part = words_of(snapshot, found.group("part")) & words_of(
                snapshot, text[found.start("part") : found.start("whole")]
            )
            whole = words_of(snapshot, found.group("whole"))
            if part and whole:
                parts.append((part, whole))
    subjects = frozenset().union(*(words_of(snapshot, e.about) for e in candidates if e.about))
    # Only names single a subject out: "which teams played in 1903?" is not the entry about
    # the teams, "how much is Judge's contract?" not Ohtani's contract.
    # The speaker of "what did Strickland say about the hurricane?" is not its subject.
    named = (
        subjects & _names(snapshot) & frozenset(snapshot.index.analyse(question))
        if subjects
        else frozenset()
    ) - (speaker or frozenset())
    return Asked(speaker, tuple(parts), named, words=says)


def answers_for(snapshot: Snapshot, entry: Entry, asked: Asked) -> bool:
    """True unless the entry would answer for someone else's words or another subject."""
    if asked.named and not _about_any(snapshot, entry, asked.named):
        return False  # the question is about another entry's subject
    return _speaks_for(snapshot, entry, asked.speaker, asked.words) and all(
        _covers(snapshot, entry, part, whole) for part, whole in asked.parts
    )


def _speaks_for(
    snapshot: Snapshot, entry: Entry, speaker: frozenset[str] | None, words: bool = True
) -> bool:
    if speaker is None or speaker <= words_of(snapshot, SOURCE_VOICE):
        return True
    if any(speaker <= curated for curated in _speakers_asked(snapshot, entry)):
        return True  # its phrasings ask what this speaker said ("what did the science chief say")
    facts = [snapshot.facts[f] for f in entry.fact_ids]
    if any(f.said_by and speaker <= words_of(snapshot, f.said_by) for f in facts):
        return True
    if (
        any(f.said_by for f in facts)
        and speaker - _names(snapshot)
        and all(snapshot.index.accounts_for(entry.id, word) for word in speaker)
    ):
        # "the Nevada biologist": the speaker the entry describes so (a description, not
        # only names: "Kim Yo Jong" is not Kim Jong Un)
        return True
    quoted = any(
        f.said_by and speaker <= words_of(snapshot, f.said_by) for f in snapshot.facts.values()
    ) or speaker <= _voiced(snapshot.index, tuple(s.text for s in snapshot.sources.values()))
    if not quoted:
        # Something the story never quotes: what the entry itself tells of it ("what did the
        # new guidelines say about masks?"); a person named there was given no words ("what
        # did Kim say about the trip?").
        if words and speaker & _names(snapshot):
            return False
        return all(snapshot.index.accounts_for(entry.id, word) for word in speaker)
    return all(f.said_by is None for f in facts)


def _speakers_asked(snapshot: Snapshot, entry: Entry) -> list[frozenset[str]]:
    """The speakers whose words the entry's own phrasings ask for."""
    return _phrasing_speakers(snapshot.index, entry)


@lru_cache(maxsize=1024)
def _phrasing_speakers(index: MatchIndex, entry: Entry) -> list[frozenset[str]]:
    found = []
    for text in (entry.question, *entry.phrasings):
        lowered = text.lower().replace("’", "'")
        for pattern in _SPEAKER:
            if match := pattern.search(lowered):
                found.append(_analysed(index, match.group("speaker")))
                break
    return [words for words in found if words]


# Who a source sentence gives the words of: the few words before "said" ("Fox told
# reporters", "North Korean state media said") or after it ("...," said Nelson; according to
# Rodong Sinmun). Not everyone the sentence names: Kim is not quoted by "Kim left, media said".
_SPEAKER_BEFORE = re.compile(
    r"((?:[\w'’.-]+\s+){0,3}[\w'’.-]+)\s+(?:said|says|told|added|stated|announced)\b", re.I
)
_SPEAKER_AFTER = re.compile(r"\b(?i:said|says|according to)\s+((?:[A-Z][\w'’.-]*\s*){1,4})")


@lru_cache(maxsize=8)
def _voiced(index: MatchIndex, texts: tuple[str, ...]) -> frozenset[str]:
    """The words of the speakers whose words the sources give: a speaker named there is quoted
    by the story, even where its facts do not say ``said_by``."""
    return frozenset().union(
        *(
            _analysed(index, found.group(1))
            for text in texts
            for pattern in (_SPEAKER_BEFORE, _SPEAKER_AFTER)
            for found in pattern.finditer(text)
        )
    )


def _about_any(snapshot: Snapshot, entry: Entry, named: frozenset[str]) -> bool:
    """True when the entry is about one of the ``named`` words: its ``about`` or its
    phrasings' claims name it; an entry that does not say what it is about is about every
    word it uses anywhere (phrasings, answer, quotes)."""
    if entry.about:
        spoken = words_of(snapshot, entry.about) | _asked_by(snapshot.index, entry)
        return bool(named & (spoken | words_of(snapshot, entry.answer)))
    return any(any(e is entry for e in snapshot.index.entries_using(w)) for w in named)


def _covers(snapshot: Snapshot, entry: Entry, part: frozenset[str], whole: frozenset[str]) -> bool:
    if not entry.about:
        return True  # the entry does not say what it is about: nothing to hold it to
    subject = words_of(snapshot, entry.about)
    if not whole & subject or part <= subject:
        return True  # another thing's part, or a part the subject itself is
    # what its answer says is told too ("who operated the Concorde?": "operated jointly by...")
    return part <= subject | _asked_by(snapshot.index, entry) | words_of(snapshot, entry.answer)


def _names(snapshot: Snapshot) -> frozenset[str]:
    """The topic words the sources and answers write capitalised inside a sentence."""
    sources = (source.text for source in snapshot.sources.values())
    answers = (entry.answer for entry in snapshot.entries.values())
    return _capitalised_words(snapshot.index, (*sources, *answers))


@lru_cache(maxsize=8)
def _capitalised_words(index: MatchIndex, texts: tuple[str, ...]) -> frozenset[str]:
    # "Aaron Judge", "World Series": a run of capitalised words is read as one name; a word
    # the texts write in lower case as often ("Armored Train" in a headline) is no name.
    capitalised: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for text in texts:
        for sentence in split_sentences(text):
            for run in _CAPITALISED_RUN.findall(sentence[1:]):
                capitalised.update(t for t in index.analyse(run) if t[0] != "@")
            rest = _CAPITALISED_RUN.sub(" ", sentence)
            lower.update(t for t in index.analyse(rest) if t[0] != "@")
    return frozenset(t for t, count in capitalised.items() if count > lower[t])


def words_of(snapshot: Snapshot, text: str) -> frozenset[str]:
    """A text's analysed topic words (no question focus), cached per index."""
    return _analysed(snapshot.index, text)


@lru_cache(maxsize=1024)
def _asked_by(index: MatchIndex, entry: Entry) -> frozenset[str]:
    """The words the entry's phrasings keep asking about: the kinds of claim it makes."""
    uses = Counter(t for text in (entry.question, *entry.phrasings) for t in _analysed(index, text))
    return frozenset(word for word, count in uses.items() if count >= CLAIM_USES)


@lru_cache(maxsize=4096)
def _analysed(index: MatchIndex, text: str) -> frozenset[str]:
    """A text's topic words (no question focus); cached, as the knowledge's own texts recur."""
    return frozenset(t for t in index.analyse(text) if not t.startswith("@"))
