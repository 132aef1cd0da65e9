"""Outgoing answers: within Telegram's flood limits, fair to every reader, combined when they wait.

Handlers hand each question to the `Dispatcher` and return. An answer goes out at once when its
chat's budget allows; otherwise it waits in its chat's lane, and the next message the budget
allows answers every waiting asker it can fit (each part naming its asker and the question,
one part for askers of the same question), taken round-robin across readers so that one
account's flood delays the others by about one answer at most. A reader who asks faster than
that is told once that only the latest question will be answered; the rest of the burst is
dropped, logged and counted.

`Budgets` is the ledger of what went where (30 messages a second overall, 20 a minute per
group, about one a second per chat after a short burst). `BudgetLimiter` enforces it for every
chat send in front of PTB's `AIORateLimiter`, so replies sent outside the dispatcher (commands,
reports) are counted too and no send provokes a 429. Inline and callback answers carry no
chat id: they are not chat sends and have budgets of their own at Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram import Bot, ReplyParameters
from telegram.ext import AIORateLimiter

from bot import i18n
from bot.chat import render
from bot.engine.followup import Turn
from bot.engine.model import Answer, Outcome, Suggestion
from bot.engine.text import fold
from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)

# Bot API methods that post a message in a chat (Telegram's flood limits count these).
_OTHER_CHAT_SENDS = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})
# How often to look again while the only thing filling a window is a send still in flight.
_IN_FLIGHT_POLL = 0.02
# Ledger entries (per chat, per group) are pruned once there are this many.
_PRUNE_AT = 1024


def is_chat_send(endpoint: str) -> bool:
    """True for the methods that post a message in a chat."""
    return (endpoint.startswith("send") and endpoint != "sendChatAction") or (
        endpoint in _OTHER_CHAT_SENDS
    )


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's flood limits for bots, and how the dispatcher stays fair within them.

    https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
    """

    overall: int = 30  # messages in any `overall_period` seconds, all chats together
    overall_period: float = 1.0
    group: int = 20  # messages in any `group_period` seconds to one group
    group_period: float = 60.0
    chat_interval: float = 1.0  # about one message a second to one chat ...
    chat_burst: int = 3  # ... after a short burst
    # Questions a reader may have waiting; beyond that only the latest is kept (and the
    # reader is told so once).
    reader_burst: int = 3
    # A reader who has been quiet this long may burst again (and be told again).
    reader_quiet: float = 30.0
    # The same question from the same reader within this many seconds is answered once.
    repeat_window: float = 10.0
    # At most this many askers answered in one combined message (and it must fit 4096).
    max_parts: int = 8
    # Waiting questions kept in memory, all chats together; beyond that new ones are dropped.
    max_pending: int = 5000
    # Readers whose recent questions are remembered (for repeats and bursts).
    max_readers: int = 20000


