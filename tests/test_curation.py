"""The curator loop: question log, reports, chart and the `report`/`stats` subcommands."""

import argparse
import asyncio
import csv
import io
import json
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from bot.curation import store
from bot.curation.cli import distinctive_word, eval_from_log, from_log_cases, register
from bot.curation.report import format_stats, format_unanswered, render_chart
from bot.curation.store import QuestionLog, StoreError, timestamp
from bot.engine.answering import answer_question
from bot.engine.evaluation import evaluate, load_cases
from bot.engine.loader import load
from bot.settings import bundled_knowledge

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# 40 ways readers type one question: filler, punctuation, case, typos, word order.
VARIANTS = [
    prefix + body
    for prefix in ("", "hey ", "so ", "ok ")
    for body in (
        "when did kim leave for china",
        "when did kim leave for china?",
        "When did Kim leave for China??",
        "when did kim leave to china",
        "when did kim leave for china exactly",
        "wen did kim leave for china",
        "when did kimm leave for china",
        "when did kim leav for china",
        "when did kim leave china",
        "kim left china when",
    )
]


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path}/data/log.sqlite3"


@pytest.fixture
async def log(url):
    question_log = QuestionLog.open(url)
    yield question_log
    await question_log.close()


def record(log, question="when did kim leave", outcome="abstained", entry=None, confidence=0.3):
    return log.record(
        question=question,
        chat_type="private",
        outcome=outcome,
        entry=entry,
        confidence=confidence,
        knowledge_version="v1",
    )


async def ask(log, *args):
    """Record a question and write it; its reference, or None if the write failed."""
    ref = record(log, *args)
    return ref if await log.flush() else None


def insert_at(log, moment, question="old question", outcome="abstained"):
    log.backend.execute(
        "INSERT INTO questions (asked_at, chat_type, question, outcome, entry, confidence,"
        " knowledge_version) VALUES (?, 'private', ?, ?, NULL, 0.1, 'v0')",
        timestamp(moment),
        question,
        outcome,
        write=True,
    )


def count_rows(log):
    return log.backend.execute("SELECT COUNT(*) FROM questions").rows[0][0]


def test_open_creates_database_and_schema(url, tmp_path):
    with QuestionLog.open(url) as log:
        versions = log.backend.execute("SELECT version FROM schema_version").rows
        assert versions == [(v,) for v in range(1, len(store.MIGRATIONS) + 1)]
        assert log.backend.execute("PRAGMA journal_mode").rows == [("wal",)]
        columns = {row[1] for row in log.backend.execute("PRAGMA table_info(questions)").rows}
    assert (tmp_path / "data" / "log.sqlite3").is_file()
    # Privacy: nothing that identifies a reader or a chat.
    assert not {c for c in columns if "user" in c or "chat_id" in c or "name" in c}
    with QuestionLog.open(url) as again:  # reopening migrates nothing and keeps the schema
        assert again.backend.execute("SELECT version FROM schema_version").rows == versions


def test_open_unusable_database_raises_store_error(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StoreError, match="cannot open"):
        QuestionLog.open(f"sqlite:///{tmp_path}/file/log.sqlite3")
    with pytest.raises(StoreError, match="no question log"):
        QuestionLog.open(f"sqlite:///{tmp_path}/missing.sqlite3", create=False)
    with pytest.raises(StoreError, match="unsupported"):
        QuestionLog.open("mysql://user:secret@db/storybot")


async def test_record_stores_the_normalised_question(log):
    ref = await ask(log, "  When did   KIM’s train\nleave? " + "x" * 600, "answered", "dep", 0.9)
    row = log.backend.execute(
        "SELECT question, outcome, entry, confidence, chat_type, knowledge_version, asked_at"
        " FROM questions WHERE ref = ?",
        ref,
    ).rows[0]
    assert row[0].startswith("when did kim train leave? xxx")
    assert len(row[0]) == store.MAX_QUESTION_CHARS
    assert row[1:6] == ("answered", "dep", 0.9, "private", "v1")
    asked = datetime.strptime(row[6], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - asked) < timedelta(minutes=1)


