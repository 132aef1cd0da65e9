"""Who said what: an entry answers for its own speaker, subject and kind of claim."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_knowledge import copy_knowledge, edit

from bot.engine.answering import answer_question
from bot.engine.attribution import answers_for, read, without_source_voice
from bot.engine.evaluation import evaluate, load_cases
from bot.engine.loader import load
from bot.engine.text import stem
from bot.settings import bundled_knowledge


@pytest.fixture(scope="module")
def snapshot():
    return load(bundled_knowledge())


@pytest.mark.parametrize(
    "question",
    [
        "What did Putin say to Kim?",
        "What did Xi Jinping say in his speech?",
        "What did analysts say about the 1,960 kN thrust claim?",
        "What did South Korea's government say about the trip?",
        "what did the US state department say about kim going to beijing",
        "What did Kim tell reporters when he got to Beijing?",
        "according to Putin, when did Kim arrive?",
    ],
)
def test_nobody_the_story_does_not_quote_gets_words_put_in_their_mouth(snapshot, question):
    assert not answer_question(snapshot, question).answered


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("What did Rodong Sinmun report?", "rodong-sinmun"),
        ("what did state media brag about the missile engines", "engine-thrust"),
        ("What did North Korea say about Xi's call for a new world order?", "global-order"),
        ("According to the article, what will China show off at the parade?", "parade-features"),
        ("how many other leaders attend, per the article", "other-leaders"),
    ],
)
def test_a_speaker_the_facts_name_is_answered(snapshot, question, entry):
    answer = answer_question(snapshot, question)
    assert answer.answered and answer.entry.id == entry


def test_a_speaker_is_held_to_the_facts_they_said(snapshot):
    # Rodong Sinmun is quoted for the arrival, not for the engines' thrust (state media's).
    answer = answer_question(snapshot, "What did Rodong Sinmun say about the thrust?")
    assert not answer.answered or answer.entry.id != "engine-thrust"
    assert answer_question(snapshot, "What did state media say about the thrust?").answered


@pytest.mark.parametrize(
    "question",
    [
        "What speed can the Hwasong-20 reach?",  # the train's speed is not the missile's
        "Who is the editor of Rodong Sinmun?",  # the paper's editor is not the paper
        "Who designed the Hwasong-20?",
    ],
)
def test_a_question_about_another_subject_or_its_part_abstains(snapshot, question):
    assert not answer_question(snapshot, question).answered


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("What's the date of the parade?", "parade-date"),
        ("what are the names of the new missiles", "hwasong-missiles"),
        ("what is the speed of the train", "train-speed"),
        ("missile thrust?", "engine-thrust"),
    ],
)
def test_a_part_the_entry_answers_still_is(snapshot, question, entry):
    answer = answer_question(snapshot, question)
    assert answer.answered and answer.entry.id == entry


def test_the_rule_is_the_knowledge_s_attribution_not_a_list(tmp_path: Path):
    """Attributing the train's speed to Putin makes "what did Putin say" answerable."""
    knowledge = copy_knowledge(tmp_path)
    edit(knowledge, "facts.yaml", '    quote: "but at a chill 60 km/h"\n',
         '    quote: "but at a chill 60 km/h"\n    said_by: Vladimir Putin\n')  # fmt: skip
    snapshot = load(knowledge)
    answer = answer_question(snapshot, "What did Putin say about the train's speed?")
    assert answer.answered and answer.entry.id == "train-speed"


def test_without_its_about_an_entry_answers_for_any_subject(tmp_path: Path):
    knowledge = copy_knowledge(tmp_path)
    edit(knowledge, "faq.yaml", "    about: Rodong Sinmun\n", "")
    answer = answer_question(load(knowledge), "Who is the editor of Rodong Sinmun?")
    assert answer.answered  # the rule needs the knowledge to say what the entry is about


@pytest.mark.parametrize(
    ("question", "plain"),
    [
        ("according to the article, who is Xi?", " , who is Xi?"),
        ("what does the story say about the train", "what does   about the train"),
        ("per the article, how fast is it", " , how fast is it"),
        ("what does the train look like", "what does the train look like"),
        ("What does ICBM stand for in the story?", "What does ICBM stand for  ?"),
        ("wat does icbm stand for, its in the kim story", "wat does icbm stand for,  "),
        # only at the end: "who is quoted in the article about the train?" keeps it
        ("who is in the story about the train", "who is in the story about the train"),
        # a roundup, a recap, the news: the source too (not someone whose words are asked)
        (
            "what two themes shaped 2024 according to this roundup?",
            "what two themes shaped 2024  ?",
        ),
        ("per the recap, who won?", " , who won?"),
    ],
)
def test_the_source_s_voice_names_no_topic(question, plain):
    assert without_source_voice(question) == plain


# Floors for the blind who-said-what set (tests/data/attribution_questions.yaml). Measured
# once before tuning: answerable 19/25, near misses 14/20, unrelated 5/5; after issue 11:
# 21/25, 17/20, 5/5.
ATTRIBUTION_SET_FLOORS = {"answerable": 0.8, "nearmiss": 0.8, "unrelated": 1.0}


def test_the_blind_attribution_set_does_not_regress(snapshot):
    report = evaluate(
        snapshot, load_cases(Path(__file__).parent / "data/attribution_questions.yaml")
    )
    rates = {group: report.rate(group) for group in ATTRIBUTION_SET_FLOORS}
    below = {
        g: rates[g]
        for g, floor in ATTRIBUTION_SET_FLOORS.items()
        if rates[g][0] / rates[g][1] < floor
    }
    assert not below, (below, [case.question for case, _ in report.misses()])