class Window:
    """At most ``limit`` events in any ``period`` seconds; an event in flight counts until it
    ends, and counts from when it ended (never earlier than Telegram saw it)."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._ended: deque[float] = deque()
        self._in_flight = 0

    def delay(self, now: float) -> float:
        """Seconds until one more event fits (0: now)."""
        while self._ended and self._ended[0] <= now - self.period:
            self._ended.popleft()
        excess = len(self._ended) + self._in_flight - self.limit + 1
        if excess <= 0:
            return 0.0
        if excess > len(self._ended):
            return _IN_FLIGHT_POLL
        return self._ended[excess - 1] + self.period - now

    def start(self) -> None:
        """An event begins."""
        self._in_flight += 1

    def end(self, now: float) -> None:
        """The event begun last ended at ``now``."""
        self._in_flight -= 1
        self._ended.append(now)

    def idle(self, now: float) -> bool:
        """True when nothing in the window still counts."""
        return self._in_flight == 0 and self.delay(now) == 0 and not self._ended


class Pacer:
    """About one event per ``interval`` after a burst of ``burst`` (a generic cell rate
    algorithm: the token bucket without a timer)."""

    def __init__(self, interval: float, burst: int) -> None:
        self.interval = interval
        self.tolerance = (burst - 1) * interval
        self._due = float("-inf")  # theoretical time of the next event

    def delay(self, now: float) -> float:
        """Seconds until the next event is allowed."""
        return max(0.0, self._due - self.tolerance - now)

    def end(self, now: float) -> None:
        """An event ended at ``now`` (its end, so never earlier than Telegram saw it)."""
        self._due = max(self._due, now) + self.interval

    def idle(self, now: float) -> bool:
        """True when the pacer is back to a full burst."""
        return self._due <= now


class Budgets:
    """The ledger of chat sends: when the next message to a chat may go without a 429."""

    def __init__(
        self,
        limits: Limits,
        metrics: Metrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self.metrics = metrics
        self.clock = clock
        self._overall = Window(limits.overall, limits.overall_period)
        self._groups: dict[int | str, Window] = {}
        self._chats: dict[int | str, Pacer] = {}
        self._locks: dict[int | str, asyncio.Lock] = {}
        self._at_budget: set[int | str] = set()

    @staticmethod
    def _is_group(chat_id: int | str) -> bool:
        # As in Telegram and PTB: negative ids (and @usernames) are groups and channels.
        return isinstance(chat_id, str) or chat_id < 0

    def delay(self, chat_id: int | str) -> float:
        """Seconds until a message to ``chat_id`` may be sent (0: now)."""
        now = self.clock()
        wait = self._overall.delay(now)
        pacer = self._chats.get(chat_id)
        if pacer is not None:
            wait = max(wait, pacer.delay(now))
        group = self._groups.get(chat_id)
        if group is not None:
            group_wait = group.delay(now)
            self._note_group_budget(chat_id, group_wait)
            wait = max(wait, group_wait)
        return wait

    def _note_group_budget(self, chat_id: int | str, wait: float) -> None:
        if wait > _IN_FLIGHT_POLL and chat_id not in self._at_budget:
            self._at_budget.add(chat_id)
            self.metrics.groups_at_budget.inc()
            log.info(
                "group %s is at its budget (%d messages in %.0f s): answers wait and are "
                "combined for %.1f s",
                chat_id,
                self.limits.group,
                self.limits.group_period,
                wait,
                extra={"event": "group_at_budget", "group": chat_id},
            )
        elif wait == 0:
            self._at_budget.discard(chat_id)

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int | str) -> AsyncIterator[None]:
        """Wait until a message to ``chat_id`` may go, count it, and hold the chat while it
        is sent (one send in flight per chat, so Telegram sees them in the ledger's order)."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            waited = 0.0
            while (wait := self.delay(chat_id)) > 0:
                waited += wait
                await asyncio.sleep(wait)
            if waited:
                self.metrics.budget_wait_seconds.observe(waited)
            windows = [self._overall]
            if self._is_group(chat_id):
                windows.append(
                    self._groups.setdefault(
                        chat_id, Window(self.limits.group, self.limits.group_period)
                    )
                )
            pacer = self._chats.setdefault(
                chat_id, Pacer(self.limits.chat_interval, self.limits.chat_burst)
            )
            for window in windows:
                window.start()
            try:
                yield
            finally:
                now = self.clock()
                for window in windows:
                    window.end(now)
                pacer.end(now)
        if len(self._chats) > _PRUNE_AT:
            self._prune()

    def _prune(self) -> None:
        now = self.clock()
        for chat_id in [c for c, pacer in self._chats.items() if pacer.idle(now)]:
            group = self._groups.get(chat_id)
            lock = self._locks.get(chat_id)
            if (group is None or group.idle(now)) and (lock is None or not lock.locked()):
                self._chats.pop(chat_id)
                self._groups.pop(chat_id, None)
                self._locks.pop(chat_id, None)


class BudgetLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (Bot API limits, retries after a 429) behind the budget ledger."""

    def __init__(self, budgets: Budgets, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.budgets = budgets

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Chat sends wait for their budget; everything else goes straight to PTB's limiter."""
        chat_id = data.get("chat_id")
        if chat_id is None or not is_chat_send(endpoint):
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)
        async with self.budgets.slot(chat_id):
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )


@dataclass(eq=False)
class Job:
    """One question (or a ready reply) waiting to be answered in a chat."""

    chat_id: int
    chat_type: str
    question: str
    user_id: int | None = None
    name: str = ""
    message_id: int | None = None  # the question's message, which a lone answer replies to
    thread_id: int | None = None  # the forum topic the question was asked in
    entry_id: str | None = None  # a button's choice: the answer to this entry
    language: str = i18n.DEFAULT  # the language a button's entry is answered in
    hint: str | None = None  # the reader's Telegram app language (notices, ties in questions)
    reply: render.Reply | None = None  # a ready reply (help, greeting): sent as it is
    turn_before: Turn | None = None  # the turn a follow-up is read with
    # Told the answer before it is sent (with None), and after, the id of the message that
    # answers it alone (a combined answer has none).
    remember: Callable[[int | None, Answer], Awaitable[None]] | None = None
    received: float = field(default_factory=time.monotonic)
    notice: bool = False  # the once-per-burst "I'll answer your latest question"

    @property
    def reader(self) -> tuple[int, int | None]:
        """Who asked where: bursts and repeats are counted per reader and chat."""
        return (self.chat_id, self.user_id)

    @property
    def asker(self) -> render.Asker:
        """The asker as a combined answer names them."""
        return render.Asker(self.user_id, self.name)


class AnswerSource(Protocol):
    """What the dispatcher needs from the rest of the bot to turn questions into replies."""

    def answer_job(self, job: Job) -> Answer:
        """The engine's answer to the job's question (or its entry)."""
        ...

    def record(self, answer: Answer, chat_type: str) -> int | None:
        """Count and log an answered question; the reference 👍/👎 use for it."""
        ...

    def examples(self, count: int, language: str) -> Sequence[Suggestion]:
        """Example questions in ``language``, offered when nothing in the story comes close."""
        ...

    def knowledge_version(self) -> str:
        """The live knowledge's version: after a reload, a repeated question is a new one."""
        ...


@dataclass
class _Reader:
    """What is remembered of one reader in one chat."""

    last_seen: float = 0.0
    flooding: bool = False
    dropped: int = 0  # questions of the current flood dropped since the last one answered
    recent: deque[tuple[tuple[str, str], float]] = field(default_factory=lambda: deque(maxlen=8))


@dataclass
class _Lane:
    """Answers waiting for one chat, by reader, served round-robin."""

    chat_id: int
    readers: OrderedDict[int | None, deque[Job]] = field(default_factory=OrderedDict)
    busy: bool = False  # a send to this chat is under way
    worker: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return sum(len(jobs) for jobs in self.readers.values())


@dataclass(frozen=True)
class Outgoing:
    """One message about to be sent and the jobs it answers."""

    jobs: list[Job]
    reply: render.Reply
    combined: bool
    answers: Sequence[Answer | None] = ()  # per job; None for a ready reply