async def test_records_are_written_in_batches_off_the_event_loop(log, monkeypatch):
    batches = []
    run = log.backend.run

    def spy(statements, *, write):
        if write:
            batches.append((threading.current_thread().name, len(statements)))
        return run(statements, write=write)

    monkeypatch.setattr(log.backend, "run", spy)
    refs = {record(log, f"question number {i}") for i in range(500)}  # no reply waits
    assert len(refs) == 500
    assert count_rows(log) == 0
    for _ in range(100):  # the batch timer writes them without being asked
        await asyncio.sleep(store.FLUSH_DELAY)
        if count_rows(log) == 500:
            break
    assert count_rows(log) == 500
    assert batches == [(batches[0][0], 500)]  # one transaction
    assert batches[0][0].startswith("question-log")
    stored = log.backend.execute("SELECT ref FROM questions").rows
    assert {ref for (ref,) in stored} == refs


async def test_feedback_marks_thumbs_down_for_review(log):
    up, down = await ask(log, "a", "answered", "e1"), await ask(log, "b", "answered", "e2")
    assert await log.feedback(up, True)
    assert await log.feedback(down, False)
    for unknown in (999_999, store.new_ref(), 0, -1, 2**63, 10**40):
        assert not await log.feedback(unknown, True)
    rows = log.backend.execute("SELECT ref, helpful, needs_review FROM questions ORDER BY id").rows
    assert rows == [(up, 1, 0), (down, 0, 1)]


async def test_feedback_straight_after_the_question_finds_its_queued_row(log):
    ref = record(log, "a", "answered", "e1")  # not written yet
    assert await log.feedback(ref, False)
    assert log.backend.execute("SELECT needs_review FROM questions").rows == [(1,)]


def test_references_are_large_random_and_distinct():
    refs = {store.new_ref() for _ in range(10_000)}
    assert len(refs) == 10_000
    assert all(2**62 <= ref <= store.MAX_REF for ref in refs)


async def test_upgrade_keeps_rows_and_their_old_feedback_buttons(tmp_path):
    path = tmp_path / "v1.sqlite3"
    backend = store.SqliteBackend(str(path))
    v1 = [
        (sql.format(id=backend.id_column, float=backend.float_column), ())
        for sql in store.MIGRATIONS[0]
    ]
    backend.run(
        [
            ("CREATE TABLE schema_version (version INTEGER PRIMARY KEY)", ()),
            *v1,
            ("INSERT INTO schema_version (version) VALUES (1)", ()),
            (
                "INSERT INTO questions (asked_at, chat_type, question, outcome, entry, confidence,"
                " knowledge_version) VALUES (?, 'private', 'old one', 'answered', 'e1', 0.9, 'v0')",
                (timestamp(datetime.now(UTC)),),
            ),
        ],
        write=True,
    )
    backend.close()
    log = QuestionLog.open(f"sqlite:///{path}")
    try:
        assert await log.feedback(1, False)  # a button sent before the upgrade names the row id
        new = await ask(log, "new one")
        assert await log.feedback(new, True)
        rows = log.backend.execute("SELECT id, ref, question, helpful FROM questions").rows
        assert rows == [(1, None, "old one", 0), (2, new, "new one", 1)]
    finally:
        await log.close()


async def test_close_writes_what_is_still_queued(url):
    log = QuestionLog.open(url)
    refs = [record(log, f"q{i}") for i in range(3)]
    await log.close()
    with QuestionLog.open(url) as reopened:
        stored = reopened.backend.execute("SELECT ref FROM questions ORDER BY id").rows
    assert stored == [(ref,) for ref in refs]


