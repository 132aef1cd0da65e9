"""Follow-up questions read with the turn before them (engine only, no Telegram)."""

from __future__ import annotations

from pathlib import Path

import pytest
from botapi_emulator import parse_html
from hypothesis import given
from hypothesis import strategies as st
from test_hostile_input import ENTRY_IDS, FAST, SNAPSHOT, TEXT, check_reply, echo

from bot.chat import render
from bot.engine.answering import answer_entry, answer_question
from bot.engine.evaluation import evaluate_conversations, load_conversations
from bot.engine.followup import Turn, did_you_mean, next_turn
from bot.engine.loader import load
from bot.engine.model import Answer, Outcome, Snapshot
from bot.settings import bundled_knowledge

DATA = Path(__file__).parent / "data"
DEV = Path(__file__).resolve().parents[2] / "shared/eval/dev_conversations.yaml"


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return load(bundled_knowledge())


def talk(snapshot: Snapshot, *questions: str) -> list[Answer]:
    """Ask the questions in order, each read with the turn before."""
    answers, context = [], None
    for question in questions:
        answer = answer_question(snapshot, question, context=context)
        answers.append(answer)
        context = next_turn(answer, snapshot)
    return answers


def entry(answer: Answer) -> str | None:
    return answer.entry.id if answer.answered and answer.entry else None


def test_without_context_nothing_changes(snapshot):
    alone = answer_question(snapshot, "when?")
    assert alone.outcome is Outcome.ABSTAINED
    assert alone.about is None and alone.followup_of is None
    assert alone.read_as == "when?"


def test_bare_question_word_takes_the_last_topic(snapshot):
    first, when = talk(snapshot, "What will the parade be like?", "what day?")
    assert entry(first) == "parade-features"
    assert entry(when) == "parade-date"
    assert when.followup_of == "parade-features"
    assert when.about == "What will the parade feature?"
    assert when.read_as == "what day? (about: What will the parade feature?)"


def test_pronouns_and_place_words_point_at_the_last_topic(snapshot):
    # Alone, "what did he see there?" was answered with whom Kim meets in Beijing.
    assert entry(answer_question(snapshot, "what did he see there?")) == "who-kim-meets"
    _, saw = talk(snapshot, "What did Kim do before leaving?", "what did he see there?")
    assert entry(saw) == "carbon-fiber-icbm"
    _, there = talk(snapshot, "When is the parade?", "what will happen there?")
    assert entry(there) == "parade-features"


def test_bare_purpose_and_elapsed_time_questions(snapshot):
    # "for what?" asks a purpose as "what for?" does; "how many years ago?" is answered by
    # an answer that tells how many years since ("ago" and "since" are one word to it).
    _, purpose = talk(snapshot, "kim in china??", "for what")
    assert entry(purpose) == "trip-purpose"
    _, ago = talk(snapshot, "What does the parade celebrate?", "how many years ago")
    assert entry(ago) == "parade-meaning"
    # "how long ago" asks time since ("80 years since"), which the article's date does not say
    _, long_ago = talk(snapshot, "What does the parade celebrate?", "how long ago was that?")
    assert entry(long_ago) == "parade-meaning"


def test_hedges_and_tallies_name_no_topic(snapshot):
    # "at least", "altogether" frame what is asked: the follow-up asks the speed, the count
    _, _, fast = talk(
        snapshot, "What is Kim's train like?", "what makes it special?", "is it fast at least?"
    )
    assert entry(fast) == "train-speed"
    _, total = talk(snapshot, "who else is at the beijing parade?", "how many altogether?")
    assert entry(total) == "other-leaders"


def test_a_follow_up_who_is_answered_by_an_answer_that_names_who(snapshot):
    # No phrasing of the parade's features asks "who", but its answer names China.
    *_, who = talk(
        snapshot, "which anniversary is china marking?", "and who's showing off new weapons there?"
    )
    assert entry(who) == "parade-features" and "China" in who.text


def test_bare_how_and_chat_why_are_follow_ups(snapshot):
    _, how = talk(snapshot, "when did kim leave for beijing", "how?")
    assert how.answered and "train" in how.text + " ".join(c.quote for c in how.all_citations)
    _, why = talk(snapshot, "where is kim going?", "y tho")
    assert entry(why) == "trip-purpose"
    assert answer_question(snapshot, "how are you?").outcome is Outcome.GREETING