class Dispatcher:
    """Every question's answer goes out through here (see the module docstring)."""

    def __init__(
        self,
        bot: Bot,
        source: AnswerSource,
        metrics: Metrics,
        budgets: Budgets | None,
        limits: Limits | None = None,
        *,
        send: Callable[[Callable[[], Any]], Coroutine[Any, Any, Any]] | None = None,
        log_user_ids: bool = False,
    ) -> None:
        self.bot = bot
        self.source = source
        self.metrics = metrics
        self.budgets = budgets  # None: no flood limits (own Bot API server), nothing waits
        self.limits = limits or (budgets.limits if budgets else Limits())
        self._send = send or _call
        self.log_user_ids = log_user_ids
        self._lanes: dict[int, _Lane] = {}
        self._readers: OrderedDict[tuple[int, int | None], _Reader] = OrderedDict()
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    # --- taking questions ---------------------------------------------------------------

    async def submit(self, job: Job) -> None:
        """Answer ``job``: now when its chat's budget allows, otherwise as soon as it does.

        Raises only what sending a lone answer at once raises (the handler's error handler
        apologises then, as for any handler error)."""
        if self._track(job):
            return
        if self.budgets is None:
            # No flood limits (an own Bot API server): nothing waits, so nothing is combined.
            await self._deliver(_Lane(job.chat_id), [job])
            return
        lane = self._lanes.setdefault(job.chat_id, _Lane(job.chat_id))
        if not lane.busy and not len(lane) and self._delay(job.chat_id) == 0:
            lane.busy = True
            self._idle.clear()
            try:
                await self._deliver(lane, [job])
            finally:
                lane.busy = False
                self._queue_changed()
                self._wake(lane)
            return
        self._enqueue(lane, job)

    def _track(self, job: Job) -> bool:
        """Note that the job's reader asked; True when it repeats a question seconds old."""
        now = job.received
        reader = self._readers.get(job.reader)
        if reader is None:
            reader = self._readers[job.reader] = _Reader()
            if len(self._readers) > self.limits.max_readers:
                self._readers.popitem(last=False)
        self._readers.move_to_end(job.reader)
        if reader.flooding and now - reader.last_seen > self.limits.reader_quiet:
            reader.flooding = False
        reader.last_seen = now
        if job.reply is not None:  # a command's reply: counts towards bursts, never a repeat
            return False
        asked = job.entry_id or _question_key(job.question)
        # Asked again in another language, or from an app in another one, it is another
        # question: its answer may be in another language.
        key = (self.source.knowledge_version(), asked, job.turn_before, job.language, job.hint)
        if any(k == key and now - t <= self.limits.repeat_window for k, t in reader.recent):
            self._drop(job, "repeat")
            return True
        reader.recent.append((key, now))
        return False

    def _enqueue(self, lane: _Lane, job: Job) -> None:
        if self._pending >= self.limits.max_pending:
            self._drop(job, "overflow")
            return
        self.metrics.answers_throttled.inc()
        jobs = lane.readers.setdefault(job.user_id, deque())
        reader = self._readers.get(job.reader)
        waiting = sum(not j.notice for j in jobs)
        flooding = reader is not None and (reader.flooding or waiting >= self.limits.reader_burst)
        if flooding:
            # Beyond the burst only the latest question is answered: drop what waits.
            for dropped in [j for j in jobs if not j.notice]:
                jobs.remove(dropped)
                self._pending -= 1
                self._drop(dropped, "flood")
                if reader is not None:
                    reader.dropped += 1
            if reader is not None and not reader.flooding:
                reader.flooding = True
                jobs.appendleft(self._notice(job))
                self._pending += 1
                self.metrics.flood_notices.inc()
                log.warning(
                    "a reader is asking faster than answers can go in %s: answering only "
                    "their latest question",
                    self._where(job.chat_id),
                    extra={"event": "reader_flood"},
                )
        jobs.append(job)
        self._pending += 1
        self._queue_changed()
        self._wake(lane)

    def _notice(self, job: Job) -> Job:
        private = job.chat_type == "private"
        text = render.flood_notice(None if private else job.asker, i18n.pick(job.hint))
        return Job(
            job.chat_id,
            job.chat_type,
            "",
            job.user_id,
            job.name,
            thread_id=job.thread_id,
            hint=job.hint,
            reply=text,
            notice=True,
        )

    def _where(self, chat_id: int) -> str:
        """A chat for the log: a group's id, never a private chat's (it is the user's id)."""
        if chat_id < 0 or self.log_user_ids:
            return f"chat {chat_id}"
        return "a private chat"

    def _drop(self, job: Job, reason: str) -> None:
        # Flood drops are summed up when the reader's latest question is answered.
        self.metrics.answers_dropped.labels(reason=reason).inc()
        log.log(
            logging.DEBUG if reason == "flood" else logging.INFO,
            "dropped a question in %s (%s)",
            self._where(job.chat_id),
            reason,
            extra={"event": "answer_dropped", "reason": reason},
        )

    def _queue_changed(self) -> None:
        self.metrics.queue_depth.set(self._pending)
        if self._pending:
            self._idle.clear()
        elif not any(lane.busy for lane in self._lanes.values()):
            self._idle.set()

    def _delay(self, chat_id: int) -> float:
        return self.budgets.delay(chat_id) if self.budgets else 0.0

    # --- sending ------------------------------------------------------------------------

    def _wake(self, lane: _Lane) -> None:
        if self._closed:
            return
        if len(lane) and lane.worker is None and not lane.busy:
            lane.worker = asyncio.get_running_loop().create_task(self._work(lane))
        elif not len(lane) and not lane.busy and lane.worker is None:
            if self._lanes.get(lane.chat_id) is lane:
                del self._lanes[lane.chat_id]
            self._queue_changed()

    async def _work(self, lane: _Lane) -> None:
        """Send what waits in ``lane``, one message whenever the chat's budget allows."""
        try:
            while len(lane):
                wait = self._delay(lane.chat_id)
                if lane.busy:  # a lone answer is being sent at once: wait for it
                    wait = max(wait, _IN_FLIGHT_POLL)
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                jobs = self._take(lane)
                lane.busy = True
                self._idle.clear()
                try:
                    await self._deliver(lane, jobs)
                except Exception:
                    log.exception("could not send an answer in %s", self._where(lane.chat_id))
                    for job in jobs:
                        self._drop(job, "error")
                    await self._apologise(jobs[0])
                finally:
                    lane.busy = False
                    self._queue_changed()
        finally:
            lane.worker = None
            self._wake(lane)

    async def _apologise(self, job: Job) -> None:
        """Tell the chat an answer failed, as the error handler does for a handler's error."""
        if job.chat_type == "channel":
            return
        _ = i18n.translator(i18n.pick(job.hint)).gettext
        try:
            await self.bot.send_message(
                job.chat_id,
                _("Sorry, something went wrong while answering. Please try again."),
                message_thread_id=job.thread_id,
            )
        except Exception:  # the chat is gone, or the Bot API is down: logged above
            log.warning("could not apologise in %s", self._where(job.chat_id), exc_info=True)

    def _take(self, lane: _Lane) -> list[Job]:
        """The next message's jobs: one per reader, round-robin, all in the first one's topic,
        up to max_parts; a notice or a ready reply goes alone."""
        head = next(iter(lane.readers.values()))[0]
        alone = head.notice or head.reply is not None
        taken: list[Job] = []
        for user in list(lane.readers):
            if len(taken) >= (1 if alone else self.limits.max_parts):
                break
            jobs = lane.readers[user]
            job = jobs[0]
            if taken and (job.notice or job.reply is not None or job.thread_id != head.thread_id):
                continue  # not combinable with these: first in line for a later message
            jobs.popleft()
            self._pending -= 1
            taken.append(job)
            lane.readers.move_to_end(user)  # served: to the back of the round
            if not jobs:
                del lane.readers[user]
        self._queue_changed()
        return taken

    def _put_back(self, lane: _Lane, jobs: Sequence[Job]) -> None:
        for job in reversed(jobs):
            lane.readers.setdefault(job.user_id, deque()).appendleft(job)
            lane.readers.move_to_end(job.user_id, last=False)
            self._pending += 1
        self._queue_changed()

    async def _remember(self, outgoing: Outgoing, reply_id: int | None) -> None:
        """Tell each job's ``remember`` its answer: before sending (``reply_id`` None), and
        after, the id of the message that answers it alone."""
        for job, answer in zip(outgoing.jobs, outgoing.answers, strict=False):
            if job.remember is not None and answer is not None:
                try:
                    await job.remember(reply_id, answer)
                except Exception:  # the answer still goes out; only what a follow-up reads is lost
                    log.warning("could not remember a conversation turn", exc_info=True)

    async def _deliver(self, lane: _Lane, jobs: list[Job]) -> None:
        outgoing = self._compose(lane, jobs)
        # What each reader's next message follows up is kept before the answer goes out: that
        # message may reach another replica as soon as the reader sees this one.
        await self._remember(outgoing, None)
        first = outgoing.jobs[0]
        reply_to = None
        if not outgoing.combined and first.message_id is not None:
            reply_to = ReplyParameters(first.message_id, allow_sending_without_reply=True)
        started = time.perf_counter()
        sent = await self._send(
            lambda: self.bot.send_message(
                first.chat_id,
                outgoing.reply.text,
                reply_markup=outgoing.reply.keyboard,
                message_thread_id=first.thread_id,
                reply_parameters=reply_to,
            )
        )
        now = time.monotonic()
        if not outgoing.combined:  # a reply to this message follows it up
            await self._remember(outgoing, sent.message_id)
        if outgoing.combined:
            self.metrics.answers_combined.inc(len(outgoing.jobs))
            self.metrics.combined_messages.inc()
        for job, answer in zip(outgoing.jobs, outgoing.answers, strict=False):
            if answer is not None:
                self.metrics.answer_seconds.observe(now - job.received)
                self._log_answer(job, answer, now - job.received, outgoing.combined)
            reader = self._readers.get(job.reader)
            if reader is not None and reader.dropped and not job.notice:
                log.info(
                    "answered the latest question of a flooding reader in %s; %d before it dropped",
                    self._where(job.chat_id),
                    reader.dropped,
                    extra={"event": "flood_answered", "dropped": reader.dropped},
                )
                reader.dropped = 0
        log.debug(
            "sent %d answer(s) to %s in %.0f ms",
            len(outgoing.jobs),
            self._where(first.chat_id),
            (time.perf_counter() - started) * 1000,
        )

    def _log_answer(self, job: Job, answer: Answer, seconds: float, combined: bool) -> None:
        """One log line per question: outcome and entry; who asked only when debugging
        allows."""
        who = f" user={job.user_id} chat={job.chat_id}" if self.log_user_ids else ""
        log.info(
            "question %s entry=%s confidence=%.2f chat_type=%s %.0fms%s%s",
            answer.outcome.value,
            answer.entry.id if answer.entry else "-",
            answer.confidence,
            job.chat_type or "-",
            seconds * 1000,
            " combined" if combined else "",
            who,
            extra={
                "event": "question",
                "outcome": answer.outcome.value,
                "entry": answer.entry.id if answer.entry else None,
                "confidence": round(answer.confidence, 3),
                "chat_type": job.chat_type or None,
                "combined": combined,
            },
        )

    def _compose(self, lane: _Lane, jobs: list[Job]) -> Outgoing:
        """The message for ``jobs``: a lone answer as ever, or one answer per question that
        names its askers; jobs that do not fit in one message go back first in line."""
        if len(jobs) == 1:
            job = jobs[0]
            if job.reply is not None:
                return Outgoing(jobs, job.reply, combined=False, answers=[None])
            answer = self.source.answer_job(job)
            return Outgoing(jobs, self._single(answer, job), combined=False, answers=[answer])
        answers = [self.source.answer_job(job) for job in jobs]
        while True:
            parts = _parts(jobs, answers)
            reply = render.combined_reply(parts)
            if render.visible_length(reply.text) <= render.MAX_TEXT or len(jobs) == 1:
                break
            self._put_back(lane, jobs[-1:])
            jobs, answers = jobs[:-1], answers[:-1]
        if len(jobs) == 1:
            single = self._single(answers[0], jobs[0])
            return Outgoing(jobs, single, combined=False, answers=answers)
        # Each asker's question is logged (the 👍/👎 of a part rates its first asker's).
        refs = [self.source.record(answer, jobs[0].chat_type) for answer in answers]
        first_ref = {}
        for answer, ref in zip(answers, refs, strict=True):
            first_ref.setdefault(id(answer), ref)
        parts = [render.Part(p.askers, p.answer, first_ref.get(id(p.answer))) for p in parts]
        return Outgoing(jobs, render.combined_reply(parts), combined=True, answers=answers)

    def _single(self, answer: Answer, job: Job) -> render.Reply:
        ref = self.source.record(answer, job.chat_type)
        wants_examples = answer.outcome in (Outcome.ABSTAINED, Outcome.GREETING, Outcome.HELP)
        examples = self.source.examples(3, answer.language) if wants_examples else ()
        return render.answer_reply(
            answer, feedback_ref=ref, examples=examples, bot_username=self.bot.username or ""
        )

    # --- shutting down ------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Questions waiting for their answer to be sent."""
        return self._pending

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 - a deadline, not a call
        """Wait until every waiting answer is sent (at shutdown), at most ``timeout`` s."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            log.warning("shutting down with %d answer(s) not sent", self._pending)
            self.metrics.answers_dropped.labels(reason="shutdown").inc(self._pending)
        self._closed = True
        for lane in list(self._lanes.values()):
            if lane.worker is not None:
                lane.worker.cancel()


def _parts(jobs: Sequence[Job], answers: Sequence[Answer]) -> list[render.Part]:
    """One part per distinct question: askers of the same answer (in the same language)
    share it."""
    parts: dict[tuple[str, str, str], render.Part] = {}
    for job, answer in zip(jobs, answers, strict=True):
        if answer.answered and answer.entry is not None:
            key = ("entry", answer.entry.id, answer.language)
        else:
            key = ("question", _question_key(answer.question), answer.language)
        part = parts.get(key)
        askers = (*part.askers, job.asker) if part else (job.asker,)
        parts[key] = render.Part(askers, part.answer if part else answer)
    return list(parts.values())


def _question_key(question: str) -> str:
    """The same question however it is cased, spaced or punctuated at its end."""
    return " ".join(fold(question).split()).strip("?!. ")


async def _call(call: Callable[[], Any]) -> Any:
    return await call()
