"""Chatty messages: the sentences that ask read apart from the chat around them."""

from __future__ import annotations

import pytest
from helpers_knowledge import BUNDLED

from bot.engine.answering import answer_question
from bot.engine.loader import load
from bot.engine.model import Snapshot
from bot.engine.text import asking_part, chat_kind, question_clauses, words


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return load(BUNDLED)


@pytest.mark.parametrize(
    ("message", "asked"),
    [
        # what the reader heard or thinks, then a question that names its own topic
        (
            "My neighbour reckons the whole thing was staged. Anyway, what city was Kim "
            "heading to?",
            "Anyway, what city was Kim heading to?",
        ),
        # greeting and sign-off
        (
            "Hello! Sorry to bother you. When did he leave home? Have a lovely day!",
            "When did he leave home?",
        ),
        # a run of emoji ends a sentence
        (
            "bruh kim really out here on a train 💀💀 how long did that ride even take tho",
            "how long did that ride even take tho.",
        ),
        (
            "yo who's kim meeting in beijing 👀 asking for a friend",
            "yo who's kim meeting in beijing.",
        ),
        # a letter's question without its courtesies around it
        (
            "Greetings. I would be obliged if you could inform me of the purpose of Mr Kim's "
            "visit. Respectfully yours, J. Smith",
            "I would be obliged if you could inform me of the purpose of Mr Kim's visit.",
        ),
        # a question inside a telling sentence
        (
            "Long week. It made me wonder how many leaders are going to the parade. Cheers!",
            "It made me wonder how many leaders are going to the parade.",
        ),
        # a question that points back keeps the sentence it points at
        (
            "Hi there. I read that Kim met the Pope in Beijing. What did they talk about? Cheers",
            "I read that Kim met the Pope in Beijing. What did they talk about?",
        ),
        (
            "My friend says the train is pink. Is that true?",
            "My friend says the train is pink. Is that true?",
        ),
    ],
)
def test_asking_part_drops_what_asks_nothing(message: str, asked: str):
    assert asking_part(message) == asked


@pytest.mark.parametrize(
    "message",
    [
        "When did he leave? And when did he arrive?",  # every sentence asks
        "Kim took the train to Beijing.",  # none does
        "how fast is the train",
    ],
)
def test_asking_part_is_none_when_nothing_is_dropped(message: str):
    assert asking_part(message) is None


@pytest.mark.parametrize(
    "message",
    [
        "Dear Sir or Madam, would you be so good as to tell me whether that is correct?",
        "I should be most grateful to learn the colour. Yours faithfully, Harold",
        "I would be obliged if you could kindly inform me of it. With kind regards",
        "To whom it may concern, I hope this message finds you well. Many thanks",
    ],
)
def test_a_letters_courtesies_name_no_topic(message: str):
    named = {w for w in words(message) if not w.startswith("@")}
    assert named <= {"whether", "that", "is", "correct", "the", "colour", "harold", "of", "it"}


def test_who_the_reader_is_names_no_topic():
    introduced = words("I am a retired teacher and I wonder how fast it goes")
    assert "retired" not in introduced
    assert "teacher" not in introduced
    assert "fast" in introduced
    assert "train" in words("I am a fan of the train, how fast is it?")


def test_whats_the_reason_asks_why():
    assert "@why" in words("what's the official reason he went?")


def test_bare_follow_up_questions_are_no_small_talk():
    for follow_up in ("how much?", "how so?", "how?"):
        assert chat_kind(follow_up) is None, follow_up
    assert chat_kind("how are you") == "greeting" and chat_kind("thanks so much") == "thanks"


def test_whats_his_name_asks_a_name():
    assert "@name" in words("whats his name?") and "@name" in words("what's her full name")


# Written for these tests (not taken from any question set): chat around questions of the
# story, near misses in chat, and chat about something else.
ANSWERED = [
    (
        "I always thought these leaders just take planes everywhere. Which vehicle did he use "
        "for the trip?",
        "train",
    ),
    (
        "Read half the article on the bus before my stop. When does the parade take place?",
        "wednesday",
    ),
    (
        "To whom it may concern, I have a query regarding the recent journey of the North "
        "Korean leader. I should be most grateful to learn the colour of his train. With kind "
        "regards, Margaret",
        "green",
    ),
    (
        "Greetings. I would be obliged if you could inform me of the purpose of Mr Kim's "
        "visit. Respectfully yours, J. Smith",
        "parade",
    ),
    (
        "The weather here is awful today, stuck inside reading the news. How many other "
        "world leaders are attending the parade?",
        "26",
    ),
    ("yo fr tho who's kim even linking up with in beijing 👀 asking for a friend", "putin"),
]


@pytest.mark.parametrize(("message", "says"), ANSWERED)
def test_chat_around_a_question_is_read_past(snapshot: Snapshot, message: str, says: str):
    answer = answer_question(snapshot, message)
    assert answer.answered, message
    assert says in answer.text.lower()
    assert answer.question == " ".join(message.split())  # the reader's words, as written


@pytest.mark.parametrize(
    "message",
    [
        "Hi there. I read that Kim met the Pope in Beijing. What did they talk about? Cheers",
        "hey lol my mate says kim is bringing his daughter along 😂 which school does she go to??",
        "Dear Sir, I should be most grateful to learn how much the train tickets cost for "
        "ordinary passengers. Yours faithfully, Tom",
        "So I keep hearing about the parade. What will the weather be like in Beijing that day?",
        "Hey! My cat just knocked my coffee over 😭 any tips for getting stains out of a carpet?",
        "Dear Sir or Madam, would you be so good as to tell me the opening hours of the town "
        "library? Yours faithfully, Edith",
        "ok so real talk, who won the football last night?? asking for a friend lol",
        "bro my train to work was late again 💀 how do I get a refund from the rail company?",
    ],
)
def test_near_misses_and_other_topics_in_chat_are_declined(snapshot: Snapshot, message: str):
    assert not answer_question(snapshot, message).answered


@pytest.mark.parametrize(
    ("message", "clauses"),
    [
        # the comma of a list does not end a question
        ("What do China, Russia and North Korea have in common according to the piece?", []),
        # a comma before a question does
        ("hey, quick one: when did he leave?", ["when did he leave"]),
        (
            "so china and nk, pure friendship or have there been bumps along the way?",
            ["pure friendship", "have there been bumps along the way"],
        ),
        # a name set before the question is what its "he" or "it" stands for
        ("Rob Gifford — what's his position?", ["what rob gifford position"]),
        ("the train, how fast is it?", ["how fast is the train"]),
        # ...but "that" after it may be a conjunction, and a greeting names nobody
        (
            "Fact-checking a post: which outlet reported that Kim had arrived?",
            ["which outlet reported that kim had arrived"],
        ),
        ("hey, when did he leave?", ["when did he leave"]),
    ],
)
def test_a_list_s_commas_do_not_split_a_question(message: str, clauses: list[str]):
    assert question_clauses(message) == clauses


def test_a_question_naming_three_countries_is_read_whole(snapshot):
    # "What do China" alone had read as "what does China get out of this?"
    answer = answer_question(
        snapshot, "What do China, Russia and North Korea have in common according to the piece?"
    )
    assert answer.answered and answer.entry.id == "western-influence"