async def test_prune_deletes_rows_older_than_retention(url):
    now = datetime.now(UTC)
    with QuestionLog.open(url, retention_days=30) as log:
        insert_at(log, now - timedelta(days=31), "too old")
        insert_at(log, now - timedelta(days=29), "kept")
        assert await log.prune() == 1
        assert log.backend.execute("SELECT question FROM questions").rows == [("kept",)]
        insert_at(log, now - timedelta(days=40), "old again")
    with QuestionLog.open(url, retention_days=30) as log:  # opening prunes too
        assert log.backend.execute("SELECT question FROM questions").rows == [("kept",)]


async def test_recording_prunes_at_most_hourly(url, monkeypatch):
    monkeypatch.setattr(store, "PRUNE_INTERVAL", 0.0)  # due at the first record
    log = QuestionLog.open(url, retention_days=30)
    insert_at(log, datetime.now(UTC) - timedelta(days=31))
    await ask(log)
    await log.close()  # waits for the background prune
    with QuestionLog.open(url, retention_days=365) as reopened:
        assert count_rows(reopened) == 1


@pytest.mark.parametrize(
    ("pragma", "error"),
    [
        # The errors a read-only file and a full disk give, made so even for root.
        ("PRAGMA query_only = ON", "readonly"),
        ("PRAGMA max_page_count = 1", "full"),  # SQLite keeps the pages it has, adds none
    ],
)
async def test_write_failures_warn_once_and_never_raise(log, caplog, pragma, error):
    await ask(log)
    log.backend.execute(pragma)
    with caplog.at_level(logging.WARNING, logger="bot.curation.store"):
        results = [await ask(log, "a long question " * 40) for _ in range(50)]
    assert results[-20:] == [None] * 20  # the full disk's last free bytes may take a few rows
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # rate-limited
    assert error in warnings[0].getMessage()
    assert "long question" not in warnings[0].getMessage()  # no reader text in the logs
    # Reports still read the log, which holds exactly the rows that got an id.
    assert sum(g.count for g in log.unanswered(7)) == 1 + sum(r is not None for r in results)


async def test_read_only_log_fails_feedback_and_prune_quietly(log, caplog):
    row_id = await ask(log)
    insert_at(log, datetime.now(UTC) - timedelta(days=400))
    log.backend.execute("PRAGMA query_only = ON")
    with caplog.at_level(logging.WARNING, logger="bot.curation.store"):
        assert not await log.feedback(row_id, False)
        assert await log.prune() == 0
    assert "readonly" in caplog.text
    log.backend.execute("PRAGMA query_only = OFF")  # the disk comes back: so does logging
    assert await ask(log) is not None
    assert await log.prune() == 1


async def test_unanswered_groups_near_duplicates(log):
    for question in VARIANTS:
        await ask(log, question, "abstained")
    for question in ("how is kim travelling to china", "how did kim travel to china?"):
        await ask(log, question, "suggested", "travel-mode", 0.5)
    await ask(log, "so how is kim travelling to china", "suggested", "arrival-time", 0.45)
    thumbs_down = await ask(log, "who drove the train", "answered", "driver", 0.7)
    await log.feedback(thumbs_down, False)
    await ask(log, "when did kim arrive in china", "answered", "arrival-time", 0.9)  # fine

    groups = log.unanswered(7)
    assert [g.count for g in groups] == [40, 3, 1]
    first, travel, driver = groups
    assert first.question in {store.normalise_question(q) for q in VARIANTS}
    assert first.outcomes == {"abstained": 40}
    assert first.variants == len({store.normalise_question(q) for q in VARIANTS})
    assert first.closest_entry is None
    assert travel.outcomes == {"suggested": 3}
    assert travel.closest_entry == "travel-mode"
    assert (driver.unhelpful, driver.outcomes, driver.closest_entry) == (
        1,
        {"answered": 1},
        "driver",
    )
    assert log.unanswered(7, limit=1) == [first]


