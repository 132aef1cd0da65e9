"""Dates in the knowledge and the reader's "now": the clock pinned before, on and after events.

The story is dated Tuesday 2 September 2025: Kim left on Monday 1 September, arrived on
Tuesday 2 September, and the parade is on Wednesday 3 September.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers_knowledge import copy_knowledge, edit, line_of, problem

from bot.chat import render
from bot.engine import timeline
from bot.engine.answering import answer_question
from bot.engine.evaluation import evaluate, load_cases
from bot.engine.loader import load, validate
from bot.settings import bundled_knowledge

MONDAY, TUESDAY, WEDNESDAY = dt.date(2025, 9, 1), dt.date(2025, 9, 2), dt.date(2025, 9, 3)
LATER = dt.date(2026, 12, 5)


@pytest.fixture(scope="module")
def snapshot():
    return load(bundled_knowledge())


def said(snapshot, question: str, today: dt.date | None) -> str:
    answer = answer_question(snapshot, question, today=today)
    assert answer.answered, (question, answer)
    return answer.text


# ---- the knowledge: weekdays resolved against the source's date ------------------------------


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("monday", MONDAY),
        ("Tuesday", TUESDAY),
        ("wednesday", WEDNESDAY),
        ("sunday", dt.date(2025, 8, 31)),  # the nearest Sunday, two days before
        ("friday", dt.date(2025, 9, 5)),
        ("2025-09-03", WEDNESDAY),
        ("wednesday 2025-09-03", WEDNESDAY),
    ],
)
def test_a_weekday_is_the_one_nearest_the_source_date(when: str, expected: dt.date):
    assert timeline.resolve(when, TUESDAY) == (expected, None)


@pytest.mark.parametrize(
    ("when", "says"),
    [
        ("thursday 2025-09-03", "is a Wednesday"),
        ("2025-13-01", "not a date"),
        ("next week", "must be a date"),
        ("monday tuesday", "must be a date"),
    ],
)
def test_a_bad_when_is_explained(when: str, says: str):
    date, why = timeline.resolve(when, TUESDAY)
    assert date is None and says in why


def test_the_bundled_facts_resolve_to_the_story_days(snapshot):
    assert snapshot.facts["kim-boarded-train-monday"].when == MONDAY
    assert snapshot.facts["arrived-early-tuesday"].when == TUESDAY
    assert snapshot.facts["parade-on-wednesday"].when == WEDNESDAY
    assert snapshot.event_date(snapshot.entries["parade-date"]) == WEDNESDAY
    assert snapshot.source_date() == TUESDAY


def test_check_refuses_a_when_that_disagrees_with_the_fact_weekday(tmp_path: Path):
    knowledge = copy_knowledge(tmp_path)
    edit(knowledge, "facts.yaml", "    when: wednesday\n", "    when: 2025-09-04\n")
    _, problems = validate(knowledge)
    line = line_of(knowledge, "facts.yaml", "when: 2025-09-04")
    problem(problems, "facts.yaml", line, "Thursday, 4 September 2025, but the fact says Wednesday")


def test_check_refuses_a_weekday_and_date_that_disagree_in_when(tmp_path: Path):
    knowledge = copy_knowledge(tmp_path)
    edit(knowledge, "facts.yaml", "    when: wednesday\n", '    when: "wednesday 2025-09-04"\n')
    _, problems = validate(knowledge)
    line = line_of(knowledge, "facts.yaml", "wednesday 2025-09-04")
    problem(problems, "facts.yaml", line, "2025-09-04 is a Thursday")


def test_check_refuses_an_answer_whose_weekday_and_date_disagree(tmp_path: Path):
    knowledge = copy_knowledge(tmp_path)
    edit(knowledge, "faq.yaml", "set for Wednesday, 3 September", "set for Wednesday, 4 September")
    _, problems = validate(knowledge)
    line = line_of(knowledge, "faq.yaml", "Wednesday, 4 September")
    problem(problems, "faq.yaml", line, "2025-09-04 is a Thursday")


def test_check_asks_for_the_date_beside_a_dated_weekday(tmp_path: Path):
    knowledge = copy_knowledge(tmp_path)
    edit(knowledge, "faq.yaml", "answer: The parade is set for Wednesday, 3 September 2025.",
         "answer: The parade is set for Wednesday.")  # fmt: skip
    _, problems = validate(knowledge)
    line = line_of(knowledge, "faq.yaml", "answer: The parade is set for Wednesday.")
    problem(problems, "faq.yaml", line, "name the date beside the weekday ('Wednesday, 3 Sep")


def test_check_refuses_answer_after_without_a_dated_fact(tmp_path: Path):
    knowledge = copy_knowledge(tmp_path)
    edit(knowledge, "faq.yaml", "    facts: [parade-on-wednesday]", "    facts: [article-byline]")
    _, problems = validate(knowledge)
    line = line_of(knowledge, "faq.yaml", "answer_after: The parade was set for")
    problem(problems, "faq.yaml", line, "'answer_after' needs a cited fact with 'when'")


# ---- the reader's day: before, on and after each event ----------------------------------------


def test_the_parade_date_names_weekday_and_date(snapshot):
    assert said(snapshot, "What date is the parade?", None) == (
        "The parade is set for Wednesday, 3 September 2025."
    )


def test_before_the_parade_it_is_set_for_wednesday(snapshot):
    text = said(snapshot, "Is the parade tomorrow?", TUESDAY)
    assert text.startswith("The parade is set for Wednesday, 3 September 2025.")
    assert "Wednesday, 3 September 2025 is tomorrow." in text
    assert "as reported on" not in text  # read on the story's own day


def test_on_the_parade_day_it_is_today(snapshot):
    text = said(snapshot, "Is the parade today?", WEDNESDAY)
    assert "is set for Wednesday, 3 September 2025 (as reported on 2 Sep 2025)." in text
    assert "Wednesday, 3 September 2025 is today." in text
    assert "says nothing after that" in text


def test_after_the_parade_it_was_set_for_wednesday(snapshot):
    text = said(snapshot, "Has the parade happened yet?", LATER)
    assert text.startswith(
        "The parade was set for Wednesday, 3 September 2025 (as reported on 2 Sep 2025)."
    )
    assert "Wednesday, 3 September 2025 was 458 days ago." in text
    assert "The story is from 2 September 2025 and says nothing after that." in text


def test_the_day_after_the_parade_is_already_past(snapshot):
    text = said(snapshot, "When is the parade?", dt.date(2025, 9, 4))
    assert text == "The parade was set for Wednesday, 3 September 2025 (as reported on 2 Sep 2025)."


@pytest.mark.parametrize(
    ("today", "note"),
    [
        (MONDAY, "Tuesday, 2 September 2025 is tomorrow."),
        (TUESDAY, "Tuesday, 2 September 2025 is today."),
        (LATER, "Tuesday, 2 September 2025 was 459 days ago."),
    ],
)
def test_kim_is_in_china_as_of_the_story_date(snapshot, today: dt.date, note: str):
    text = said(snapshot, "Is Kim still in China?", today)
    assert "Tuesday, 2 September 2025" in text and note in text
    assert ("says nothing after that" in text) == (today > TUESDAY)


@pytest.mark.parametrize("today", [MONDAY, TUESDAY, WEDNESDAY, LATER])
def test_the_departure_stays_in_the_past_tense(snapshot, today: dt.date):
    text = said(snapshot, "When did Kim leave?", today)
    assert "boarded his armored train on Monday, 1 September 2025" in text
    assert ("as reported on 2 Sep 2025" in text) == (today > TUESDAY)


def test_without_a_day_answers_are_as_of_the_story(snapshot):
    assert said(snapshot, "Is the parade today?", None) == (
        "The parade is set for Wednesday, 3 September 2025."
    )


def test_the_article_date_in_every_form(snapshot):
    for question in ("When was this written?", "is this news recent?", "what year is this from"):
        assert "Tuesday, 2 September 2025" in said(snapshot, question, LATER)


# ---- after the story: abstain, and say why -----------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "How did the parade go?",
        "What happened at the parade?",
        "When did Kim return to Pyongyang?",
        "how long did kim stay in beijing in the end",
        "What happened after the parade?",
    ],
)
def test_what_happened_after_the_story_is_not_told(snapshot, question: str):
    answer = answer_question(snapshot, question, today=LATER)
    assert not answer.answered
    assert answer.reason and answer.reason.startswith("The story is from 2 September 2025")


def test_the_reason_names_the_event_the_story_came_before(snapshot):
    answer = answer_question(snapshot, "How did the parade go?", today=LATER)
    assert answer.reason == (
        "The story is from 2 September 2025, before the parade (Wednesday, 3 September 2025); "
        "it doesn't say how it went or what happened after."
    )
    reply = render.answer_reply(answer)
    assert "before the parade" in reply.text


def test_what_happened_before_the_story_is_still_answered(snapshot):
    answer = answer_question(snapshot, "What happened at the missile lab?", today=LATER)
    assert answer.answered and "carbon fiber" in answer.text


def test_how_did_kim_go_to_china_asks_the_way_not_the_outcome(snapshot):
    assert "train" in said(snapshot, "How did Kim go to China?", LATER)


# ---- dates in questions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "read_as"),
    [
        ("Did Kim set off on September 1st?", "Did Kim set off on monday?"),
        ("was he in china on 2 September 2025", "was he in china on tuesday"),
        ("is the parade on sept. 4?", "is the parade on thursday?"),
        ("is the parade on 2025-09-03", "is the parade on wednesday"),
        ("did he visit on 1 January?", "did he visit on 1 January?"),  # far from the story
        ("which day of the week is the parade", "which day is the parade"),
        ("how old is this news?", "when was this article published?"),
        ("was the parade this week", "was the parade when"),
        # a question word of its own: "this week" only says when it happens
        ("why is kim going to china this week?", "why is kim going to china  ?"),
        ("How old is Kim?", "How old is Kim?"),
    ],
)
def test_dates_near_the_story_read_as_its_weekdays(question: str, read_as: str):
    assert timeline.in_story_days(question, TUESDAY) == read_as


def test_a_question_naming_a_date_is_answered_with_it(snapshot):
    assert "Monday, 1 September 2025" in said(snapshot, "Did Kim set off on September 1st?", None)
    assert "Wednesday, 3 September 2025" in said(snapshot, "is the parade on sept 4?", None)


# Floors for the blind set of date and "now" questions (tests/data/time_questions.yaml), read
# on the day its writer assumed (5 December 2026). Measured once before tuning: time 12/40,
# near misses 18/20; after issue 11: 37/40 and 20/20.
TIME_SET_FLOORS = {"time": 0.9, "nearmiss": 0.95}


def test_the_blind_time_set_does_not_regress(snapshot):
    cases = load_cases(Path(__file__).parent / "data/time_questions.yaml")
    report = evaluate(snapshot, cases, today=dt.date(2026, 12, 5))
    rates = {group: report.rate(group) for group in TIME_SET_FLOORS}
    below = {
        g: rates[g] for g, floor in TIME_SET_FLOORS.items() if rates[g][0] / rates[g][1] < floor
    }
    assert not below, (below, [case.question for case, _ in report.misses()])


def test_questions_after_the_story_abstain_with_the_reason(snapshot):
    cases = load_cases(Path(__file__).parent / "data/time_questions.yaml")
    report = evaluate(snapshot, cases, today=dt.date(2026, 12, 5))
    after = [a for case, a, _ in report.results if case.expect == "abstain" and a.reason]
    assert len(after) >= 8  # the outcomes, returns and "after the parade" questions say why
    assert all(a.reason.startswith("The story is from 2 September 2025") for a in after)


def test_dates_in_answers_do_not_make_their_numbers_topics(snapshot):
    # "3 September 2025" in the parade's answer must not make "3" a rare word of that entry.
    answer = answer_question(snapshot, "r these 3 countries getting closer or nah")
    assert answer.answered and answer.entry.id == "three-countries-ties"
    assert timeline.weekdays_only("set for Wednesday, 3 September 2025.") == "set for Wednesday."


@pytest.mark.parametrize(
    "question",
    ["who does North Korea do the most business with these days?", "any private talks so far?"],
)
def test_now_phrases_are_not_after_the_story(question: str):
    assert timeline.asks_now(question) and not timeline.asks_after_story(question)


def test_now_in_passing_does_not_ask_about_now():
    assert timeline.asks_now("is he in china now?")
    assert not timeline.asks_now("my cousin sent this and now im wondering when he left")
