"""Unanswered questions grouped by meaning: the engine's own analysis decides what is one group."""

from datetime import UTC, datetime

import pytest

from bot.curation.grouping import group_questions, meaning_key
from bot.curation.store import normalise_question, timestamp
from bot.engine.loader import load
from bot.settings import bundled_knowledge

# One question five ways: possessive dropped, a synonym of the noun, another word for the
# train, another word order.
TRAIN_LENGTH = [
    "How long is Kim's train?",
    "how long is kims train",
    "What is the length of Kim's train?",
    "how long is the armored train",
    "Kim's train, how long is it?",
]


@pytest.fixture(scope="module")
def index():
    return load(bundled_knowledge()).index


def rows(*questions, outcome="abstained", entry=None):
    now = timestamp(datetime.now(UTC))
    return [(normalise_question(q), outcome, entry, None, now) for q in questions]


def test_one_question_five_ways_is_one_group(index):
    groups = group_questions(rows(*TRAIN_LENGTH), index)
    assert [(g.count, g.variants) for g in groups] == [(5, 5)]
    assert groups[0].question in {normalise_question(q) for q in TRAIN_LENGTH}
    assert set(groups[0].examples) == {normalise_question(q) for q in TRAIN_LENGTH}


def test_without_the_knowledge_the_same_questions_split(index):
    # The words alone don't know that 'armored train' is Kim's train or that 'length' is what
    # 'how long' asks: grouping needs the engine's analysis.
    assert len(group_questions(rows(*TRAIN_LENGTH))) > 1


def test_typos_are_read_as_the_matcher_reads_them(index):
    groups = group_questions(rows("how long is kims trian", "how lon is the armoured train"), index)
    assert [g.count for g in groups] == [2]


def test_different_questions_stay_apart(index):
    questions = [
        *TRAIN_LENGTH,
        "how heavy is the train",
        "how heavy is kim's armoured train?",
        "how long did the trip take",
        "when did kim leave for china",
        "when did kim arrive in china",
        "what's the range of the hwasong-20",
    ]
    groups = group_questions(rows(*questions), index)
    assert [g.count for g in groups] == [5, 2, 1, 1, 1, 1]
    assert {g.question for g in groups[2:]} == {normalise_question(q) for q in questions[7:]}


def test_focus_and_its_noun_are_one_meaning(index):
    assert meaning_key("how long is the train", index) == meaning_key(
        "what is the length of the train", index
    )
    assert meaning_key("how long is the train", index) != meaning_key(
        "how long did the trip take", index
    )


async def test_question_log_report_groups_by_meaning(tmp_path, index):
    from bot.curation.store import QuestionLog

    with QuestionLog.open(f"sqlite:///{tmp_path}/log.sqlite3") as log:
        for question in TRAIN_LENGTH:
            log.record(
                question=question,
                chat_type="private",
                outcome="abstained",
                entry=None,
                confidence=0.3,
                knowledge_version="v1",
            )
        assert await log.flush()
        assert [g.count for g in log.unanswered(7, index=index)] == [5]


async def test_storybot_report_groups_by_meaning(tmp_path, capsys, monkeypatch):
    from bot.cli import main
    from bot.curation.store import QuestionLog

    for name in ("STORYBOT_KNOWLEDGE", "STORYBOT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path}/log.sqlite3"
    with QuestionLog.open(url) as log:
        for question in [*TRAIN_LENGTH, "how heavy is the train"]:
            log.record(
                question=question,
                chat_type="private",
                outcome="abstained",
                entry=None,
                confidence=0.3,
                knowledge_version="v1",
            )
        assert await log.flush()
    assert main(["report", "--database", url]) == 0
    out = capsys.readouterr().out
    assert "2 group(s), 6 asked" in out
    assert "5 phrasings" in out
    broken = tmp_path / "broken"
    broken.mkdir()
    assert main(["report", "--database", url, "--knowledge", str(broken)]) == 0
    out, err = capsys.readouterr()
    assert "grouped by their words" in err
