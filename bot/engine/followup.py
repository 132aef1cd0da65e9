"""Follow-up questions read with the turn before them ("When is the parade?" - "who hosts it?").

A message that names no topic of its own (only question words: "when?", "how many?", "by
whom?"), points back at one ("it", "they", "there", "that") or continues the last question
("and Russia's?", "what about the train?") is read twice: alone, and with the previous turn's
topic words added at a lower weight, so its own words still decide what is asked and the
borrowed ones only say what about. A message that names its own topic and points back at
nothing stands alone: context never hijacks a new question.

The contextual reading must account for what the follow-up itself asks: an entry that does
not know one of its words or the kind of answer it wants ("and their range?", "how many will
be built?") is a near miss, abstained on as any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.engine.matcher import Match
from bot.engine.model import Answer, Outcome, Snapshot, Suggestion
from bot.engine.text import STRICT_FOCUS, fold, is_small_talk

# English words that point back at something said before (the engine's language rules; a
# story's own words stay in knowledge/).
REFERENCE_WORDS: frozenset[str] = frozenset(
    """
    it its itself they them their theirs themselves he him his himself she her hers herself
    there that this those these then thereafter such
    """.split()
)
# "and Russia's?", "but why?", "what about the train?", "how about China": the last question
# asked again about something else, or more about the same thing.
_CONTINUES = re.compile(r"^(?:(?:and|but|also|so|or|then)\b|(?:what|how) about\b)")
_WORD = re.compile(r"[\w']+")

# The previous turn's words weigh this much of their own weight in a follow-up that names a
# topic of its own ("when did he arrive?"), and fully in one that names none ("what day?").
CONTEXT_WEIGHT = 0.5
# A follow-up that also names a topic of its own: the standalone reading wins outright only
# when this much more confident than the contextual one (and the other way round).
CLEARLY_BETTER = 0.1


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange: what was asked, with the turn it was read with, and the entry
    that answered it (None when none did). Plain text and an id: safe to store anywhere."""

    question: str
    entry_id: str | None = None


_REFERENCE = re.compile(r"\b(?:" + "|".join(sorted(REFERENCE_WORDS)) + r")\b", re.IGNORECASE)


def without_references(question: str) -> str:
    """The question with the words that point back removed: in a conversation "he" is whoever
    the last turn was about, not what a synonym says "he" usually means."""
    return " ".join(_REFERENCE.sub(" ", question).split())


def is_followup_shaped(snapshot: Snapshot, question: str) -> bool:
    """True when the message needs the turn before to be understood: it names no known topic,
    points back at one, or continues the last question."""
    folded = fold(question).strip()
    if not folded or is_small_talk(question):
        return False
    if _CONTINUES.match(folded) or any(w in REFERENCE_WORDS for w in _WORD.findall(folded)):
        return True
    return not names_topic(snapshot, snapshot.index.analyse(without_references(question)))


def topic_of(snapshot: Snapshot, turn: Turn) -> str:
    """How a follow-up's reading names what it is about: the entry's question, or the words
    of the turn when no entry answered it."""
    entry = snapshot.entries.get(turn.entry_id or "")
    return entry.question if entry else turn.question


def contextual_matches(
    snapshot: Snapshot, question: str, turn: Turn, limit: int
) -> tuple[list[Match], list[str]]:
    """The entries matched by the follow-up read with the turn's topic, and the follow-up's own
    words (what a match must account for)."""
    index = snapshot.index
    own = index.analyse(without_references(question))
    # Only "and Russia's?" asks the last question's kind of answer again; "what will happen
    # there?" asks something new about the same topic.
    borrow_focus = not has_focus(own) and continues_last_question(question)
    weight = CONTEXT_WEIGHT if names_topic(snapshot, own) else 1.0
    scale: dict[str, float] = {}
    borrowed: list[str] = []
    entry = snapshot.entries.get(turn.entry_id or "")
    def used_by_last(token: str) -> int:
        return 1 if entry is not None and index.accounts_for(entry.id, token) else 0

    sources = [(index.analyse(turn.question), weight)]
    if entry is not None:
        sources.append((index.analyse(entry.question), weight))
    for tokens, token_weight in sources:
        for token in tokens:
            # The follow-up's own question word replaces the one asked before ("when?").
            if token in own or token in scale or (token.startswith("@") and not borrow_focus):
                continue
            # A word only the last entry uses is what was asked then ("feature"), not the
            # topic the conversation is about ("the parade"): it would only dilute the rest.
            if not token.startswith("@") and index.entry_count(token) - used_by_last(token) < 1:
                continue
            scale[token] = token_weight
            borrowed.append(token)
    if not borrowed:
        return [], own
    # A follow-up asks something new: the answer just given is not what it wants again.
    matches = index.search_tokens(own + borrowed, scale, limit + 1)
    return [m for m in matches if m.entry.id != turn.entry_id][:limit], own


def names_topic(snapshot: Snapshot, own: list[str]) -> bool:
    """True when analysed words name something the knowledge knows (not only ask "when?")."""
    return any(not t.startswith("@") and snapshot.index.knows(t) for t in own)


def continues_last_question(question: str) -> bool:
    """True for "and Russia's?", "what about the train?": the last question, about X."""
    return bool(_CONTINUES.match(fold(question).strip()))


def accounts_for_own_words(snapshot: Snapshot, match: Match, own: list[str]) -> bool:
    """True when the matched entry knows every word the follow-up itself asks about and the
    kind of answer it wants."""
    index = snapshot.index
    entry_id = match.entry.id
    for token in own:
        if token.startswith("@"):
            if token in STRICT_FOCUS and not index.accounts_for(entry_id, token):
                return False
        elif not index.accounts_for(entry_id, token):
            return False
    return True


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


def next_turn(answer: Answer) -> Turn:
    """The context the reader's next message is read with, after ``answer``.

    An answered turn is about what its entry asks (a follow-up's own words are often only
    "when?"); a follow-up that found no answer keeps the topic it was read with.
    """
    if answer.answered and answer.entry:
        return Turn(answer.entry.question, answer.entry.id)
    if answer.about:
        return Turn(answer.about, answer.followup_of)
    return Turn(answer.question)


def points_back(question: str) -> bool:
    """True when the message uses a word that points at something said before ("it", "he")."""
    return bool(_REFERENCE.search(question))


def has_focus(own: list[str]) -> bool:
    """True when the analysed words ask a kind of answer of their own ("when", "who")."""
    return any(t.startswith("@") for t in own)
