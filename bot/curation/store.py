"""The question log: what readers asked and how the bot did, for the curators' reports.

Privacy: a row holds the normalised question, the chat *type*, the outcome, the matched entry
and the confidence; never user ids, chat ids or names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Self, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.curation.grouping import UnansweredGroup, group_questions
from bot.engine.model import QUESTION_OUTCOMES, Outcome
from bot.engine.text import MAX_CHAT_WORDS, chat_kind, fold

if TYPE_CHECKING:
    import psycopg

    from bot.engine.matcher import MatchIndex

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500
PRUNE_INTERVAL = 3600.0  # seconds between the prunes that recording triggers
WARNING_INTERVAL = 300.0  # a broken disk warns once per interval, not once per question
# Rows wait this long to be written together: under load one transaction (and one wake-up of
# the writer thread, which competes with the event loop for the GIL) per batch, not per row.
FLUSH_DELAY = 0.02
TOP_ENTRIES = 10
# UTC as ISO text: it sorts, compares and cuts into days (substr) alike in SQLite and PostgreSQL.
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

_T = TypeVar("_T")


class StoreError(OSError):
    """The question log's database cannot be opened or used; the message says why."""


class MissingLogError(StoreError):
    """Opening without ``create``: there is no question log where the URL points."""


INSERT_QUESTION = (
    "INSERT INTO questions (ref, asked_at, chat_type, question, outcome, entry, confidence,"
    " knowledge_version, followup, context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# A question's reference for 👍/👎 is drawn when it is asked, so the reply need not wait for the
# database. 62 random bits, from 2**62 up: unguessable, fits a signed BIGINT, and never equal to
# the row id of a question logged before references existed (older buttons name row ids).
REF_BITS = 62
MAX_REF = 2**63 - 1


def new_ref() -> int:
    """A fresh question reference."""
    return secrets.randbits(REF_BITS) | 1 << REF_BITS


class Result(NamedTuple):
    """The rows and row count of one SQL statement."""

    rows: list[tuple[Any, ...]]
    rowcount: int


class LogBackend(ABC):
    """One SQL database behind the log.

    Statements are portable SQL with ``?`` placeholders; a backend whose driver wants another
    placeholder style converts them. Driver errors are raised as StoreError.
    """

    id_column: str  # the DDL of an auto-numbered primary key
    float_column: str  # the DDL of a double-precision float

    @abstractmethod
    def run(
        self, statements: Sequence[tuple[str, Sequence[object]]], *, write: bool
    ) -> list[Result]:
        """Run the statements in one transaction, safely from any thread; their results."""

    @abstractmethod
    def close(self) -> None:
        """Release the database; calling it twice is harmless."""

    def execute(self, sql: str, *params: object, write: bool = False) -> Result:
        """Run one statement in its own transaction."""
        return self.run([(sql, params)], write=write)[0]

    @contextlib.contextmanager
    def migration_lock(self) -> Iterator[None]:
        """Hold the schema while ``migrate`` runs, so concurrent openers apply no version twice.

        The default holds nothing; a server backend overrides it.
        """
        yield


class SqliteBackend(LogBackend):
    """A SQLite file in WAL mode, one connection shared by the writer and report threads."""

    id_column = "INTEGER PRIMARY KEY AUTOINCREMENT"  # never reused: a late 👍 hits no other row
    float_column = "REAL"  # SQLite's REAL has 8 bytes

    def __init__(self, path: str, *, create: bool = True) -> None:
        try:
            if path != ":memory:":
                if not create and not Path(path).is_file():
                    raise MissingLogError(f"no question log at {Path(path).absolute()}")
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(
                path, timeout=5.0, isolation_level=None, check_same_thread=False
            )
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, fewer fsyncs
        except (sqlite3.Error, OSError) as exc:
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"cannot open the question log {path}: {exc}") from exc
        self._lock = threading.Lock()

    def run(
        self, statements: Sequence[tuple[str, Sequence[object]]], *, write: bool
    ) -> list[Result]:
        """Run the statements in one transaction; a writer takes the write lock up front."""
        with self._lock:
            cursor = self._connection.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                results = []
                for sql, params in statements:
                    cursor.execute(sql, params)
                    results.append(Result(cursor.fetchall(), cursor.rowcount))
                cursor.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._connection.in_transaction:
                    self._connection.rollback()
                raise StoreError(str(exc)) from exc
            return results

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._connection.close()