def test_at_that_pace_points_at_what_the_last_answer_told(snapshot):
    *_, trip = talk(
        snapshot,
        "what kind of train is kim using",
        "how fast does it go?",
        "so how long did the trip take at that pace",
    )
    assert entry(trip) == "journey-duration"
    # "why that material?" still asks about the material
    _, why = talk(snapshot, "What did Kim see at the missile lab?", "why that material?")
    assert entry(why) == "carbon-fiber-icbm"


def test_and_x_asks_the_last_question_about_x(snapshot):
    _, russia = talk(snapshot, "Who is China's leader?", "and Russia's?")
    assert entry(russia) == "who-is-putin"
    _, china = talk(snapshot, "Who is Russia's leader in the story?", "what about China's?")
    assert entry(china) == "who-is-xi"


def test_it_may_stand_for_what_the_last_answer_named(snapshot):
    # The question was what China gains; the answer named the 26 leaders "coming" refers to.
    _, coming = talk(
        snapshot,
        "What is China trying to achieve by hosting so many leaders?",
        "how many are coming?",
    )
    assert entry(coming) == "other-leaders" and "26" in (coming.text or "")


def test_a_question_naming_its_own_topic_stands_alone(snapshot):
    *_, missiles = talk(
        snapshot,
        "How does Kim travel to Beijing?",
        "how fast is it?",
        "Which missiles are mentioned?",
    )
    assert entry(missiles) == "hwasong-missiles"
    assert missiles.about is None and missiles.followup_of is None
    *_, publisher = talk(snapshot, "Is Kim's train fast?", "who published this article?")
    assert entry(publisher) == "article-publisher"


def test_a_message_saying_it_changes_the_topic_stands_alone(snapshot):
    # In context the trip's length borrowed "Beijing" and nothing fitted: declined (0.71).
    *_, visit = talk(
        snapshot,
        "Which speed is going the train of Kim?",
        "So how much time he needs for arrive to Beijing?",
        "Other question: what place did Kim visit before he start the trip?",
    )
    assert entry(visit) == "missile-lab-visit" and visit.followup_of is None
    # the reader's word decides, even where "it" could point back
    _, leaders = talk(snapshot, "Who is Kim meeting?", "Switching topics - how fast is it?")
    assert leaders.followup_of is None


def test_those_two_point_back_and_ask_no_number(snapshot):
    # "two" was read as a number the answer must give: declined (0.55)
    _, along = talk(
        snapshot,
        "Who is North Korea's biggest trading partner according to this report?",
        "have those two always got along?",
    )
    assert entry(along) == "china-nk-relations"
    # "the two" points back as "those two" does (it was read alone: only a "did you mean")
    *_, smooth = talk(
        snapshot,
        "who is north korea's number one trade partner according to this story",
        "have things always been smooth between the two?",
    )
    assert entry(smooth) == "china-nk-relations" and smooth.followup_of == "trade-partner"


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        # earlier / previous mean before
        (("Is Kim's train protected against attacks?", "have earlier NK leaders used it too?"),
         "train-tradition"),
        # washing it down is drinking; lining up against is opposing
        (("so his people are poor but he eats lobster on his train?? seriously?",
          "and what do they wash it down with"), "train-perks"),
        (("Are North Korea, China and Russia getting friendlier?",
          "who are they lining up against"), "three-countries-ties"),
        # "parade, it" is no "parade its (weapons)": the bundled story's showing off
        (("Please, when Kim is arriving to China?", "which newspaper is telling this?",
          "and the parade, it is which day?"), "parade-date"),
        # "what else?" after an answer that told more than was asked: the rest is in it
        (("Will there be aircraft at the Beijing parade?", "what else"), "parade-features"),
        (("my daughter wants to know if there will be planes at the parade",
          "what else will there be"), "parade-features"),
        # "it" is what the reader named that an entry is about, though another entry answered
        (("is putin going to the beijing parade too", "what day is it"), "parade-date"),
        (("what's the occasion of the Beijing parade?", "what day is it?"), "parade-date"),
        (("How many years since Japan's surrender does the parade mark?", "where is it?",
          "when?"), "parade-date"),
        # "please" is no "pleased" (glad), "cool stuff" no cooling relations
        (("Will there be aircraft at the parade?", "please, which day is it on?"), "parade-date"),
        (("When is the parade?", "any cool stuff to see there?"), "parade-features"),
        # "no, I meant the parade": a correction frames what is asked, it means nothing
        (("When did Kim arrive in China?", "no i meant the parade, when is that"),
         "parade-date"),
        # more about what was just said: the last answer is still the likeliest one
        (("Will China show off weapons at the parade?", "what kind?"), "parade-features"),
    ],
)  # fmt: skip
def test_everyday_wording_in_follow_ups(snapshot, turns, expected):
    *_, last = talk(snapshot, *turns)
    assert entry(last) == expected


