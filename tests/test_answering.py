"""Answering: several questions in one message, near ties, and the reply's citations."""

import pytest

from bot.chat import render
from bot.engine.answering import Bands, answer_question
from bot.engine.loader import load
from bot.engine.model import Outcome
from bot.settings import bundled_knowledge


@pytest.fixture(scope="module")
def snapshot():
    return load(bundled_knowledge())


def test_two_questions_in_one_message_get_both_answers(snapshot):
    answer = answer_question(snapshot, "When did Kim leave, and when did he get to China?")
    assert answer.answered
    assert [part.entry.id for part in answer.parts] == ["departure-day", "arrival-time"]
    assert "Monday" in answer.text and "Tuesday" in answer.text
    quotes = [c["quote"] for c in answer.to_json()["citations"]]
    assert any("Monday" in q for q in quotes) and any("Tuesday" in q for q in quotes)
    assert len(quotes) == len(set(quotes))
    reply = render.answer_reply(answer)
    assert "Monday" in reply.text and "Tuesday" in reply.text


def test_a_single_question_with_a_preamble_is_one_answer(snapshot):
    answer = answer_question(snapshot, "hey bot, quick one: how fast does the train go?")
    assert answer.answered and answer.also == ()
    assert "60 km/h" in answer.text


def test_an_unanswerable_part_does_not_make_the_other_abstain(snapshot):
    answer = answer_question(snapshot, "How heavy is the train, and how fast does it go?")
    assert answer.answered and "60 km/h" in answer.text
    assert answer.also == ()


def test_thresholds_move_the_bands(snapshot):
    question = "what's the speed of kim's armoured train"
    assert answer_question(snapshot, question).answered
    strict = answer_question(snapshot, question, Bands(answer=1.0, suggest=0.2))
    assert strict.outcome.value == "suggested" and strict.suggestions
    lax = answer_question(snapshot, "qwerty asdf", Bands(answer=0.9, suggest=0.0))
    assert not lax.answered


@pytest.mark.parametrize("text", ["good morning", "Thanks a lot!", "hi there bot", "ok cool"])
def test_small_talk_is_not_answered_nor_pretended_close(snapshot, text):
    answer = answer_question(snapshot, text)
    assert not answer.answered and answer.suggestions == ()
    assert not answer.outcome.is_question


def test_a_confident_near_tie_answers_both_entries(snapshot):
    question = "did it take him a week to get there?"
    matches = snapshot.index.search(question, 2)
    assert matches[1].confidence >= 0.8 and matches[0].confidence - matches[1].confidence < 0.04
    answer = answer_question(snapshot, question)
    assert answer.answered
    assert {part.entry.id for part in answer.parts} == {m.entry.id for m in matches}
    assert answer.confidence == pytest.approx(matches[1].confidence)
    # With the band out of reach, the same near tie asks which one was meant.
    asked = answer_question(snapshot, question, Bands(together=1.0))
    assert not asked.answered
    assert [s.entry for s in asked.suggestions[:2]] == [m.entry.id for m in matches]


def test_a_short_follow_up_clause_asks_about_what_the_first_one_names(snapshot):
    # "in what year" alone would be the article's date; here it is the train's, unknown.
    answer = answer_question(snapshot, "Who built Kim's armored train and in what year?")
    assert not answer.answered
    both = answer_question(snapshot, "When did Kim leave, and where to?")
    assert both.answered and both.entry.id == "departure-day"


# --- issue 14: what a person means ---------------------------------------------------------

PREAMBLE = (
    "Hello there, I have been following the news about the trip for days now and my family "
    "keeps discussing it at dinner, which is getting a bit much. "
)


@pytest.mark.parametrize("length", [1052, 4000])
def test_a_long_message_is_read_to_its_question(snapshot, length):
    ending = " Anyway, how fast does the train go?"
    message = (PREAMBLE * 40)[: length - len(ending)] + ending
    assert len(message) == length
    answer = answer_question(snapshot, message)
    assert answer.answered and answer.entry.id == "train-speed"
    assert answer.question == " ".join(message.split())  # the log and echo keep it all


def test_a_long_message_without_a_question_mark_still_finds_its_request(snapshot):
    message = PREAMBLE * 12 + "I would love to know when he left for China"
    answer = answer_question(snapshot, message)
    assert answer.answered and answer.entry.id == "departure-day"


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("help", Outcome.HELP),
        ("can you help me?", Outcome.HELP),
        ("thank you!", Outcome.THANKS),
        ("ok great, thanks a lot", Outcome.THANKS),
        ("sources please", Outcome.SOURCES),
        ("give me the sources", Outcome.SOURCES),
        ("hi, what are your sources?", Outcome.SOURCES),
        ("good morning", Outcome.GREETING),
    ],
)
def test_chat_gets_what_a_person_means(snapshot, text, outcome):
    answer = answer_question(snapshot, text)
    assert answer.outcome is outcome and not answer.answered and answer.entry is None
    assert answer.sources == (tuple(snapshot.sources.values()) if outcome == "sources" else ())


@pytest.mark.parametrize(
    "text",
    ["how does china help developing countries", "what sources reported kim's departure?"],
)
def test_chat_words_inside_a_story_question_stay_a_question(snapshot, text):
    assert answer_question(snapshot, text).answered


def test_a_help_cue_the_curators_wrote_as_a_phrasing_is_the_storys_question(snapshot):
    # "what's on the menu" is one of train-perks' phrasings: the train's menu, not the bot's.
    answer = answer_question(snapshot, "what's on the menu?")
    assert answer.answered and answer.entry.id == "train-perks"
    assert answer_question(snapshot, "what can you do?").outcome is Outcome.HELP


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        ("train speed and when did he leave", ["train-speed", "departure-day"]),
        ("what is the parade for and when is it?", ["parade-meaning", "parade-date"]),
        ("when did kim leave, and how fast is the train?", ["departure-day", "train-speed"]),
    ],
)
def test_both_parts_of_a_two_part_question_are_answered(snapshot, text, entries):
    answer = answer_question(snapshot, text)
    assert answer.answered
    assert [part.entry.id for part in answer.parts] == entries


@pytest.mark.parametrize("text", ["Why doesn't Kim fly?", "why is the train green?"])
def test_a_why_question_the_story_gives_no_reason_for_is_not_answered(snapshot, text):
    answer = answer_question(snapshot, text)
    assert answer.outcome is Outcome.ABSTAINED and answer.reason_missing
    assert answer.confidence < 0.5
    assert answer.suggestions  # the closest topics: what the story does say about it
    assert "doesn't say why" in render.answer_reply(answer).text


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("why is kim going to beijing?", "trip-purpose"),
        ("why is it not a budget trip?", "trip-cost"),
    ],
)
def test_a_why_question_the_story_answers_gets_the_reason(snapshot, text, entry):
    answer = answer_question(snapshot, text)
    assert answer.answered and answer.entry.id == entry and answer.entry.gives_reason


def test_who_kim_is_war_plans_and_links(snapshot):
    who = answer_question(snapshot, "Who is Kim Jong Un?")
    assert who.answered and "North Korea's leader" in who.text
    assert not answer_question(snapshot, "Is North Korea going to war?").answered
    link = answer_question(snapshot, "what does https://example.com/kim-train say about the speed?")
    assert link.answered and link.entry.id == "train-speed"
