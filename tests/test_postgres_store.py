"""The question log in PostgreSQL, against a real server (.ci/run starts one on 127.0.0.1).

Every test gets a schema of its own (through the URL's search_path), dropped afterwards. The
SQLite tests of tests/test_curation.py that hold for any backend run here again, their `url`
and `log` fixtures resolved to this module's PostgreSQL ones.
"""

import asyncio
import logging
import os
import socket
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

import pytest
from test_curation import (  # noqa: F401 - collected again here, on PostgreSQL
    ask,
    count_rows,
    snapshot,
    test_chart_is_a_valid_png,
    test_chat_is_logged_as_what_it_is_and_kept_out_of_rates_and_reviews,
    test_cli_report_and_stats,
    test_close_writes_what_is_still_queued,
    test_empty_reports,
    test_feedback_marks_thumbs_down_for_review,
    test_feedback_straight_after_the_question_finds_its_queued_row,
    test_log_questions_become_eval_cases,
    test_migration_reclassifies_greetings_logged_as_questions,
    test_prune_deletes_rows_older_than_retention,
    test_record_stores_the_normalised_question,
    test_recording_prunes_at_most_hourly,
    test_records_are_written_in_batches_off_the_event_loop,
    test_reports_parse_as_json_and_csv,
    test_stats_counts_outcomes_entries_and_feedback,
    test_unanswered_groups_near_duplicates,
)

from bot.curation import store
from bot.curation.store import PostgresBackend, QuestionLog, StoreError, mask_url

psycopg = pytest.importorskip("psycopg", reason="psycopg is missing: pip install -e '.[test]'")
from psycopg import sql  # noqa: E402 - only once psycopg is known to be there

SERVER_URL = os.environ.get("STORYBOT_TEST_POSTGRES_URL", "")


@pytest.fixture(scope="module")
def server_url():
    """The test server's URL, or a skip saying why there is none."""
    if not SERVER_URL:
        pytest.skip(
            "no PostgreSQL server: STORYBOT_TEST_POSTGRES_URL is unset (.ci/run starts one)"
        )
    try:
        with psycopg.connect(SERVER_URL, connect_timeout=5):
            pass
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL server {mask_url(SERVER_URL)} unreachable: {exc}")
    return SERVER_URL


def admin(server_url, statement):
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(statement)


@pytest.fixture
def url(server_url):
    """The server URL with a fresh schema of this test's first in the search path."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin(server_url, sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    separator = "&" if urlsplit(server_url).query else "?"
    yield server_url + separator + urlencode({"options": f"-csearch_path={schema}"})
    admin(server_url, sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
async def log(url):
    question_log = QuestionLog.open(url)
    yield question_log
    await question_log.close()


def with_password(url, password):
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.username}:{password}@{parts.hostname}:{parts.port}")


def test_open_creates_schema_and_reopening_migrates_nothing(url):
    with pytest.raises(StoreError, match="no question log in"):
        QuestionLog.open(url, create=False)  # the reports don't create an empty log
    with QuestionLog.open(url) as log:
        assert isinstance(log.backend, PostgresBackend)
        versions = log.backend.execute("SELECT version FROM schema_version").rows
        assert versions == [(v,) for v in range(1, len(store.MIGRATIONS) + 1)]
        columns = dict(
            log.backend.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = 'questions'"
            ).rows
        )
    assert columns["id"] == columns["ref"] == "bigint"
    assert columns["confidence"] == "double precision"  # not PostgreSQL's 4-byte REAL
    assert not {c for c in columns if "user" in c or "chat_id" in c or "name" in c}
    with QuestionLog.open(url, create=False) as again:
        assert again.backend.execute("SELECT version FROM schema_version").rows == versions


def test_replicas_starting_at_once_migrate_once(url):
    replicas = 4
    barrier = threading.Barrier(replicas)

    def start_replica(_):
        barrier.wait()
        return QuestionLog.open(url)

    with ThreadPoolExecutor(replicas) as pool:
        logs = list(pool.map(start_replica, range(replicas)))
    try:
        versions = logs[0].backend.execute("SELECT version FROM schema_version").rows
        assert versions == [(v,) for v in range(1, len(store.MIGRATIONS) + 1)]
    finally:
        for log in logs:
            log.__exit__(None, None, None)


async def test_replicas_recording_at_once_lose_no_rows(url):
    first, second = QuestionLog.open(url), QuestionLog.open(url)
    try:
        ids = await asyncio.gather(
            *(ask(replica, f"question {i}") for i in range(100) for replica in (first, second))
        )
        assert None not in ids
        assert len(set(ids)) == 200
        assert count_rows(first) == count_rows(second) == 200
    finally:
        await first.close()
        await second.close()


def test_wrong_password_is_a_store_error_without_the_password(server_url):
    password = urlsplit(server_url).password
    wrong = with_password(server_url, "not-the-Pa55word").geturl()
    with pytest.raises(StoreError, match="cannot open the question log") as failure:
        QuestionLog.open(wrong)
    message = str(failure.value)
    assert "password authentication failed" in message
    assert "not-the-Pa55word" not in message
    assert password not in message
    assert ":***@127.0.0.1" in message


def test_unreachable_server_is_a_store_error(server_url):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    parts = urlsplit(server_url)
    down = parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{port}")
    with pytest.raises(StoreError, match="cannot open the question log") as failure:
        QuestionLog.open(down.geturl())
    assert parts.password not in str(failure.value)


async def test_write_failures_warn_once_and_never_raise(log, caplog):
    await ask(log)
    log.backend.execute("SET default_transaction_read_only = on")  # as a read-only replica
    with caplog.at_level(logging.WARNING, logger="bot.curation.store"):
        results = [await ask(log, "a long question") for _ in range(20)]
        assert not await log.feedback(1, False)
    assert results == [None] * 20
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # rate-limited
    assert "read-only transaction" in warnings[0].getMessage()
    assert "long question" not in warnings[0].getMessage()
    assert sum(g.count for g in log.unanswered(7)) == 1  # reports still read
    log.backend.execute("SET default_transaction_read_only = off")
    assert await ask(log) is not None


async def test_lost_connection_warns_then_reconnects(log, server_url, caplog):
    await ask(log)
    pid = log.backend.execute("SELECT pg_backend_pid()").rows[0][0]
    admin(server_url, sql.SQL("SELECT pg_terminate_backend({})").format(pid))  # a server restart
    with caplog.at_level(logging.WARNING, logger="bot.curation.store"):
        assert await ask(log) is None
    assert "question log: record failed" in caplog.text
    assert await ask(log) is not None  # the next write opens a new connection
    assert count_rows(log) == 2


def test_portable_sql_reaches_psycopg_unharmed(log):
    rows = log.backend.execute("SELECT '?' || ?, 'a%', ? LIKE 'x%'", "b", "xy").rows
    assert rows == [("?b", "a%", True)]


def test_missing_driver_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(StoreError, match=r"pip install 'storybot\[postgres\]'"):
        store.backend_for("postgres://storybot:secret@127.0.0.1/storybot")


def test_mask_url_hides_passwords():
    assert (
        mask_url("postgresql://bot:s3cr%40t@db:5432/log?password=other&sslmode=require")
        == "postgresql://bot:***@db:5432/log?password=***&sslmode=require"
    )
    assert mask_url("postgresql://db/log") == "postgresql://db/log"