def test_what_else_after_an_answer_that_told_only_what_was_asked_moves_on(snapshot):
    # "Is it armored?" - "Yes, armored": the rest is elsewhere, not that answer again
    _, rest = talk(snapshot, "kim train bulletproof?", "what else")
    assert entry(rest) != "train-armored"
    # "what else did he do that day?" asks another thing, not the rest of the departure
    _, day = talk(snapshot, "When did Kim board his train?", "what else did he do that same day")
    assert day.followup_of == "departure-day" and entry(day) != "parade-features"


def test_a_day_counted_from_the_last_answer_asks_that_day_s_other_events(snapshot):
    # Monday: the departure, and the missile lab visit
    _, same = talk(snapshot, "When did Kim board his train?", "what else did he do that same day")
    assert entry(same) == "missile-lab-visit" and same.followup_of == "departure-day"
    # the parade is on Wednesday: two days before is Monday, the day before Tuesday
    _, monday = talk(snapshot, "When is the parade?", "what did kim do two days before?")
    assert entry(monday) == "missile-lab-visit"
    _, tuesday = talk(snapshot, "When is the parade?", "what happened the day before?")
    assert entry(tuesday) == "arrival-time"
    _, next_day = talk(snapshot, "When did Kim arrive in China?", "and the next day?")
    assert entry(next_day) == "parade-date"
    # what no entry of that day knows is not about them
    _, rain = talk(snapshot, "When did Kim leave?", "did it rain that day?")
    assert entry(rain) != "missile-lab-visit"


def test_a_guard_holds_with_what_it_stands_for_in_place(snapshot):
    # "it" is the parade (the entry's `about`): "how many hours does the parade go on for" is
    # guarded; it had got how long the trip took (0.90)
    _, hours = talk(snapshot, "What will the parade feature?", "how many hours does it go on for")
    assert not hours.answered


def test_near_miss_follow_ups_are_declined(snapshot):
    for opening, near_miss in [
        ("How does Kim travel to Beijing?", "how heavy is it?"),
        ("Did Kim fly to China?", "how many carriages does it have?"),
        ("Who is China's leader?", "what will they discuss?"),
        ("What did Kim do before leaving?", "and their range?"),
        ("When is the parade?", "how long will it last?"),
        # "is it the Hwasong-18?" is answered alone; its thrust is not
        ("How much thrust do the Hwasong-19 engines have?", "and the hwasong-18?"),
    ]:
        _, answer = talk(snapshot, opening, near_miss)
        assert not answer.answered, (opening, near_miss, entry(answer))
        assert answer.about is not None  # declined as a follow-up, the reading shown


def test_a_reporting_verb_frames_what_a_follow_up_asks(snapshot):
    # "say" is in a departure phrasing ("what day did state media say kim left"): not the ask
    _, answer = talk(snapshot, "Who reported Kim's trip?", "when did they say he arrived?")
    assert entry(answer) == "arrival-time"


def test_a_pointing_follow_up_read_alone_when_clearly_better_and_on_topic(snapshot):
    # "it" is Rodong Sinmun: alone, the message asks when Kim arrived, which Rodong Sinmun said
    _, answer = talk(
        snapshot, "Which newspaper reported Kim's arrival?", "when did it say he got there?"
    )
    assert entry(answer) == "arrival-time"
    assert answer.followup_of == "rodong-sinmun"


def test_both_readings_pointing_at_one_entry_answer_it(snapshot):
    # in context only a "did you mean" for it, alone an answer: both mean the same entry
    *_, answer = talk(
        snapshot,
        "russia leader there?",
        "how about china's?",
        "what do they have in common with kim",
    )
    assert entry(answer) == "western-influence"