async def test_stats_counts_outcomes_entries_and_feedback(log):
    for _ in range(3):
        await log.feedback(await ask(log, "when", "answered", "departure-day", 0.9), True)
    await log.feedback(await ask(log, "where", "answered", "destination", 0.8), False)
    await ask(log, "why", "suggested", "trip-purpose", 0.5)
    insert_at(log, datetime.now(UTC) - timedelta(days=2), "two days ago")
    insert_at(log, datetime.now(UTC) - timedelta(days=10), "outside the window")

    stats = log.stats(7)
    assert len(stats.per_day) == 7
    assert stats.per_day[-1].day == datetime.now(UTC).date()
    assert (stats.per_day[-1].answered, stats.per_day[-1].suggested) == (4, 1)
    assert stats.per_day[-3].abstained == 1
    assert stats.total == 6
    assert stats.rate("answered") == pytest.approx(4 / 6)
    assert stats.top_entries == (("departure-day", 3), ("destination", 1))
    assert (stats.helpful, stats.unhelpful) == (3, 1)


async def test_reports_parse_as_json_and_csv(log):
    await ask(log, '=HYPERLINK("http://evil")', "abstained")
    await ask(log, "when did kim leave", "suggested", "departure-day")
    groups, stats = log.unanswered(7), log.stats(7)

    data = json.loads(format_unanswered(groups, 7, "json"))
    assert data["days"] == 7
    assert {g["count"] for g in data["groups"]} == {1}
    rows = list(csv.DictReader(io.StringIO(format_unanswered(groups, 7, "csv"))))
    assert {r["question"] for r in rows} == {'\'=hyperlink("http://evil")', "when did kim leave"}
    assert {r["closest_entry"] for r in rows} == {"", "departure-day"}

    stats_data = json.loads(format_stats(stats, "json"))
    assert stats_data["total"] == 2
    assert stats_data["outcomes"] == {"answered": 0, "suggested": 1, "abstained": 1}
    days = list(csv.DictReader(io.StringIO(format_stats(stats, "csv"))))
    assert len(days) == 7
    assert days[-1]["total"] == "2"

    text = format_unanswered(groups, 7)
    assert "1× when did kim leave" in text
    assert "closest: departure-day" in text
    assert "2 questions" in format_stats(stats)
    with pytest.raises(ValueError, match="unknown report format"):
        format_stats(stats, "xml")


async def test_empty_reports(log):
    assert format_unanswered(log.unanswered(7), 7) == "No unanswered questions in the last 7 days."
    assert format_stats(log.stats(1)).endswith("no questions.")


@pytest.mark.parametrize("questions", [0, 1, 137])
async def test_chart_is_a_valid_png(log, tmp_path, questions):
    for i in range(questions):
        insert_at(
            log,
            datetime.now(UTC) - timedelta(days=i % 40),
            outcome=("answered", "suggested", "abstained")[i % 3],
        )
    buffer = io.BytesIO()
    render_chart(log.stats(45), buffer)
    assert buffer.getvalue().startswith(PNG_SIGNATURE)
    render_chart(log.stats(30), tmp_path / "chart.png")
    with Image.open(tmp_path / "chart.png") as image:
        image.verify()
        assert (image.format, image.size) == ("PNG", (900, 420))


def run_cli(argv):
    parser = argparse.ArgumentParser(prog="storybot")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