def mask_url(url: str) -> str:
    """A database URL fit for messages: its password, in user info or query, as ``***``."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user_info, _, host = netloc.rpartition("@")
            netloc = f"{user_info.partition(':')[0]}:***@{host}"
        query = urlencode(
            [
                (key, "***" if key == "password" else value)
                for key, value in parse_qsl(parts.query, keep_blank_values=True)
            ],
            safe="*",
        )
        return urlunsplit(parts._replace(netloc=netloc, query=query))
    except ValueError:
        return "<unparseable database URL>"


@cache
def _pyformat(sql: str) -> str:
    """Portable SQL in psycopg's style: ``?`` as ``%s`` outside quoted text, ``%`` as ``%%``."""
    pieces = re.split(r"""('(?:[^']|'')*'|"(?:[^"]|"")*")""", sql)
    return "".join(  # odd pieces are the quoted ones
        piece.replace("%", "%%") if i % 2 else piece.replace("%", "%%").replace("?", "%s")
        for i, piece in enumerate(pieces)
    )


class PostgresBackend(LogBackend):
    """A PostgreSQL database through psycopg 3: one connection shared like SqliteBackend's.

    Each ``run`` is one transaction (the connection is in autocommit mode otherwise); a lost
    connection is opened again by the next ``run``.
    """

    id_column = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"  # never reused either
    float_column = "DOUBLE PRECISION"  # PostgreSQL's REAL has only 4 bytes
    # pg_advisory_xact_lock key that serialises migrations across replicas: "storybot" in ASCII.
    MIGRATION_LOCK = 0x73746F7279626F74
    CONNECT_TIMEOUT = 10  # seconds, unless the URL says otherwise

    def __init__(self, url: str, *, create: bool = True) -> None:
        try:
            import psycopg  # optional: only PostgreSQL deployments need it
        except ImportError as exc:
            raise StoreError(
                "a postgresql:// question log needs psycopg: pip install 'storybot[postgres]'"
            ) from exc
        self._psycopg = psycopg
        self._url = url
        self._masked = mask_url(url)
        try:
            self._password = urlsplit(url).password
        except ValueError:  # libpq judges the URL in _connect
            self._password = None
        self._lock = threading.RLock()
        self._closed = False
        self._connection = self._connect()
        if not create:
            try:
                found = self.execute("SELECT to_regclass('schema_version')").rows[0][0]
            except StoreError:
                self.close()
                raise
            if found is None:
                self.close()
                raise MissingLogError(f"no question log in {self._masked}")

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        psycopg = self._psycopg
        try:
            options = psycopg.conninfo.conninfo_to_dict(self._url)
            options.setdefault("connect_timeout", self.CONNECT_TIMEOUT)
            options.setdefault("application_name", "storybot")
            return psycopg.connect(**options, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot open the question log {self._masked}: {self._scrub(exc)}"
            ) from exc

    def _scrub(self, exc: BaseException) -> str:
        """An error's message without the URL or the password, should a driver quote them."""
        message = str(exc).strip().replace(self._url, self._masked)
        return message.replace(self._password, "***") if self._password else message

    def run(
        self, statements: Sequence[tuple[str, Sequence[object]]], *, write: bool
    ) -> list[Result]:
        """Run the statements in one transaction (a savepoint inside ``migration_lock``).

        ``write`` changes nothing: PostgreSQL needs no write lock taken up front.
        """
        with self._lock:
            if self._connection.closed and not self._closed:
                self._connection = self._connect()  # the server came back after a failure
            try:
                with self._connection.transaction(), self._connection.cursor() as cursor:
                    results = []
                    for sql, params in statements:
                        cursor.execute(_pyformat(sql), params)
                        rows = cursor.fetchall() if cursor.description is not None else []
                        results.append(Result(rows, cursor.rowcount))
                    return results
            except self._psycopg.Error as exc:
                raise StoreError(self._scrub(exc)) from exc

    @contextlib.contextmanager
    def migration_lock(self) -> Iterator[None]:
        """One transaction holding an advisory lock: the runs inside join it as savepoints."""
        with self._lock:
            try:
                with self._connection.transaction():
                    # Waits at most a minute for another replica's migration.
                    self._connection.execute("SET LOCAL lock_timeout = '60s'")
                    self._connection.execute(
                        "SELECT pg_advisory_xact_lock(%s)", (self.MIGRATION_LOCK,)
                    )
                    yield
            except self._psycopg.Error as exc:
                raise StoreError(self._scrub(exc)) from exc

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._closed = True
            self._connection.close()