def test_whose_after_an_answer_naming_an_owner_is_that_answer(snapshot):
    # "... China's efforts to flex its diplomatic clout"
    _, whose = talk(snapshot, "What does China get out of this?", "whose?")
    assert entry(whose) == "china-gains"
    assert whose.followup_of == "china-gains"
    # "The missile work shows North Korea is still doubling down": no owner named
    _, other = talk(snapshot, "What does the missile news show about North Korea?", "whose?")
    assert entry(other) != "military-buildup"


def test_why_that_one_after_an_answer_giving_a_reason_is_that_answer(snapshot):
    # "...using lightweight carbon fiber": the material's reason is in that answer
    _, why = talk(snapshot, "what material are the new north korean icbms built with", "why that?")
    assert entry(why) == "carbon-fiber-icbm" and why.followup_of == "carbon-fiber-icbm"


def test_a_pointing_message_naming_its_topic_with_nothing_in_context_is_read_alone(snapshot):
    # "it" points back, but the message names the missiles: alone it is surely answered
    _, answer = talk(
        snapshot,
        "How fast is Kim's train?",
        "Which missiles was it again, the Hwasong-something? my brain can't hold these names",
    )
    assert entry(answer) == "hwasong-missiles"


def test_asking_to_identify_what_the_answer_only_mentions_is_declined(snapshot):
    # The answers say "a missile lab", "developing countries", "26 other world leaders".
    for opening, near_miss in [
        ("Where did Kim go before leaving for Beijing?", "where is that lab?"),
        ("What did North Korea say about Xi's global plans?", "which developing countries?"),
        ("How many other world leaders are attending?", "can you name them?"),
        ("What did they say about the missiles?", "which lab?"),
        # "26 other world leaders": a number counts them, it does not name them
        ("How many other world leaders are attending?", "which leaders?"),
        ("How many other world leaders are attending?", "which ones?"),
        # "the latest high-tech weapons" tells what kind, not which ones by name
        ("What will the parade feature?", "What kind of weapons, which names?"),
        # "developing countries" are no other countries by name
        (
            "What did North Korea say about Xi's vision for the global order?",
            "which other countries signed on to it?",
        ),
    ]:
        _, answer = talk(snapshot, opening, near_miss)
        assert not answer.answered, (opening, near_miss, entry(answer))
    _, kind = talk(snapshot, "What will the parade feature?", "what kind of weapons")
    assert entry(kind) == "parade-features"


def test_the_same_asked_of_another_subject_needs_an_answer_naming_it(snapshot):
    _, declined = talk(
        snapshot, "What did North Korea say about Xi's plans?", "did russia back it too?"
    )
    assert not declined.answered, entry(declined)
    _, answered = talk(snapshot, "Is Xi at the parade?", "is putin coming too?")
    assert entry(answered) == "who-is-putin"


def test_questions_standing_alone_mid_talk_are_not_checked_as_follow_ups(snapshot):
    # a "which" question with a verb of its own, a "too" question read alone: not follow-ups
    for opening, question, expected in [
        (
            "How fast is the train?",
            "Which newspaper reported that Kim had reached China?",
            "rodong-sinmun",
        ),
        ("How fast is the train?", "Which Hwasong missiles were mentioned?", "hwasong-missiles"),
        ("Who is Xi Jinping?", "Is Putin going to be at the parade too?", "who-kim-meets"),
    ]:
        _, answer = talk(snapshot, opening, question)
        assert entry(answer) == expected, (opening, question, entry(answer))


def test_asking_to_identify_what_the_answer_names_is_answered(snapshot):
    # "the Hwasong-19 and Hwasong-20 missiles"; "developing countries" says which countries.
    for opening, follow_up, expected in [
        ("What does the missile news show?", "which missiles is it for?", "hwasong-missiles"),
        # the lab visit names no missiles: the message alone is answered by an entry that does
        ("Where did Kim go before leaving?", "which missiles are they for?", "hwasong-missiles"),
        (
            "How did North Korea react to Xi's call for a fairer world?",
            "which countries would that help?",
            "global-order",
        ),
        ("What does the parade celebrate?", "where is the parade?", "destination"),
        # the same entry again, but one that asks where: its answer tells a place
        ("Where is Kim going?", "where is the parade?", "destination"),
        # the answer in context names none; the one before does
        ("Which missiles are mentioned?", "which ones?", "hwasong-missiles"),
        # "ICBMs" is a kind, not a name; the entry its curators relate to it names them
        ("What did Kim see at the missile lab?", "which ones r they building", "hwasong-missiles"),
        ("wats ICBM stand for in this article", "which ones r mentioned", "hwasong-missiles"),
    ]:
        _, answer = talk(snapshot, opening, follow_up)
        assert entry(answer) == expected, (opening, follow_up, entry(answer))