async def test_cli_report_and_stats(log, url, tmp_path, capsys, monkeypatch):
    for question in [VARIANTS[0], *VARIANTS[:5]]:  # readers' commonest phrasing names the group
        await ask(log, question)
    await ask(log, "how long is the train", "answered", "train-length", 0.95)

    assert run_cli(["report", "--database", url, "--days", "3"]) == 0
    assert "6× when did kim leave for china" in capsys.readouterr().out

    monkeypatch.setenv("STORYBOT_DATABASE_URL", url)  # the default database
    assert run_cli(["report", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["groups"][0]["count"] == 6

    chart = tmp_path / "chart.png"
    assert run_cli(["stats", "--days", "7", "--chart", str(chart)]) == 0
    out = capsys.readouterr().out
    assert "7 questions" in out
    assert "train-length 1" in out
    assert chart.read_bytes().startswith(PNG_SIGNATURE)

    assert run_cli(["stats", "--format", "csv"]) == 0
    assert len(list(csv.DictReader(io.StringIO(capsys.readouterr().out)))) == 30

    with pytest.raises(StoreError, match="no question log"):
        run_cli(["report", "--database", f"sqlite:///{tmp_path}/nope.sqlite3"])
    with pytest.raises(SystemExit):
        run_cli(["report", "--days", "0"])


@pytest.fixture(scope="module")
def snapshot():
    return load(bundled_knowledge())


async def test_log_questions_become_eval_cases(log, url, snapshot, tmp_path):
    answered = answer_question(snapshot, "when did kim leave for china")
    assert answered.answered
    liked = await ask(log, answered.question, "answered", answered.entry.id, answered.confidence)
    await log.feedback(liked, True)
    await log.feedback(await ask(log, "what did kim eat", "answered", "departure-day"), False)
    await ask(log, "what did kim eat", "abstained")
    await ask(log, "who won the football", "abstained")
    await ask(log, "where is kim going", "answered", "destination")  # no feedback: skipped

    cases = from_log_cases(log, 7, snapshot)
    assert [(c["q"], c["expect"], c["topic"]) for c in cases] == [
        ("when did kim leave for china", "answer", answered.entry.id),
        ("what did kim eat", "abstain", None),
        ("who won the football", "abstain", None),
    ]
    word = distinctive_word(snapshot, answered.entry.id)
    assert cases[0]["all"] == [[word]]
    assert word in answered.entry.answer.casefold()

    out = io.StringIO()
    assert eval_from_log(url, 7, out) == 0
    assert out.getvalue().count("\n# ") >= 3  # a note above every case
    question_file = tmp_path / "fromlog.yaml"
    question_file.write_text(out.getvalue(), encoding="utf-8")
    loaded = load_cases(question_file)
    assert [(c.question, c.expect, c.kind) for c in loaded] == [
        (c["q"], c["expect"], "fromlog") for c in cases
    ]
    assert evaluate(snapshot, loaded[:1]).rate("fromlog") == (1, 1)


# --- greetings and thanks are not unanswered questions --------------------------------------


async def test_chat_is_logged_as_what_it_is_and_kept_out_of_rates_and_reviews(log):
    snapshot = load(bundled_knowledge())
    for text in ("hello", "thank you!", "help", "sources please", "zxqv wplk"):
        answer = answer_question(snapshot, text)
        await ask(log, text, answer.outcome.value)
    outcomes = dict(log.backend.execute("SELECT question, outcome FROM questions").rows)
    assert outcomes == {
        "hello": "greeting",
        "thank you!": "thanks",
        "help": "help",
        "sources please": "sources",
        "zxqv wplk": "abstained",
    }
    assert [g.question for g in log.unanswered(7)] == ["zxqv wplk"]
    stats = log.stats(7)
    assert (stats.total, stats.chat, stats.rate("abstained")) == (1, 4, 1.0)
    assert "not counted: 4 greetings" in format_stats(stats)
    assert [case["q"] for case in from_log_cases(log, 7, snapshot)] == ["zxqv wplk"]


def test_migration_reclassifies_greetings_logged_as_questions(url, monkeypatch):
    # A database written before version 3: its rows keep their old outcomes.
    with monkeypatch.context() as old_storybot:
        old_storybot.setattr(store, "MIGRATIONS", store.MIGRATIONS[:2])
        with QuestionLog.open(url) as log:
            for question, outcome in (
                ("hello", "abstained"),
                ("help", "answered"),
                ("when", "abstained"),
            ):
                insert_at(log, datetime.now(UTC), question, outcome)
    with QuestionLog.open(url) as reopened:
        rows = dict(reopened.backend.execute("SELECT question, outcome FROM questions").rows)
        assert rows == {"hello": "greeting", "help": "help", "when": "abstained"}
        assert [g.question for g in reopened.unanswered(7)] == ["when"]
