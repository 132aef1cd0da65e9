"""Answering: several questions in one message, near ties, and the reply's citations."""

import pytest

from bot.chat import render
from bot.engine.answering import Bands, answer_question
from bot.engine.loader import load
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
def test_small_talk_abstains_without_pretending_to_be_close(snapshot, text):
    answer = answer_question(snapshot, text)
    assert not answer.answered and answer.suggestions == ()


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
