"""The engine's general English (bot/engine/lexicon/en.yaml) under a story's own synonyms."""

from __future__ import annotations

from pathlib import Path

from bot.engine import lexicon
from bot.engine.answering import answer_question
from bot.engine.loader import load
from bot.engine.text import stem, words
from tests.helpers_knowledge import copy_knowledge, edit


def test_english_has_a_lexicon_and_an_unknown_language_none():
    assert len(lexicon.groups("en")) > 80
    assert lexicon.groups("xx") == []


def test_no_alias_belongs_to_two_lexicon_groups():
    owner: dict[tuple[str, ...], str] = {}
    for canonical, *aliases in lexicon.groups("en"):
        for alias in (canonical, *aliases):
            key = tuple(stem(w) for w in words(alias))
            assert owner.setdefault(key, canonical) == canonical, (alias, owner[key], canonical)


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
