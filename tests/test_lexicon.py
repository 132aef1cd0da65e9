"""The engine's general English (bot/engine/lexicon/en.yaml) under a story's own synonyms."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_knowledge import BUNDLED, SOURCE_FILE, copy_knowledge, edit

from bot.engine import lexicon
from bot.engine.answering import answer_question
from bot.engine.loader import load, validate
from bot.engine.text import (
    _STOP_STEMS,
    STOPWORDS,
    Synonyms,
    analyse,
    fold,
    lasting_words,
    stem,
    words,
)


def test_english_has_a_lexicon_and_an_unknown_language_none():
    assert len(lexicon.groups("en")) > 80
    assert lexicon.groups("xx") == []


def test_no_alias_belongs_to_two_lexicon_groups():
    owner: dict[tuple[str, ...], str] = {}
    for canonical, *aliases in lexicon.groups("en"):
        for alias in (canonical, *aliases):
            key = tuple(stem(w) for w in words(alias))
            assert owner.setdefault(key, canonical) == canonical, (alias, owner[key], canonical)


def test_no_lexicon_alias_takes_over_a_chat_word():
    """An alias that stems like a stopword reads every use of that word as its group: with
    "pleased" in a group, "please tell me..." asked about being glad, "definition" made
    "definitely" a question of meaning. Only these mean their group in chat too."""
    shadowing = {
        alias
        for _, *aliases in lexicon.groups("en")
        for alias in aliases
        if len(words(alias)) == 1 and alias not in STOPWORDS and stem(alias) in _STOP_STEMS
    }
    assert shadowing == {"quickly", "advanced", "information", "help", "assists"}
    for chat in ("please tell me when", "do you remember", "is that cool", "definitely"):
        assert analyse(chat, _lexicon_synonyms()) in ([], ["@when"]), chat


def test_words_keep_their_own_meaning():
    lexicon_words = _lexicon_synonyms()
    # Snowball cuts "department" to "depart" and "organization" to "organ"
    assert analyse("the Department of Labor", lexicon_words) == ["department", "labor"]
    assert stem("organization") != stem("organ") and stem("business") != stem("busy")
    # "ran the school" is no publishing ("ran the story" is)
    assert analyse("who ran the school", lexicon_words) != analyse("who published the school")
    assert analyse("which site ran the story", lexicon_words) == analyse(
        "which site published", lexicon_words
    )
    # words that stem like an alias of another meaning: "following" is no fan ("follower"),
    # "the public" no publication, "experience" no experiment, "lights" no lightness, a race
    # no speed, "according to" no deal ("accord"), "time management" no boss ("manager").
    # ("standing" stays influence, though "stand" reads so too: "its standing in the world")
    for word, group in [
        ("following", "fan"),
        ("public", "publish"),
        ("experience", "study"),
        ("lights", "lightweight"),
        ("race", "fast"),
        ("manage", "boss"),
        ("according", "deal"),
    ]:
        assert analyse(word, lexicon_words) != analyse(group, lexicon_words), word
    # a government is no world order ("governance" stems like it)
    assert analyse("the US government", lexicon_words) != analyse(
        "global governance", lexicon_words
    )
    # former prisoners are inmates, graduates grads
    assert analyse("inmates", lexicon_words) == analyse("prisoners", lexicon_words)
    assert analyse("grads", lexicon_words) == analyse("graduates", lexicon_words)


def _lexicon_synonyms() -> Synonyms:
    return Synonyms.build((canonical, aliases) for canonical, *aliases in lexicon.groups("en"))


def test_general_words_need_no_story_synonyms(tmp_path: Path):
    knowledge = copy_knowledge(tmp_path)
    snapshot = load(knowledge)
    # "reason" = why, "talked" = chat: both come from the lexicon, not the story's file.
    story = (knowledge / "synonyms.yaml").read_text(encoding="utf-8")
    assert ", reason," not in story and "aliases: [reason" not in story
    answer = answer_question(snapshot, "what is the reason kim is going to beijing")
    assert answer.answered and answer.entry is not None and answer.entry.gives_reason


def test_the_story_wins_over_the_lexicon(tmp_path: Path):
    knowledge = copy_knowledge(tmp_path)
    # The story files "journey" under its own word: the lexicon's "trip" group gives it up.
    edit(knowledge, "synonyms.yaml", "aliases: [locomotive,", "aliases: [journey, locomotive,")
    index = load(knowledge).index
    assert index.synonyms.apply(["journey"]) == ["train"]
    assert index.synonyms.apply(["voyag"]) == ["trip"]  # the rest of the group stays


def test_a_lexicon_canonical_the_story_claims_takes_its_group_along(tmp_path: Path):
    knowledge = copy_knowledge(tmp_path)
    edit(knowledge, "synonyms.yaml", "aliases: [locomotive,", "aliases: [trip, locomotive,")
    index = load(knowledge).index
    assert index.synonyms.apply(["trip"]) == index.synonyms.apply(["journey"]) == ["train"]


def test_accents_fold_for_latin_letters_only():
    assert fold("Māori Café Zürich") == "maori cafe zurich"
    assert fold("Привет й 김정은") == "привет й 김정은"


def test_a_quote_that_misses_an_accent_says_where(tmp_path: Path):
    knowledge = copy_knowledge(tmp_path)
    source = knowledge / SOURCE_FILE
    source.write_text(source.read_text(encoding="utf-8") + "\nThe Māori new year.\n", "utf-8")
    edit(
        knowledge,
        "facts.yaml",
        "facts:\n",
        "facts:\n  - id: new-year\n    source: gli-2025-09-02-kim-train\n"
        "    statement: The Maori new year.\n    quote: The Maori new year\n",
    )
    _, problems = validate(knowledge)
    assert any("the source has 'Māori' where the quote has 'Maori'" in p.message for p in problems)


def test_stopwords_keep_words_that_are_some_story_s_topic():
    for word in ("found", "help", "people", "kind", "real", "answer", "short"):
        assert word not in STOPWORDS


def test_a_weekday_premise_is_checked_where_the_story_names_that_day_elsewhere():
    # Wednesday is the parade's day in the story: asked about the departure, it is a premise
    # for the departure's entry to answer, not a pointer to the parade.
    snapshot = load(BUNDLED)
    answer = answer_question(snapshot, "did kim leave on a wednesday")
    # answered, or offered first when another entry telling the departure is as close
    chosen = answer.entry.id if answer.entry else answer.suggestions[0].entry
    assert chosen == "departure-day"


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("how long is the train", "@length"),
        ("how long is the bridge?", "@length"),
        ("How long is the Matariki holiday?", "@duration"),  # the lexicon: holidays last
        ("how long was the trip", "@duration"),
        ("how long was he there", "@duration"),
        ("how big is the train", "@size"),
        ("how big is the budget?", "@count"),  # an amount: how much
        ("how large was the crowd", "@count"),
    ],
)
def test_how_long_or_big_asks_what_the_thing_after_it_is(question: str, focus: str):
    assert words(question)[0] == focus


def test_a_story_teaches_what_lasts_by_asking_how_long_it_lasts():
    lasting = lasting_words(["How long does Matariki last?", "how long did it take"])
    assert lasting == {"matariki"}
    synonyms = Synonyms.build([], lasting)
    assert analyse("how long is matariki", synonyms)[0] == "@duration"
    assert analyse("how long is matariki")[0] == "@length"
