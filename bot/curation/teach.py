"""Teaching the bot from Telegram: taught knowledge in the database, checked like a file change.

A teaching adds a phrasing to an entry or marks a question as not in the story. It is stored in
the question log's database (SQLite, or PostgreSQL shared by every replica) as an overlay on
the reviewed files, with an audit trail: every teaching, undo and export is a row naming the
admin (operators, so their ids are fine here) and the time. Before a teaching is stored, the
knowledge with it is loaded exactly as a reload would (every loader rule, the guard-leak check)
and must still answer what it answered before; then the live snapshot is rebuilt and swapped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.curation.grouping import meaning_key, same_meaning
from bot.curation.store import LogBackend, _window, is_followup_text, timestamp
from bot.curation.yamledit import EditError, append_to_item_list, write_atomically
from bot.engine.answering import DEFAULT_BANDS, Bands, answer_question
from bot.engine.loader import FAQ_FILE, validate
from bot.engine.model import Outcome, Problem, Snapshot
from bot.engine.overlay import Overlay, Taught, TaughtKind
from bot.engine.text import analyse

if TYPE_CHECKING:
    from bot.chat.holder import KnowledgeHolder
    from bot.engine.matcher import MatchIndex

log = logging.getLogger(__name__)

IGNORE = "ignore"
UNDO = "undo"
EXPORT = "export"
MAX_PHRASINGS = 3  # of a group's phrasings, the distinct meanings taught at most

DDL = (
    """
    CREATE TABLE IF NOT EXISTS teachings (
        id {id},
        taught_at TEXT NOT NULL,
        admin_id BIGINT NOT NULL,
        action TEXT NOT NULL,
        entry TEXT,
        text TEXT NOT NULL,
        target BIGINT,
        active SMALLINT NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS teach_groups (
        id {id},
        created_at TEXT NOT NULL,
        question TEXT NOT NULL,
        variants TEXT NOT NULL
    )
    """,
)


@dataclass(frozen=True, slots=True)
class Teaching:
    """One row of the audit trail."""

    id: int
    taught_at: str
    admin_id: int
    action: str  # phrasing, decline, ignore, undo, export
    entry: str | None
    text: str
    target: int | None  # the teaching an undo or export is about
    active: bool


@dataclass(frozen=True, slots=True)
class Group:
    """An /unanswered group as the buttons name it: its phrasings, commonest first."""

    id: int
    question: str
    variants: tuple[str, ...]


class TeachStore:
    """The teachings and the groups offered for teaching, in the question log's database."""

    def __init__(self, backend: LogBackend) -> None:
        self._backend = backend
        with backend.migration_lock():
            backend.run(
                [(sql.format(id=backend.id_column), ()) for sql in DDL],
                write=True,
            )

    def overlay(self) -> Overlay:
        """The active teachings (what the loader merges) at the current revision."""
        rows, revision = self._backend.run(
            [
                (
                    "SELECT id, action, text, entry FROM teachings"
                    " WHERE active = 1 AND action IN (?, ?) ORDER BY id",
                    (TaughtKind.PHRASING.value, TaughtKind.DECLINE.value),
                ),
                ("SELECT MAX(id) FROM teachings", ()),
            ],
            write=False,
        )
        items = tuple(Taught(row[0], TaughtKind(row[1]), row[2], row[3]) for row in rows.rows)
        return Overlay(revision.rows[0][0] or 0, items)

    def revision(self) -> int:
        """Grows with every teaching, undo and export: replicas compare it to reload."""
        return self._backend.execute("SELECT MAX(id) FROM teachings").rows[0][0] or 0

    def add(self, admin_id: int, action: str, text: str, entry: str | None = None) -> int:
        """Record a teaching (active unless it is an ignore); its id."""
        active = int(action in (TaughtKind.PHRASING, TaughtKind.DECLINE))
        return self._insert(admin_id, action, text, entry, None, active)

    def _insert(
        self,
        admin_id: int,
        action: str,
        text: str,
        entry: str | None,
        target: int | None,
        active: int,
    ) -> int:
        sql = (
            "INSERT INTO teachings (taught_at, admin_id, action, entry, text, target, active)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        params = (timestamp(datetime.now(UTC)), admin_id, action, entry, text, target, active)
        _, found = self._backend.run(
            [(sql, params), ("SELECT MAX(id) FROM teachings", ())], write=True
        )
        return found.rows[0][0]

    def get(self, teaching_id: int) -> Teaching | None:
        """One row of the trail."""
        rows = self._backend.execute(_SELECT + " WHERE id = ?", teaching_id).rows
        return _teaching(rows[0]) if rows else None

    def deactivate(self, admin_id: int, teaching_ids: Sequence[int], action: str) -> int:
        """Undo or mark exported: the teachings stop applying; the trail records who and when."""
        statements: list[tuple[str, Sequence[object]]] = []
        now = timestamp(datetime.now(UTC))
        for teaching_id in teaching_ids:
            statements.append(("UPDATE teachings SET active = 0 WHERE id = ?", (teaching_id,)))
            statements.append(
                (
                    "INSERT INTO teachings (taught_at, admin_id, action, entry, text, target,"
                    " active) SELECT ?, ?, ?, entry, text, id, 0 FROM teachings WHERE id = ?",
                    (now, admin_id, action, teaching_id),
                )
            )
        self._backend.run(statements, write=True)
        return len(teaching_ids)

    def trail(self, limit: int = 200) -> list[Teaching]:
        """The newest rows of the audit trail, newest first."""
        rows = self._backend.execute(_SELECT + " ORDER BY id DESC LIMIT ?", limit).rows
        return [_teaching(row) for row in rows]

    def ignored(self) -> set[str]:
        """Questions an admin chose to ignore: /unanswered no longer shows them."""
        rows = self._backend.execute(
            "SELECT text FROM teachings WHERE action = ? AND id NOT IN"
            " (SELECT target FROM teachings WHERE action = ? AND target IS NOT NULL)",
            IGNORE,
            UNDO,
        ).rows
        return {line for (text,) in rows for line in text.split("\n")}

    def save_group(self, question: str, variants: Sequence[str]) -> int:
        """Remember an offered group, so its buttons need only its number."""
        sql = "INSERT INTO teach_groups (created_at, question, variants) VALUES (?, ?, ?)"
        _, found = self._backend.run(
            [
                (sql, (timestamp(datetime.now(UTC)), question, "\n".join(variants))),
                ("SELECT MAX(id) FROM teach_groups", ()),
            ],
            write=True,
        )
        return found.rows[0][0]

    def group(self, group_id: int) -> Group | None:
        """An offered group by number."""
        rows = self._backend.execute(
            "SELECT id, question, variants FROM teach_groups WHERE id = ?", group_id
        ).rows
        if not rows:
            return None
        return Group(rows[0][0], rows[0][1], tuple(rows[0][2].split("\n")))

    def taught_answers(self, days: int, index: MatchIndex) -> int:
        """Questions of the last ``days`` days answered by an entry that a phrasing was taught
        to, and that mean what that phrasing means (they would be one /unanswered group)."""
        taught: dict[str, list[str]] = {}
        rows = self._backend.execute(
            "SELECT DISTINCT entry, text FROM teachings WHERE action = ?",
            TaughtKind.PHRASING.value,
        ).rows
        for entry, text in rows:  # undone and exported ones too: they answered while live
            taught.setdefault(entry, []).append(text)
        if not taught:
            return 0
        _, since = _window(days)
        rows = self._backend.execute(
            "SELECT question, entry FROM questions WHERE asked_at >= ? AND outcome = ?",
            since,
            Outcome.ANSWERED.value,
        ).rows
        return sum(
            any(same_meaning(question, text, index) for text in taught.get(entry, ()))
            for question, entry in rows
        )


_SELECT = "SELECT id, taught_at, admin_id, action, entry, text, target, active FROM teachings"


def _teaching(row: tuple[object, ...]) -> Teaching:
    return Teaching(*row[:7], active=bool(row[7]))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TeachResult:
    """What a press did: shown to the admin."""

    ok: bool
    message: str
    teaching_ids: tuple[int, ...] = ()


ONLY_FOLLOWUPS = (
    "These are follow-ups: they mean something only after the turn before them, so they "
    "cannot be taught on their own. Teach the question they follow instead."
)


def phrasings_to_teach(group: Group, index: MatchIndex) -> list[str]:
    """The group's phrasings worth adding: one per distinct meaning, commonest first, leaving
    out those with slips the engine corrects (a phrasing should be spelled right)."""
    chosen: list[str] = []
    meanings: set[frozenset[str]] = set()
    for text in group.variants:
        if is_followup_text(text):
            continue  # "when? (after: ...)" means something only after its turn before
        if analyse(text, index.synonyms) != analyse(text, index.synonyms, index.vocabulary):
            continue  # "kims trian": the engine corrects it, a phrasing should not need that
        key = meaning_key(text, index)
        if key not in meanings:
            meanings.add(key)
            chosen.append(text)
    if not chosen and not is_followup_text(group.question):
        chosen = [group.question]
    return chosen[:MAX_PHRASINGS]


def check_teaching(
    old: Snapshot, directory: Path, overlay: Overlay, bands: Bands
) -> tuple[Snapshot | None, list[str]]:
    """Load the knowledge with ``overlay`` as a reload would; the snapshot, or the reasons it
    is refused: a loader problem, or an entry's own question it no longer answers."""
    new, problems = validate(directory, overlay)
    if new is None:
        return None, [str(p) for p in problems]
    reasons = []
    for entry in old.entries.values():
        before = answer_question(old, entry.question, bands)
        if before.entry is None or before.entry.id != entry.id:
            continue  # it did not answer its own question before either
        after = answer_question(new, entry.question, bands)
        if after.entry is None or after.entry.id != entry.id:
            went = after.entry.id if after.entry else after.outcome.value
            reasons.append(f"entry {entry.id}'s own question {entry.question!r} would go to {went}")
    return (None, reasons) if reasons else (new, [])


class Teacher:
    """Applies admins' teachings: validate, store, swap the live snapshot; undo them."""

    def __init__(
        self, store: TeachStore, holder: KnowledgeHolder, bands: Bands = DEFAULT_BANDS
    ) -> None:
        self.store = store
        self.holder = holder
        self.bands = bands
        self._lock = asyncio.Lock()  # one teaching at a time per replica

    async def add_phrasings(self, admin_id: int, group: Group, entry_id: str) -> TeachResult:
        """Teach the group's phrasings to an entry."""
        async with self._lock:
            old = self.holder.snapshot
            if entry_id not in old.entries:
                return TeachResult(False, f"There is no entry {entry_id} any more.")
            texts = phrasings_to_teach(group, old.index)
            if not texts:
                return TeachResult(False, ONLY_FOLLOWUPS)
            current = await asyncio.to_thread(self.store.overlay)
            items = [Taught(-n, TaughtKind.PHRASING, t, entry_id) for n, t in enumerate(texts, 1)]
            overlay = Overlay(current.revision, (*current.items, *items))
            new, reasons = await asyncio.to_thread(
                check_teaching, old, old.directory, overlay, self.bands
            )
            if new is not None:
                missed = [
                    t
                    for t in texts
                    if (a := answer_question(new, t, self.bands)).entry is None
                    or a.entry.id != entry_id
                ]
                reasons += [f"even then, {t!r} would not be answered by {entry_id}" for t in missed]
            if reasons:
                return TeachResult(False, _refusal(reasons))
            ids = []
            for text in texts:
                ids.append(
                    await asyncio.to_thread(
                        self.store.add, admin_id, TaughtKind.PHRASING, text, entry_id
                    )
                )
            await self.holder.reload()
            listed = "; ".join(repr(t) for t in texts)
            return TeachResult(True, f"Added to {entry_id}: {listed}.", tuple(ids))

    async def decline(self, admin_id: int, group: Group) -> TeachResult:
        """Teach that the story does not say what the group asks."""
        async with self._lock:
            old = self.holder.snapshot
            current = await asyncio.to_thread(self.store.overlay)
            texts = phrasings_to_teach(group, old.index)
            if not texts:
                return TeachResult(False, ONLY_FOLLOWUPS)
            items = [Taught(-n, TaughtKind.DECLINE, t) for n, t in enumerate(texts, 1)]
            overlay = Overlay(current.revision, (*current.items, *items))
            new, reasons = await asyncio.to_thread(
                check_teaching, old, old.directory, overlay, self.bands
            )
            if new is not None:
                reasons += [
                    f"even then, {t!r} would still be answered"
                    for t in texts
                    if answer_question(new, t, self.bands).answered
                ]
            if reasons:
                return TeachResult(False, _refusal(reasons))
            ids = [
                await asyncio.to_thread(self.store.add, admin_id, TaughtKind.DECLINE, text)
                for text in texts
            ]
            await self.holder.reload()
            listed = "; ".join(repr(t) for t in texts)
            return TeachResult(
                True, f"The bot now says the story doesn't say: {listed}.", tuple(ids)
            )

    async def ignore(self, admin_id: int, group: Group) -> TeachResult:
        """Hide the group from /unanswered (recorded, undoable)."""
        teaching_id = await asyncio.to_thread(
            self.store.add, admin_id, IGNORE, "\n".join(group.variants)
        )
        return TeachResult(True, "Ignored: /unanswered won't show it again.", (teaching_id,))

    async def undo(self, admin_id: int, teaching_ids: Sequence[int]) -> TeachResult:
        """Take teachings back (refused when the knowledge without them would break)."""
        async with self._lock:
            rows = [await asyncio.to_thread(self.store.get, t) for t in teaching_ids]
            live = [row for row in rows if row is not None and (row.active or row.action == IGNORE)]
            if not live:
                return TeachResult(False, "Nothing to undo: it was already undone or exported.")
            undone = {row.id for row in live}
            current = await asyncio.to_thread(self.store.overlay)
            overlay = Overlay(
                current.revision, tuple(i for i in current.items if i.id not in undone)
            )
            new, problems = await asyncio.to_thread(validate, self.holder.directory, overlay)
            if new is None:
                return TeachResult(False, _refusal([str(p) for p in problems]))
            await asyncio.to_thread(self.store.deactivate, admin_id, sorted(undone), UNDO)
            await self.holder.reload()
            return TeachResult(True, f"Undone: {'; '.join(repr(r.text) for r in live)}.")


def _refusal(reasons: Sequence[str]) -> str:
    shown = reasons[:5]
    more = f" (and {len(reasons) - 5} more)" if len(reasons) > 5 else ""
    return "Not taught, it would break the knowledge: " + "; ".join(shown) + more


@dataclass(frozen=True, slots=True)
class Export:
    """What `storybot knowledge export` wrote."""

    phrasings: int
    entries: tuple[str, ...]
    kept: tuple[Taught, ...]  # teachings YAML has no place for yet (declines)


def export_overlay(store: TeachStore, directory: Path, admin_id: int = 0) -> Export:
    """Write the taught phrasings into faq.yaml (comments and layout kept) and clear them from
    the overlay; the knowledge must load the same before and after."""
    overlay = store.overlay()
    phrasings = overlay.phrasings()
    if not phrasings:
        return Export(0, (), tuple(overlay.declines()))
    before, problems = validate(directory, overlay)
    if before is None:
        raise EditError("the knowledge with its teachings has problems: " + _problems(problems))
    path = directory / FAQ_FILE
    text = path.read_text(encoding="utf-8")
    by_entry: dict[str, list[str]] = {}
    for item in phrasings:
        by_entry.setdefault(item.entry or "", []).append(item.text)
    for entry_id, texts in by_entry.items():
        text = append_to_item_list(text, FAQ_FILE, "entries", entry_id, "phrasings", texts)
    kept = Overlay(overlay.revision, tuple(overlay.declines()))
    with _scratch(directory, text) as scratch:
        after, problems = validate(scratch, kept)
        if after is None:
            raise EditError("the exported knowledge would have problems: " + _problems(problems))
        if dict(after.entries) != dict(before.entries):
            raise EditError("the exported knowledge would not answer the same: nothing written")
    write_atomically(path, text)
    store.deactivate(admin_id, [item.id for item in phrasings], EXPORT)
    return Export(len(phrasings), tuple(by_entry), tuple(overlay.declines()))


@contextlib.contextmanager
def _scratch(directory: Path, faq_text: str) -> Iterator[Path]:
    """A copy of the knowledge with another faq.yaml, removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "knowledge"
        shutil.copytree(directory, copy)
        (copy / FAQ_FILE).write_text(faq_text, encoding="utf-8")
        yield copy


def _problems(problems: Sequence[Problem]) -> str:
    return "; ".join(str(p) for p in problems[:5])


FOLLOW_SECONDS = 3.0  # how often a replica looks for teachings made on another one


async def follow_teachings(
    holder: KnowledgeHolder, store: TeachStore, interval: float = FOLLOW_SECONDS
) -> None:
    """Reload when the database's teachings change (taught or undone on another replica)."""
    seen = holder.snapshot.overlay.revision
    while True:
        await asyncio.sleep(interval)
        try:
            revision = await asyncio.to_thread(store.revision)
        except OSError as exc:
            log.warning("cannot read the taught knowledge's revision: %s", exc)
            continue
        if revision != seen and revision != holder.snapshot.overlay.revision:
            log.info("taught knowledge changed (revision %d): reloading", revision)
            await holder.reload()
        seen = revision