def test_an_answer_about_something_else_names_nothing_asked(snapshot):
    # the trip's length does not name missiles: "which missiles?" mid-talk is not answered
    # with it
    *_, answer = talk(
        snapshot,
        "How long did the trip to Beijing take?",
        "wait which missiles was he checking out before he left",
    )
    assert entry(answer) != "journey-duration"


def test_he_after_a_who_question_is_that_person(snapshot):
    # "he" is Putin: the reporting entry shares only the words of Putin's answer ("Kim")
    *_, answer = talk(snapshot, "Who is Vladimir Putin in this story?", "will he give a speech?")
    assert not answer.answered, entry(answer)
    _, answer = talk(snapshot, "Who is Vladimir Putin in this story?", "which country is he from?")
    assert entry(answer) == "who-is-putin"


def test_a_follow_up_that_fails_keeps_the_topic_for_the_next(snapshot):
    _, heavy, fast = talk(snapshot, "Did Kim fly to China?", "how heavy is it?", "how fast is it?")
    assert not heavy.answered
    assert next_turn(heavy, snapshot).entry_id == "did-kim-fly"
    assert entry(fast) == "train-speed"


def test_readings_that_disagree_without_a_clear_winner_offer_both(snapshot):
    # In context: who reported the arrival (Rodong Sinmun); alone: who reported the trip.
    in_context = answer_entry(snapshot, "rodong-sinmun", "and who reported it?", 0.7)
    alone = answer_entry(snapshot, "who-reported", "and who reported it?", 0.72)
    both = did_you_mean("and who reported it?", in_context, alone, 3)
    assert both.outcome is Outcome.SUGGESTED
    assert [s.entry for s in both.suggestions] == ["rodong-sinmun", "who-reported"]


def test_a_follow_up_naming_its_own_topic_is_read_alone_when_that_is_clearly_better(snapshot):
    _, own = talk(snapshot, "When did Kim arrive in China?", "and who reported the parade?")
    assert entry(own) == "who-reported" and own.about is None


def test_small_talk_is_not_a_follow_up(snapshot):
    _, thanks = talk(snapshot, "When is the parade?", "thanks!")
    assert thanks.outcome is Outcome.THANKS and thanks.about is None


def test_context_from_an_unanswered_turn_still_gives_the_topic(snapshot):
    answer = answer_question(snapshot, "and when is it?", context=Turn("the parade"))
    assert entry(answer) == "parade-date"
    assert answer.followup_of is None and answer.about == "the parade"


@pytest.mark.parametrize(
    "asked",
    [
        "who said so?",
        "by whose account?",
        "says who?",
        "Who reported that?",
        "who gave those numbers?",
        "where do these figures come from?",
    ],
)
def test_who_said_so_gets_the_last_answer_with_its_speaker(snapshot, asked):
    thrust, whose = talk(snapshot, "How much thrust do the missile engines have?", asked)
    assert entry(whose) == entry(thrust) == "engine-thrust"
    assert "state media" in whose.text.lower()
    assert whose.followup_of == "engine-thrust"
    arrival, whose = talk(snapshot, "When did Kim get to China?", asked)
    assert entry(whose) == entry(arrival) == "arrival-time"
    assert "Rodong Sinmun" in whose.text


def test_who_said_so_without_an_answer_before_is_not_answered(snapshot):
    assert not talk(snapshot, "How do I bake sourdough bread?", "who said so?")[1].answered


def test_the_story_itself_is_not_the_topic_a_follow_up_borrows(snapshot):
    # "in this story" frames the question; "he" is Putin, not the article's author.
    _, country = talk(snapshot, "Who is Vladimir Putin in this story?", "which country is he from?")
    assert entry(country) == "who-is-putin"


def test_a_pronoun_for_the_same_subject_may_read_alone_when_that_is_clearly_better(snapshot):
    # "he" is Kim in both readings; alone, the question is the story's why-Kim-goes.
    _, why = talk(
        snapshot, "Is this Kim's first major event with Xi and Putin?", "why is he going?"
    )
    assert entry(why) == "trip-purpose"
    # "there" means nothing alone: the talk decides.
    _, seen = talk(
        snapshot, "What did Kim do before leaving for Beijing?", "what did he see there?"
    )
    assert entry(seen) == "carbon-fiber-icbm"