def backend_for(url: str, *, create: bool = True) -> LogBackend:
    """The backend for a database URL.

    ``sqlite:///relative/path``, ``sqlite:////abs/path``, or a libpq URL
    ``postgresql://user:password@host:port/database`` (``postgres://`` too).
    """
    scheme, _, rest = url.partition("://")
    if scheme == "sqlite" and rest.startswith("/") and len(rest) > 1:
        return SqliteBackend(rest[1:], create=create)
    if scheme in ("postgresql", "postgres"):
        return PostgresBackend(url, create=create)
    # The URL itself stays out of the message: a server URL may carry a password.
    raise StoreError(
        f"unsupported database URL scheme {scheme!r}: expected sqlite:///PATH or postgresql://..."
    )


Statements = list[tuple[str, Sequence[object]]]
# Longest a stored greeting, thanks or request for help or the sources can be.
MAX_CHAT_CHARS = MAX_CHAT_WORDS * 20


def _reclassify_chat(backend: LogBackend) -> Statements:
    """Rows logged before greetings, thanks and requests for help or the sources had outcomes
    of their own (they were logged as abstentions, or as answers to "help") get theirs, so
    they leave the unanswered lists and the answer rates."""
    rows = backend.execute(
        "SELECT id, question FROM questions WHERE length(question) <= ?", MAX_CHAT_CHARS
    ).rows
    kinds = ((row_id, chat_kind(question)) for row_id, question in rows)
    return [
        ("UPDATE questions SET outcome = ? WHERE id = ?", (kind, row_id))
        for row_id, kind in kinds
        if kind is not None
    ]