STORIES = Path(__file__).parent / "data" / "stories"


def test_only_a_name_singles_out_another_entry_s_subject():
    """ "the teams" and "world series titles" are other entries' subjects, but common nouns
    name no one subject: the history entry still answers for them."""
    snapshot = load(STORIES / "voa-world-series")
    answer = answer_question(snapshot, "Which teams played in the first official World Series?")
    assert answer.answered and answer.entry.id == "history"
    history, others = snapshot.entries["history"], list(snapshot.entries.values())
    asked = read(snapshot, "Which team won that very first championship back in 1903?", others)
    assert answers_for(snapshot, history, asked)


def test_a_name_written_by_its_alias_still_names_the_subject():
    """ "Judge" is the story's alias of aaron-judge: Ohtani's contract does not answer it."""
    answer = answer_question(
        load(STORIES / "voa-world-series"), "How much is Aaron Judge's contract worth?"
    )
    assert not answer.answered


def test_someone_the_story_never_quotes_is_read_by_what_the_entry_tells_of_them():
    snapshot = load(STORIES / "voa-covid-year-2021")
    entry = snapshot.entries["may-changes"]
    said = "What did the new guidelines say about masks for fully vaccinated people?"
    assert answers_for(snapshot, entry, read(snapshot, said, [entry]))  # the entry tells it
    invented = "What did Taylor Swift say about masks for fully vaccinated people?"
    assert not answers_for(snapshot, entry, read(snapshot, invented, [entry]))


def test_a_verb_of_doing_asks_who_did_it_not_the_verb():
    """ "who carried out the study?" asks who did it; the answer says who studied it."""
    snapshot = load(STORIES / "voa-virtual-fences-cows")
    answer = answer_question(snapshot, "Who carried out the virtual fencing study in Oregon?")
    assert answer.answered and answer.entry.id == "oregon-study"
    assert "Oregon State University" in answer.text


def test_who_wrote_this_with_nothing_before_asks_for_the_author():
    snapshot = load(STORIES / "voa-virtual-fences-cows")
    assert answer_question(snapshot, "who wrote this?").entry.id == "story-source"
    assert not answer_question(snapshot, "who said so?").answered  # points at no answer


def test_the_speaker_of_a_question_is_not_its_subject():
    """Strickland is asked as the speaker; the hurricane is what the question is about."""
    snapshot = load(STORIES / "voa-virtual-fences-cows")
    hurricane = snapshot.entries["hurricane-ian"]  # about Hurricane Ian, naming Strickland
    asked = read(
        snapshot, "What did Jim Strickland say about the hurricane?", [*snapshot.entries.values()]
    )
    assert asked.speaker == {"strickland"} and answers_for(snapshot, hurricane, asked)


def test_a_quoted_speaker_may_be_asked_by_description():
    """ "the University of Nevada biologist" is the speaker the entry describes so (Zeb Hogan,
    quoted); a description made only of names is not ("Kim Yo Jong" is not Kim Jong Un)."""
    mekong = load(STORIES / "voa-mekong-giant-salmon-carp")
    said = "What did the University of Nevada biologist say about the rediscovery?"
    answer = answer_question(mekong, said)
    assert answer.answered and answer.entry is not None and answer.entry.id == "hogan"


def test_asking_someone_to_tell_names_no_speaker(snapshot):
    # the villagers, not the researchers, would do the telling: no one's words are asked
    asked = read(snapshot, "What did the researchers ask villagers to tell them about?")
    assert asked.speaker is None
    assert read(snapshot, "what did the head of the team say").speaker is not None


def test_a_named_person_the_story_never_quotes_was_given_no_words(snapshot):
    # The sentence "Kim ... boarded his train ..., state media said" quotes state media, not Kim.
    assert not answer_question(snapshot, "What did Kim Yo Jong say about the trip?").answered
    assert not answer_question(snapshot, "What did Kim say about the trip?").answered


def test_irregular_past_forms_read_as_their_verb():
    assert stem("said") == stem("say") and stem("wrote") == stem("writes")
    assert stem("left") != stem("leave")  # "left" has a sense of its own


def test_what_a_named_party_agreed_to_is_what_the_story_tells_of_it():
    """ "what did Pfizer and Merck agree to do?" asks what they did, not their words: an
    entry telling it may answer, though the story quotes neither."""
    snapshot = load(STORIES / "voa-covid-year-2021")
    question = "what did pfizer and merk agree to do to help poor contries"
    asked = read(snapshot, question, [*snapshot.entries.values()])
    assert asked.speaker == {"pfizer", "merck"} and not asked.words  # "merk": a typo of Merck
    assert answers_for(snapshot, snapshot.entries["why-pills-matter"], asked)


def test_a_pronoun_is_no_speaker_a_synonym_names():
    # "her" is Haglid by the story's synonyms, but "according to her" after McDermott's words
    # on soft skills means McDermott: a pronoun names whoever the talk is about
    cooking = load(Path(__file__).parent / "data/stories/voa-cooking-school-hope")
    answer = answer_question(cooking, "what is the hard part, according to her?")
    assert answer.answered and answer.entry is not None and answer.entry.id == "soft-skills"
    assert read(cooking, "what is the hard part, according to her?").speaker is None
