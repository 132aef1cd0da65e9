"""Snapshot + question -> Answer: the three confidence bands, citations and suggestions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from bot.engine import languages
from bot.engine.attribution import (
    answers_for,
    asks_whose_claim,
    read,
    without_source_voice,
)
from bot.engine.followup import (
    CLEARLY_BETTER,
    Turn,
    as_followup,
    asks_the_last_answer,
    asks_the_last_question_again,
    continues_last_question,
    did_you_mean,
    guarded_in_place,
    has_focus,
    in_place,
    is_followup_shaped,
    means_the_same_alone,
    names_topic,
    new_subject,
    on_another_day,
    points_back,
    read_with,
    rest_of,
    says_of,
    starts_new_topic,
    topic_words,
)
from bot.engine.matcher import Match
from bot.engine.model import Answer, Entry, Outcome, Snapshot, Suggestion
from bot.engine.naming import (
    Request,
    asked_to_name,
    gives_measure,
    names_it,
    tells_what_is_asked,
)
from bot.engine.text import asking_sentences, fold, without_links
from bot.engine.timeline import after_story, for_reader, in_story_days

MAX_MESSAGE_CHARS = 4096  # Telegram's limit: no reader's message is longer
# A longer message is read for the sentences that ask (a letter with one question at its end).
LONG_MESSAGE_CHARS = 1000
TIE_BREAK_CLOSENESS = 0.1
# A question in the closest entry's own words is answered this far below the answer band
# when the next entry is at least PLAIN_MARGIN behind (see `_plainly_meant`).
PLAIN_BELOW = 0.1
PLAIN_MARGIN = 0.2
# An abstention on a why-question reports this share of its closest topic's confidence: the
# topic is accounted for, the reason is not.
NO_REASON = 0.5
MAX_PARTS = 3  # questions answered from one message
# A message that points back but names its own topic, with no answer in context, is answered
# alone when that reading is at least this sure.
ALONE_SURE = 0.8
_WRITING = re.compile(r"\b(?:wrote|write|writes|written)\b")


@dataclass(frozen=True, slots=True)
class Bands:
    """Confidence thresholds. At or above ``answer``: answer; above ``suggest``: "did you mean"."""

    answer: float = 0.60
    suggest: float = 0.42
    # Below ``sure``, the best match must beat the runner-up by ``margin``, or the bot asks
    # which was meant; at or above it, both would be good answers and the best one is given.
    margin: float = 0.04
    sure: float = 0.9
    # Abstentions list the closest topics when they are at least this close, and at least half
    # as close as the closest ("how heavy is the train?" still names the train's entries).
    closest: float = 0.1
    # Two entries in a near tie, both at least this confident, are both answered ("did it
    # take him a week to get there?": how long the trip took, and when he arrived).
    together: float = 0.8

    def __post_init__(self) -> None:
        if not 0 <= self.suggest <= self.answer <= 1:
            raise ValueError("thresholds must satisfy 0 <= suggest <= answer <= 1")


DEFAULT_BANDS = Bands()


def answer_question(
    snapshot: Snapshot,
    question: str,
    bands: Bands = DEFAULT_BANDS,
    max_suggestions: int = 3,
    *,
    context: Turn | None = None,
    today: dt.date | None = None,
    hint: str | None = None,
    language: str | None = None,
) -> Answer:
    """Match one question against the snapshot and decide what to say.

    A message that asks several things ("when did he leave and when did he arrive?") gets
    every part answered that can be answered with confidence. ``context`` is the previous
    turn of the same conversation (``followup.next_turn`` of its answer): a follow-up is read
    with it. ``today`` is the reader's date: answers are said as of it (tense, "as reported
    on"); None answers as of the story's date.

    The question is read in ``language`` when given (one of `languages.CODES`), else in the
    language it is written in (``hint``, the reader's Telegram language_code, only breaks
    ties), against the knowledge translated into it. ``Answer.language`` is the language of
    the reply: the answer's text, or the language a decline or chat reply should be said in.
    """
    code = languages.normalise(language) or languages.detect(question, hint)
    reader = code
    view = snapshot.in_language(code)
    if view is None:  # no translation to read it against: the English knowledge answers
        view, code = snapshot, snapshot.language
    answer = _answer_question(view, question, bands, max_suggestions, context, today, reader)
    # An answer's text is in the knowledge's language; anything else is said in the reader's.
    return replace(answer, language=code if answer.answered else reader)


def _answer_question(
    snapshot: Snapshot,
    question: str,
    bands: Bands,
    max_suggestions: int,
    context: Turn | None,
    today: dt.date | None,
    reader: str,
) -> Answer:
    message = without_links(question[:MAX_MESSAGE_CHARS])
    question = " ".join(question[:MAX_MESSAGE_CHARS].split())
    kind = languages.get(reader).chat_kind(message)
    if kind == Outcome.HELP and snapshot.index.curated(message) is not None:
        kind = None  # "what's on the menu?" is the story's question where curators wrote it
    if kind is not None:  # a hello, thanks, or a request for help or the sources
        sources = tuple(snapshot.sources.values()) if kind == Outcome.SOURCES else ()
        return Answer(question, Outcome(kind), 0.0, sources=sources)
    asked = " ".join(message.split())
    if len(asked) > LONG_MESSAGE_CHARS:
        asked = asking_sentences(message, LONG_MESSAGE_CHARS)
    if context is not None and starts_new_topic(asked):
        context = None  # "Other question: ...": the reader says the talk before is not meant
    if context is not None and (rest := rest_of(snapshot, asked, context)) is not None:
        # "what else?": the rest of the last answer, or the entry related to it
        answer = as_followup(answer_entry(snapshot, rest, asked), snapshot, context)
    elif context is not None and (dated := on_another_day(snapshot, asked, context)) is not None:
        # "what else did he do that same day?", "what did Kim do two days before?"
        answer = as_followup(answer_entry(snapshot, dated, asked), snapshot, context)
    elif context is not None and asks_the_last_answer(snapshot, asked, context):
        # "whose?" after "...China's efforts to flex its diplomatic clout", "is that the
        # most?", "which year?", "when did he say that?": that answer again
        last = answer_entry(snapshot, str(context.entry_id), asked)
        answer = as_followup(last, snapshot, context)
    elif asks_whose_claim(fold(asked)):
        # "who said so?": the last answer again, which names its speaker and quotes the words;
        # with no answer before it, it points at nothing, unless the curators wrote it as a
        # question of its own ("who wrote this?": the story's author).
        if context is not None and context.entry_id in snapshot.entries:
            last = answer_entry(snapshot, context.entry_id, asked)
            answer = as_followup(last, snapshot, context)
        elif snapshot.index.curated(asked) is not None or _WRITING.search(fold(asked)):
            # "who wrote this?" with nothing before it asks for the story's author
            answer = _answer_message(snapshot, asked, bands, max_suggestions)
        else:
            answer = Answer(asked, Outcome.ABSTAINED, 0.0)
    elif context is None or not is_followup_shaped(snapshot, asked):
        answer = _answer_message(snapshot, asked, bands, max_suggestions)
    else:
        answer = _answer_followup(snapshot, asked, context, bands, max_suggestions)
    if context is not None and not answer.answered and context.entry_id in snapshot.entries:
        last = snapshot.entries[context.entry_id]
        if tells_what_is_asked(snapshot, asked, last):
            # "where?", "how big?" after an answer that tells a place or a number, when
            # nothing else answers: the answer before says it
            answer = as_followup(answer_entry(snapshot, last.id, asked), snapshot, context)
    if context is not None:
        answer = _named_or_declined(snapshot, asked, answer, context, bands, max_suggestions)
    # The notes on the reader's day are Phrases, said in the answer's language by each channel.
    return replace(for_reader(snapshot, asked, answer, today), question=question)


def _named_or_declined(
    snapshot: Snapshot,
    question: str,
    answer: Answer,
    context: Turn,
    bands: Bands,
    max_suggestions: int,
) -> Answer:
    """The answer to a message read in a conversation, unless it does not say what the
    message asks: then the story does not say, as for any near miss.

    - "which lab?", "can you name them?": the answer only mentions it ("a missile lab")
      without naming it. A place ("where is that lab?") is checked only when the answer
      would repeat the turn before: a new entry telling where is taken as it is.
    - "did Russia back it too?": the same asked of another subject, which the answer does
      not name.
    """
    if not answer.answered or answer.entry is None:
        return answer
    entry = answer.entry
    if answer.followup_of is not None and guarded_in_place(snapshot, question, context):
        # "how many hours does it go on for?" after the parade: its length, which a guard
        # marks as something the story does not say
        return _declined(answer, entry)
    # Only a message read as a follow-up, or one that asks nothing but "which lab?", is
    # checked: "Which newspaper reported the arrival?" asked mid-talk stands alone.
    in_context = answer.followup_of is not None
    subject = new_subject(snapshot, question, context) if in_context else frozenset()
    request = asked_to_name(snapshot, question, topic_words(snapshot, context))
    if request is not None and not (in_context or request.bare):
        request = None
    if request is not None and request.place and entry.id != context.entry_id:
        request = None
    unnamed = request is not None and not names_it(snapshot, entry, request)
    if not unnamed and not (subject and not says_of(snapshot, entry.id, subject)):
        return answer
    if unnamed and in_context and request is not None:
        # "which missiles are they for?" after the lab visit: the lab entry names none, the
        # message alone is answered by one that does.
        alone = _answer_message(snapshot, question, bands, max_suggestions)
        if (
            alone.answered
            and alone.entry is not None
            and alone.entry != entry
            and names_it(snapshot, alone.entry, request)
            and not (subject and not says_of(snapshot, alone.entry.id, subject))
        ):
            return as_followup(alone, snapshot, context)
        last = snapshot.entries.get(context.entry_id or "")
        if last is not None and last != entry and _speaks_of_and_names(snapshot, last, request):
            # "which ones?" after "The story mentions the Hwasong-19 and Hwasong-20 missiles"
            return as_followup(answer_entry(snapshot, last.id, question), snapshot, context)
        for related in (snapshot.entries.get(r) for r in entry.related):
            # "which ones?" after "a new setup for building ICBMs": the entry its curators
            # relate to it that names them ("the Hwasong-19 and Hwasong-20 missiles")
            if related is not None and _speaks_of_and_names(snapshot, related, request):
                named = answer_entry(snapshot, related.id, question, answer.confidence)
                return as_followup(named, snapshot, context)
    return _declined(answer, entry)


def _speaks_of_and_names(snapshot: Snapshot, entry: Entry, request: Request) -> bool:
    """True when the entry speaks of the thing asked and names it (an answer about something
    else "names" nothing asked: the trip's length is no answer to "which missiles?")."""
    return any(snapshot.index.accounts_for(entry.id, t) for t in request.things) and names_it(
        snapshot, entry, request
    )


def _declined(answer: Answer, entry: Entry) -> Answer:
    """The answer turned into a decline that offers the entry it would have given."""
    return replace(
        answer,
        outcome=Outcome.ABSTAINED,
        entry=None,
        citations=(),
        related=(),
        also=(),
        suggestions=(Suggestion(entry.id, entry.question),),
    )


def _answer_followup(
    snapshot: Snapshot, question: str, context: Turn, bands: Bands, max_suggestions: int
) -> Answer:
    """The follow-up read with the turn before, unless its standalone reading is clearly the
    one meant; "did you mean" when neither reading is clearly better."""
    reading = read_with(snapshot, question, context, max_suggestions + 1)
    if not reading.borrowed:  # the turn before named no topic to read this with
        return _answer_message(snapshot, question, bands, max_suggestions)
    contextual = _decide(snapshot, question, reading.fitting, bands, max_suggestions)
    if not contextual.answered:
        # "it" may stand for what the last answer named rather than what was asked.
        by_answer = read_with(snapshot, question, context, max_suggestions + 1, by_answer=True)
        answer = _decide(snapshot, question, by_answer.fitting, bands, max_suggestions)
        if answer.answered:
            reading, contextual = by_answer, answer
    unsure = not contextual.answered or contextual.confidence < bands.together
    if unsure and (read := in_place(snapshot, question, context)):
        # "what day is it?" after a turn about the parade: "what day is the parade?"
        alone = _answer_message(snapshot, read, bands, max_suggestions)
        margin = CLEARLY_BETTER if contextual.answered else 0.0
        if alone.answered and alone.confidence - contextual.confidence > margin:
            return as_followup(replace(alone, question=question), snapshot, context)
    if not contextual.answered and not reading.fitting:
        # A near miss in context: abstain, naming the closest topics as any abstention does.
        contextual = _abstain(question, reading.close, bands, max_suggestions)
    contextual = as_followup(contextual, snapshot, context)
    own = reading.own
    same_alone = means_the_same_alone(snapshot, question, reading.borrowed)
    # A reading in context this sure is kept without searching the message alone too (the
    # search is most of a follow-up's cost).
    beatable = not contextual.answered or contextual.confidence < bands.together
    if not same_alone and names_topic(snapshot, own) and points_back(question):
        if not beatable:
            return contextual
        # "when did it say he got there?" after Rodong Sinmun: alone, it asks when Kim
        # arrived; that reading wins when clearly better and about all of the same topic.
        standalone = _answer_message(snapshot, question, bands, max_suggestions)
        topic = [t for t in reading.borrowed if not t.startswith("@")]
        if (
            standalone.answered
            and standalone.entry is not None
            and standalone.entry != contextual.entry
            and (
                # both readings point at it: in context it was only short of the answer band
                _first_suggested(contextual) == standalone.entry.id
                # "Which missiles was it again, the Hwasong-something?" mid-talk about the
                # train: nothing in context, a sure answer alone
                or (not contextual.answered and standalone.confidence >= ALONE_SURE)
                or (
                    standalone.confidence - contextual.confidence >= CLEARLY_BETTER
                    and all(snapshot.index.accounts_for(standalone.entry.id, t) for t in topic)
                )
            )
        ):
            return as_followup(standalone, snapshot, context)
        return contextual
    if not same_alone and (not names_topic(snapshot, own) or points_back(question)):
        # "when?", "how many?": alone they ask nothing; "what did he see there?": alone,
        # "he" and "there" point at nothing.
        return contextual
    standalone = _answer_message(snapshot, question, bands, max_suggestions)
    if same_alone:
        # "why is he going?" after a turn about Kim: alone it asks the same; the talk decides
        # unless the reading alone is clearly the better one.
        clearly = standalone.confidence - contextual.confidence >= CLEARLY_BETTER
        alone_wins = standalone.answered and (not contextual.answered or clearly)
        return standalone if alone_wins else contextual
    if not standalone.answered or (
        not contextual.answered and asks_the_last_question_again(question, own)
    ):
        # "and the Hwasong-18?" after "how much thrust?": the story does not say that, even
        # if it says something else about the Hwasong-18.
        return contextual
    if contextual.answered and continues_last_question(question) and not has_focus(own):
        return contextual  # "and China's?": the last question again, about China
    if not contextual.answered or contextual.entry == standalone.entry:
        return contextual if contextual.answered else standalone
    if standalone.confidence - contextual.confidence >= CLEARLY_BETTER:
        return standalone
    if contextual.confidence - standalone.confidence >= CLEARLY_BETTER:
        return contextual
    return as_followup(
        did_you_mean(question, contextual, standalone, max_suggestions), snapshot, context
    )


def _first_suggested(answer: Answer) -> str | None:
    """The entry an answer's "did you mean" offers first, if it offers any."""
    if answer.outcome is Outcome.SUGGESTED and answer.suggestions:
        return answer.suggestions[0].entry
    return None


def _answer_message(
    snapshot: Snapshot, question: str, bands: Bands, max_suggestions: int
) -> Answer:
    """The message read alone, every part of it answered that can be.

    A chatty message is read twice: whole, and as only the sentences that ask (no greeting,
    sign-off or what the reader heard or thinks first), which answer when they answer at
    least as confidently as the whole. A near miss they point back at ("I read Kim met the
    Pope. What did they discuss?") keeps the sentence that names it, so it is still declined.
    """
    curated = snapshot.index.curated(question)
    if curated is not None and curated.id not in snapshot.declined:
        # One of the curators' own phrasings, word for word: its entry answers it, whatever
        # the scores ("who is this guy?" has no word a score could go by) or the time rules
        # ("will supersonic travel come back?" asks what the story says of it).
        return answer_entry(snapshot, curated.id, question)
    answer = _answer_parts(snapshot, question, bands, max_suggestions)
    asked = snapshot.index.language.asking_part(question)
    if asked is None or asked == question:
        return answer
    focused = _answer_parts(snapshot, asked, bands, max_suggestions)
    if focused.answered and (not answer.answered or focused.confidence >= answer.confidence):
        return replace(focused, question=question)
    return answer


def _answer_parts(snapshot: Snapshot, question: str, bands: Bands, max_suggestions: int) -> Answer:
    """The message as written, each of its questions answered that can be."""
    answer = _answer_one(snapshot, question, bands, max_suggestions)
    if (later := after_story(snapshot, question, answer)) is not None:
        return later  # the story cannot tell what happened after it; the reason says so
    parts: list[Answer] = []
    clauses = snapshot.index.language.question_clauses(question)[:MAX_PARTS]
    for clause in clauses:
        part = _answer_one(snapshot, clause, bands, max_suggestions)
        if part.answered and all(part.entry != known.entry for known in parts):
            parts.append(part)
    if len(parts) < 2:
        # of two questions, the one answered where the whole was not ("how heavy is it, and
        # how fast?"); a single question's decline stands ("according to Putin, when...")
        several = len(clauses) >= 2 and not answer.answered
        return replace(parts[0], question=question) if parts and several else answer
    first, *rest = parts
    confidence = min(part.confidence for part in parts)
    return replace(first, question=question, confidence=confidence, also=tuple(rest))


def _answer_one(snapshot: Snapshot, question: str, bands: Bands, max_suggestions: int) -> Answer:
    # dates read as the story's weekdays; "according to the article" names no topic
    plain = in_story_days(without_source_voice(question), snapshot.source_date())
    matches = snapshot.index.search(plain, limit=max_suggestions + 1)
    return _decide(snapshot, question, matches, bands, max_suggestions, plain)


def _plainly_meant(snapshot: Snapshot, question: str, matches: list[Match], bands: Bands) -> bool:
    """True when the closest entry, a little short of the answer band, is far ahead of the
    next and the question is in its own words (thin knowledge only): a "did you mean" would
    offer one plain choice."""
    top = matches[0]
    runner_up = matches[1].confidence if len(matches) > 1 else 0.0
    return (
        top.confidence >= bands.answer - PLAIN_BELOW
        and top.confidence - runner_up >= PLAIN_MARGIN
        and snapshot.index.only_its_words(question, top.entry.id)
    )


def _decide(
    snapshot: Snapshot,
    question: str,
    matches: list[Match],
    bands: Bands,
    max_suggestions: int,
    read_as: str | None = None,
) -> Answer:
    """The answer, "did you mean" or abstention that ranked matches call for. ``read_as``:
    the question as it was searched, when it stands alone (not read with a turn before)."""
    if snapshot.declined:
        declined = bool(matches) and matches[0].entry.id in snapshot.declined
        matches = [m for m in matches if m.entry.id not in snapshot.declined]
        if declined:  # curators taught that the story does not say this
            floor = max(bands.closest, matches[0].confidence / 2) if matches else 1.0
            close = [m for m in matches if m.confidence >= floor][:max_suggestions]
            return Answer(question, Outcome.ABSTAINED, 0.0, suggestions=_suggestions(close))
    # whose words and which thing the question asks for
    asked = read(snapshot, question, (m.entry for m in matches))
    # Someone else's words or another subject than the closest entry's: the story does not
    # say it, and the entries after it are at best something to suggest.
    may_answer = not matches or answers_for(snapshot, matches[0].entry, asked)
    matches = [m for m in matches if answers_for(snapshot, m.entry, asked)]
    if not matches:
        return Answer(question, Outcome.ABSTAINED, 0.0)
    top, clear_winner = _winner(matches, bands)
    if not gives_measure(snapshot, question, top.entry):
        # "how many samples has it collected?", "how heavy is it?": an answer without a
        # number, or without a unit of that measure, does not say
        return _abstain(question, matches, bands, max_suggestions)
    if top.reason_missing and top.confidence >= bands.suggest:
        # A why-question whose closest entry tells about its topic ("did he fly?"), not the
        # reason: say the story doesn't say why, with the closest topics.
        return Answer(
            question,
            Outcome.ABSTAINED,
            top.confidence * NO_REASON,
            suggestions=_suggestions(matches[:max_suggestions]),
            reason_missing=True,
        )
    if top.confidence >= bands.answer and clear_winner and may_answer:
        return answer_entry(snapshot, top.entry.id, question, top.confidence)
    if read_as is not None and may_answer and _plainly_meant(snapshot, read_as, matches, bands):
        return answer_entry(snapshot, top.entry.id, question, top.confidence)
    if (
        not clear_winner
        and matches[1].confidence >= bands.together
        and may_answer
        and not any(m.reason_missing for m in matches[:2])
    ):
        first, second = (
            answer_entry(snapshot, m.entry.id, question, m.confidence) for m in matches[:2]
        )
        return replace(first, confidence=second.confidence, also=(second,))
    if top.confidence >= bands.suggest:  # includes a top answer too close to the runner-up
        close = [m for m in matches if m.confidence >= bands.suggest][:max_suggestions]
        return Answer(
            question,
            Outcome.SUGGESTED,
            top.confidence,
            suggestions=_suggestions(close),
        )
    return _abstain(question, matches, bands, max_suggestions)


def _abstain(question: str, matches: list[Match], bands: Bands, max_suggestions: int) -> Answer:
    """No answer; the closest topics when they are close enough to be worth naming."""
    if not matches:
        return Answer(question, Outcome.ABSTAINED, 0.0)
    top = matches[0]
    floor = max(bands.closest, top.confidence / 2)
    close = [m for m in matches if m.confidence >= floor][:max_suggestions]
    return Answer(question, Outcome.ABSTAINED, top.confidence, suggestions=_suggestions(close))


def answer_entry(
    snapshot: Snapshot,
    entry_id: str,
    question: str | None = None,
    confidence: float = 1.0,
    *,
    language: str = languages.DEFAULT,
) -> Answer:
    """The answer of one entry by id (buttons, deep links); KeyError for an unknown id.

    In ``language`` when the entry is translated into it, else in the knowledge's own
    (``Answer.language`` says which).
    """
    view = snapshot.in_language(languages.normalise(language) or snapshot.language)
    if view is not None and entry_id in view.entries:
        snapshot = view
    entry = snapshot.entries[entry_id]
    related = tuple(
        Suggestion(rid, snapshot.entries[rid].question)
        for rid in entry.related
        if rid in snapshot.entries
    )
    return Answer(
        question if question is not None else entry.question,
        Outcome.ANSWERED,
        confidence,
        entry=entry,
        citations=snapshot.citations_for(entry),
        related=related,
        language=snapshot.language,
    )


def _winner(matches: list[Match], bands: Bands) -> tuple[Match, bool]:
    """The best match, and whether it clearly beats the runner-up.

    It does when it is sure, ahead by the margin, or — in a near tie — reads clearly closer to
    one of its phrasings than the other does (then the closer one is the winner).
    """
    top = matches[0]
    if len(matches) < 2 or top.confidence >= bands.sure:
        return top, True
    runner_up = matches[1]
    if top.confidence - runner_up.confidence >= bands.margin:
        return top, True
    closer, further = sorted((top, runner_up), key=lambda m: -m.closeness)
    if closer.closeness - further.closeness >= TIE_BREAK_CLOSENESS:
        return closer, True
    return top, False


def _suggestions(matches: list[Match]) -> tuple[Suggestion, ...]:
    return tuple(Suggestion(m.entry.id, m.entry.question) for m in matches)