# The DDL of each schema version, applied in order; {id} is the backend's auto-numbered key,
# {float} its double-precision type. A function makes a version's statements from the data.
MIGRATIONS: tuple[tuple[str | Callable[[LogBackend], Statements], ...], ...] = (
    (
        """
        CREATE TABLE questions (
            id {id},
            asked_at TEXT NOT NULL,
            chat_type TEXT NOT NULL,
            question TEXT NOT NULL,
            outcome TEXT NOT NULL,
            entry TEXT,
            confidence {float} NOT NULL,
            knowledge_version TEXT NOT NULL,
            helpful SMALLINT,
            needs_review SMALLINT NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX questions_asked_at ON questions (asked_at)",
    ),
    (
        "ALTER TABLE questions ADD COLUMN ref BIGINT",
        "CREATE INDEX questions_ref ON questions (ref)",
    ),
    (_reclassify_chat,),
    (
        # A follow-up ("when?") is read with the turn before: whether it was, and that turn's
        # question (the entry it resolved to is `entry`).
        "ALTER TABLE questions ADD COLUMN followup SMALLINT NOT NULL DEFAULT 0",
        "ALTER TABLE questions ADD COLUMN context TEXT",
    ),
)


def migrate(backend: LogBackend) -> int:
    """Create or upgrade the schema to the newest version; that version."""
    with backend.migration_lock():
        backend.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)", write=True
        )
        current = backend.execute("SELECT MAX(version) FROM schema_version").rows[0][0] or 0
        if current > len(MIGRATIONS):
            raise StoreError(
                f"the question log has schema version {current}; this storybot knows "
                f"{len(MIGRATIONS)}: upgrade storybot"
            )
        for version in range(current + 1, len(MIGRATIONS) + 1):
            statements: Statements = []
            for step in MIGRATIONS[version - 1]:
                if callable(step):
                    statements += step(backend)
                else:
                    sql = step.format(id=backend.id_column, float=backend.float_column)
                    statements.append((sql, ()))
            backend.run(
                [*statements, ("INSERT INTO schema_version (version) VALUES (?)", (version,))],
                write=True,
            )
    return len(MIGRATIONS)


_AFTER = " (after: "


def with_turn_before(question: str, before: str) -> str:
    """A follow-up as curators see it: "when? (after: When is the parade?)"."""
    return f"{question}{_AFTER}{before})"


def is_followup_text(text: str) -> bool:
    """True for a follow-up shown with its turn before: not a phrasing to teach on its own."""
    return _AFTER in text


def normalise_question(text: str) -> str:
    """A question as the log keeps it: folded, whitespace collapsed, at most 500 characters."""
    return " ".join(fold(text).split())[:MAX_QUESTION_CHARS]


def timestamp(moment: datetime) -> str:
    """A moment as the log stores it (UTC text)."""
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def _window(days: int) -> tuple[date, str]:
    """The first day of the last ``days`` UTC calendar days (today included), and its stamp."""
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}")
    first = datetime.now(UTC).date() - timedelta(days=days - 1)
    return first, f"{first.isoformat()} 00:00:00"


@dataclass(frozen=True, slots=True)
class LoggedQuestion:
    """One row of the log."""

    id: int
    asked_at: str
    chat_type: str
    question: str
    outcome: str
    entry: str | None
    confidence: float
    knowledge_version: str
    helpful: bool | None
    needs_review: bool


@dataclass(frozen=True, slots=True)
class DayCounts:
    """Questions of one UTC day by outcome."""

    day: date
    answered: int = 0
    suggested: int = 0
    abstained: int = 0

    @property
    def total(self) -> int:
        """All questions of the day."""
        return self.answered + self.suggested + self.abstained


@dataclass(frozen=True, slots=True)
class Stats:
    """How the bot did over the last ``days`` days."""

    days: int
    per_day: tuple[DayCounts, ...]  # one per day, oldest first, empty days included
    top_entries: tuple[tuple[str, int], ...]  # answered entries, most asked first
    helpful: int
    unhelpful: int
    chat: int = 0  # greetings, thanks, requests for help or the sources: not questions

    @property
    def total(self) -> int:
        """All questions in the window."""
        return sum(d.total for d in self.per_day)

    def count(self, outcome: Outcome | str) -> int:
        """Questions with one outcome."""
        return sum(getattr(d, Outcome(outcome).value) for d in self.per_day)

    def rate(self, outcome: Outcome | str) -> float:
        """The share of questions with one outcome (0 when there were none)."""
        return self.count(outcome) / self.total if self.total else 0.0


class QuestionLog:
    """The question log: writes on one worker thread, reports from any thread."""

    def __init__(self, backend: LogBackend, retention_days: int = 90) -> None:
        if retention_days < 1:
            raise ValueError(f"retention must be at least one day, not {retention_days}")
        self._backend = backend
        self.retention_days = retention_days
        # One thread: writes never block the event loop and reach SQLite one at a time, in order.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="question-log")
        self._next_prune = time.monotonic() + PRUNE_INTERVAL
        # Rows waiting for the writer; appended on the event loop, drained on the writer.
        self._queued: deque[tuple[object, ...]] = deque()
        self._flush_queued = False
        # Set on the writer when a timed flush lost its rows, so the next ``flush`` reports it.
        self._timed_flush_failed = False
        self._warning_lock = threading.Lock()
        self._quiet_until = 0.0
        self._suppressed = 0

    @classmethod
    def open(
        cls,
        url: str,
        retention_days: int = 90,
        *,
        create: bool = True,
    ) -> QuestionLog:
        """Open the log at ``url``, creating or upgrading it, and prune; StoreError if unusable."""
        backend = backend_for(url, create=create)
        try:
            migrate(backend)
            question_log = cls(backend, retention_days)
        except BaseException:
            backend.close()
            raise
        question_log._prune_quietly()
        return question_log

    @property
    def backend(self) -> LogBackend:
        """The database behind the log (maintenance and tests)."""
        return self._backend

    def record(
        self,
        *,
        question: str,
        chat_type: str,
        outcome: str,
        entry: str | None,
        confidence: float,
        knowledge_version: str,
        context: str | None = None,
    ) -> int:
        """Queue one question (entry: the answered one, else the top suggestion) for the log;
        ``context`` is the question of the turn a follow-up was read with.

        Returns the question's reference for 👍/👎 at once: the row is written with others a
        moment later (``flush`` writes it now), so no reply waits for the database. A failing
        write costs a rate-limited warning, never an exception, so answering goes on.
        """
        ref = new_ref()
        row = (
            ref,
            timestamp(datetime.now(UTC)),
            str(chat_type),
            normalise_question(question),
            Outcome(outcome).value,
            entry,
            float(confidence),
            str(knowledge_version),
            int(context is not None),
            normalise_question(context) if context is not None else None,
        )
        self._queued.append(row)
        if not self._flush_queued:
            self._flush_queued = True
            asyncio.get_running_loop().call_later(FLUSH_DELAY, self._submit_flush)
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_INTERVAL
            # Not awaited: this reader's reply need not wait for housekeeping.
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                self._writer.submit(self._prune_quietly)
        return ref

    async def flush(self) -> bool:
        """Write the queued questions now; False if the write failed (already warned)."""
        return await self._submit("record", self._flush_reporting, False)

    async def feedback(self, ref: int, helpful: bool) -> bool:
        """Store 👍 (True) or 👎 (False) for a logged question; 👎 marks it for review."""
        if not 0 < ref <= MAX_REF:
            return False
        # The writer runs in order: the question's own row, maybe still queued, goes first.
        return await self._submit("feedback", partial(self._set_feedback, ref, helpful), False)

    async def prune(self) -> int:
        """Delete the questions older than the retention; how many went."""
        return await self._submit("prune", self._delete_old, 0)

    async def close(self) -> None:
        """Finish the pending writes and release the database."""
        await asyncio.to_thread(self._shutdown)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._shutdown()

    def unanswered(
        self, days: int, limit: int = 20, index: MatchIndex | None = None
    ) -> list[UnansweredGroup]:
        """The commonest abstained, suggested and 👎 questions of the last ``days`` days,
        grouped by meaning as ``index`` (the live knowledge's) reads them; a follow-up shows
        the turn before it ("when? (after: When is the parade?)")."""
        _, since = _window(days)
        rows = self._backend.execute(
            "SELECT question, outcome, entry, helpful, asked_at, followup, context FROM questions"
            " WHERE asked_at >= ? AND (outcome IN (?, ?) OR helpful = 0)",
            since,
            Outcome.ABSTAINED.value,
            Outcome.SUGGESTED.value,
        ).rows
        read = [
            (with_turn_before(q, context) if followup and context else q, *rest)
            for q, *rest, followup, context in rows
        ]
        return group_questions(read, index)[:limit]

    def stats(self, days: int) -> Stats:
        """Questions per day by outcome, the top entries and the feedback of ``days`` days."""
        first, since = _window(days)
        per_outcome, top, votes = self._backend.run(
            [
                (
                    "SELECT substr(asked_at, 1, 10), outcome, COUNT(*) FROM questions"
                    " WHERE asked_at >= ? GROUP BY substr(asked_at, 1, 10), outcome",
                    (since,),
                ),
                (
                    "SELECT entry, COUNT(*) FROM questions"
                    " WHERE asked_at >= ? AND outcome = ? AND entry IS NOT NULL"
                    " GROUP BY entry ORDER BY COUNT(*) DESC, entry LIMIT ?",
                    (since, Outcome.ANSWERED.value, TOP_ENTRIES),
                ),
                (
                    "SELECT helpful, COUNT(*) FROM questions"
                    " WHERE asked_at >= ? AND helpful IS NOT NULL GROUP BY helpful",
                    (since,),
                ),
            ],
            write=False,
        )
        counts: dict[str, dict[str, int]] = {}
        for day, outcome, count in per_outcome.rows:
            counts.setdefault(day, {})[outcome] = count
        per_day = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            found = counts.get(day.isoformat(), {})
            per_day.append(DayCounts(day, *(found.get(o.value, 0) for o in QUESTION_OUTCOMES)))
        feedback = {bool(helpful): count for helpful, count in votes.rows}
        return Stats(
            days=days,
            per_day=tuple(per_day),
            top_entries=tuple((entry, count) for entry, count in top.rows),
            helpful=feedback.get(True, 0),
            unhelpful=feedback.get(False, 0),
            chat=sum(
                count for _, outcome, count in per_outcome.rows if outcome not in QUESTION_OUTCOMES
            ),
        )

    def reviewed(self, days: int) -> list[LoggedQuestion]:
        """Rows of ``days`` days worth a curator's look: rated 👍/👎, abstained or suggested.
        Follow-ups ("when?") are left out: alone they are not the question that was asked."""
        _, since = _window(days)
        rows = self._backend.execute(
            "SELECT id, asked_at, chat_type, question, outcome, entry, confidence,"
            " knowledge_version, helpful, needs_review FROM questions"
            " WHERE asked_at >= ? AND followup = 0 AND (needs_review = 1 OR helpful IS NOT NULL"
            " OR outcome IN (?, ?)) ORDER BY id",
            since,
            Outcome.ABSTAINED.value,
            Outcome.SUGGESTED.value,
        ).rows
        return [
            LoggedQuestion(
                *row[:8],
                helpful=None if row[8] is None else bool(row[8]),
                needs_review=bool(row[9]),
            )
            for row in rows
        ]

    async def _submit(self, action: str, work: Callable[[], _T], failed: _T) -> _T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._writer, work)
        except Exception as exc:  # a broken log must never break answering
            self._warn(action, exc)
            return failed

    def _submit_flush(self) -> None:
        """Hand the queued rows to the writer thread."""
        try:
            self._writer.submit(self._flush_quietly)
        except RuntimeError:  # closed meanwhile: its shutdown flushes
            self._flush_queued = False

    def _flush(self) -> bool:
        """On the writer thread: insert every queued row in one transaction (one commit per
        batch, not per question, under load)."""
        self._flush_queued = False  # before draining: a row queued from now gets a new flush
        batch = []
        while self._queued:
            batch.append(self._queued.popleft())
        if batch:
            self._backend.run([(INSERT_QUESTION, row) for row in batch], write=True)
        return True

    def _flush_reporting(self) -> bool:
        """On the writer thread: ``_flush``, also False when a timed flush since the last call
        lost rows (it may have drained the caller's row before this call ran)."""
        lost, self._timed_flush_failed = self._timed_flush_failed, False
        return self._flush() and not lost

    def _flush_quietly(self) -> None:
        try:
            self._flush()
        except Exception as exc:  # a broken log must never break answering
            self._timed_flush_failed = True
            self._warn("record", exc)

    def _set_feedback(self, ref: int, helpful: bool) -> bool:
        self._flush()
        result = self._backend.execute(
            "UPDATE questions SET helpful = ?, needs_review = ?"
            " WHERE ref = ? OR (ref IS NULL AND id = ?)",
            int(helpful),
            int(not helpful),
            ref,
            ref,
            write=True,
        )
        return result.rowcount == 1

    def _delete_old(self) -> int:
        cutoff = timestamp(datetime.now(UTC) - timedelta(days=self.retention_days))
        return self._backend.execute(
            "DELETE FROM questions WHERE asked_at < ?", cutoff, write=True
        ).rowcount

    def _prune_quietly(self) -> int:
        try:
            return self._delete_old()
        except Exception as exc:  # a read-only log still serves reports
            self._warn("prune", exc)
            return 0

    def _shutdown(self) -> None:
        self._writer.shutdown(wait=True)
        self._flush_quietly()  # rows queued after the last timed flush
        self._backend.close()

    def _warn(self, action: str, exc: BaseException) -> None:
        """Log a failure at most once per WARNING_INTERVAL, counting the ones kept quiet."""
        with self._warning_lock:
            now = time.monotonic()
            if now < self._quiet_until:
                self._suppressed += 1
                return
            suppressed, self._suppressed = self._suppressed, 0
            self._quiet_until = now + WARNING_INTERVAL
        logger.warning(
            "question log: %s failed (%s: %s); the bot goes on without logging%s",
            action,
            type(exc).__name__,
            exc,
            f" ({suppressed} failure(s) not reported since the last warning)" if suppressed else "",
        )