def test_unknown_entry_in_context_is_harmless(snapshot):
    # A context stored before a reload may name an entry that no longer exists.
    answer = answer_question(snapshot, "when?", context=Turn("the parade", "no-such-entry"))
    assert entry(answer) == "parade-date"


def rates(snapshot: Snapshot, path: Path) -> dict[str, float]:
    report = evaluate_conversations(snapshot, load_conversations(path))
    return {kind: (lambda c, t: c / t)(*report.rate(kind)) for kind in report.groups()}


@pytest.mark.skipif(not DEV.is_file(), reason="the shared dev conversations are not beside us")
def test_dev_conversations(snapshot):
    got = rates(snapshot, DEV)
    assert got["follow"] == 1.0 and got["switch"] == 1.0 and got["nearmiss"] == 1.0


# Floors on the blind sets (written from the article alone by another session): the figures
# measured once before tuning are in notes/conversations.md.
BLIND_FLOORS = {
    "blind_conversations_a.yaml": {"open": 0.96, "follow": 0.95, "switch": 0.92, "nearmiss": 0.93},
    "blind_conversations_b.yaml": {"open": 0.96, "follow": 0.97, "switch": 1.0, "nearmiss": 1.0},
    # Written by a helper from the article alone in the fourth session; measured once before
    # tuning at open 29/30, follow 36/45, switch 12/12, near miss 9/13.
    "blind_conversations_c.yaml": {"open": 0.96, "follow": 0.91, "switch": 1.0, "nearmiss": 1.0},
    # Written by helpers from the article alone in the sixth session and never shown to the
    # helper tuning follow-ups. D, measured once at the session's start: open 28/30, follow
    # 28/45, switch 11/12, near miss 9/14; at its end 28/30, 28/45, 11/12, 8/14. E, measured
    # once at the end: 28/30, 33/45, 11/12, 11/15 (31/45 follow-ups on the starting engine).
    # Then a bare question the last answer tells ("where?", "how big?") got that answer: D
    # 34/45 and E 35/45 follow-ups (D guided it; E was among the sets it was checked on).
    # In the ninth session a synonym phrase read alike with "that" ("where is that lab?"):
    # D and E +1 near miss; "africa" no longer read as "america": F +1.
    "blind_conversations_d.yaml": {"open": 0.96, "follow": 0.8, "switch": 0.91, "nearmiss": 0.64},
    "blind_conversations_e.yaml": {"open": 0.93, "follow": 0.8, "switch": 0.91, "nearmiss": 0.86},
    # F, written the same way at the end and measured once after every change: open 25/30,
    # follow 31/45, switch 12/12, near miss 11/14 (30/45 follow-ups on the starting engine).
    # A time of day asked ("what time does it kick off?") then needed one in the answer: F
    # and G 12/14 and 13/14 near misses. In the eighth session "for what?" asked a purpose
    # and "ago" read as "since": F 33/45, G 40/45 and B 38/39 follow-ups.
    "blind_conversations_f.yaml": {"open": 0.86, "follow": 0.77, "switch": 1.0, "nearmiss": 0.92},
    # G, written the same way at the start of the seventh session and measured once before
    # its changes: open 27/30, follow 39/45, switch 12/12, near miss 12/14.
    "blind_conversations_g.yaml": {"open": 0.9, "follow": 0.88, "switch": 1.0, "nearmiss": 0.92},
    # H, written the same way at the start of the eighth session and measured once: open
    # 25/30, follow 34/45 on the session's starting engine and 35/45 on its engine then,
    # switch 12/12, near miss 12/14.
    "blind_conversations_h.yaml": {"open": 0.86, "follow": 0.84, "switch": 1.0, "nearmiss": 0.85},
    # I, written the same way at the end of the eighth session and measured once on its final
    # engine: open 28/30, follow 33/45 (31/45 on the session's starting engine), switch 12/12,
    # near miss 12/14.
    "blind_conversations_i.yaml": {"open": 0.93, "follow": 0.73, "switch": 1.0, "nearmiss": 0.85},
    # J, written the same way at the start of the ninth session and measured once: open 29/30,
    # follow 39/45, switch 12/12, near miss 13/14.
    "blind_conversations_j.yaml": {"open": 0.96, "follow": 0.86, "switch": 1.0, "nearmiss": 0.92},
    # K, written the same way late in the ninth session and measured once: open 29/30, follow
    # 36/45, switch 11/12, near miss 9/14 (the session's starting engine: 28/30, 36/45, 11/12,
    # 9/14). Then "em" for "them", "apart from" as framing, "what did it cost?" needing
    # money, the "taking place" guard fixed and "at what point?" asking when: 30/30, 39/45,
    # 11/12, 10/14.
    "blind_conversations_k.yaml": {"open": 1.0, "follow": 0.88, "switch": 1.0, "nearmiss": 0.71},
    # L, written the same way at the start of the tenth session and measured once: open 29/30,
    # follow 38/45, switch 10/12, near miss 12/14. After that session's changes ("Other
    # question: ..." stands alone, "those two" points back, "which ones?" answered by a
    # related entry that names them, "which names?" wants a name): 29/30, 41/45, 12/12, 13/14;
    # H 38/45 and K 40/45 follow-ups, K 12/12 switches.
    "blind_conversations_l.yaml": {"open": 0.96, "follow": 0.91, "switch": 1.0, "nearmiss": 0.92},
    # M, written the same way in the middle of the tenth session and measured once: open
    # 26/30, follow 33/45, switch 12/12, near miss 8/14 (the same on the session's starting
    # engine); at the session's end 27/30, 37/45, 12/12, 9/14.
    "blind_conversations_m.yaml": {"open": 0.9, "follow": 0.82, "switch": 1.0, "nearmiss": 0.64},
    # N, written the same way at the start of the eleventh session and measured once: open
    # 29/30, follow 40/45, switch 11/12, near miss 13/14. Then "what's the short answer?" as
    # framing and "what else?" after an answer that told more than was asked: 30/30, 42/45.
    "blind_conversations_n.yaml": {"open": 1.0, "follow": 0.93, "switch": 0.91, "nearmiss": 0.92},
    # O, written the same way at the start of the twelfth session and measured once: open
    # 27/30, follow 36/45, switch 11/12, near miss 13/14. After that session's changes ("is it
    # accurate that" as framing, a kind of place telling where, "why that one?" after an
    # answer giving a reason): 28/30, 38/45.
    "blind_conversations_o.yaml": {"open": 0.93, "follow": 0.84, "switch": 0.91, "nearmiss": 0.92},
}


