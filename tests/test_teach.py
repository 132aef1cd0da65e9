"""Teaching: taught knowledge in the database, validated like a file change, undone, exported."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import pytest
import yaml

from bot.chat.holder import KnowledgeHolder
from bot.cli import main
from bot.curation.grouping import group_questions
from bot.curation.store import QuestionLog, normalise_question, timestamp
from bot.curation.teach import Group, Teacher, TeachStore, phrasings_to_teach
from bot.engine.answering import answer_question
from bot.engine.loader import load, validate
from bot.engine.overlay import Overlay, Taught, TaughtKind

ADMIN = 4242
# Readers ask one thing five ways; the story answers it (trip-purpose), the bot abstains.
EVENT = [
    "What event lured Kim to the Chinese capital?",
    "what event lured him to china",
    "which event lured kim to beijing",
    "What event lured Kim to the Chinese capital?",
    "kim was lured to beijing by what event?",
]
TRAIN_LENGTH = [
    "How long is Kim's train?",
    "how long is kims train",
    "What is the length of Kim's train?",
    "how long is the armored train",
    "Kim's train, how long is it?",
]


@pytest.fixture
def log(tmp_path):
    with QuestionLog.open(f"sqlite:///{tmp_path}/log.sqlite3") as question_log:
        yield question_log


@pytest.fixture
def store(log):
    return TeachStore(log.backend)


@pytest.fixture
def holder(knowledge_copy, store):
    return KnowledgeHolder(load(knowledge_copy, store.overlay()), overlay=store.overlay)


def group_of(store, snapshot, questions) -> Group:
    now = timestamp(datetime.now(UTC))
    rows = [(normalise_question(q), "abstained", None, None, now) for q in questions]
    (found,) = group_questions(rows, snapshot.index)
    return Group(store.save_group(found.question, found.examples), found.question, found.examples)


async def test_add_to_entry_answers_the_group_and_undo_restores(store, holder):
    before = holder.snapshot
    assert not any(answer_question(before, q).answered for q in EVENT)
    group = group_of(store, before, EVENT)
    teacher = Teacher(store, holder)
    result = await teacher.add_phrasings(ADMIN, group, "trip-purpose")
    assert result.ok, result.message
    after = holder.snapshot
    assert after.version != before.version
    for question in EVENT:
        answer = answer_question(after, question)
        assert answer.answered and answer.entry.id == "trip-purpose", question
    trail = store.trail()
    assert {(t.admin_id, t.action, t.entry) for t in trail} == {(ADMIN, "phrasing", "trip-purpose")}
    assert all(t.taught_at for t in trail)

    undone = await teacher.undo(ADMIN, result.teaching_ids)
    assert undone.ok, undone.message
    assert holder.snapshot.version == before.version
    assert not any(answer_question(holder.snapshot, q).answered for q in EVENT)
    assert [t.action for t in store.trail()][: len(result.teaching_ids)] == ["undo"] * len(
        result.teaching_ids
    )
    again = await teacher.undo(ADMIN, result.teaching_ids)
    assert not again.ok and "already undone" in again.message


async def test_not_in_the_story_declines_with_a_clear_reply(store, holder):
    group = group_of(store, holder.snapshot, EVENT)
    result = await Teacher(store, holder).decline(ADMIN, group)
    assert result.ok, result.message
    for question in EVENT:
        answer = answer_question(holder.snapshot, question)
        assert answer.outcome == "abstained" and answer.entry is None
        assert all(s.entry in holder.snapshot.entries for s in answer.suggestions)
    # Other questions are not touched.
    assert answer_question(holder.snapshot, "how fast is the train").answered


async def test_a_teaching_that_breaks_the_knowledge_is_refused(store, holder, knowledge_copy):
    teacher = Teacher(store, holder)
    before = holder.snapshot.version
    # A phrasing already in another entry: the loader's own rule refuses it.
    owned = holder.snapshot.entries["train-speed"].phrasings[0]
    group = Group(store.save_group(owned, (owned,)), owned, (owned,))
    result = await teacher.add_phrasings(ADMIN, group, "trip-purpose")
    assert not result.ok and "already in entry 'train-speed'" in result.message
    # A phrasing that would take another entry's own question away from it.
    question = holder.snapshot.entries["train-speed"].question
    group = Group(store.save_group(question, (question,)), question, (question,))
    result = await teacher.add_phrasings(ADMIN, group, "trip-purpose")
    assert not result.ok
    assert holder.snapshot.version == before and store.trail() == []


async def test_guard_words_cannot_be_taught(store, holder):
    # synonyms.yaml marks who built the train as not in the story (a guard).
    text = "who built kim's train"
    group = Group(store.save_group(text, (text,)), text, (text,))
    result = await Teacher(store, holder).add_phrasings(ADMIN, group, "train-description")
    assert not result.ok and "guard" in result.message


def test_typos_are_not_taught_as_phrasings(store, holder):
    group = Group(
        1,
        "what event lured kim to beijing",
        ("what evnt lurd kim to bejing", "what event lured kim to beijing"),
    )
    assert phrasings_to_teach(group, holder.snapshot.index) == ["what event lured kim to beijing"]


def test_overlay_problems_are_reported_like_file_problems(knowledge_copy):
    overlay = Overlay(3, (Taught(3, TaughtKind.PHRASING, "what lured him", "no-such-entry"),))
    snapshot, problems = validate(knowledge_copy, overlay)
    assert snapshot is None
    assert [str(p) for p in problems] == [
        "taught knowledge: taught #3: entry 'no-such-entry' is gone"
    ]


async def taught(store, holder, questions=EVENT, entry="trip-purpose"):
    result = await Teacher(store, holder).add_phrasings(
        ADMIN, group_of(store, holder.snapshot, questions), entry
    )
    assert result.ok, result.message
    return result


async def test_export_round_trips_and_clears_the_overlay(
    store, holder, knowledge_copy, tmp_path, capsys, monkeypatch
):
    for name in list(os.environ):
        if name.startswith("STORYBOT_"):
            monkeypatch.delenv(name)
    texts = phrasings_to_teach(group_of(store, holder.snapshot, EVENT), holder.snapshot.index)
    assert texts == [
        "what event lured kim to the chinese capital?",
        "what event lured him to china",
    ]
    await taught(store, holder)
    before = {q: answer_question(holder.snapshot, q) for q in [*EVENT, "how fast is the train"]}
    faq = knowledge_copy / "faq.yaml"
    old_lines = faq.read_text(encoding="utf-8").splitlines()
    url = f"sqlite:///{tmp_path}/log.sqlite3"

    assert main(["knowledge", "overlay", "--database", url]) == 0
    listed = capsys.readouterr().out
    assert f"phrasing: {texts[1]!r} -> trip-purpose" in listed
    assert f"admin {ADMIN}: phrasing" in listed and "2 active teaching(s)" in listed

    argv = ["knowledge", "export", "--database", url, "--knowledge", str(knowledge_copy)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "exported 2 phrasing(s)" in out and "trip-purpose" in out
    new_lines = faq.read_text(encoding="utf-8").splitlines()
    # The diff is only the added phrasings, next to the entry's others; comments all kept.
    added = [line for line in new_lines if line not in old_lines]
    assert [line.strip() for line in added] == [f"- {text}" for text in texts]
    assert [line for line in new_lines if line not in added] == old_lines
    entries = yaml.safe_load(faq.read_text(encoding="utf-8"))["entries"]
    purpose = next(e for e in entries if e["id"] == "trip-purpose")
    assert purpose["phrasings"][-2:] == texts

    assert store.overlay().items == ()  # cleared: the files hold it now
    assert [t.action for t in store.trail()[:2]] == ["export", "export"]
    result = await holder.reload()
    assert result.ok
    for question, answer in before.items():
        again = answer_question(holder.snapshot, question)
        assert (again.outcome, again.entry, again.text) == (
            answer.outcome,
            answer.entry,
            answer.text,
        )
    # Nothing left to export.
    assert main(argv) == 0
    assert "exported 0 phrasing(s)" in capsys.readouterr().out


async def test_a_read_only_knowledge_folder_keeps_working(store, holder, knowledge_copy):
    # A ConfigMap: teachings never write to the knowledge folder.
    before = {p: p.stat().st_mtime_ns for p in knowledge_copy.rglob("*")}
    await taught(store, holder)
    await holder.reload()
    assert answer_question(holder.snapshot, EVENT[2]).answered
    assert {p: p.stat().st_mtime_ns for p in knowledge_copy.rglob("*")} == before


async def test_another_replica_follows_the_teachings(store, holder, knowledge_copy, tmp_path):
    import asyncio

    from bot.curation.teach import follow_teachings

    with QuestionLog.open(f"sqlite:///{tmp_path}/log.sqlite3") as other_log:
        other_store = TeachStore(other_log.backend)
        replica = KnowledgeHolder(
            load(knowledge_copy, other_store.overlay()), overlay=other_store.overlay
        )
        follower = asyncio.create_task(follow_teachings(replica, other_store, interval=0.05))
        try:
            result = await taught(store, holder)
            for _ in range(100):
                if answer_question(replica.snapshot, EVENT[0]).answered:
                    break
                await asyncio.sleep(0.05)
            assert answer_question(replica.snapshot, EVENT[0]).entry.id == "trip-purpose"
            assert (await Teacher(store, holder).undo(ADMIN + 1, result.teaching_ids)).ok
            for _ in range(100):
                if not answer_question(replica.snapshot, EVENT[0]).answered:
                    break
                await asyncio.sleep(0.05)
            assert not answer_question(replica.snapshot, EVENT[0]).answered
        finally:
            follower.cancel()
    assert {t.admin_id for t in store.trail()} == {ADMIN, ADMIN + 1}


async def test_stats_count_taught_answers(store, holder, log):
    await taught(store, holder)
    for question in [*EVENT, "how fast is the train"]:
        answer = answer_question(holder.snapshot, question)
        log.record(
            question=question,
            chat_type="private",
            outcome=answer.outcome.value,
            entry=answer.entry.id if answer.entry else None,
            confidence=answer.confidence,
            knowledge_version=holder.snapshot.version,
        )
    assert await log.flush()
    assert store.taught_answers(7, holder.snapshot.index) == len(EVENT)


async def test_ignore_hides_the_group_from_the_report(store, holder, log, tmp_path, capsys):
    for question in [*EVENT, *TRAIN_LENGTH]:
        log.record(
            question=question,
            chat_type="private",
            outcome="abstained",
            entry=None,
            confidence=0.3,
            knowledge_version="v1",
        )
    assert await log.flush()
    url = f"sqlite:///{tmp_path}/log.sqlite3"
    assert main(["report", "--database", url]) == 0
    assert "2 group(s), 10 asked" in capsys.readouterr().out
    group = group_of(store, holder.snapshot, TRAIN_LENGTH)
    result = await Teacher(store, holder).ignore(ADMIN, group)
    assert result.ok
    assert main(["report", "--database", url]) == 0
    out = capsys.readouterr().out
    assert "1 group(s), 5 asked" in out and "lured" in out
    assert holder.snapshot.overlay.items == ()  # ignoring teaches nothing


async def test_teachings_that_no_longer_fit_the_files(
    store, holder, knowledge_copy, tmp_path, capsys
):
    await taught(store, holder)
    # A curator renames the entry in the files; the teachings still name the old id.
    faq = knowledge_copy / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    faq.write_text(re.sub(r"\btrip-purpose\b", "why-the-trip", text), encoding="utf-8")
    result = await holder.reload()
    assert not result.ok  # refused like a broken file, with the reason
    assert result.problems[0].message.endswith("entry 'trip-purpose' is gone")
    ids = [str(item.id) for item in store.overlay().items]
    assert main(["knowledge", "undo", *ids, "--database", f"sqlite:///{tmp_path}/log.sqlite3"]) == 0
    assert "undone #" in capsys.readouterr().out
    assert (await holder.reload()).ok
    assert {t.admin_id for t in store.trail() if t.action == "undo"} == {0}


def test_a_taught_phrasing_already_in_the_files_is_not_a_problem(knowledge_copy):
    phrasing = load(knowledge_copy).entries["train-speed"].phrasings[0]
    overlay = Overlay(1, (Taught(1, TaughtKind.PHRASING, phrasing, "train-speed"),))
    snapshot, problems = validate(knowledge_copy, overlay)
    assert problems == [] and snapshot.entries["train-speed"].phrasings.count(phrasing) == 1


async def test_not_in_the_story_fixes_a_near_miss_the_bot_answered(store, holder):
    # The story does not name the weapons; the bot answered with what the parade features.
    near_miss = [
        "What's the name of the newest Chinese weapon unveiled at the parade?",
        "what's the name of the newest chinese weapon unveiled at the parade",
    ]
    assert answer_question(holder.snapshot, near_miss[0]).entry.id == "parade-features"
    result = await Teacher(store, holder).decline(
        ADMIN, group_of(store, holder.snapshot, near_miss)
    )
    assert result.ok, result.message
    declined = answer_question(holder.snapshot, near_miss[0])
    assert declined.outcome == "abstained" and declined.entry is None
    features = holder.snapshot.entries["parade-features"]
    assert answer_question(holder.snapshot, features.question).entry.id == "parade-features"