@pytest.mark.parametrize("name", sorted(BLIND_FLOORS))
def test_blind_conversation_floors(snapshot, name):
    got = rates(snapshot, DATA / name)
    for kind, floor in BLIND_FLOORS[name].items():
        assert got[kind] >= floor, (kind, got[kind], floor)


@FAST
@given(TEXT, TEXT, st.sampled_from([*ENTRY_IDS, None, "no-such-entry"]))
def test_follow_ups_never_fail_and_render_as_valid_telegram_html(
    question: str, before: str, entry_id: str | None
):
    answer = answer_question(SNAPSHOT, question, context=Turn(before, entry_id))
    reply = render.answer_reply(answer, feedback_ref=1)
    check_reply(reply, echo(answer))
    if answer.about:  # the reading is shown, escaped and clipped like the reader's words
        assert answer.about[: render.MAX_ECHO] in parse_html(reply.text)[0]
    next_turn(answer, SNAPSHOT)  # and the conversation can go on from it


def test_a_bare_question_the_last_answer_tells_is_answered_by_it(snapshot):
    # nothing else answers "where?" or "how big?" about the "Also Read" link; its answer
    # names a place (India) and a size (1GW)
    for follow_up in ("where?", "how big?"):
        _, answer = talk(snapshot, "what's the also read link in the article about?", follow_up)
        assert entry(answer) == "also-read", follow_up
    # a kind of place tells where too: "a bigger role in the region"
    _, where = talk(
        snapshot, "What is China trying to achieve by hosting them?", "where, just in asia?"
    )
    assert entry(where) == "china-gains"
    # ...but a number of another measure does not answer: the speed is not a weight
    _, heavy = talk(snapshot, "How fast is Kim's train?", "how heavy")
    assert not heavy.answered
    # nor does a number that is a date or part of a name ("Hwasong-20")
    _, built = talk(snapshot, "What did Kim inspect before his trip?", "how many will be built?")
    assert not built.answered
